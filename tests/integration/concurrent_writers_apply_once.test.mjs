// Writers racing from two gateways on one database (with PostgreSQL they
// run in parallel, not one after another as SQLite's one writer makes
// them): every event of a channel reaches every subscriber once, in seq
// order; a retried POST with the same Idempotency-Key applies once; an
// invite's last use goes to one member; reports that reach the threshold
// hold the post once; a device token registered twice at once is one
// device; a phone registered twice at once is one account.
import assert from 'node:assert/strict';
import { itest, assertContiguous, sql } from './lib/harness.mjs';
import { register, invite, newPhone, PASSWORD } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createPost } from './lib/forums.mjs';

const CONFIG = { ...FORUM_CONFIG, rate_writes_per_user: 100000, rate_writes_per_ip: 100000 };

async function pair(h) {
	const redis = await h.redis();
	const a = await h.gateway({ name: 'A', redis, config: CONFIG });
	const b = await h.gateway({ name: 'B', redis, config: CONFIG, db: a.db, dir: a.dir });
	return { a, b };
}

itest('two gateways writing one channel at once: every subscriber sees every event once, in seq order', async (h) => {
	const { a, b } = await pair(h);
	const world = await forumWorld(a, { residents: 4, other: false });
	const { A, staff, residents } = world;
	const thread = await createThread(a, staff.access, A.id);
	const ch = `thread:${thread.id}`;
	const subs = [
		await h.subscriber(a, residents[0].access, ch, { since: 0, label: 'replaying on A' }),
		await h.subscriber(b, residents[1].access, ch, { since: 0, label: 'replaying on B' }),
		await h.subscriber(b, residents[2].access, ch, { label: 'live on B' }),
	];
	// Eight writers, half on each gateway, 15 posts each, all at once.
	const PER = 15;
	const writers = [];
	for (let w = 0; w < 8; w++) {
		const gw = w % 2 ? b : a;
		const who = residents[w % residents.length];
		writers.push((async () => {
			for (let i = 0; i < PER; i++) await createPost(gw, who.access, thread.id, `writer ${w} post ${i}`);
		})());
	}
	await Promise.all(writers);
	const total = 8 * PER;
	for (const s of subs) {
		const evs = await s.waitSeq(ch, total, 20000);
		const posts = evs.filter((e) => e.type === 'post.created');
		assert.equal(posts.length, total, `${s.label}: every post once`);
		assertContiguous(evs, evs[0].seq, total, s.label);
	}
	assertContiguous(subs[0].events(ch), 1, total, 'the first replaying subscriber, from 1');
	// The log itself: one row per seq, no hole.
	assert.equal(await sql(a, `SELECT count(*) || ' ' || max(seq) FROM events WHERE channel = '${ch}'`), `${total} ${total}`);
});

itest('the same Idempotency-Key raced on two gateways: one thread, one answer', async (h) => {
	const { a, b } = await pair(h);
	const { A, residents: [r] } = await forumWorld(a, { residents: 1, other: false });
	const headers = { 'Idempotency-Key': 'flaky-network-retry-1' };
	const body = { title: '重试的帖子', body: '网络不好，点了好几次', kind: 'discussion' };
	const answers = await Promise.all(Array.from({ length: 8 }, (_, i) =>
		(i % 2 ? b : a).request('POST', `/v1/communities/${A.id}/threads`, { token: r.access, headers, body })));
	const statuses = answers.map((x) => x.status);
	// The first creates it; the others replay its answer, or, caught in the
	// moment between its commit and its answer being kept, say it was applied.
	assert.ok(statuses.every((s) => s === 201 || s === 409), `statuses: ${statuses}`);
	const ids = new Set(answers.filter((x) => x.status === 201).map((x) => x.json.thread.id));
	assert.equal(ids.size, 1, `one thread id in every 201: ${[...ids]}`);
	for (const x of answers.filter((y) => y.status === 409))
		assert.match(x.json.error.message, /already applied/);
	assert.equal(await sql(a, `SELECT count(*) FROM threads WHERE title = '重试的帖子'`), '1');
});

itest('the last use of an invite, raced from two gateways, goes to one member', async (h) => {
	const { a, b } = await pair(h);
	const { A, admin } = await forumWorld(a, { residents: 0, other: false });
	const inv = await invite(a, admin.access, A.id, { role: 'resident', max_uses: 1 });
	const people = [];
	for (let i = 0; i < 6; i++) people.push(await register(a, { display_name: `抢名额${i}` }));
	const answers = await Promise.all(people.map((p, i) =>
		(i % 2 ? b : a).request('POST', `/v1/communities/${A.id}/join`, { token: p.access, body: { code: inv.code } })));
	const statuses = answers.map((x) => x.status).sort();
	assert.deepEqual(statuses, [200, 409, 409, 409, 409, 409], `statuses: ${statuses}`);
	assert.equal(await sql(a, `SELECT uses FROM invites WHERE code = '${inv.code}'`), '1');
	assert.equal(await sql(a, `SELECT count(*) FROM memberships WHERE community_id = ${A.id}`), '2',
		'the staff member and the one who got in');
});

itest('reports racing past the threshold hold the post once', async (h) => {
	const { a, b } = await pair(h);
	const { A, staff, residents } = await forumWorld(a, { residents: 5, other: false });
	const thread = await createThread(a, residents[0].access, A.id);
	const post = await createPost(a, residents[0].access, thread.id, '可疑的广告');
	const mod = await h.subscriber(a, staff.access, `mod:${A.id}`, { label: 'staff on A' });
	const answers = await Promise.all(residents.slice(1).map((r, i) =>
		(i % 2 ? b : a).request('POST', `/v1/posts/${post.id}/report`, { token: r.access, body: { reason: '广告' } })));
	assert.deepEqual(answers.map((x) => x.status), [201, 201, 201, 201]);
	assert.equal(await sql(a, `SELECT status FROM posts WHERE id = ${post.id}`), 'pending');
	// Four reports, threshold three: exactly one hold, told once (read to
	// the channel's head, so a second one would have arrived).
	const head = Number(await sql(a, `SELECT head FROM channels WHERE name = 'mod:${A.id}'`));
	const evs = await mod.waitSeq(`mod:${A.id}`, head);
	assert.equal(evs.filter((e) => e.type === 'report.created').length, 4);
	assert.equal(evs.filter((e) => e.type === 'post.pending').length, 1, 'held once');
});

itest('a new device token registered twice at once (an app retrying): one device, no error', async (h) => {
	const { a, b } = await pair(h);
	const { residents: [r] } = await forumWorld(a, { residents: 1, other: false });
	// Several rounds: one race is lost only now and then.
	for (let k = 0; k < 8; k++) {
		const body = { platform: 'android', token: `fcm-token-sent-twice-${k}-000001` };
		const answers = await Promise.all(Array.from({ length: 6 }, (_, i) =>
			(i % 2 ? b : a).request('POST', '/v1/devices', { token: r.access, body })));
		const statuses = answers.map((x) => x.status).sort();
		assert.deepEqual(statuses, [200, 200, 200, 200, 200, 201], `round ${k}, statuses: ${statuses}`);
		assert.equal(new Set(answers.map((x) => x.json.device.id)).size, 1, 'one device id in every answer');
		assert.equal(await sql(a, `SELECT count(*) FROM devices WHERE token = '${body.token}'`), '1');
	}
});

itest('one phone registered from two gateways at once: one account, the others 409', async (h) => {
	const { a, b } = await pair(h);
	const phone = newPhone();
	// All pass the check made before hashing; the insert decides.
	const answers = await Promise.all(Array.from({ length: 4 }, (_, i) =>
		(i % 2 ? b : a).request('POST', '/v1/auth/register',
			{ body: { phone, password: PASSWORD, display_name: `重复${i}` } })));
	const statuses = answers.map((x) => x.status).sort();
	assert.deepEqual(statuses, [201, 409, 409, 409], `statuses: ${statuses}`);
	for (const x of answers.filter((y) => y.status === 409)) assert.equal(x.json.error.field, 'phone');
	assert.equal(await sql(a, `SELECT count(*) FROM users WHERE phone IS NOT NULL`), '1');
});
