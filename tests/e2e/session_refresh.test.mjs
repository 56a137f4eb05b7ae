// Short-lived access tokens (10 s) and three tabs of the app in one browser
// (one shared session in localStorage): every tab's timer wants to refresh
// at the same moment, yet the single-use refresh token is presented once per
// rotation (the tabs take turns under a Web Lock and reuse each other's
// tokens), so the gateway never sees a reused token and never revokes the
// session. Every tab stays live past two expiries without a reconnect, keeps
// receiving events, and REST calls keep working. When the session is
// revoked, the tabs go to the login page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, openTab, shot, noErrors } from './lib.mjs';

itest('three tabs share one session and refresh it without revoking it', { timeout: 60000 }, async (h) => {
  const gw = await h.gateway({ config: { ...WEB_CONFIG, token_ttl_s: 10, session_check_ms: 500 } });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [me, other] = w.residents;
  const th = await createThread(gw, other.access, w.A.id, { title: '垃圾分类时间调整' });
  const b = await browser(h);
  const p1 = await openAs(b, gw, me, `/t/${th.id}`);
  const p2 = await openTab(p1.context(), gw, `/t/${th.id}`);
  const p3 = await openTab(p1.context(), gw, `/c/${w.A.id}`);
  const tabs = [p1, p2, p3];
  for (const p of tabs) {
    await p.evaluate(() => {
      const el = document.getElementById('conn');
      window.linliStates = [];
      new MutationObserver(() => window.linliStates.push(el.dataset.state)).observe(el, { attributes: true, attributeFilter: ['data-state'] });
    });
  }
  const first = JSON.parse(await p1.evaluate(() => localStorage.getItem('linli.session')));
  assert.ok(first.expiresAt - Date.now() < 11000, 'a 10 s token');

  // past the second token's expiry, by the page's own clock
  await p1.waitForFunction((exp) => Date.now() > exp + 10000 + 1500, first.expiresAt, { timeout: 30000, polling: 250 });
  const now = JSON.parse(await p1.evaluate(() => localStorage.getItem('linli.session')));
  assert.notEqual(now.refresh, me.refresh, 'the refresh token rotated');
  assert.ok(now.expiresAt > first.expiresAt + 9000, 'at least two rotations');
  const log = fs.readFileSync(gw.logPath, 'utf8');
  assert.doesNotMatch(log, /reused/, 'no refresh token presented twice');

  const otherToken = await h.mint(gw, other.id, { ttl: 600 }); // the test's own tokens expire too
  await createPost(gw, otherToken, th.id, '改到晚上七点到八点。');
  for (const p of [p1, p2]) await p.locator('#post-list li.post', { hasText: '改到晚上七点到八点。' }).waitFor();
  for (const p of tabs) {
    assert.deepEqual(await p.evaluate(() => window.linliStates), [], 'stayed live: no reconnect');
    assert.equal(await p.evaluate(() => location.hash), p === p3 ? `#/c/${w.A.id}` : `#/t/${th.id}`, 'still signed in');
  }

  // REST with the renewed session, from the third tab: a new thread
  await p3.getByLabel('标题').fill('停车位申请');
  await p3.getByLabel('内容').fill('请问怎么申请？');
  await p3.getByRole('button', { name: '发布' }).click();
  await p3.locator('h1', { hasText: '停车位申请' }).waitFor();
  // and a reply from the first
  await p1.getByLabel('内容').fill('收到。');
  await p1.getByRole('button', { name: '发送' }).click();
  await p1.locator('#post-list li.post', { hasText: '收到。' }).waitFor();
  assert.doesNotMatch(fs.readFileSync(gw.logPath, 'utf8'), /reused/, 'still no reuse');
  await shot(p1, 'session-refresh');

  // The session revoked elsewhere (a logout on another device): the gateway
  // closes the sockets with 4001; the tabs find the session over and go to
  // the login page instead of sitting on "已断开".
  const cur = JSON.parse(await p1.evaluate(() => localStorage.getItem('linli.session')));
  const out = await gw.request('POST', '/v1/auth/logout', { token: cur.access });
  assert.equal(out.status, 204);
  for (const p of tabs) await p.locator('#login-form').waitFor({ timeout: 10000 });
  noErrors(assert, ...tabs);
});
