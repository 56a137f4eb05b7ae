// A consultation with a live tally: while a resident has chosen an option,
// typed a reason and still has the cursor in the reason field, a neighbour
// votes (vote.tally with counts) and staff pin the thread (thread.updated).
// The count and the chart change in place; the choice, the reason and the
// keyboard focus survive, and the vote is then sent as filled in.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createConsultation, vote, getThread } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors } from './lib.mjs';

itest('live tally updates keep a half-filled vote form', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [r1, r2] = w.residents;
  const th = await createConsultation(gw, w.staff.access, w.A.id, {
    title: '小区花园改造方案', options: ['方案一', '方案二'], live_tally: true,
  });
  const b = await browser(h);
  const p = await openAs(b, gw, r1, `/t/${th.id}`);
  await p.locator('#vote-count', { hasText: '0 人已投票' }).waitFor();

  await p.getByRole('radio', { name: '方案二' }).check();
  const reason = p.getByLabel('理由（可选）');
  await reason.fill('方案二保留更多树木');
  await reason.focus();

  await vote(gw, r2.access, th.id, 0);
  await p.locator('#tally', { hasText: '方案一：1 票' }).waitFor();
  await p.locator('#vote-count', { hasText: '1 人已投票' }).waitFor();
  const pin = await gw.request('POST', `/v1/threads/${th.id}/pin`, { token: w.staff.access });
  assert.equal(pin.status, 200);
  await p.locator('h1', { hasText: '小区花园改造方案' }).waitFor();
  await p.locator('p.muted', { hasText: '置顶' }).first().waitFor();

  assert.equal(await p.getByRole('radio', { name: '方案二' }).isChecked(), true, 'the choice survives');
  assert.equal(await reason.inputValue(), '方案二保留更多树木', 'the reason survives');
  assert.equal(await reason.evaluate((el) => el === document.activeElement), true, 'focus stays in the reason field');

  await p.getByRole('button', { name: '投票' }).click();
  await p.locator('#my-vote', { hasText: '你已投票：方案二' }).waitFor();
  await p.locator('#tally', { hasText: '方案二：1 票' }).waitFor();
  const final = await getThread(gw, r1.access, th.id);
  assert.equal(final.my_vote.option, 1);
  assert.equal(final.my_vote.reason, '方案二保留更多树木');
  noErrors(assert, p);
});
