// A consultation's deadline lives in the database: the gateway is stopped
// (SIGTERM) before the deadline and started again on the same db and port;
// the restarted gateway closes it, and a subscriber that resumes with
// `since` sees the vote and then thread.updated with the tally.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { FORUM_CONFIG, forumWorld, createConsultation, vote, getThread } from './lib/forums.mjs';

itest('consultation deadline passes while the gateway is down: closed after restart, event replayed', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
	const closesAt = Date.now() + 2500;
	const th = await createConsultation(gw, r1.access, A.id, { options: ['修', '不修'], closes_at: closesAt });
	const ch = `thread:${th.id}`;
	const before = await h.subscriber(gw, r2.access, ch, { label: 'before restart' });
	const since = before.subbed.seq;
	await vote(gw, r1.access, th.id, 0);
	await vote(gw, r2.access, th.id, 1, '维修基金不够');
	await before.collect((f) => f.op === 'event' && f.type === 'vote.tally', 2);

	const stopped = await gw.stop();
	assert.deepEqual(stopped, { code: 0, signal: null }, 'clean exit on SIGTERM');
	assert.ok(Date.now() < closesAt, 'stopped before the deadline');
	await gw.start();

	const after = await h.subscriber(gw, r2.access, ch, { since, label: 'after restart' });
	const closed = await after.waitFor((f) => f.op === 'event' && f.ch === ch && f.type === 'thread.updated' &&
		f.data.status === 'closed', 6000);
	assert.deepEqual(closed.data.tally, [1, 1]);
	assert.deepEqual(closed.data.minority_reasons, [], 'a tie: no option lost');
	assert.ok(closed.data.closed_at >= closesAt, `closed_at ${closed.data.closed_at} not before closes_at ${closesAt}`);
	const evs = after.events(ch);
	assert.deepEqual(evs.slice(0, 2).map((e) => e.type), ['vote.tally', 'vote.tally'], 'the votes are replayed first');
	for (let i = 1; i < evs.length; i++) assert.equal(evs[i].seq, evs[i - 1].seq + 1, 'contiguous seqs');
	assert.equal(evs[0].seq, since + 1);

	const g = await getThread(gw, r1.access, th.id);
	assert.equal(g.status, 'closed');
	assert.deepEqual(g.tally, [1, 1]);
	assert.equal(g.closed_at, closed.data.closed_at);
	assert.equal((await gw.request('POST', `/v1/threads/${th.id}/vote`, { token: r1.access, body: { option: 1 } })).status, 409);
});
