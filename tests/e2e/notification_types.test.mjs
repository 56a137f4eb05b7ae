// Every notification type the server sends renders in the inbox with its
// subject and a link (issue 15: help.confirmed was an empty line). The
// notifications come from the real flows; the two only a clock makes
// (help.expired, help.escalated) are copied from a real help.request row.
import assert from 'node:assert/strict';
import { itest, sql } from '../integration/lib/harness.mjs';
import { expectStatus } from '../integration/lib/accounts.mjs';
import { createConsultation, createPost, createThread, forumWorld, vote } from '../integration/lib/forums.mjs';
import { createHelp, helpAction, volunteer } from '../integration/lib/help.mjs';
import { WEB_CONFIG, browser, openAs, noErrors } from './lib.mjs';

const TYPES = ['help.request', 'help.claimed', 'help.unclaimed', 'help.done', 'help.confirmed', 'help.cancelled',
  'help.expired', 'help.escalated', 'moderation.action', 'report.resolved', 'member.mute', 'member.unmute',
  'member.warning', 'appeal.decided', 'announcement', 'consultation.closed', 'consultation.outcome', 'objection.answered', 'action.updated',
  'ticket.updated', 'ticket.escalated'];

itest('each notification type shows its subject and leads somewhere', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { admin, A, staff, residents: [asker, vol, author, reporter] } = await forumWorld(gw, { residents: 4, other: false });
  const post = (s, path, body) => gw.request('POST', path, { token: s.access, body });

  await volunteer(gw, vol, A.id, { categories: ['errand'] });
  const h1 = await createHelp(gw, asker, A.id, { title: '帮忙买菜' });
  await helpAction(gw, vol, h1.id, 'claim');
  await helpAction(gw, vol, h1.id, 'unclaim');
  await helpAction(gw, vol, h1.id, 'claim');
  await helpAction(gw, vol, h1.id, 'done');
  await helpAction(gw, asker, h1.id, 'confirm', 200, { rating: 5, thanks: '谢谢' });
  const h2 = await createHelp(gw, asker, A.id, { title: '帮忙修水管' });
  await helpAction(gw, vol, h2.id, 'claim');
  await helpAction(gw, asker, h2.id, 'cancel');
  // The clock's two, from the real help.request row's data.
  await sql(gw, `INSERT INTO notifications (user_id, type, data, created_at)
    SELECT ${asker.id}, t.type, n.data, n.created_at FROM notifications n, (SELECT 'help.expired' AS type UNION ALL SELECT 'help.escalated') t
    WHERE n.user_id = ${vol.id} AND n.type = 'help.request' AND n.data LIKE '%帮忙买菜%'`);

  const th = await createThread(gw, author.access, A.id, { title: '楼道堆物' });
  const p = await createPost(gw, author.access, th.id, '这是广告，加我微信');
  expectStatus(await post(reporter, `/v1/posts/${p.id}/report`, { reason: '广告' }), 201, 'report');
  expectStatus(await post(staff, `/v1/posts/${p.id}/hide`, { reason: '广告' }), 200, 'hide');
  expectStatus(await post(staff, `/v1/communities/${A.id}/mutes`, { user_id: author.id, minutes: 60, reason: '刷屏' }), 200, 'mute');
  expectStatus(await gw.request('DELETE', `/v1/communities/${A.id}/mutes/${author.id}`, { token: staff.access }), 200, 'unmute');
  const w = expectStatus(await post(staff, `/v1/communities/${A.id}/warnings`, { user_id: author.id, reason: '注意措辞' }), 201, 'warn');
  const ap = expectStatus(await post(author, `/v1/moderation/actions/${w.warning.action_id}/appeal`, { reason: '误会' }), 201, 'appeal');
  expectStatus(await post(admin, `/v1/appeals/${ap.appeal.id}/decide`, { decision: 'upheld', reason: '维持' }), 200, 'decide');
  expectStatus(await post(staff, `/v1/communities/${A.id}/announcements`, { title: '电梯维修', body: '周日' }), 201, 'announce');
  const co = await createConsultation(gw, staff.access, A.id, { title: '是否加装充电桩' });
  await vote(gw, author.access, co.id, 0);
  expectStatus(await post(staff, `/v1/threads/${co.id}/close`), 200, 'close');
  expectStatus(await post(staff, `/v1/threads/${co.id}/outcome`, { summary: '同意', publicity_days: 3 }), 200, 'outcome');
  const ob = expectStatus(await post(author, `/v1/threads/${co.id}/objections`, { reason: '位置不合适' }), 201, 'object');
  expectStatus(await post(staff, `/v1/objections/${ob.objection.id}/answer`, { answer: '会再评估' }), 200, 'answer');
  expectStatus(await post(staff, `/v1/threads/${co.id}/actions`, { title: '选址勘察' }), 201, 'an item to carry out');
  const tk = expectStatus(await post(asker, `/v1/communities/${A.id}/requests`, { category: 'repair', title: '楼道灯坏了', body: '三楼' }), 201, 'request');
  expectStatus(await post(staff, `/v1/tickets/${tk.ticket.id}/accept`), 200, 'accept');
  // The deadline's one (staff's, made by the clock), from the real row's data.
  await sql(gw, `INSERT INTO notifications (user_id, type, data, created_at)
    SELECT ${asker.id}, 'ticket.escalated', data, created_at FROM notifications WHERE type = 'ticket.updated' AND user_id = ${asker.id}`);

  // Every type arrived somewhere (the list above is the server's).
  const rows = (await sql(gw, 'SELECT DISTINCT type FROM notifications')).split('\n').sort();
  assert.deepEqual(rows, [...TYPES].sort(), 'the flows made every type');

  const b = await browser(h);
  const subjects = { 'help.': /帮忙买菜|帮忙修水管/, 'consultation.': /是否加装充电桩/, 'objection.': /是否加装充电桩/, 'action.': /是否加装充电桩/, announcement: /电梯维修/,
    'ticket.': /楼道灯坏了/ };
  let seen = 0;
  for (const s of [asker, vol, author, reporter]) {
    const page = await openAs(b, gw, s, '/inbox');
    const want = (await gw.request('GET', '/v1/notifications', { token: s.access })).json.items;
    await page.locator('#inbox-list li.note').nth(want.length - 1).waitFor();
    for (const n of want) {
      const li = page.locator(`#inbox-list li[data-note-id="${n.id}"]`);
      const text = (await li.textContent()).trim();
      assert.doesNotMatch(text, /n_[a-z]|通知：[a-z]|\{\w+\}|undefined|null/, `${n.type}: ${text}`);
      const href = await li.locator('a').first().getAttribute('href');
      assert.ok(href && href.startsWith('#/'), `${n.type}: a link (${href})`);
      const key = Object.keys(subjects).find((k) => n.type.startsWith(k));
      if (key) assert.match(text, subjects[key], `${n.type} names its subject: ${text}`);
      if (n.type === 'help.confirmed') assert.match(text, /求助人已确认：帮忙买菜/);
      seen++;
    }
    noErrors(assert, page);
  }
  assert.ok(seen >= TYPES.length, `${seen} notifications checked`);
});
