// What the issue 15 walk-through found, each as a user meets it: help
// categories come from the server; a volunteer profile that could never
// match is refused; the requester sees who is coming and the volunteer a
// tap-to-call contact; 确认完成 gives stars and thanks; the thread list says
// how much was said, when, until when one may vote, and whether one voted;
// a tie shows every side's reasons; staff mute, end a mute and warn from
// the member list; the log names what was acted on without doubled words;
// errors are told by their meaning, in Chinese only.
import assert from 'node:assert/strict';
import { itest, sql } from '../integration/lib/harness.mjs';
import { createConsultation, createPost, createThread, forumWorld, vote } from '../integration/lib/forums.mjs';
import { createHelp, getHelp, helpAction, volunteer } from '../integration/lib/help.mjs';
import { expectStatus, newPhone, PASSWORD } from '../integration/lib/accounts.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot } from './lib.mjs';

itest('help: categories from the server, a profile that never matches refused, who is coming, tap to call, stars and thanks', async (h) => {
  const gw = await h.gateway({ config: { ...WEB_CONFIG, help_categories: '"errand,repair,pet_care"' } });
  const { A, residents: [asker, vol] } = await forumWorld(gw, { residents: 2, other: false });
  const b = await browser(h);

  const vp = await openAs(b, gw, vol, `/c/${A.id}/volunteer`);
  await vp.getByRole('checkbox', { name: '维修' }).waitFor();
  assert.equal(await vp.getByRole('checkbox', { name: '看护儿童' }).count(), 0, 'not a category of this server');
  assert.equal(await vp.getByRole('checkbox', { name: 'pet_care' }).count(), 1, 'a category the page has no name for, as it is');
  await vp.getByRole('radio', { name: '接单中' }).check();
  await vp.getByRole('button', { name: '保存' }).click();
  await vp.locator('#volunteer-form .form-error').getByText('请至少选择一个服务类别：不选类别将收不到任何求助。').waitFor();
  assert.equal((await gw.request('GET', `/v1/communities/${A.id}/volunteer`, { token: vol.access })).json.volunteer, null, 'nothing saved');
  await vp.getByRole('checkbox', { name: '维修' }).check();
  await vp.getByRole('button', { name: '保存' }).click();
  await vp.locator('.toast', { hasText: '已保存' }).waitFor();

  const ap = await openAs(b, gw, asker, `/c/${A.id}/help`);
  // The list comes from the server: wait for its last entry before reading it.
  await ap.getByLabel('类别').locator('option[value="pet_care"]').waitFor({ state: 'attached' });
  const cats = await ap.getByLabel('类别').locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(cats, ['errand', 'repair', 'pet_care'], 'the server\'s list');
  await ap.locator('#go-ask').click(); // the main action, from the top of the page
  assert.equal(await ap.evaluate(() => document.activeElement?.closest('form')?.id), 'help-form');
  const hr = await createHelp(gw, asker, A.id, { category: 'repair', title: '水龙头漏水', contact: '王奶奶 139-0000-1111' });
  await helpAction(gw, vol, hr.id, 'claim');
  const mine = ap.locator(`#help-list li[data-help-id="${hr.id}"]`);
  await mine.getByText('来帮忙的志愿者：居民2').waitFor();

  const vh = await openAs(b, gw, vol, `/c/${A.id}/help`);
  const call = vh.locator(`#help-list li[data-help-id="${hr.id}"] a.tel`);
  await call.waitFor();
  assert.equal(await call.getAttribute('href'), 'tel:13900001111');
  await helpAction(gw, vol, hr.id, 'done');

  const done = ap.locator(`#help-list li[data-help-id="${hr.id}"] form.confirm-form`);
  await done.waitFor();
  await done.getByRole('radio', { name: '4 星' }).check();
  await done.getByLabel('感谢的话（可选）').fill('修得很好，谢谢！');
  await done.getByRole('button', { name: '确认完成' }).click();
  await ap.locator('.toast', { hasText: '已确认完成' }).waitFor();
  const after = await getHelp(gw, asker, hr.id);
  assert.deepEqual([after.status, after.rating, after.thanks], ['confirmed', 4, '修得很好，谢谢！']);
  await shot(ap, 'help-confirmed', mine);
  noErrors(assert, vp, ap, vh);
});

itest('threads: reply count, last activity, deadline and 已投票 on the list; a tie shows every side\'s reasons', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { A, staff, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
  const th = await createThread(gw, r1.access, A.id, { title: '楼下停车' });
  await createPost(gw, r2.access, th.id, '同意');
  await createPost(gw, r1.access, th.id, '谢谢');
  const co = await createConsultation(gw, staff.access, A.id, { title: '广场灯光', options: ['加亮', '保持'] });
  await vote(gw, r1.access, co.id, 0, '晚上太黑');
  const b = await browser(h);
  const p = await openAs(b, gw, r1, `/c/${A.id}`);
  const card = p.locator(`#thread-list li[data-thread-id="${th.id}"]`);
  await card.getByText('2 条回复').waitFor();
  assert.match(await card.locator('.thread-activity').textContent(), /最后更新/);
  const cc = p.locator(`#thread-list li[data-thread-id="${co.id}"]`);
  assert.match(await cc.locator('.thread-activity').textContent(), /截止/);
  await cc.getByText('已投票', { exact: true }).waitFor();
  await p.locator('#go-new-thread').click();
  assert.equal(await p.evaluate(() => document.activeElement?.closest('form')?.id), 'new-thread');

  await vote(gw, r2.access, co.id, 1, '省电');
  expectStatus(await gw.request('POST', `/v1/threads/${co.id}/close`, { token: staff.access }), 200);
  const tp = await openAs(b, gw, r2, `/t/${co.id}`);
  const box = tp.locator('#consultation');
  await box.getByText('各方理由（票数相同）').waitFor();
  await box.getByText('晚上太黑').waitFor();
  await box.getByText('省电').waitFor();
  assert.equal(await box.getByText('少数意见').count(), 0, 'nobody is the minority in a tie');
  noErrors(assert, p, tp);
});

itest('staff: mute, end a mute and warn from the member list; the log names its target; 保留 for a reported reply still shown', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { A, staff, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
  const th = await createThread(gw, r1.access, A.id, { title: '宠物' });
  const bad = await createPost(gw, r1.access, th.id, '谁家的狗天天叫，烦死了');
  expectStatus(await gw.request('POST', `/v1/posts/${bad.id}/report`, { token: r2.access, body: { reason: '不友善' } }), 201);
  const b = await browser(h);
  const mod = await openAs(b, gw, staff, `/c/${A.id}/mod`);
  await mod.locator('#member-list li').first().waitFor();
  assert.equal(await mod.getByLabel('用户编号').count(), 0, 'no user ids to type');
  const row = mod.locator(`#member-list li[data-user-id="${r1.id}"]`);
  await row.getByRole('button', { name: '禁言' }).click();
  await row.getByLabel('时长（分钟）').fill('30');
  await row.getByLabel('理由').fill('言语过激');
  const asked = [];
  mod.once('dialog', (d) => { asked.push(d.message()); d.accept(); });
  await row.getByRole('button', { name: '提交' }).click();
  await mod.locator(`#member-list li[data-user-id="${r1.id}"]`).getByText(/禁言至 .*：言语过激/).waitFor();
  assert.match(asked[0], /确定禁言 居民1/);
  await mod.locator(`#member-list li[data-user-id="${r1.id}"]`).getByRole('button', { name: '解除禁言' }).click();
  await mod.locator('.toast', { hasText: '已解除禁言' }).waitFor();
  await mod.locator(`#member-list li[data-user-id="${r1.id}"] [data-action="role"]`).waitFor();
  assert.equal(await mod.locator(`#member-list li[data-user-id="${r1.id}"]`).getByText(/禁言至/).count(), 0);
  const members = (await gw.request('GET', `/v1/communities/${A.id}/members`, { token: staff.access })).json.items;
  assert.equal(members.find((m) => m.user_id === r1.id).muted_until, undefined, 'the mute is over');

  const q = mod.locator(`#mod-queue li[data-post-id="${bad.id}"]`);
  await q.getByRole('button', { name: '保留' }).waitFor();
  await q.getByRole('button', { name: '隐藏' }).click();
  await q.getByLabel('理由').fill('不友善');
  mod.once('dialog', (d) => d.accept());
  await q.getByRole('button', { name: '提交' }).click();
  const line = mod.locator('#mod-log li', { hasText: '隐藏回复' });
  await line.waitFor();
  const text = await line.textContent();
  assert.match(text, /隐藏回复：“谁家的狗天天叫，烦死了”/, text);
  assert.doesNotMatch(text, /隐藏回复\s*回复/, 'no doubled words');
  assert.match(await mod.locator('#mod-log').textContent(), /解除禁言：居民1/);
  noErrors(assert, mod);
});

itest('errors are told by their meaning in Chinese, with no English under them', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const phone = newPhone();
  expectStatus(await gw.request('POST', '/v1/auth/register', { body: { phone, password: PASSWORD, display_name: '老住户' } }), 201);
  const b = await browser(h);
  const p = await openAs(b, gw, null, '/register');
  await p.getByLabel('手机号').fill(phone);
  await p.getByLabel('昵称').fill('再注册一次');
  await p.getByLabel('密码').fill(PASSWORD);
  await p.getByRole('button', { name: '注册' }).click();
  const alert = p.locator('#register-form .form-error');
  await alert.getByText('这个手机号已注册，请直接登录或找回密码。').waitFor();
  assert.equal(await alert.locator('.err-detail').count(), 0, 'no English detail under the Chinese message');
  assert.doesNotMatch(await alert.textContent(), /状态已变化|already/);
  // A fault of the page is not "cannot reach the server".
  const said = await p.evaluate(async () => (await import('/js/ui.js')).errText(new TypeError('x is undefined')));
  assert.equal(said, '页面出错了，请刷新后重试。');
  noErrors(assert, p);
});

itest('the author edits a reply within the edit window; after it, 编辑 is not offered', async (h) => {
  const gw = await h.gateway({ config: { ...WEB_CONFIG, post_edit_window_s: 600 } });
  const { A, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
  const th = await createThread(gw, r1.access, A.id, { title: '周末市集' });
  const b = await browser(h);
  const p = await openAs(b, gw, r1, `/t/${th.id}`);
  await p.locator('#go-reply').click(); // the main action, from the top
  await p.locator('#compose textarea').fill('周六上午九点开始');
  await p.getByRole('button', { name: '发送' }).click();
  const mine = p.locator('#post-list li.post', { hasText: '周六上午九点开始' });
  await mine.getByRole('button', { name: '编辑' }).click();
  await mine.getByLabel('修改回复').fill('周六上午十点开始（改时间了）');
  await mine.getByRole('button', { name: '保存' }).click();
  await p.locator('#post-list li.post', { hasText: '周六上午十点开始（改时间了）' }).getByText('已编辑').waitFor();
  const other = await openAs(b, gw, r2, `/t/${th.id}`);
  await other.locator('#post-list li.post', { hasText: '改时间了' }).waitFor();
  assert.equal(await other.locator('#post-list').getByRole('button', { name: '编辑' }).count(), 0, 'not on another\'s reply');
  // The window (600 s) passes: the post is made older rather than waited for.
  await sql(gw, `UPDATE posts SET created_at = created_at - 601000 WHERE thread_id = ${th.id}`);
  await p.reload();
  await p.locator('#post-list li.post', { hasText: '改时间了' }).waitFor();
  assert.equal(await p.locator('#post-list').getByRole('button', { name: '编辑' }).count(), 0, 'the window has passed');
  noErrors(assert, p, other);
});
