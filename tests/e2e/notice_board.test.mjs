// The notice board (issue 15): an announcement staff publish from the
// manage page is on the community page of a member whose page is open,
// still there after a reload, on the page of a member who joins afterwards
// with the invite code alone, and in the inbox with a link; staff see how
// many have read it. A wrong or used invite code says so in Chinese.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld } from '../integration/lib/forums.mjs';
import { invite, register } from '../integration/lib/accounts.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot } from './lib.mjs';

itest('an announcement is kept on the board, reaches the inbox, and is there for who joins later', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { A, staff, residents: [r1] } = await forumWorld(gw, { residents: 1, other: false });
  const b = await browser(h);
  const res = await openAs(b, gw, r1, `/c/${A.id}`);
  await res.locator('#notice-list').getByText('暂无公告。').waitFor();

  const mod = await openAs(b, gw, staff, `/c/${A.id}/mod`);
  const form = mod.locator('#announce-form');
  await form.getByLabel('标题').fill('停水通知');
  await form.getByLabel('内容').fill('周六 9:00-12:00 停水，请提前储水。');
  await form.getByLabel('置顶这条公告').check();
  await form.getByRole('button', { name: '发布' }).click();
  await mod.locator('#toasts').getByText('已发布，已通知 1 位成员。').waitFor();

  // Live on the open page, then after a reload.
  const item = res.locator('#notice-list li', { hasText: '停水通知' });
  await item.getByText('周六 9:00-12:00 停水，请提前储水。').waitFor();
  await item.getByText('置顶').waitFor();
  await res.reload();
  await res.locator('#notice-list li', { hasText: '停水通知' }).waitFor();
  // In the inbox, leading to the community page.
  await res.goto(`${gw.url}/#/inbox`);
  const note = res.locator('#inbox-list li', { hasText: '社区公告：停水通知' });
  await note.getByRole('link').click();
  await res.waitForFunction((want) => location.hash === want, `#/c/${A.id}`);

  // Staff see it read by the one member who saw it.
  await mod.goto(`${gw.url}/#/c/${A.id}`);
  await mod.locator('#notice-list li', { hasText: '停水通知' }).getByText('已读 1/2').waitFor();

  // A newcomer joins with the code alone and finds the board as it is.
  const inv = await invite(gw, staff.access, A.id, { role: 'resident', max_uses: 1 });
  const late = await register(gw, { display_name: '新住户' });
  const lp = await openAs(b, gw, late, '/');
  const join = lp.locator('#join-form');
  await join.getByLabel('邀请码').waitFor();
  assert.equal(await join.getByLabel('社区编号').count(), 0, 'no community number to type');
  await join.getByLabel('邀请码').fill('WRONG123');
  await join.getByRole('button', { name: '加入' }).click();
  await join.locator('.form-error').getByText('邀请码不存在，请核对后重新输入。').waitFor();
  assert.doesNotMatch(await join.locator('.form-error').textContent(), /[a-z]{4}/, 'no English under the Chinese message');
  await join.getByLabel('邀请码').fill(inv.code.toLowerCase());
  await join.getByRole('button', { name: '加入' }).click();
  await lp.waitForFunction((want) => location.hash === want, `#/c/${A.id}`);
  await lp.locator('#notice-list li', { hasText: '停水通知' }).waitFor();
  await shot(lp, 'notice-board', lp.locator('#notice-list'));

  // The same code again: used up, said plainly.
  const third = await register(gw, { display_name: '晚到的邻居' });
  const tp = await openAs(b, gw, third, '/');
  await tp.locator('#join-form').getByLabel('邀请码').fill(inv.code);
  await tp.locator('#join-form').getByRole('button', { name: '加入' }).click();
  await tp.locator('#join-form .form-error').getByText('这个邀请码已用完，请向社区工作者索取新的邀请码。').waitFor();
  noErrors(assert, res, mod, lp, tp);
});
