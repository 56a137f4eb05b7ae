// Two gateway processes sharing one SQLite file and one Redis: an event
// published on either reaches subscribers on both, in seq order.
import assert from 'node:assert/strict';
import { itest, assertContiguous } from './lib/harness.mjs';

async function pair(h) {
	const redis = await h.redis();
	const a = await h.gateway({ name: 'A', redis });
	const b = await h.gateway({ name: 'B', redis, db: a.db, dir: a.dir });
	const admin = await h.mint(a, 1, { admin: true });
	return { a, b, admin };
}

itest('event published on gateway A reaches a subscriber on gateway B, and B to A, in order', async (h) => {
	const { a, b, admin } = await pair(h);
	const ch = 'thread:cross1';
	const onB = await h.subscriber(b, admin, ch, { since: 0, label: 'subscriber on B' });
	const onA = await h.subscriber(a, admin, ch, { since: 0, label: 'subscriber on A' });
	assert.equal(onB.subbed.seq, 0);

	// A -> B
	const seq1 = await a.publish(admin, ch, 'post.created', { n: 1, via: 'A' });
	assert.equal(seq1, 1);
	const ev = await onB.next({ op: 'event', ch, seq: 1 }, 5000);
	assert.equal(ev.type, 'post.created');
	assert.deepEqual(ev.data, { n: 1, via: 'A' });
	assert.equal(typeof ev.at, 'number');

	// B -> A, 30 events in a row.
	for (let i = 2; i <= 31; i++)
		assert.equal(await b.publish(admin, ch, 'post.created', { n: i, via: 'B' }), i);
	const gotA = await onA.waitSeq(ch, 31, 10000);
	assertContiguous(gotA, 1, 31, 'subscriber on A');
	for (const e of gotA) assert.equal(e.data.n, e.seq);
	const gotB = await onB.waitSeq(ch, 31, 10000);
	assertContiguous(gotB, 1, 31, 'subscriber on B');
});

itest('events published alternately on A and B reach subscribers on both in seq order, exactly once', async (h) => {
	const { a, b, admin } = await pair(h);
	const ch = 'community:cross2';
	const subs = [
		await h.subscriber(a, admin, ch, { since: 0, label: 'sub1 on A' }),
		await h.subscriber(b, admin, ch, { since: 0, label: 'sub2 on B' }),
		await h.subscriber(b, admin, ch, { label: 'sub3 on B (no since)' }),
	];
	const N = 60;
	// Two concurrent publishers, one per gateway.
	const pubA = (async () => { for (let i = 0; i < N / 2; i++) await a.publish(admin, ch, 'announcement', { from: 'A', i }); })();
	const pubB = (async () => { for (let i = 0; i < N / 2; i++) await b.publish(admin, ch, 'announcement', { from: 'B', i }); })();
	await Promise.all([pubA, pubB]);
	for (const s of subs) {
		const evs = await s.waitSeq(ch, N, 10000);
		assertContiguous(evs, 1, N, s.label);
	}
	// Same payload for the same seq everywhere.
	const ref = subs[0].events(ch);
	for (const s of subs.slice(1))
		assert.deepEqual(s.events(ch).map((e) => e.data), ref.map((e) => e.data), `${s.label} payloads`);
});
