// A help request that notifies 1,500 volunteers is written off the loop
// (api_offload, on the second database connection). Meanwhile every other
// write of the gateway waits its turn and then applies exactly once, in
// order; reads are answered. Volunteers are seeded straight into the
// SQLite file (1,500 sign-ups over HTTP would dominate the test).
import assert from 'node:assert/strict';
import { itest, parseMetrics, sql } from './lib/harness.mjs';
import { FORUM_CONFIG, forumWorld, createThread } from './lib/forums.mjs';
import { inbox } from './lib/help.mjs';
import { PASSWORD } from './lib/accounts.mjs';

const VOLUNTEERS = 1500;

itest('writes wait for an offloaded transaction, then apply once each, in order', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, rate_writes_per_user: 100000 } });
	const { A, residents: [asker, writer] } = await forumWorld(gw, { residents: 2, other: false });
	const now = Date.now();
	await sql(gw, `BEGIN;
		WITH RECURSIVE u(id) AS (SELECT 100000 UNION ALL SELECT id + 1 FROM u WHERE id < ${100000 + VOLUNTEERS - 1})
		INSERT INTO users (id, display_name, created_at) SELECT id, 'v' || id, ${now} FROM u;
		INSERT INTO memberships (community_id, user_id, role, joined_at) SELECT ${A.id}, id, 'resident', ${now} FROM users WHERE id >= 100000;
		INSERT INTO volunteers (community_id, user_id, categories, grids, active, updated_at)
		  SELECT ${A.id}, id, '["errand"]', '[]', 1, ${now} FROM users WHERE id >= 100000;
		COMMIT;`);
	const thread = await createThread(gw, writer.access, A.id);
	const metric = async (name) => parseMetrics((await gw.request('GET', '/metrics')).text).get(name);

	let posted = [];
	for (let round = 0; round < 5 && !(await metric('linli_writes_parked_total')); round++) {
		// The help request first; the posts and a read follow at once, on
		// other connections, while its transaction runs.
		const help = gw.request('POST', `/v1/communities/${A.id}/help`,
			{ token: asker.access, body: { category: 'errand', title: `第${round}次`, details: '', contact: '13900001111' } });
		const posts = Array.from({ length: 10 }, (_, i) => gw.request('POST', `/v1/threads/${thread.id}/posts`,
			{ token: writer.access, body: { body: `round ${round} post ${i}` } }));
		const read = gw.request('GET', `/v1/threads/${thread.id}`, { token: writer.access });
		// A login hashes on the thread pool and then writes its session:
		// that second half waits too when it lands during the transaction.
		const signIn = gw.request('POST', '/v1/auth/login', { body: { phone: writer.phone, password: PASSWORD } });
		const [hr, rr, li, ...prs] = await Promise.all([help, read, signIn, ...posts]);
		assert.equal(hr.status, 201, hr.text);
		assert.equal(li.status, 200, li.text);
		assert.equal((await gw.request('GET', '/v1/me', { token: li.json.access_token })).status, 200);
		assert.equal(hr.json.request.notified, VOLUNTEERS);
		assert.equal(rr.status, 200, rr.text);
		for (const p of prs) assert.equal(p.status, 201, p.text);
		posted.push(...prs.map((p) => p.json.post.id));
	}
	assert.ok(await metric('linli_writes_parked_total') > 0, 'some writes waited for the offloaded transaction');
	assert.ok(await metric('linli_offloaded_total') > 0);

	// Each post applied exactly once.
	const list = await gw.request('GET', `/v1/threads/${thread.id}/posts?limit=200`, { token: writer.access });
	const ids = list.json.items.map((p) => p.id);
	assert.equal(new Set(ids).size, ids.length);
	assert.deepEqual([...ids].sort((a, b) => a - b), [...posted].sort((a, b) => a - b));
	// Every volunteer has one inbox row per request.
	const rounds = Number(await sql(gw, 'SELECT count(*) FROM help_requests'));
	assert.equal(await sql(gw, `SELECT count(*) FROM notifications WHERE user_id >= 100000`), String(rounds * VOLUNTEERS));
	assert.equal(await sql(gw, `SELECT count(DISTINCT user_id) FROM notifications WHERE user_id >= 100000`), String(VOLUNTEERS));
	assert.equal((await inbox(gw, asker)).items.length, 0, 'the requester is not notified of their own request');
});
