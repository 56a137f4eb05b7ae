// 公示 on the thread page (issue 17): staff publish the outcome with a
// publicity period from the page; a resident's open page shows the notice
// and 提出异议; the objection reaches staff's page live, their answer the
// resident's page live. What the resident is typing survives another
// resident's objection arriving live (the box is redrawn).
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { expectStatus } from '../integration/lib/accounts.mjs';
import { createConsultation, forumWorld, vote } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot } from './lib.mjs';

itest('公示: the period on the page, an objection raised and answered live', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { staff, A, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
  const co = await createConsultation(gw, staff.access, A.id, { title: '儿童游乐区选址' });
  await vote(gw, r1.access, co.id, 0);
  expectStatus(await gw.request('POST', `/v1/threads/${co.id}/close`, { token: staff.access }), 200);
  const b = await browser(h);
  const sp = await openAs(b, gw, staff, `/t/${co.id}`);
  const rp = await openAs(b, gw, r1, `/t/${co.id}`);
  await sp.getByLabel('结果说明').fill('选在北侧空地');
  // A live update of the thread (pinned from elsewhere) redraws the staff
  // box: the half-written outcome stays.
  expectStatus(await gw.request('POST', `/v1/threads/${co.id}/pin`, { token: staff.access }), 200);
  await sp.getByRole('button', { name: '取消置顶' }).waitFor();
  assert.equal(await sp.getByLabel('结果说明').inputValue(), '选在北侧空地', 'the outcome being written is kept');
  await sp.getByLabel('公示天数（可选）').fill('3');
  sp.once('dialog', (d) => d.accept());
  await sp.getByRole('button', { name: '发布结果' }).click();

  const box = rp.locator('#publicity');
  await box.locator('#publicity-until', { hasText: '公示期至' }).waitFor();
  const reason = box.getByLabel('异议内容');
  await reason.fill('北侧离车道太近');
  // Another resident objects meanwhile: the list grows live, the text being
  // typed and its focus stay.
  expectStatus(await gw.request('POST', `/v1/threads/${co.id}/objections`, { token: r2.access, body: { reason: '希望放在南边' } }), 201);
  await box.locator('#objection-list li', { hasText: '希望放在南边' }).waitFor();
  assert.equal(await reason.inputValue(), '北侧离车道太近', 'the typed objection is kept across the redraw');
  assert.ok(await reason.evaluate((el) => el === document.activeElement), 'and keeps the focus');
  await box.getByRole('button', { name: '提出异议' }).click();
  await rp.locator('.toast', { hasText: '异议已提交' }).waitFor();

  const mine = sp.locator('#objection-list li', { hasText: '北侧离车道太近' });
  await mine.getByRole('button', { name: '答复' }).click();
  await mine.getByLabel('答复内容').fill('会加装隔离栏');
  await mine.getByRole('button', { name: '提交' }).click();
  await rp.locator('#objection-list li', { hasText: '北侧离车道太近' }).getByText('会加装隔离栏').waitFor();
  await shot(rp, 'publicity', box);
  noErrors(assert, sp, rp);
});
