// Short-lived access tokens (10 s): the open page refreshes its session
// before expiry (the refresh token rotates) and re-authenticates its open
// socket, so it stays live past the first token's expiry without a
// reconnect and keeps receiving events; REST calls keep working.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, shot, noErrors } from './lib.mjs';

itest('the page refreshes its tokens and stays live past the access token\'s expiry', { timeout: 60000 }, async (h) => {
  const gw = await h.gateway({ config: { ...WEB_CONFIG, token_ttl_s: 10 } });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [me, other] = w.residents;
  const th = await createThread(gw, other.access, w.A.id, { title: '垃圾分类时间调整' });
  const b = await browser(h);
  const page = await openAs(b, gw, me, `/t/${th.id}`);
  await page.evaluate(() => {
    const el = document.getElementById('conn');
    window.linliStates = [];
    new MutationObserver(() => window.linliStates.push(el.dataset.state)).observe(el, { attributes: true, attributeFilter: ['data-state'] });
  });
  const first = JSON.parse(await page.evaluate(() => localStorage.getItem('linli.session')));
  assert.ok(first.expiresAt - Date.now() < 11000, 'a 10 s token');

  // past the first token's expiry, by the page's own clock
  await page.waitForFunction((exp) => Date.now() > exp + 1500, first.expiresAt, { timeout: 20000, polling: 250 });
  const now = JSON.parse(await page.evaluate(() => localStorage.getItem('linli.session')));
  assert.notEqual(now.refresh, me.refresh, 'the refresh token rotated');
  assert.ok(now.expiresAt > first.expiresAt, 'a newer access token');

  const otherToken = await h.mint(gw, other.id, { ttl: 600 }); // the test's own tokens expire too
  await createPost(gw, otherToken, th.id, '改到晚上七点到八点。');
  await page.locator('#post-list li.post', { hasText: '改到晚上七点到八点。' }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.linliStates), [], 'stayed live: no reconnect');

  // REST with the renewed session: a reply
  await page.getByLabel('内容').fill('收到。');
  await page.getByRole('button', { name: '发送' }).click();
  await page.locator('#post-list li.post', { hasText: '收到。' }).waitFor();
  await shot(page, 'session-refresh');
  noErrors(assert, page);
});
