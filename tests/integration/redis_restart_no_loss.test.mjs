// Redis dies (SIGKILL) and comes back on the same port while events are
// published continuously: writes go on, /readyz says 503 then 200, and every
// subscriber on either gateway ends up with every event, in order, once.
import assert from 'node:assert/strict';
import { itest, poll, delay, assertContiguous } from './lib/harness.mjs';

const CONFIG = { catchup_interval_ms: 500, redis_reconnect_max_ms: 500 };

itest('Redis killed and restarted during continuous publishing: subscribers on both gateways get every event in order, no duplicates; /readyz 503 then 200', async (h) => {
	const redis = await h.redis();
	const a = await h.gateway({ name: 'A', redis, config: CONFIG });
	const b = await h.gateway({ name: 'B', redis, config: CONFIG, db: a.db, dir: a.dir });
	const admin = await h.mint(a, 1, { admin: true });
	const ch = 'thread:redis1';
	const ch2 = 'thread:redis2';
	let lateSub;

	const ready = await a.request('GET', '/readyz');
	assert.equal(ready.status, 200, ready.text);
	assert.deepEqual(ready.json, { status: 'ok', store: 'ok', redis: 'ok' });

	const subs = [
		await h.subscriber(b, admin, ch, { since: 0, label: 'subscriber 1 on B' }),
		await h.subscriber(b, admin, ch, { since: 0, label: 'subscriber 2 on B' }),
		await h.subscriber(a, admin, ch, { since: 0, label: 'subscriber on A' }),
	];

	// Continuous publisher on A; every POST must get 201 (SQLite is the
	// source of truth, Redis only the doorbell).
	let stop = false, last = 0;
	const failures = [];
	const publisher = (async () => {
		while (!stop) {
			try {
				const seq = await a.publish(admin, ch, 'post.created', { n: last + 1 });
				assert.equal(seq, last + 1, 'seq increments by one per publish');
				last = seq;
			} catch (e) {
				failures.push(e);
				return;
			}
			await delay(5); // load shaping, not synchronisation
		}
	})();

	try {
		// Live delivery through Redis works before the outage.
		await poll(() => last >= 20, { timeoutMs: 10000, what: '20 events published before the outage' });
		await subs[0].waitSeq(ch, 20);

		await redis.kill();
		const down = await poll(async () => {
			const r = await a.request('GET', '/readyz');
			return r.status === 503 ? r : null;
		}, { timeoutMs: 10000, intervalMs: 50, what: '/readyz on A to answer 503 while Redis is down' });
		assert.equal(down.json?.store, 'ok', down.text);
		assert.match(String(down.json?.redis), /down/i, down.text);
		const atOutage = last;
		await poll(() => last >= atOutage + 20, { timeoutMs: 10000, what: 'publishing to go on while Redis is down' });
		// A channel first subscribed on B while Redis is down.
		lateSub = await h.subscriber(b, admin, ch2, { since: 0, label: 'subscribed on B during the outage' });
		await a.publish(admin, ch2, 'post.created', { n: 1 });

		await redis.start();
		await poll(async () => {
			const r = await a.request('GET', '/readyz');
			return r.status === 200 ? r : null;
		}, { timeoutMs: 10000, intervalMs: 50, what: '/readyz on A to answer 200 after Redis is back' });
		await poll(async () => (await b.request('GET', '/readyz')).status === 200,
			{ timeoutMs: 10000, what: '/readyz on B to answer 200 after Redis is back' });
		const atRecovery = last;
		await poll(() => last >= atRecovery + 20, { timeoutMs: 10000, what: 'publishing after Redis is back' });
	} finally {
		stop = true;
		await publisher;
	}
	if (failures.length) throw failures[0];

	const head = last;
	for (const s of subs) {
		const evs = await s.waitSeq(ch, head, 15000);
		assertContiguous(evs, 1, head, s.label);
		for (const e of evs) assert.equal(e.data.n, e.seq);
	}
	// A publish after recovery is delivered live across gateways again.
	const seq = await a.publish(admin, ch, 'post.created', { n: head + 1 });
	for (const s of subs) assertContiguous(await s.waitSeq(ch, seq, 5000), 1, seq, s.label);
	// The channel watched during the outage is live through Redis too.
	await a.publish(admin, ch2, 'post.created', { n: 2 });
	assertContiguous(await lateSub.waitSeq(ch2, 2, 5000), 1, 2, lateSub.label);

	for (const g of [a, b]) {
		const m = await g.metrics();
		assert.equal(m.get('linli_redis_up'), 1, `${g.name} reports Redis up`);
		assert.ok(m.get('linli_redis_reconnects_total') >= 1, `${g.name} reconnected to Redis`);
	}
});
