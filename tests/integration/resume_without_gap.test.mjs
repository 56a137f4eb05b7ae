// A subscriber that was away resumes with `since` and sees every event once,
// in order: replay from the log, then `subbed` (seq = head), then live.
import assert from 'node:assert/strict';
import { itest, assertContiguous } from './lib/harness.mjs';

// Frames of ch in arrival order, split at the `subbed` frame.
function splitAtSubbed(client, ch) {
	const mine = client.frames.filter((f) => f.ch === ch);
	const i = mine.findIndex((f) => f.op === 'subbed');
	assert.ok(i >= 0, 'subbed frame present');
	return { before: mine.slice(0, i), subbed: mine[i], after: mine.slice(i + 1) };
}

itest('subscriber that disconnects while 100 events are published resumes with since and sees each exactly once in order', async (h) => {
	const gw = await h.gateway();
	const admin = await h.mint(gw, 1, { admin: true });
	const ch = 'thread:resume1';

	const first = await h.subscriber(gw, admin, ch, { since: 0, label: 'first connection' });
	for (let i = 1; i <= 5; i++) await gw.publish(admin, ch, 'post.created', { i });
	const seen = await first.waitSeq(ch, 5);
	assertContiguous(seen, 1, 5, 'first connection');
	const last = seen[seen.length - 1].seq;
	first.close();
	await first.closed();

	for (let i = 6; i <= 105; i++) await gw.publish(admin, ch, 'post.created', { i });

	const again = await h.subscriber(gw, admin, ch, { since: last, label: 'resumed connection' });
	assert.equal(again.subbed.seq, 105, 'subbed carries the head');
	for (let i = 106; i <= 110; i++) await gw.publish(admin, ch, 'post.created', { i });
	const evs = await again.waitSeq(ch, 110);
	assertContiguous(evs, 6, 110, 'resumed connection');
	for (const e of evs) assert.equal(e.data.i, e.seq);
	const { before, after } = splitAtSubbed(again, ch);
	assertContiguous(before, 6, 105, 'replayed before subbed');
	assertContiguous(after, 106, 110, 'live after subbed');
});

itest('resume while events keep being published: no gap or duplicate across the replay-to-live switch', async (h) => {
	const gw = await h.gateway({ config: { ws_replay_batch: 16 } });
	const admin = await h.mint(gw, 1, { admin: true });
	const ch = 'thread:resume2';
	for (let i = 1; i <= 100; i++) await gw.publish(admin, ch, 'post.created', { i });

	// Publish 100 more concurrently with several resuming subscribers.
	let published = 100;
	const publisher = (async () => {
		for (let i = 101; i <= 200; i++) published = await gw.publish(admin, ch, 'post.created', { i });
	})();
	const subs = [];
	for (const since of [0, 37, 90]) {
		subs.push(await h.subscriber(gw, admin, ch, { since, label: `resume since ${since}` }));
	}
	await publisher;
	assert.equal(published, 200);
	for (const [k, since] of [0, 37, 90].entries()) {
		const s = subs[k];
		const evs = await s.waitSeq(ch, 200);
		assertContiguous(evs, since + 1, 200, s.label);
		const { before, subbed, after } = splitAtSubbed(s, ch);
		for (const e of before) assert.ok(e.seq <= subbed.seq, `${s.label}: replayed seq ${e.seq} <= subbed.seq ${subbed.seq}`);
		for (const e of after) assert.ok(e.seq > subbed.seq, `${s.label}: live seq ${e.seq} > subbed.seq ${subbed.seq}`);
	}
});

itest('replay larger than one replay page (ws_replay_batch = 16, 100 events) arrives whole, then subbed with seq = head', async (h) => {
	const gw = await h.gateway({ config: { ws_replay_batch: 16 } });
	const admin = await h.mint(gw, 1, { admin: true });
	const ch = 'thread:pages';
	for (let i = 1; i <= 100; i++) await gw.publish(admin, ch, 'post.created', { i });

	const c = await h.subscriber(gw, admin, ch, { since: 0, label: 'replaying subscriber' });
	assert.equal(c.subbed.seq, 100);
	const { before, after } = splitAtSubbed(c, ch);
	assertContiguous(before, 1, 100, 'replayed events before subbed');
	assert.equal(after.length, 0, 'nothing after subbed yet');
	for (const e of before) assert.equal(e.data.i, e.seq);

	// since in the middle of a page, and exactly on a page boundary.
	for (const since of [50, 64]) {
		const r = await h.subscriber(gw, admin, ch, { since, label: `since ${since}` });
		assert.equal(r.subbed.seq, 100);
		assertContiguous(splitAtSubbed(r, ch).before, since + 1, 100, `since ${since}`);
	}
	// since = head: nothing replayed; then live.
	const live = await h.subscriber(gw, admin, ch, { since: 100, label: 'since head' });
	assert.equal(live.subbed.seq, 100);
	assert.equal(live.events(ch).length, 0);
	await gw.publish(admin, ch, 'post.created', { i: 101 });
	assertContiguous(await live.waitSeq(ch, 101), 101, 101, 'since head');
	assertContiguous(await c.waitSeq(ch, 101), 1, 101, 'replaying subscriber, then live');
});
