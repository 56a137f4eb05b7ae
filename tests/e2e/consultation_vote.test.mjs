// A consultation: two residents vote on their pages (a third over the API) (one with a reason
// for the minority option), staff close it on theirs, both residents'
// pages show the tally and the minority's reason live, and the outcome
// staff publish appears on them too.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createConsultation, getThread, vote } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, shot, noErrors, DESKTOP } from './lib.mjs';

itest('consultation: vote, close, tally and outcome on every open page', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 3, other: false });
  const [r1, r2, r3] = w.residents;
  const th = await createConsultation(gw, w.staff.access, w.A.id, {
    title: '是否在三号楼加装电梯', body: '费用按楼层分摊，请投票。', options: ['同意', '反对', '弃权'],
    closes_at: Date.now() + 2 * 3600000,
  });
  const b = await browser(h);
  const p1 = await openAs(b, gw, r1, `/t/${th.id}`);
  const p2 = await openAs(b, gw, r2, `/t/${th.id}`);
  const staff = await openAs(b, gw, w.staff, `/t/${th.id}`, { viewport: DESKTOP });

  // the countdown runs
  assert.match(await p1.locator('#countdown').textContent(), /距截止还有 1小时59分|距截止还有 2小时/);

  await p1.getByRole('radio', { name: '同意' }).check();
  await p1.getByRole('button', { name: '投票' }).click();
  await p1.locator('#my-vote', { hasText: '你已投票：同意' }).waitFor();

  await p2.getByRole('radio', { name: '反对' }).check();
  await p2.getByLabel('理由（可选）').fill('一楼住户用不上，却要承担噪音');
  await p2.getByRole('button', { name: '投票' }).click();
  await p2.locator('#my-vote', { hasText: '你已投票：反对' }).waitFor();

  await vote(gw, r3.access, th.id, 0); // a third neighbour, over the API

  // staff's page counts the votes live (no counts: the tally is hidden until close)
  await staff.locator('#vote-count', { hasText: '3 人已投票' }).waitFor({ timeout: 10000 });
  // Irreversible: asked first (dismissed, nothing happens; then accepted).
  const asked = [];
  staff.once('dialog', (d) => { asked.push(d.message()); d.dismiss(); });
  await staff.getByRole('button', { name: '结束投票' }).click();
  assert.equal((await getThread(gw, r1.access, th.id)).status, 'open', 'dismissed: still open');
  staff.once('dialog', (d) => { asked.push(d.message()); d.accept(); });
  await staff.getByRole('button', { name: '结束投票' }).click();

  for (const p of [p1, p2]) {
    const tally = p.locator('#tally');
    await tally.waitFor({ timeout: 10000 });
    const text = await tally.textContent();
    assert.match(text, /同意：2 票/);
    assert.match(text, /反对：1 票/);
    assert.match(text, /弃权：0 票/);
    await p.locator('.minority', { hasText: '一楼住户用不上' }).waitFor();
    await p.locator('#countdown', { hasText: '投票已截止' }).waitFor();
    assert.equal(await p.locator('#vote-form').count(), 0, 'no voting after close');
  }

  await staff.getByLabel('结果说明').fill('多数同意加装；一楼住户的噪音顾虑将在第二轮协商中解决。');
  staff.once('dialog', (d) => { asked.push(d.message()); d.accept(); });
  await staff.getByRole('button', { name: '发布结果' }).click();
  for (const p of [p1, p2]) await p.locator('#outcome', { hasText: '第二轮协商' }).waitFor({ timeout: 10000 });

  assert.deepEqual(asked.map((m) => /不能重新开放|所有投票的居民/.test(m)), [true, true, true], asked.join(' | '));
  const final = await getThread(gw, r1.access, th.id);
  assert.deepEqual(final.tally, [2, 1, 0]);
  assert.match(final.outcome.summary, /第二轮协商/);
  await shot(p2, 'consultation-tally', p2.locator('#consultation'));
  noErrors(assert, p1, p2, staff);
});
