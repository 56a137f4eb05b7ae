// A resident logs in through the page, opens a thread and posts; another
// resident's open page shows the post without a reload, and the reply to
// it comes back the same way.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { PASSWORD } from '../integration/lib/accounts.mjs';
import { forumWorld, createThread } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, live, shot, noErrors } from './lib.mjs';

itest('a post appears live on another resident\'s open thread page', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [alice, bob] = w.residents;
  const th = await createThread(gw, w.staff.access, w.A.id, { title: '东门停车位怎么分配', body: '请大家说说意见。' });
  const b = await browser(h);

  // Bob has the thread open.
  const bobPage = await openAs(b, gw, bob, `/t/${th.id}`);
  await bobPage.getByRole('heading', { name: '东门停车位怎么分配' }).waitFor();

  // Alice logs in through the form and walks there by links.
  const alicePage = await openAs(b, gw, null, '/');
  await alicePage.getByLabel('手机号').fill(alice.phone);
  await alicePage.getByLabel('密码').fill(PASSWORD);
  await alicePage.getByRole('button', { name: '登录' }).click();
  await live(alicePage);
  await alicePage.getByRole('link', { name: '幸福里社区' }).click();
  await alicePage.locator('#thread-list').waitFor();
  // staff announcements arrive live on the community page
  const staffPage = await openAs(b, gw, w.staff, `/c/${w.A.id}/mod`);
  await staffPage.locator('#announce-form').getByLabel('标题').fill('停水通知');
  await staffPage.locator('#announce-form').getByLabel('内容').fill('周六上午停水，请提前储水。');
  await staffPage.getByRole('button', { name: '发布', exact: true }).click();
  await alicePage.locator('#notice-list', { hasText: '周六上午停水' }).waitFor();
  await alicePage.getByRole('link', { name: '东门停车位怎么分配' }).click();
  await alicePage.getByLabel('内容').fill('建议按楼栋轮流分配。');
  await alicePage.getByRole('button', { name: '发送' }).click();

  // Bob sees it without reloading.
  const bobPost = bobPage.locator('#post-list li.post', { hasText: '建议按楼栋轮流分配。' });
  await bobPost.waitFor({ timeout: 10000 });
  assert.match(await bobPost.textContent(), /居民1/);

  // Bob replies; Alice sees the reply, marked as one.
  await bobPost.getByRole('button', { name: '回复' }).click();
  await bobPage.getByLabel('内容').fill('赞成，另外访客车位也要留。');
  await bobPage.getByRole('button', { name: '发送' }).click();
  const reply = alicePage.locator('#post-list li.post', { hasText: '赞成，另外访客车位也要留。' });
  await reply.waitFor({ timeout: 10000 });
  assert.match(await reply.locator('.quote').textContent(), /回复 居民1（#\d+）/); // the quoted author by name

  await shot(bobPage, 'thread-live-posts');
  noErrors(assert, alicePage, bobPage, staffPage);
});
