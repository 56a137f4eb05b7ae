// PostgreSQL with a synchronous standby, two gateways writing through a
// multi-host URI (target_session_attrs=read-write). The primary's machine
// is lost (kill -9 of the server and every backend) while writes flow, and
// the standby is promoted. Every write that got a 2xx is on the new
// primary; the gateways serve writes again without a restart; what was
// answered in between was 503 with Retry-After — never a 500, never a hang.
import assert from 'node:assert/strict';
import { ENGINE, itest, poll } from './lib/harness.mjs';
import { FORUM_CONFIG, forumWorld, createThread } from './lib/forums.mjs';

const CONFIG = { ...FORUM_CONFIG, rate_writes_per_user: 1000000, rate_writes_per_ip: 1000000,
	db_connect_timeout_ms: 1000 };

itest('the primary lost, the standby promoted: no acknowledged write lost, 503 meanwhile, writes again',
	{ skip: ENGINE !== 'postgres', timeout: 120000 }, async (h) => {
	const primary = await h.pgCluster();
	await primary.start();
	await primary.psql('CREATE DATABASE linli');
	const standby = await h.pgCluster();
	await standby.standbyOf(primary);
	// A commit is acknowledged once the standby has it, too.
	await primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'");
	await primary.psql('SELECT pg_reload_conf()');
	await poll(async () => await primary.psql('SELECT sync_state FROM pg_stat_replication') === 'sync',
		{ what: 'the standby to be synchronous' });

	const db = `postgresql://linli@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/linli?target_session_attrs=read-write`;
	const redis = await h.redis();
	const a = await h.gateway({ name: 'A', host: '127.0.0.2', db, redis, config: CONFIG });
	const b = await h.gateway({ name: 'B', host: '127.0.0.3', db, redis, config: CONFIG });
	const { A, residents } = await forumWorld(a, { residents: 2, other: false });
	const thread = await createThread(a, residents[0].access, A.id);

	// One writer per gateway: every answer kept, with when it came.
	const answers = [];
	let stop = false;
	const writer = (gw, who) => (async () => {
		for (let i = 0; !stop; i++) {
			const r = await gw.request('POST', `/v1/threads/${thread.id}/posts`,
				{ token: who.access, body: { body: `${gw.name} ${i}` }, timeoutMs: 15000 });
			answers.push({ gw: gw.name, at: Date.now(), status: r.status, id: r.json?.post?.id,
				retry: r.headers['retry-after'], text: r.text });
			if (r.status === 503) await new Promise((res) => setTimeout(res, 50)); // pace the retries
		}
	})();
	const writers = [writer(a, residents[0]), writer(b, residents[1])];
	await poll(() => answers.filter((x) => x.status === 201).length >= 40, { what: 'writes before the failover' });

	await primary.kill();
	const lost = Date.now();
	await poll(() => answers.some((x) => x.at > lost && x.status === 503), { what: 'a 503 while there is no primary' });
	for (const gw of [a, b]) {
		const r = await poll(async () => {
			const x = await gw.request('GET', '/readyz', { timeoutMs: 2000 });
			return x.status === 503 && x;
		}, { what: `${gw.name}'s /readyz to say the store is down` });
		assert.equal(r.json.store, 'database unreachable');
	}
	await standby.promote();
	const promoted = Date.now();
	// Both gateways write again, on the same processes.
	await poll(() => ['A', 'B'].every((g) => answers.some((x) => x.gw === g && x.at > promoted && x.status === 201)),
		{ what: 'both gateways writing to the new primary', timeoutMs: 30000 });
	stop = true;
	await Promise.all(writers);

	const statuses = new Set(answers.map((x) => x.status));
	assert.deepEqual([...statuses].sort(), [201, 503], 'only 201 and 503');
	for (const x of answers.filter((y) => y.status === 503))
		assert.equal(x.retry, '1', `503 with Retry-After: ${x.text}`);
	const acked = answers.filter((x) => x.status === 201).map((x) => x.id);
	const stored = new Set((await standby.psql(`SELECT id FROM posts WHERE thread_id = ${thread.id}`, 'linli'))
		.split('\n').map(Number));
	const missing = acked.filter((id) => !stored.has(id));
	assert.deepEqual(missing, [], 'every acknowledged post is on the new primary');
	assert.equal(a.starts + b.starts, 2, 'no gateway was restarted');
	for (const gw of [a, b])
		await poll(async () => (await gw.request('GET', '/readyz')).status === 200, { what: `${gw.name} ready` });
	h.t.diagnostic(`${acked.length} posts acknowledged, ${answers.filter((x) => x.status === 503).length} answered 503; ` +
		`writes again ${answers.find((x) => x.at > promoted && x.status === 201).at - promoted} ms after the promotion`);
});
