// The staff queue refreshes on every mod:{cid} event. An event that
// arrives while a refresh is in flight (whose answer may predate it) must
// cause another refresh: here the refresh for the first report is answered
// with the queue as it was before the second report, and that answer is
// held until the page has received the second report's event.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, DESKTOP } from './lib.mjs';

itest('an event during a queue refresh is not dropped', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [author, reporter] = w.residents;
  const th = await createThread(gw, author.access, w.A.id, { title: '装修噪音' });
  const p1 = await createPost(gw, author.access, th.id, '楼上每天早上六点就开始砸墙！');
  const p2 = await createPost(gw, author.access, th.id, '物业根本不管事，全是废物。');
  const report = async (pid) => {
    const r = await gw.request('POST', `/v1/posts/${pid}/report`, { token: reporter.access, body: { reason: '言语攻击' } });
    assert.equal(r.status, 201, r.text);
  };

  // watch what the gateway sends the page: resolves on the second report's event
  let sawSecond;
  const second = new Promise((r) => { sawSecond = r; });
  const b = await browser(h);
  const page = await openAs(b, gw, w.staff, `/c/${w.A.id}/mod`, { viewport: DESKTOP, setup: (ctx) => ctx.routeWebSocket(/\/v1\/ws$/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((m) => {
      try {
        const f = JSON.parse(m);
        if (f.op === 'event' && f.ch === `mod:${w.A.id}` && f.data?.post_id === p2.id) sawSecond();
      } catch { /* not JSON */ }
      ws.send(m);
    });
  }) });
  await page.locator('#mod-queue', { hasText: '没有待处理的内容。' }).waitFor();

  let armed = true;
  await page.route(/\/moderation\/queue/, async (route) => {
    if (!armed) return route.continue();
    armed = false;
    const stale = await route.fetch(); // the queue with the first report only
    await report(p2.id);
    await second;
    await route.fulfill({ response: stale });
  });
  await report(p1.id);
  await page.locator(`#mod-queue li[data-post-id="${p1.id}"]`).waitFor({ timeout: 10000 });
  await page.locator(`#mod-queue li[data-post-id="${p2.id}"]`).waitFor({ timeout: 10000 });
  assert.equal(armed, false, 'the stale answer was served');
  noErrors(assert, page);
});
