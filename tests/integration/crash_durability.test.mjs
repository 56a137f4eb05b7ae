// A write that got a 201 survives kill -9 of the gateway.
import assert from 'node:assert/strict';
import { itest, assertContiguous } from './lib/harness.mjs';

itest('kill -9 right after a 201: after restart on the same db, a subscriber with since: seq-1 receives that event', async (h) => {
	const gw = await h.gateway();
	const admin = await h.mint(gw, 1, { admin: true });
	const ch = 'thread:crash1';

	const seq = await gw.publish(admin, ch, 'post.created', { body: 'survives', n: 1 });
	await gw.kill(); // SIGKILL at once after the 201
	await gw.start(); // same db, same port

	const c = await h.subscriber(gw, admin, ch, { since: seq - 1, label: 'after restart' });
	assert.equal(c.subbed.seq, seq, 'head after restart includes the event');
	const ev = await c.next({ op: 'event', ch, seq });
	assert.equal(ev.type, 'post.created');
	assert.deepEqual(ev.data, { body: 'survives', n: 1 });
});

itest('kill -9 after bursts of concurrent 201s, five times: every acknowledged event is there after each restart', async (h) => {
	const gw = await h.gateway();
	const admin = await h.mint(gw, 1, { admin: true });
	const ch = 'thread:crash2';
	const acked = new Map(); // seq -> data
	for (let round = 1; round <= 5; round++) {
		// 20 concurrent POSTs; kill as soon as the last 201 is in.
		const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => {
			const data = { round, i };
			return gw.publish(admin, ch, 'post.created', data).then((seq) => { acked.set(seq, data); return seq; });
		}));
		await gw.kill();
		await gw.start();
		const max = Math.max(...seqs);
		const c = await h.subscriber(gw, admin, ch, { since: 0, label: `after crash ${round}` });
		assert.equal(c.subbed.seq, max, `round ${round}: head`);
		const evs = c.events(ch);
		assertContiguous(evs, 1, max, `round ${round}`);
		for (const e of evs) assert.deepEqual(e.data, acked.get(e.seq), `round ${round}: data of seq ${e.seq}`);
		c.close();
	}
	assert.equal(acked.size, 100);
});
