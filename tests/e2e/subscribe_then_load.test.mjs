// Nothing falls between subscribing and loading. The page's `sub` for the
// thread is held back (a slow link) while the page loads the thread over
// REST; a neighbour posts after that snapshot but before the gateway has
// the subscription (so the post is in neither). The page must still show
// it, once, when the subscription goes live. A view that loaded its
// snapshot without waiting for the subscription, and subscribed live-only,
// would never show it.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors } from './lib.mjs';

itest('a post made between the REST snapshot and the live subscription is shown once', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [me, other] = w.residents;
  const th = await createThread(gw, other.access, w.A.id, { title: '电梯维修通知' });
  await createPost(gw, other.access, th.id, '周三上午停运。');

  let held = null;       // the page's sub for thread:{tid}, until released
  let server = null;
  const b = await browser(h);
  const p = await openAs(b, gw, me, '/', { setup: (ctx) => ctx.routeWebSocket(/\/v1\/ws$/, (ws) => {
    server = ws.connectToServer();
    ws.onMessage((m) => {
      let f = null;
      try { f = JSON.parse(m); } catch { /* not ours */ }
      if (f && f.op === 'sub' && f.ch === `thread:${th.id}` && !held) held = { m, server };
      else server.send(m);
    });
  }) });

  const snapshot = p.waitForResponse((r) => r.url().endsWith(`/v1/threads/${th.id}/posts?limit=200`), { timeout: 10000 });
  await p.evaluate((tid) => { location.hash = `#/t/${tid}`; }, th.id);
  await snapshot;
  assert.ok(held, 'the sub was held back');
  await p.locator('#post-list li.post', { hasText: '周三上午停运。' }).waitFor();
  await createPost(gw, other.access, th.id, '周四恢复运行。');
  held.server.send(held.m);

  const late = p.locator('#post-list li.post', { hasText: '周四恢复运行。' });
  await late.waitFor({ timeout: 10000 });
  assert.equal(await late.count(), 1, 'shown once');
  assert.equal(await p.locator('#post-list li.post').count(), 2);
  // and live from here on
  await createPost(gw, other.access, th.id, '请大家走楼梯注意安全。');
  await p.locator('#post-list li.post', { hasText: '请大家走楼梯注意安全。' }).waitFor();
  assert.equal(await p.locator('#post-list li.post').count(), 3);
  noErrors(assert, p);
});
