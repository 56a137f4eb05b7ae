// Chaos (issue 12): 1,000 mixed writes (posts, votes, claims, reports) from
// 50 clients while the gateway is killed with SIGKILL at a random moment,
// three times. After each restart every write that got a 2xx is there
// exactly once (and none that failed is there twice), SQLite's
// integrity_check says ok, and no channel's event log has a gap.
import assert from 'node:assert/strict';
import { itest, sql, ENGINE } from './lib/harness.mjs';
import { register, addMember, expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createConsultation, createPost } from './lib/forums.mjs';
import { volunteer, createHelp } from './lib/help.mjs';

const CLIENTS = 50, WRITES = 20, ROUNDS = 3;
const CONFIG = { ...FORUM_CONFIG, rate_writes_per_user: 100000, rate_writes_per_ip: 1000000, max_conns_per_ip: 10000 };

itest('SIGKILL during 1,000 concurrent mixed writes, three times: acknowledged writes survive once, no gap, no corruption', { timeout: 180000 }, async (h, t) => {
	const gw = await h.gateway({ config: CONFIG });
	const { A, staff, admin } = await forumWorld(gw, { residents: 0, other: false });
	const clients = [];
	for (let i = 0; i < CLIENTS; i++) {
		const s = await register(gw, { display_name: `住户${i}` });
		await addMember(gw, admin.access, A.id, s);
		await volunteer(gw, s, A.id);
		clients.push(s);
	}
	const thread = await createThread(gw, staff.access, A.id, { title: '混沌测试' });
	const asker = clients[0];

	for (let round = 1; round <= ROUNDS; round++) {
		const consult = await createConsultation(gw, staff.access, A.id, { title: `第${round}轮投票` });
		const targets = [];
		for (let i = 0; i < 10; i++) targets.push(await createPost(gw, staff.access, thread.id, `举报对象 ${round}-${i}`));
		const helps = [];
		for (let i = 0; i < 40; i++) helps.push(await createHelp(gw, asker, A.id, { title: `第${round}轮求助${i}` }));

		const acked = { posts: [], votes: new Map(), claims: [], reports: [] };
		let done = 0, killed = false, reached;
		const killAt = 100 + Math.floor(Math.random() * 600);
		const killing = new Promise((r) => { reached = r; }).then(async () => {
			killed = true;
			await gw.kill();
		});
		const one = async (c, ci, i) => {
			const kind = (ci + i) % 4;
			const key = `chaos-${round}-${ci}-${i}`;
			let req;
			if (kind === 0) req = ['POST', `/v1/threads/${thread.id}/posts`, { body: key }];
			else if (kind === 1) req = ['POST', `/v1/threads/${consult.id}/vote`, { option: i % 3 }];
			else if (kind === 2) req = ['POST', `/v1/help/${helps[(ci * 7 + i) % helps.length].id}/claim`, undefined];
			else req = ['POST', `/v1/posts/${targets[(ci + i) % targets.length].id}/report`, { reason: key }];
			let r;
			try {
				r = await gw.request(req[0], req[1], { token: c.access, body: req[2], headers: { 'Idempotency-Key': key }, timeoutMs: 5000 });
			} catch { return; } // killed under it: unknown outcome
			if (++done === killAt) reached(); // the kill lands among writes in flight
			if (r.status >= 500) return;
			if (kind === 0 && r.status === 201) acked.posts.push(key);
			if (kind === 1 && r.status === 200) acked.votes.set(c.id, true);
			if (kind === 2 && r.status === 200) acked.claims.push([req[1].split('/')[3], c.id]);
			if (kind === 3 && r.status === 201) acked.reports.push([req[1].split('/')[3], c.id]);
		};
		await Promise.all(clients.map(async (c, ci) => {
			for (let i = 0; i < WRITES && !killed; i++) await one(c, ci, i);
		}));
		reached(); // in case fewer than killAt were answered
		await killing;
		t.diagnostic(`round ${round}: killed after ${done} answers; ${acked.posts.length} posts, ${acked.votes.size} votes, ${acked.claims.length} claims, ${acked.reports.length} reports acknowledged`);
		await gw.start();

		// Every acknowledged post once; nothing twice.
		const counts = new Map((await sql(gw, `SELECT body, count(*) FROM posts WHERE body LIKE 'chaos-${round}-%' GROUP BY body`))
			.split('\n').filter(Boolean).map((l) => { const [b, n] = l.split('|'); return [b, Number(n)]; }));
		for (const key of acked.posts) assert.equal(counts.get(key), 1, `post ${key} stored once`);
		for (const [key, n] of counts) assert.equal(n, 1, `post ${key} not doubled`);
		for (const uid of acked.votes.keys())
			assert.equal(await sql(gw, `SELECT count(*) FROM votes WHERE thread_id = ${consult.id} AND user_id = ${uid}`), '1', `vote of ${uid}`);
		for (const [hid, uid] of acked.claims)
			assert.equal(await sql(gw, `SELECT volunteer_id FROM help_requests WHERE id = ${hid}`), String(uid), `claim of ${hid} by ${uid}`);
		for (const [pid, uid] of acked.reports)
			assert.equal(await sql(gw, `SELECT count(*) FROM reports WHERE post_id = ${pid} AND reporter_id = ${uid}`), '1', `report of ${pid} by ${uid}`);
		if (ENGINE === 'sqlite') assert.equal(await sql(gw, 'PRAGMA integrity_check'), 'ok');
		const gaps = await sql(gw, 'SELECT channel, count(*), min(seq), max(seq) FROM events GROUP BY channel '
			+ 'HAVING count(*) <> max(seq) - min(seq) + 1');
		assert.equal(gaps, '', `channels with a gap in the event log: ${gaps}`);
		const heads = await sql(gw, 'SELECT c.name FROM channels c WHERE c.head <> (SELECT max(seq) FROM events e WHERE e.channel = c.name)');
		assert.equal(heads, '', `channels whose head is not their last event: ${heads}`);
		// And the gateway serves writes again.
		expectStatus(await gw.request('POST', `/v1/threads/${thread.id}/posts`, { token: staff.access, body: { body: `after round ${round}` } }), 201);
	}
});
