// A resident asks for help on the page; a matching volunteer's open page
// shows the banner live; the volunteer claims from the banner and the
// resident's page shows "已认领" live; marking done shows "已完成".
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld } from '../integration/lib/forums.mjs';
import { volunteer } from '../integration/lib/help.mjs';
import { WEB_CONFIG, browser, openAs, shot, noErrors } from './lib.mjs';

itest('a help request reaches a volunteer live and its claim reaches the requester live', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 3, other: false });
  const [asker, vol, other] = w.residents;
  await volunteer(gw, other, w.A.id, { categories: ['childcare'], grids: [] }); // does not match
  const b = await browser(h);

  // the volunteer fills in the profile on the page
  const volPage = await openAs(b, gw, vol, `/c/${w.A.id}/volunteer`);
  await volPage.getByRole('checkbox', { name: '跑腿代办' }).check();
  await volPage.getByRole('checkbox', { name: '维修' }).check();
  await volPage.getByRole('checkbox', { name: '二网格' }).check();
  await volPage.getByRole('radio', { name: '接单中' }).check();
  await volPage.getByRole('checkbox', { name: '启用免打扰' }).check(); // 22:00–07:00
  await volPage.getByRole('button', { name: '保存' }).click();
  await volPage.locator('.toast', { hasText: '已保存' }).waitFor();
  await volPage.getByRole('link', { name: '我的社区' }).first().click();
  await volPage.locator('#community-list', { hasText: '志愿者' }).waitFor();
  const otherPage = await openAs(b, gw, other, '/');
  const askPage = await openAs(b, gw, asker, `/c/${w.A.id}/help`);

  await askPage.getByLabel('类别').selectOption('errand');
  await askPage.getByLabel('标题').fill('帮忙取药');
  await askPage.getByLabel('详细说明').fill('社区医院取降压药，下午五点前');
  await askPage.getByLabel('网格').selectOption('二网格');
  await askPage.getByLabel('紧急程度').selectOption('urgent'); // reaches volunteers in quiet hours too
  await askPage.getByLabel('联系方式').fill('13900002222 李奶奶');
  await askPage.getByRole('button', { name: '发布求助' }).click();
  const mine = askPage.locator('#help-list li', { hasText: '帮忙取药' });
  await mine.locator('[data-status="open"]').waitFor();
  assert.match(await mine.textContent(), /待认领/);

  // The matching volunteer gets the banner, live.
  const banner = volPage.locator('.banner', { hasText: '帮忙取药' });
  await banner.waitFor({ timeout: 10000 });
  assert.equal(await volPage.locator('#unread-badge').textContent(), '1');
  await shot(volPage, 'help-volunteer-banner');
  await banner.getByRole('button', { name: '认领' }).click();
  await banner.waitFor({ state: 'detached' });

  // The requester's page follows: claimed.
  await mine.locator('[data-status="claimed"]', { hasText: '已认领' }).waitFor({ timeout: 10000 });

  // The volunteer marks it done from the help page; the requester sees it.
  await volPage.getByRole('link', { name: '邻里互助' }).first().click();
  const volItem = volPage.locator('#help-list li', { hasText: '帮忙取药' });
  assert.match(await volItem.textContent(), /13900002222/, 'the claimer sees the contact');
  await volItem.getByRole('button', { name: '完成' }).click();
  await mine.locator('[data-status="done"]', { hasText: '已完成' }).waitFor({ timeout: 10000 });
  await mine.getByRole('button', { name: '确认完成' }).click();
  await mine.locator('[data-status="confirmed"]').waitFor({ timeout: 10000 });

  // The volunteer's service hours count it.
  await volPage.goto(`${gw.url}/#/c/${w.A.id}/volunteer`);
  await volPage.locator('#ledger', { hasText: '完成 1 次' }).waitFor();

  // The one whose categories do not match saw no banner.
  assert.equal(await otherPage.locator('.banner').count(), 0);
  await shot(askPage, 'help-claimed-live', mine);
  await shot(volPage, 'help-volunteer');
  noErrors(assert, askPage, volPage, otherPage);
});
