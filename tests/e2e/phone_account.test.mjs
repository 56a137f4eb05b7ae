// Verified phones and personal information in the web app, at 375 px:
// sign up with an SMS code (the button counts down 60 s) and the privacy
// policy; log in by code; 忘记密码; the account page (name, data download,
// 注销 and its cancellation); the notice after a policy change; IP属地
// beside authors. The SMS relay is the integration tests' loopback one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { itest, sql } from '../integration/lib/harness.mjs';
import { PASSWORD, newPhone, me as getMe } from '../integration/lib/accounts.mjs';
import { createPost, createThread, forumWorld } from '../integration/lib/forums.mjs';
import { smsRelay } from '../integration/lib/phones.mjs';
import { RELAY_SECRET } from '../integration/lib/relay.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot } from './lib.mjs';

const codeFor = async (relay, phone, purpose) => {
  const posts = await relay.waitFor((ps) => ps.some((x) => x.body?.phone === phone && x.body?.purpose === purpose), `${purpose} code`);
  return posts.filter((x) => x.body.phone === phone && x.body.purpose === purpose).at(-1).body.code;
};

itest('sign up with a code and the policy; log in by code; reset a forgotten password', async (h) => {
  const relay = await smsRelay(h);
  const gw = await h.gateway({ config: { ...WEB_CONFIG, sms_relay_url: relay.url, sms_relay_secret: RELAY_SECRET,
    privacy_policy_version: '2026-12', sms_resend_s: 60 } });
  const b = await browser(h);
  const p = await openAs(b, gw, null, '/register');
  const form = p.locator('#register-form');
  await form.waitFor();
  const phone = newPhone('137');
  // No number yet: the button says so instead of sending.
  await form.getByRole('button', { name: '获取验证码' }).click();
  await form.getByText('请先填写手机号。').waitFor();
  await form.getByLabel('手机号').fill(phone);
  await form.getByRole('button', { name: '获取验证码' }).click();
  await form.getByText('验证码已发送，请查收短信。').waitFor();
  const send = form.locator('button.code-send');
  assert.equal(await send.isDisabled(), true, 'no second code at once');
  assert.match(await send.textContent(), /^(60|59|58) 秒后重新获取$/);
  await form.getByLabel('短信验证码').fill(await codeFor(relay, phone, 'register'));
  await form.getByLabel('昵称').fill('新住户');
  await form.getByLabel('密码').fill(PASSWORD);
  await form.getByLabel('我已阅读并同意《隐私政策》（版本 2026-12）').check();
  await shot(p, 'register-with-code-375', form);
  await form.getByRole('button', { name: '注册' }).click();
  await p.waitForFunction(() => location.hash === '#/');
  const sess = JSON.parse(await p.evaluate(() => localStorage.getItem('linli.session')));
  const m = await getMe(gw, sess.access);
  assert.equal(m.user.phone_verified, true);
  assert.equal(m.consent.version, '2026-12');
  noErrors(assert, p);
  await p.context().close();

  // 验证码登录, in a new browser context.
  const q = await openAs(b, gw, null, '/login');
  await q.locator('#login-form').waitFor();
  await q.getByRole('button', { name: '改用短信验证码' }).click();
  const lf = q.locator('#login-form');
  await lf.getByLabel('短信验证码').waitFor();
  assert.equal(await q.evaluate(() => document.activeElement.id), 'login-by', 'focus stays on the switch');
  await lf.getByLabel('手机号').fill(phone);
  await sql(gw, `DELETE FROM sms_pacing WHERE phone = '${phone}'`); // the 60 s pacing is the server's (tested there)
  await lf.getByRole('button', { name: '获取验证码' }).click();
  const code = await codeFor(relay, phone, 'login');
  await lf.getByLabel('短信验证码').fill(code === '000000' ? '000001' : '000000');
  await lf.getByRole('button', { name: '登录' }).click();
  await lf.getByText('验证码不正确或已过期，请重新获取。').waitFor();
  await lf.getByLabel('短信验证码').fill(code);
  await lf.getByRole('button', { name: '登录' }).click();
  await q.waitForFunction(() => location.hash === '#/');
  noErrors(assert, q);
  await q.context().close();

  // 忘记密码: a code and a new password sign in; the old password is gone.
  const r = await openAs(b, gw, null, '/login');
  await r.getByRole('link', { name: '忘记密码？' }).click();
  const rf = r.locator('#reset-form');
  await rf.waitFor();
  await rf.getByLabel('手机号').fill(phone);
  await sql(gw, `DELETE FROM sms_pacing WHERE phone = '${phone}'`);
  await rf.getByRole('button', { name: '获取验证码' }).click();
  await rf.getByLabel('短信验证码').fill(await codeFor(relay, phone, 'reset'));
  await rf.getByLabel('新密码').fill('a-brand-new-pass-1');
  await rf.getByRole('button', { name: '重设密码并登录' }).click();
  await r.waitForFunction(() => location.hash === '#/');
  const bad = await gw.request('POST', '/v1/auth/login', { body: { phone, password: PASSWORD } });
  assert.equal(bad.status, 401);
  noErrors(assert, r);
});

itest('the account page: name, my data, 注销 and its cancellation; the policy notice; IP属地', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [me1, other] = w.residents;
  const th = await createThread(gw, other.access, w.A.id, { title: '楼道灯坏了' });
  const post = await createPost(gw, other.access, th.id, '三楼也不亮');
  await sql(gw, `UPDATE posts SET ip_region = '广东' WHERE id = ${post.id}; UPDATE threads SET ip_region = '上海' WHERE id = ${th.id}`);
  const b = await browser(h);

  const t = await openAs(b, gw, me1, `/t/${th.id}`);
  await t.locator(`#post-${post.id}`).getByText('IP属地：广东').waitFor();
  await t.getByText('IP属地：上海').waitFor();
  await t.context().close();

  const p = await openAs(b, gw, me1, '/');
  await p.getByRole('link', { name: '我的账号' }).click();
  await p.locator('h1', { hasText: '我的账号' }).waitFor();
  await p.locator('#verified-state', { hasText: '未验证' }).waitFor();
  const nf = p.locator('#name-form');
  await nf.getByLabel('昵称').fill('改名后的居民');
  await nf.getByRole('button', { name: '保存' }).click();
  await p.locator('#toasts').getByText('已保存').waitFor();
  assert.equal((await getMe(gw, me1.access)).user.display_name, '改名后的居民');

  // 下载我的数据: a JSON file with the caller's own data.
  const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: '下载我的数据' }).click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^linli-${me1.id}-\\d{4}-\\d{2}-\\d{2}\\.json$`));
  const doc = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(doc.user.id, me1.id);
  assert.equal(doc.user.display_name, '改名后的居民');
  assert.ok(Array.isArray(doc.sessions) && doc.sessions.length > 0);

  // 注销账号: the password, a confirmation, then the date; cancelled again.
  p.once('dialog', (d) => d.accept());
  const df = p.locator('#delete-form');
  await df.getByLabel('密码').fill(PASSWORD);
  await df.getByRole('button', { name: '注销账号' }).click();
  await p.locator('#deletion-pending').waitFor();
  assert.ok((await getMe(gw, me1.access)).deletes_at > Date.now() + 14 * 86400000);
  await shot(p, 'account-deletion-pending-375', p.locator('#account-delete'));
  await p.getByRole('button', { name: '撤销注销' }).click();
  await p.locator('#delete-form').waitFor();
  assert.equal((await getMe(gw, me1.access)).deletes_at, null);
  noErrors(assert, p);
  await p.context().close();

  // A new privacy policy: every page says so until the member agrees; a
  // write meanwhile explains itself.
  await gw.restart({ config: { ...WEB_CONFIG, privacy_policy_version: '2027-01' } });
  const q = await openAs(b, gw, me1, `/t/${th.id}`);
  const notice = q.locator('#account-notice');
  await notice.getByText('隐私政策已更新（版本 2027-01），同意后才能继续发言。').waitFor();
  await q.locator('#post-form textarea, #post-form [name=body]').first().fill('我来回复');
  await q.locator('#post-form').getByRole('button', { name: '发送' }).click();
  await q.getByText('隐私政策已更新，请在“我的账号”中阅读并同意后继续。').first().waitFor();
  await notice.getByRole('link', { name: '前往我的账号' }).click();
  await q.getByRole('button', { name: '同意隐私政策（版本 2027-01）' }).click();
  await q.locator('#consent-state', { hasText: '你已同意隐私政策（版本 2027-01' }).waitFor();
  await q.getByRole('link', { name: '我的社区' }).first().click();
  await q.locator('#community-list').waitFor();
  assert.equal(await notice.isHidden(), true, 'the notice is gone once agreed');
  noErrors(assert, q);
});
