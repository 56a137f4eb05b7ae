// A thread the content check holds: its author sees it marked 审核中 in the
// list; staff find it under 待审核的帖子和求助 and publish it; then every
// member sees it. A held announcement is released the same way.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { expectStatus } from '../integration/lib/accounts.mjs';
import { forumWorld } from '../integration/lib/forums.mjs';
import { Checker } from '../integration/lib/checker.mjs';
import { WEB_CONFIG, browser, openAs, noErrors } from './lib.mjs';

itest('a held thread: 审核中 for its author, released by staff from the moderation page', async (h) => {
  const checker = await new Checker().start(h);
  const gw = await h.gateway({ config: { ...WEB_CONFIG, ...checker.config() } });
  const { A, staff, residents: [author, other] } = await forumWorld(gw, { residents: 2, other: false });
  const r = await gw.request('POST', `/v1/communities/${A.id}/threads`, { token: author.access,
    body: { title: '二手家具转让', body: '待审：联系微信', kind: 'discussion' } });
  const th = expectStatus(r, 201).thread;
  const b = await browser(h);

  const mine = await openAs(b, gw, author, `/c/${A.id}`);
  await mine.locator('#thread-list li', { hasText: '二手家具转让' }).getByText('审核中').waitFor();
  const theirs = (await gw.request('GET', `/v1/communities/${A.id}/threads`, { token: other.access })).json.items;
  assert.ok(!theirs.some((x) => x.id === th.id));

  const mod = await openAs(b, gw, staff, `/c/${A.id}/mod`);
  const item = mod.locator('#held-list li', { hasText: '二手家具转让' });
  await item.getByText('内容安全审核中，等待社区工作者处理').waitFor();
  await item.getByRole('button', { name: '审核通过并发布' }).click();
  await mod.locator('#held-list').getByText('没有待审核的内容。').waitFor();
  const now = (await gw.request('GET', `/v1/communities/${A.id}/threads`, { token: other.access })).json.items;
  assert.ok(now.some((x) => x.id === th.id), 'published');
  // A held announcement from the staff form, released from the list.
  await mod.locator('#announce-form').getByLabel('标题').fill('停水通知');
  await mod.locator('#announce-form textarea').fill('周六停水，待审核');
  await mod.locator('#announce-form').getByRole('button', { name: '发布' }).click();
  await mod.locator('#toasts').getByText('公告需要审核，已放入待审核的内容。').waitFor();
  const ann = mod.locator('#held-list li', { hasText: '周六停水' });
  await ann.getByRole('button', { name: '审核通过并发布' }).click();
  await mod.locator('#held-list').getByText('没有待审核的内容。').waitFor();
  noErrors(assert, mine, mod);
});
