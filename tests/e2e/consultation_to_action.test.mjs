// Issue 17 in the browser: 我要反映 (a resident's request taken on,
// answered in public, resolved, rated and reopened, with the monthly chart),
// 议事会议 (the check-in code on the room's screen, a representative
// checking in with it, the count reaching the quorum live, an offline vote
// entered), and 落实进展 (an item's progress bar moving on the resident's
// open page). Every step through the pages, no REST call on the user's
// behalf but the setup.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { addMember, expectStatus, register } from '../integration/lib/accounts.mjs';
import { createConsultation, forumWorld, getThread, vote } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot } from './lib.mjs';

itest('我要反映: asked, taken on, answered in public, resolved, rated 2 stars, reopened; the chart counts it', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { staff, A, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
  const b = await browser(h);
  const rp = await openAs(b, gw, r1, `/c/${A.id}`);
  await rp.getByRole('link', { name: '我要反映' }).click();
  await rp.getByLabel('类型').selectOption('repair');
  await rp.getByLabel('标题').fill('地下车库漏水');
  await rp.getByLabel('内容').fill('B2 层 35 号车位上方');
  await rp.getByRole('button', { name: '提交' }).click();
  await rp.locator('#ticket-status[data-status="open"]').waitFor();
  const tid = Number(/#\/r\/(\d+)/.exec(rp.url())[1]);

  // Staff: the queue shows it with its deadline; take it on, answer in public.
  const sp = await openAs(b, gw, staff, `/c/${A.id}/requests`);
  const row = sp.locator(`#ticket-list li[data-ticket-id="${tid}"]`);
  await row.getByText('应在').waitFor();
  await row.getByRole('link', { name: '地下车库漏水' }).click();
  await sp.getByRole('button', { name: '受理（由我负责）' }).click();
  await sp.locator('#ticket-owner', { hasText: '社工小张' }).waitFor();
  await rp.locator('#ticket-status[data-status="accepted"]').waitFor(); // told through the resident's inbox, live
  await sp.getByLabel('回复').fill('已通知物业，今天下午处理');
  await sp.getByLabel('公开答复').check();
  await sp.getByRole('button', { name: '回复' }).click();
  await rp.locator('#ticket-replies', { hasText: '已通知物业' }).waitFor();
  sp.once('dialog', (d) => d.accept());
  await sp.getByRole('button', { name: '办结' }).click();
  await sp.getByLabel('办理结果').fill('已封堵裂缝');
  await sp.getByRole('button', { name: '提交' }).click();

  // The resident rates it 2 stars, then reopens it.
  await rp.locator('#rate-form').waitFor();
  await rp.locator('#rate-form').getByLabel('2 星').check();
  await rp.locator('#rate-form').getByLabel('评价（可选）').fill('第二天又漏了');
  await rp.locator('#rate-form').getByRole('button', { name: '提交' }).click();
  await rp.locator('#ticket-rating', { hasText: '满意度：2 星' }).waitFor();
  await rp.getByRole('button', { name: '仍未解决，重新打开' }).click();
  await rp.getByLabel('原因').fill('还在漏');
  await rp.getByRole('button', { name: '提交' }).click();
  await rp.locator('#ticket-status[data-status="accepted"]').waitFor();
  await sp.locator('#ticket-status[data-status="accepted"]').waitFor(); // staff's page, live on mod:{cid}

  // Another resident: the public answer, nobody named; the month's figures.
  const op = await openAs(b, gw, r2, `/c/${A.id}/requests`);
  await op.locator('#public-answers', { hasText: '地下车库漏水' }).waitFor();
  const month = op.locator('#ticket-summary tbody tr').first();
  assert.deepEqual(await month.locator('td').allTextContents(), ['1', '1', '1', '2.0 ★']);
  await shot(op, 'requests-summary', op.locator('#ticket-summary'));
  noErrors(assert, rp, sp, op);
});

itest('议事会议 and 落实: the code on the screen, check-in reaches the quorum live, an offline vote; an item moves on', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { admin, staff, A, residents: [elder] } = await forumWorld(gw, { residents: 1, other: false });
  const reps = [];
  for (const name of ['代表甲', '代表乙']) {
    const r = await register(gw, { display_name: name });
    await addMember(gw, admin.access, A.id, r, 'representative');
    reps.push(r);
  }
  const co = await createConsultation(gw, staff.access, A.id, { title: '是否更换小区大门' });
  const b = await browser(h);
  const sp = await openAs(b, gw, staff, `/c/${A.id}/meetings`);
  await sp.getByLabel('标题').fill('十月居民代表会议');
  await sp.getByLabel('议程').fill('一、大门更换');
  await sp.getByLabel('地点').fill('社区二楼会议室');
  await sp.getByLabel('是否更换小区大门').check();
  await sp.getByRole('button', { name: '发布' }).click();
  const code = (await sp.locator('#checkin-code').textContent()).trim();
  assert.match(code, /^\d{6}$/);
  await sp.locator('#attendance', { hasText: '已签到 0 / 应到 2' }).waitFor();
  await sp.getByRole('button', { name: '投屏显示签到码' }).click();
  await sp.locator('#code-screen.projector').waitFor();
  await shot(sp, 'meeting-code', sp.locator('#code-screen'));
  const mid = Number(/#\/m\/(\d+)/.exec(sp.url())[1]);

  // A representative checks in from the phone with the code on the screen.
  const rp = await openAs(b, gw, reps[0], `/m/${mid}`);
  await rp.getByLabel('请输入屏幕上的签到码').fill(code);
  await rp.getByRole('button', { name: '签到' }).click();
  await rp.locator('#checked-in').waitFor();
  await sp.locator('#code-screen', { hasText: '已签到 1 / 应到 2' }).getByText('已达到法定人数').waitFor(); // live, 1/2 ≥ 50%
  await sp.getByRole('button', { name: '退出投屏' }).click(); // back from the screen view
  await sp.locator('#code-screen:not(.projector)').waitFor();
  // A resident is not invited to a representatives' meeting: no check-in form.
  const ep = await openAs(b, gw, elder, `/m/${mid}`);
  await ep.locator('#attendance').waitFor();
  assert.equal(await ep.locator('#checkin-form').count(), 0);
  assert.equal(await ep.locator('#checkin-code').count(), 0, 'the code is not in a resident\'s app');

  // 代表乙 voted by show of hands: entered by staff, counted.
  const form = sp.locator(`.offline-form[data-thread-id="${co.id}"]`);
  await form.getByLabel('居民').selectOption(String(reps[1].id));
  await form.getByLabel('投票选项').selectOption('1');
  await form.getByRole('button', { name: '提交' }).click();
  await form.getByText('已录入 1 张线下票').waitFor();
  const th = await getThread(gw, reps[1].access, co.id);
  assert.deepEqual([th.my_vote.option, th.my_vote.source], [1, 'offline']);

  // 落实: decided, an item added on the page, moved to 40 % — live on the resident's page.
  await vote(gw, reps[0].access, co.id, 0);
  expectStatus(await gw.request('POST', `/v1/threads/${co.id}/close`, { token: staff.access }), 200);
  const tp = await openAs(b, gw, staff, `/t/${co.id}`);
  const ap = await openAs(b, gw, reps[0], `/t/${co.id}`);
  await tp.locator('#action-form').getByLabel('事项').fill('采购新大门');
  await tp.locator('#action-form').getByRole('button', { name: '新增落实事项' }).click();
  const item = tp.locator('#action-list li', { hasText: '采购新大门' });
  await item.getByLabel('状态').selectOption('in_progress');
  await item.getByLabel('进度（%）').fill('40');
  await item.getByRole('button', { name: '更新进展' }).click();
  const bar = ap.locator('#action-list [role="progressbar"]');
  await ap.locator('#action-list [role="progressbar"][aria-valuenow="40"]').waitFor();
  assert.equal(await bar.count(), 1);
  await ap.locator('#action-list', { hasText: '进行中' }).waitFor();
  await shot(ap, 'action-progress', ap.locator('#actions'));
  noErrors(assert, sp, rp, ep, tp, ap);
});
