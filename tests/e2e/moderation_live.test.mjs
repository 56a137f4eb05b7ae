// A resident reports a post on the page; it reaches the staff moderation
// queue live; staff hide it with a reason; it disappears from the open
// pages of other residents, and the moderation log records it.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost, listItems } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, shot, noErrors, DESKTOP } from './lib.mjs';

itest('a reported post reaches the staff queue live and hiding it removes it from residents\' pages', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 3, other: false });
  const [author, reporter, bystander] = w.residents;
  const th = await createThread(gw, author.access, w.A.id, { title: '楼道堆放杂物', body: '消防通道被堵。' });
  await createPost(gw, bystander.access, th.id, '我去跟物业说一下。');
  const bad = await createPost(gw, author.access, th.id, '三楼那家人素质太差，大家去他家门口堵他！');
  const b = await browser(h);

  const staffPage = await openAs(b, gw, w.staff, `/c/${w.A.id}/mod`, { viewport: DESKTOP });
  await staffPage.locator('#mod-queue', { hasText: '没有待处理的内容。' }).waitFor();
  const rp = await openAs(b, gw, reporter, `/t/${th.id}`);
  const bp = await openAs(b, gw, bystander, `/t/${th.id}`);
  const badOn = (p) => p.locator(`#post-${bad.id}`);
  await badOn(bp).waitFor();

  await badOn(rp).getByRole('button', { name: '举报' }).click();
  await badOn(rp).getByLabel('举报理由').fill('煽动围堵邻居');
  // a live post arriving meanwhile leaves the half-written report alone
  await createPost(gw, bystander.access, th.id, '大家冷静，有事找物业。');
  await rp.locator('#post-list li.post', { hasText: '大家冷静，有事找物业。' }).waitFor();
  assert.equal(await badOn(rp).getByLabel('举报理由').inputValue(), '煽动围堵邻居');
  await badOn(rp).getByRole('button', { name: '提交' }).click();
  await rp.locator('.toast', { hasText: '已举报' }).waitFor();

  // live in the staff queue, with the reason
  const item = staffPage.locator(`#mod-queue li[data-post-id="${bad.id}"]`);
  await item.waitFor({ timeout: 10000 });
  assert.match(await item.textContent(), /煽动围堵邻居/);
  assert.match(await item.textContent(), /1 人举报/);

  await item.getByRole('button', { name: '隐藏' }).click();
  await item.getByLabel('理由').fill('人身攻击，违反社区公约第三条');
  staffPage.once('dialog', (d) => d.accept()); // hiding asks first
  await item.getByRole('button', { name: '提交' }).click();

  // gone from the residents' open pages; the other reply stays
  for (const p of [rp, bp]) {
    await badOn(p).waitFor({ state: 'detached', timeout: 10000 });
    assert.equal(await p.locator('#post-list li.post', { hasText: '我去跟物业说一下。' }).count(), 1);
    assert.equal(await p.locator('#post-list li.post', { hasText: '大家冷静' }).count(), 1);
  }
  await staffPage.locator('#mod-queue', { hasText: '没有待处理的内容。' }).waitFor();
  await staffPage.locator('#mod-log li', { hasText: '人身攻击，违反社区公约第三条' }).waitFor();

  const visible = await listItems(gw, reporter.access, `/v1/threads/${th.id}/posts`);
  assert.ok(!visible.some((p) => p.id === bad.id), 'hidden for residents over REST too');
  await shot(staffPage, 'moderation-hidden');

  // On second thought staff restore it from the thread, saying why (the
  // reason is optional for a restore): it comes back on residents' pages.
  const st = await openAs(b, gw, w.staff, `/t/${th.id}`);
  await badOn(st).getByRole('button', { name: '恢复' }).click();
  await badOn(st).getByLabel('理由（可选）').fill('当事人已道歉，内容保留作记录');
  await badOn(st).getByRole('button', { name: '提交' }).click();
  await badOn(bp).waitFor({ timeout: 10000 });
  const log = await listItems(gw, w.staff.access, `/v1/communities/${w.A.id}/moderation/log`);
  assert.equal(log.find((e) => e.action === 'post.restore')?.reason, '当事人已道歉，内容保留作记录');
  noErrors(assert, staffPage, rp, bp, st);
});
