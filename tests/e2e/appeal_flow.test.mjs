// 申诉 in the web app: a member whose reply was hidden appeals from the
// inbox; another staff member sees the decision and the appeal side by
// side and overturns it; the reply is back and the member reads the
// outcome in the inbox. Staff warn from the moderation page.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { appoint, expectStatus, register } from '../integration/lib/accounts.mjs';
import { createPost, createThread, forumWorld } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot } from './lib.mjs';

itest('a hidden reply appealed from the inbox, overturned by another staff member', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { admin, A, staff, residents: [author] } = await forumWorld(gw, { residents: 1, other: false });
  const staff2 = await register(gw, { display_name: '社工小王' });
  await appoint(gw, admin.access, A.id, staff2.id);
  const th = await createThread(gw, author.access, A.id);
  const post = await createPost(gw, author.access, th.id, '消防通道被堵，请物业处理');
  expectStatus(await gw.request('POST', `/v1/posts/${post.id}/hide`, { token: staff.access, body: { reason: '涉及隐私' } }), 200);
  const b = await browser(h);

  const inbox = await openAs(b, gw, author, '/inbox');
  const item = inbox.locator('#inbox-list li', { hasText: '涉及隐私' });
  await item.getByRole('button', { name: '申诉' }).click();
  await item.getByLabel('申诉理由').fill('没有涉及任何人的隐私');
  await item.getByRole('button', { name: '提交' }).click();
  await inbox.locator('#toasts').getByText('已提交申诉，等待其他社区工作者处理。').waitFor();

  const mod = await openAs(b, gw, staff2, `/c/${A.id}/mod`, { viewport: { width: 1200, height: 900 } });
  const card = mod.locator('#appeals-list li.appeal');
  await card.getByText('没有涉及任何人的隐私').waitFor();
  await card.getByText('理由：涉及隐私').waitFor();
  await shot(mod, 'appeal-side-by-side', card);
  mod.once('dialog', (d) => d.accept());
  await card.getByLabel('撤销原处理').check();
  await card.getByLabel('处理说明').fill('核实后不涉及隐私');
  await card.getByRole('button', { name: '提交' }).click();
  await mod.locator('#appeals-list').getByText('没有待处理的申诉。').waitFor();
  const posts = (await gw.request('GET', `/v1/threads/${th.id}/posts`, { token: staff.access })).json.items;
  assert.equal(posts.find((p) => p.id === post.id).status, 'visible');

  // Warn from the same page.
  // Warn from the member list (no user ids to type).
  mod.once('dialog', (d) => d.accept());
  const row = mod.locator(`#member-list li[data-user-id="${author.id}"]`);
  await row.getByRole('button', { name: '警告' }).click();
  await row.getByLabel('理由').fill('请注意措辞');
  await row.getByRole('button', { name: '提交' }).click();
  await mod.locator('#toasts').getByText('已警告').waitFor();

  await inbox.reload();
  await inbox.locator('#inbox-list').getByText('你的申诉已处理：撤销原处理').waitFor();
  await inbox.locator('#inbox-list').getByText('你收到一次警告：请注意措辞').waitFor();

  // 申诉 beside the hidden reply on the thread page too.
  const second = await createPost(gw, author.access, th.id, '第二条回复');
  expectStatus(await gw.request('POST', `/v1/posts/${second.id}/hide`, { token: staff.access, body: { reason: '重复' } }), 200);
  const page = await openAs(b, gw, author, `/t/${th.id}`);
  const mineHidden = page.locator(`#post-${second.id}`);
  await mineHidden.getByText('（此回复已被隐藏）').waitFor();
  await mineHidden.getByRole('button', { name: '申诉' }).click();
  await mineHidden.getByLabel('申诉理由').fill('不是重复');
  await mineHidden.getByRole('button', { name: '提交' }).click();
  await page.locator('#toasts').getByText('已提交申诉，等待其他社区工作者处理。').waitFor();
  const open = (await gw.request('GET', `/v1/communities/${A.id}/appeals`, { token: staff2.access })).json.items;
  assert.ok(open.some((a) => a.reason === '不是重复' && a.action.target_id === second.id));
  noErrors(assert, inbox, mod, page);
});
