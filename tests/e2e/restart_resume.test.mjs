// The gateway is stopped while a resident's thread page is open: the page
// says "重新连接中…", a reply written meanwhile is kept in the outbox (not
// lost, not refused silently), a neighbour's reply is published through a
// second gateway on the same database; when the first gateway is back the
// page says "实时", shows the neighbour's reply (resumed from its last seq,
// no reload) and sends its own queued reply exactly once.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost, listItems } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, live, shot, noErrors } from './lib.mjs';

itest('restart: reconnecting, then live, with what happened meanwhile and the queued write', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [me, neighbour] = w.residents;
  const th = await createThread(gw, me.access, w.A.id, { title: '周末义诊安排', body: '周六上午在活动中心。' });
  await createPost(gw, neighbour.access, th.id, '需要带医保卡吗？');
  const b = await browser(h);
  const page = await openAs(b, gw, me, `/t/${th.id}`);
  await page.locator('#post-list li.post', { hasText: '需要带医保卡吗？' }).waitFor();
  const reloads = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) reloads.push(f.url()); });

  await gw.stop();
  await page.locator('#conn[data-state="reconnecting"]', { hasText: /重新连接中…（\d+）/ }).waitFor({ timeout: 10000 });

  // a write while the gateway is down: queued with its key, said so on the page
  await page.getByLabel('内容').fill('要带，另外带上近期的化验单。');
  await page.getByRole('button', { name: '发送' }).click();
  await page.locator('#outbox', { hasText: '已离线保存' }).waitFor();

  // meanwhile a neighbour replies through another gateway on the same database
  const gw2 = await h.gateway({ config: WEB_CONFIG, db: gw.db, name: 'gw2' });
  await createPost(gw2, neighbour.access, th.id, '几点开始排队？');
  await gw2.stop();

  await gw.start();
  await live(page, 20000);
  await page.locator('#post-list li.post', { hasText: '几点开始排队？' }).waitFor({ timeout: 10000 });
  await page.locator('#post-list li.post', { hasText: '要带，另外带上近期的化验单。' }).waitFor({ timeout: 10000 });
  await page.locator('#outbox').waitFor({ state: 'hidden' });
  assert.deepEqual(reloads, [], 'no reload');

  const posts = await listItems(gw, me.access, `/v1/threads/${th.id}/posts`);
  assert.deepEqual(posts.map((p) => p.body), ['需要带医保卡吗？', '几点开始排队？', '要带，另外带上近期的化验单。']);
  assert.equal(await page.locator('#post-list li.post').count(), 3, 'each reply once');
  await shot(page, 'restart-resumed');
  noErrors(assert, page);
});
