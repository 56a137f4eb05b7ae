// What the UI says is in its language. Errors are told from their code (the
// server's English message only as small print); moderation shows held
// reasons, post states and log actions translated, with names rather than
// ids; English has singulars ("1 vote") and English punctuation.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost, createConsultation, vote } from '../integration/lib/forums.mjs';
import { newPhone, PASSWORD } from '../integration/lib/accounts.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, DESKTOP } from './lib.mjs';

itest('errors, moderation labels and plurals are translated', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 3, other: false });
  const [r1, r2, r3] = w.residents;
  const th = await createThread(gw, r1.access, w.A.id, { title: '宠物管理' });
  const bad = await createPost(gw, r1.access, th.id, '谁家的狗再乱叫我就投毒。');
  for (const r of [r2, r3, w.staff]) {
    const res = await gw.request('POST', `/v1/posts/${bad.id}/report`, { token: r.access, body: { reason: '威胁' } });
    assert.equal(res.status, 201, res.text);
  }
  const cons = await createConsultation(gw, w.staff.access, w.A.id, { title: '快递柜位置', options: ['东门', '西门'] });
  await vote(gw, r2.access, cons.id, 0, '离地铁近');
  const closed = await gw.request('POST', `/v1/threads/${cons.id}/close`, { token: w.staff.access });
  assert.equal(closed.status, 200, closed.text);

  const b = await browser(h);
  // staff, in Chinese: the held post and the log
  const sp = await openAs(b, gw, w.staff, `/c/${w.A.id}/mod`, { viewport: DESKTOP });
  const item = sp.locator(`#mod-queue li[data-post-id="${bad.id}"]`);
  await item.waitFor();
  const itemText = await item.textContent();
  assert.match(itemText, /被举报/);
  assert.doesNotMatch(itemText, /reported|visible|pending/);
  const logLine = sp.locator('#mod-log li', { hasText: '结束投票' });
  await logLine.waitFor();
  assert.match(await logLine.textContent(), /社工小张/, 'the actor by name');
  assert.doesNotMatch(await sp.locator('#mod-log').textContent(), /act_|consultation\.|user_id/);

  // a resident, in English: the closed tally, singular
  const ep = await openAs(b, gw, r1, `/t/${cons.id}`, { lang: 'en' });
  const tally = ep.locator('#tally');
  await tally.waitFor();
  assert.match(await tally.textContent(), /东门: 1 vote(?!s)/);
  assert.match(await tally.textContent(), /西门: 0 votes/);
  assert.doesNotMatch(await ep.locator('#consultation').textContent(), /[：，]/, 'no Chinese punctuation in English');

  // errors: sign-up with a common password (a field error), then a wrong login
  const np = await openAs(b, gw, null, '/register', { lang: 'en' });
  await np.getByLabel('Mobile number').fill(newPhone());
  await np.getByLabel('Display name').fill('Test');
  await np.getByLabel('Password').fill('password1');
  await np.getByRole('button', { name: 'Sign up' }).click();
  const alert = np.locator('#register-form .form-error');
  await alert.locator('.err').waitFor();
  assert.match(await alert.textContent(), /^Please check “Password”\./);
  assert.match(await alert.locator('.err-detail').textContent(), /too common/, 'the server message only as detail');

  await np.getByRole('link', { name: 'Have an account? Log in' }).click();
  await np.getByLabel('Mobile number').fill(newPhone());
  await np.getByLabel('Password').fill(PASSWORD);
  await np.getByRole('button', { name: 'Log in' }).click();
  await np.locator('#login-form .form-error .err').waitFor();
  assert.match(await np.locator('#login-form .form-error').textContent(), /^Wrong mobile number or password\./);
  noErrors(assert, sp, ep, np);
});
