// 200 logins at once with production password hashing (scrypt 2^14) while
// a subscriber receives an event every 20 ms. Hashing runs on the thread
// pool, so the loop keeps delivering: every login succeeds (those refused
// with 503 past work_max_queue are retried after Retry-After, none lost)
// and the subscriber gets every event, in order. The subscriber's largest
// gap and latency during the burst are reported, not asserted.
import assert from 'node:assert/strict';
import http from 'node:http';
import { itest, ENGINE_NEUTRAL, assertContiguous } from './lib/harness.mjs';
import { PASSWORD, register, expectStatus } from './lib/accounts.mjs';

const LOGINS = 200;
const USERS = 20;
const PUBLISH_EVERY_MS = 20;

async function burst(h, t, workMaxQueue) {
	const config = { rate_register_per_ip: 1000, rate_writes_per_ip: 100000 };
	if (workMaxQueue) config.work_max_queue = workMaxQueue;
	const WORK_MAX_QUEUE = workMaxQueue || 512;
	const gw = await h.gateway({ config });
	const admin = await h.mint(gw, 100000, { admin: true });
	const users = [];
	for (let i = 0; i < USERS; i++) users.push(await register(gw, { display_name: `burst ${i}` }));

	// Subscriber and a steady publisher.
	const ch = 'community:1';
	const sub = await h.subscriber(gw, admin, ch, { label: 'steady subscriber' });
	const arrivals = new Map(); // seq -> ms
	sub.ws.on('message', (d) => {
		try {
			const f = JSON.parse(d.toString());
			if (f.op === 'event' && f.ch === ch) arrivals.set(f.seq, performance.now());
		} catch { /* the harness records it */ }
	});
	const sent = new Map(); // seq -> ms the publish was sent
	let publishing = true, published = 0, pubError = null;
	const publisher = (async () => {
		let next = performance.now();
		while (publishing) {
			const at = performance.now();
			const seq = await gw.publish(admin, ch, 'announcement', { n: published + 1 });
			sent.set(seq, at);
			published = seq;
			next += PUBLISH_EVERY_MS;
			const wait = next - performance.now();
			if (wait > 0) await new Promise((r) => setTimeout(r, wait));
		}
	})().catch((e) => { pubError = e; });
	// A few events before the burst as a baseline.
	await sub.waitSeq(ch, 10, 5000);

	// The burst: every login on its own connection, all at once.
	const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
	const burstStart = performance.now();
	const firstSeqInBurst = published + 1;
	let rejected503 = 0, rounds = 0;
	const results = await Promise.all(Array.from({ length: LOGINS }, async (_, i) => {
		const u = users[i % USERS];
		for (let attempt = 1; ; attempt++) {
			const r = await gw.request('POST', '/v1/auth/login',
				{ body: { phone: u.phone, password: PASSWORD }, agent, timeoutMs: 60000 });
			if (r.status === 503) {
				rejected503++;
				rounds = Math.max(rounds, attempt);
				const ra = Number(r.headers['retry-after']);
				assert.ok(ra >= 1, `503 with Retry-After: ${JSON.stringify(r.headers)}`);
				assert.ok(attempt < 50, `login ${i} refused ${attempt} times`);
				await new Promise((res) => setTimeout(res, ra * 1000 * (0.5 + Math.random() / 2)));
				continue;
			}
			return { i, uid: u.id, status: r.status, json: r.json, text: r.text, attempts: attempt };
		}
	}));
	const burstMs = performance.now() - burstStart;
	const lastSeqInBurst = published;
	publishing = false;
	await publisher;
	agent.destroy();
	if (pubError) throw pubError;

	const failed = results.filter((r) => r.status !== 200);
	assert.deepEqual(failed.map((r) => `${r.i}: ${r.status} ${r.text.slice(0, 100)}`), [], 'every login succeeded');
	for (const r of results) assert.equal(r.json.user.id, r.uid, `login ${r.i} is its user`);
	const tokens = new Set(results.map((r) => r.json.access_token));
	assert.equal(tokens.size, LOGINS, 'a distinct session per login');
	// The tokens work.
	for (const r of results.filter((_, k) => k % 10 === 0)) {
		const m = await gw.request('GET', '/v1/me', { token: r.json.access_token });
		expectStatus(m, 200);
		assert.equal(m.json.user.id, r.uid);
	}

	// Every event, once, in order.
	const evs = await sub.waitSeq(ch, published, 10000);
	assertContiguous(evs, 1, published, 'subscriber');
	assert.ok(sub.open);

	// Diagnostics: gaps and latency for events published during the burst.
	let maxGap = 0, maxLat = 0, sumLat = 0, n = 0;
	for (let s = Math.max(2, firstSeqInBurst); s <= lastSeqInBurst; s++) {
		maxGap = Math.max(maxGap, arrivals.get(s) - arrivals.get(s - 1));
	}
	for (let s = firstSeqInBurst; s <= lastSeqInBurst; s++) {
		const lat = arrivals.get(s) - sent.get(s);
		maxLat = Math.max(maxLat, lat);
		sumLat += lat;
		n++;
	}
	const attempts = results.map((r) => r.attempts);
	t.diagnostic(`${LOGINS} logins (${USERS} users, scrypt 2^14) in ${burstMs.toFixed(0)} ms; ` +
		`${rejected503} answers 503 past work_max_queue ${WORK_MAX_QUEUE}, retried (max ${Math.max(...attempts)} attempts)`);
	t.diagnostic(`subscriber during the burst: ${n} events (seq ${firstSeqInBurst}..${lastSeqInBurst}), ` +
		`max inter-arrival gap ${maxGap.toFixed(1)} ms (published every ${PUBLISH_EVERY_MS} ms), ` +
		`latency publish-sent→received mean ${(sumLat / Math.max(n, 1)).toFixed(1)} ms, max ${maxLat.toFixed(1)} ms`);
	assert.ok(n > 0, 'events were published during the burst');
	return { rejected503 };
}

itest('200 concurrent logins at scrypt 2^14 (default work_max_queue) while a subscriber receives events every 20 ms',
	{ ...ENGINE_NEUTRAL, timeout: 120000 }, async (h, t) => {
		const { rejected503 } = await burst(h, t, 0);
		assert.equal(rejected503, 0, 'the default queue (512) holds a burst of 200');
	});

itest('200 concurrent logins past work_max_queue 64: 503 + Retry-After, retried, none lost; events flow',
	{ ...ENGINE_NEUTRAL, timeout: 120000 }, async (h, t) => {
		const { rejected503 } = await burst(h, t, 64);
		assert.ok(rejected503 > 0, 'some logins met the full queue');
	});
