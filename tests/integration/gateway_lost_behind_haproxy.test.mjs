// Two gateways on two "hosts" (127.0.0.2 and 127.0.0.3) share one database
// and one Redis behind HAProxy on 127.0.0.1, as a deployment beyond one
// machine runs them. The gateway a subscriber is on dies (kill -9) while
// events flow; the phone reconnects through the proxy, lands on the other,
// resumes with `since`, and has every event exactly once, in order — every
// one that was acknowledged among them.
import assert from 'node:assert/strict';
import { itest, assertContiguous, poll, sql } from './lib/harness.mjs';

// Gateways A (127.0.0.2) and B (127.0.0.3) on one database and one Redis,
// HAProxy in front, and an admin token.
async function twoBehindProxy(h) {
	const redis = await h.redis();
	const a = await h.gateway({ name: 'A', host: '127.0.0.2', redis });
	const b = await h.gateway({ name: 'B', host: '127.0.0.3', redis, db: a.db, dir: a.dir });
	const proxy = await h.haproxy([a, b]);
	return { redis, a, b, proxy, admin: await h.mint(a, 1, { admin: true }) };
}

itest('behind HAProxy: a gateway killed under its subscriber; the phone resumes on the other, nothing missed', async (h) => {
	const { a, b, proxy, admin } = await twoBehindProxy(h);
	const ch = 'thread:4242';

	const phone = await h.subscriber(proxy, admin, ch, { since: 0, label: 'phone, first socket' });
	const victim = (await a.metric('linli_ws_connections')) === 1 ? a : b;
	const survivor = victim === a ? b : a;
	assert.equal(await victim.metric('linli_ws_connections'), 1, 'the phone is on one of them');

	// Writes through the proxy, round robin over both, until told to stop.
	const acked = [];
	let stop = false;
	const writer = (async () => {
		for (let i = 1; !stop; i++) {
			try {
				const r = await proxy.request('POST', `/v1/channels/${encodeURIComponent(ch)}/events`,
					{ token: admin, body: { type: 'announcement', data: { i } }, timeoutMs: 5000 });
				if (r.status === 201) acked.push(r.json.seq);
			} catch { /* the request was on the gateway that died */ }
		}
	})();
	await phone.waitSeq(ch, 20, 10000);
	await victim.kill();
	const closed = await phone.closed(5000);
	assert.equal(closed.code, 1006, 'the socket dropped with its gateway');
	const seen = phone.events(ch);
	const last = seen[seen.length - 1].seq;

	// The phone comes back through the proxy and resumes.
	const again = await h.subscriber(proxy, admin, ch, { since: last, label: 'phone, resumed' });
	assert.equal(await survivor.metric('linli_ws_connections'), 1, 'the resumed socket is on the survivor');
	const target = last + 30;
	await poll(() => acked.length && acked[acked.length - 1] >= target, { what: `writes past seq ${target}` });
	stop = true;
	await writer;

	const head = Number(await sql(a, `SELECT head FROM channels WHERE name = '${ch}'`));
	await again.waitSeq(ch, head, 10000);
	const all = [...seen, ...again.events(ch)];
	assertContiguous(all, 1, head, 'the phone, across the failover');
	const got = new Set(all.map((e) => e.seq));
	assert.ok(acked.every((s) => got.has(s)), 'every acknowledged event reached the phone');
	for (const e of all) assert.equal(typeof e.data.i, 'number');
});

itest('behind HAProxy: a Redis outage keeps the gateways in rotation (writes go on); /readyz still says 503', async (h) => {
	const { redis, a, b, proxy, admin } = await twoBehindProxy(h);
	await redis.kill();
	// HAProxy has checked each gateway three times since, and got 503.
	const checked = async (g) => (await g.metric('linli_http_requests_total{route="GET /readyz",status="503"}')) || 0;
	await poll(async () => (await checked(a)) >= 3 && (await checked(b)) >= 3,
		{ what: 'health checks answered 503 on both gateways', timeoutMs: 10000 });
	for (let i = 0; i < 10; i++) {
		const r = await proxy.request('POST', `/v1/channels/${encodeURIComponent('thread:99')}/events`,
			{ token: admin, body: { type: 'announcement', data: { i } } });
		assert.equal(r.status, 201, `write ${i} through the proxy: ${r.status} ${r.text}`);
	}
	const [ra, rb] = await Promise.all([a.metric('linli_http_requests_total{route="POST /v1/channels/{ch}/events",status="201"}'),
		b.metric('linli_http_requests_total{route="POST /v1/channels/{ch}/events",status="201"}')]);
	assert.ok(ra > 0 && rb > 0, `both gateways took writes: ${ra}, ${rb}`);
	assert.equal((await a.request('GET', '/readyz')).status, 503, 'the contract: Redis unusable');
});
