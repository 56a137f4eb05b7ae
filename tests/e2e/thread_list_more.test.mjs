// A community with more threads than one page: the list shows the first
// page and a "加载更多" button that follows the server's cursor until the
// last page, then goes; nothing is shown twice. A thread with more replies
// than one page of posts (200) shows them all.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors } from './lib.mjs';
import { volunteer, createHelp } from '../integration/lib/help.mjs';

itest('the thread list pages with a "more" button', async (h) => {
  const gw = await h.gateway({ config: { ...WEB_CONFIG, rate_writes_per_user: 1000000 } });
  const w = await forumWorld(gw, { residents: 1, other: false });
  const [r1] = w.residents;
  for (let i = 1; i <= 45; i++) await createThread(gw, r1.access, w.A.id, { title: `议题${String(i).padStart(2, '0')}` });
  const b = await browser(h);
  const p = await openAs(b, gw, r1, `/c/${w.A.id}`);
  const items = p.locator('#thread-list li.thread-item');
  await p.locator('#thread-list', { hasText: '议题45' }).waitFor();
  assert.equal(await items.count(), 20);
  const more = p.getByRole('button', { name: '加载更多' });
  await more.click();
  await p.locator('#thread-list', { hasText: '议题06' }).waitFor();
  assert.equal(await items.count(), 40);
  await more.click();
  await p.locator('#thread-list', { hasText: '议题01' }).waitFor();
  assert.equal(await items.count(), 45);
  await more.waitFor({ state: 'hidden' });
  const titles = await items.locator('h3').allTextContents();
  assert.equal(new Set(titles).size, 45, 'each once');
  assert.deepEqual(titles.slice(0, 2), ['议题45', '议题44'], 'newest first');

  const long = await createThread(gw, r1.access, w.A.id, { title: '长帖' });
  for (let i = 1; i <= 205; i++) await createPost(gw, r1.access, long.id, `第${i}楼`);
  await p.evaluate((tid) => { location.hash = `#/t/${tid}`; }, long.id);
  await p.locator('#post-list li.post', { hasText: '第205楼' }).waitFor();
  assert.equal(await p.locator('#post-list li.post').count(), 205);
  noErrors(assert, p);
});

itest('the inbox pages with a "more" button too', async (h) => {
  const gw = await h.gateway({ config: { ...WEB_CONFIG, rate_writes_per_user: 1000000 } });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [asker, vol] = w.residents;
  await volunteer(gw, vol, w.A.id);
  for (let i = 1; i <= 60; i++) await createHelp(gw, asker, w.A.id, { title: `求助${String(i).padStart(2, '0')}` });
  const b = await browser(h);
  const p = await openAs(b, gw, vol, '/inbox');
  const items = p.locator('#inbox-list li.note');
  await p.locator('#inbox-list', { hasText: '求助60' }).waitFor();
  assert.equal(await items.count(), 50);
  await p.getByRole('button', { name: '加载更多' }).click();
  await p.locator('#inbox-list', { hasText: '求助01' }).waitFor();
  assert.equal(await items.count(), 60);
  await p.getByRole('button', { name: '加载更多' }).waitFor({ state: 'hidden' });
  noErrors(assert, p);
});

itest('the help list pages with a "more" button', async (h) => {
  const gw = await h.gateway({ config: { ...WEB_CONFIG, rate_writes_per_user: 1000000 } });
  const w = await forumWorld(gw, { residents: 1, other: false });
  const [asker] = w.residents;
  for (let i = 1; i <= 55; i++) await createHelp(gw, asker, w.A.id, { title: `帮忙${String(i).padStart(2, '0')}` });
  const b = await browser(h);
  const p = await openAs(b, gw, asker, `/c/${w.A.id}/help`);
  const items = p.locator('#help-list > li');
  await p.locator('#help-list', { hasText: '帮忙55' }).waitFor();
  assert.equal(await items.count(), 50);
  await p.getByRole('button', { name: '加载更多' }).click();
  await p.locator('#help-list', { hasText: '帮忙01' }).waitFor();
  assert.equal(await items.count(), 55);
  await p.getByRole('button', { name: '加载更多' }).waitFor({ state: 'hidden' });
  noErrors(assert, p);
});
