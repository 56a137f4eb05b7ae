// Past the retention window a resuming subscriber gets `reset` (refetch over
// REST) then `subbed`; within it, a plain replay.
import assert from 'node:assert/strict';
import { itest, poll, assertContiguous } from './lib/harness.mjs';

itest('since older than retention gets reset then subbed; a recent since gets a plain replay', async (h) => {
	const gw = await h.gateway({ config: { retention_max_events: 10, retention_interval_s: 1 } });
	const admin = await h.mint(gw, 1, { admin: true });
	const ch = 'thread:retention';
	for (let i = 1; i <= 50; i++) await gw.publish(admin, ch, 'post.created', { i });

	// At most 10 kept: the trimmer must delete at least 40.
	await poll(async () => (await gw.metric('linli_retention_deleted_total')) >= 40,
		{ timeoutMs: 10000, intervalMs: 100, what: 'linli_retention_deleted_total >= 40' });

	const old = await h.ws(gw, { token: admin, label: 'since 1' });
	await old.next({ op: 'authed' });
	old.send({ op: 'sub', ch, since: 1, ref: 'old' });
	const reset = await old.next((f) => f.ch === ch);
	assert.deepEqual({ op: reset.op, ch: reset.ch }, { op: 'reset', ch }, `first frame for ${ch}: ${JSON.stringify(reset)}`);
	const subbed = await old.next((f) => f.ch === ch);
	assert.equal(subbed.op, 'subbed', `frame after reset: ${JSON.stringify(subbed)}`);
	assert.equal(subbed.seq, 50);
	assert.equal(subbed.ref, 'old');
	// Live delivery goes on from the head.
	await gw.publish(admin, ch, 'post.created', { i: 51 });
	const live = await old.next((f) => f.ch === ch);
	assert.equal(live.op, 'event');
	assert.equal(live.seq, 51);
	assert.equal(old.events(ch).length, 1, 'no trimmed events replayed');

	const recent = await h.subscriber(gw, admin, ch, { since: 45, label: 'since 45' });
	assert.equal(recent.subbed.seq, 51);
	assert.ok(!recent.frames.some((f) => f.op === 'reset'), 'no reset for a since within retention');
	const evs = recent.events(ch);
	assertContiguous(evs, 46, 51, 'since 45');
	for (const e of evs) assert.equal(e.data.i, e.seq);

	// since 0 (everything) is also older than retention.
	const all = await h.ws(gw, { token: admin, label: 'since 0' });
	await all.next({ op: 'authed' });
	all.send({ op: 'sub', ch, since: 0, ref: 'zero' });
	assert.equal((await all.next((f) => f.ch === ch)).op, 'reset');
	const s0 = await all.next((f) => f.ch === ch);
	assert.equal(s0.op, 'subbed');
	assert.equal(s0.seq, 51);
});
