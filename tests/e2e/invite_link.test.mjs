// An invite link opened by someone not logged in: the app asks them to log
// in or sign up, keeps the link meanwhile (also across the switch from the
// login to the sign-up page), brings them back to it after registering,
// and the join lands them in the community, with the tools of the role the
// invite gave (here staff: the "管理" link) at once.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld } from '../integration/lib/forums.mjs';
import { invite, newPhone, PASSWORD, me as getMe } from '../integration/lib/accounts.mjs';
import { WEB_CONFIG, browser, openAs, noErrors } from './lib.mjs';

itest('an invite link survives logging in: register, join, land in the community', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 0, other: false });
  const inv = await invite(gw, w.admin.access, w.A.id, { role: 'staff' });
  const b = await browser(h);
  const p = await openAs(b, gw, null, `/join/${w.A.id}/${inv.code}`);

  await p.locator('#login-form').waitFor();
  await p.locator('#invite-note').waitFor();
  await p.getByRole('link', { name: '没有账号？注册' }).click();
  await p.locator('#register-form').waitFor();
  await p.locator('#invite-note').waitFor();
  const phone = newPhone();
  await p.getByLabel('手机号').fill(phone);
  await p.getByLabel('昵称').fill('新住户小李');
  await p.getByLabel('密码').fill(PASSWORD);
  await p.getByRole('button', { name: '注册' }).click();

  // back at the invitation, filled in
  await p.waitForFunction((want) => location.hash === want, `#/join/${w.A.id}/${inv.code}`);
  const form = p.locator('#join-form');
  await form.getByLabel('邀请码').waitFor();
  assert.equal(await form.getByLabel('社区编号').count(), 0, 'the invite code alone: no community number to type');
  assert.equal(await form.getByLabel('邀请码').inputValue(), inv.code);
  await form.getByRole('button', { name: '加入' }).click();

  await p.waitForFunction((want) => location.hash === want, `#/c/${w.A.id}`);
  await p.locator('h1', { hasText: '幸福里社区' }).waitFor();
  await p.getByRole('link', { name: '管理' }).waitFor(); // staff tools without a reload
  const sess = JSON.parse(await p.evaluate(() => localStorage.getItem('linli.session')));
  const m = await getMe(gw, sess.access);
  assert.deepEqual(m.memberships.map((x) => [x.community_id, x.role]), [[w.A.id, 'staff']]);
  noErrors(assert, p);
});
