// Idempotency-Key replays, write rate limits and the WebSocket message
// rate limit.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import {
	FAST, register, makeAdmin, createCommunity, appoint, addMember, invite, join,
	expectError, expectStatus, listAll,
} from './lib/accounts.mjs';

itest('Idempotency-Key: a repeat answers the first response and creates nothing', async (h, t) => {
	const gw = await h.gateway({ config: FAST });
	const admin = await makeAdmin(gw);
	const A = await createCommunity(gw, admin.access, 'A');
	const B = await createCommunity(gw, admin.access, 'B');
	const staff = await register(gw);
	const staff2 = await register(gw);
	await appoint(gw, admin.access, A.id, staff.id);
	await appoint(gw, admin.access, B.id, staff.id);
	await appoint(gw, admin.access, A.id, staff2.id);
	const post = (token, path, body, key) => gw.request('POST', path, { token, body, headers: key ? { 'Idempotency-Key': key } : {} });
	const invites = async (cid) => (await listAll(gw, admin.access, `/v1/communities/${cid}/audit`))
		.filter((e) => e.action === 'invite.create');

	await h.sub(t, 'the same invite request twice: one invite, the same code, replay marked', async () => {
		const key = 'invite-7f3a-2024';
		const body = { role: 'resident', max_uses: 1 };
		const first = await post(staff.access, `/v1/communities/${A.id}/invites`, body, key);
		expectStatus(first, 201, 'first');
		assert.equal(first.headers['idempotent-replayed'], undefined, 'the first is not a replay');
		const second = await post(staff.access, `/v1/communities/${A.id}/invites`, body, key);
		expectStatus(second, 201, 'repeat');
		assert.equal(second.headers['idempotent-replayed'], 'true');
		assert.equal(second.text, first.text, 'byte-identical body');
		assert.equal(second.json.code, first.json.code);
		// Even with another body: the first answer stands.
		const third = await post(staff.access, `/v1/communities/${A.id}/invites`, { role: 'staff', max_uses: 50 }, key);
		expectStatus(third, 201);
		assert.equal(third.headers['idempotent-replayed'], 'true');
		assert.equal(third.json.code, first.json.code);
		assert.equal((await invites(A.id)).length, 1, 'one invite.create in the audit log');
		// The code is the one invite: usable once.
		const r1 = await register(gw);
		const r2 = await register(gw);
		await join(gw, r1.access, A.id, first.json.code);
		expectError(await post(r2.access, `/v1/communities/${A.id}/join`, { code: first.json.code }), 409, 'conflict', 'code');
	});

	await h.sub(t, 'the same key on another route, or another community, answers 409', async () => {
		const key = 'reused-key-1';
		expectStatus(await post(staff.access, `/v1/communities/${A.id}/invites`, { role: 'resident' }, key), 201);
		const before = (await invites(B.id)).length;
		expectError(await post(staff.access, `/v1/communities/${B.id}/invites`, { role: 'resident' }, key), 409, 'conflict', undefined, 'other community');
		expectError(await post(staff.access, `/v1/communities/${A.id}/join`, { code: 'ABCDEFGH' }, key), 409, 'conflict', undefined, 'other route');
		expectError(await post(staff.access, `/v1/channels/community:${A.id}/events`, { type: 'announcement', data: {} }, key), 409, 'conflict');
		assert.equal((await invites(B.id)).length, before, 'nothing created in B');
	});

	await h.sub(t, 'keys belong to their user: another user with the same key is served afresh', async () => {
		const key = 'shared-by-accident';
		const a = await post(staff.access, `/v1/communities/${A.id}/invites`, { role: 'resident' }, key);
		const b = await post(staff2.access, `/v1/communities/${A.id}/invites`, { role: 'resident' }, key);
		expectStatus(a, 201);
		expectStatus(b, 201);
		assert.equal(b.headers['idempotent-replayed'], undefined);
		assert.notEqual(a.json.code, b.json.code);
	});

	await h.sub(t, 'a published event with a key is stored once; the replay answers the same seq', async () => {
		const ch = `community:${A.id}`;
		const sub = await h.subscriber(gw, admin.access, ch, { label: 'watcher' });
		const p1 = await post(staff.access, `/v1/channels/${ch}/events`, { type: 'announcement', data: { n: 1 } }, 'ann-1');
		expectStatus(p1, 201);
		const p2 = await post(staff.access, `/v1/channels/${ch}/events`, { type: 'announcement', data: { n: 1 } }, 'ann-1');
		expectStatus(p2, 201);
		assert.equal(p2.headers['idempotent-replayed'], 'true');
		assert.equal(p2.json.seq, p1.json.seq);
		const next = await gw.publish(admin.access, ch, 'announcement', { n: 2 });
		assert.equal(next, p1.json.seq + 1, 'the replay stored no event');
		await sub.waitSeq(ch, next, 3000);
		assert.deepEqual(sub.events(ch).map((e) => e.seq), [p1.json.seq, next], 'delivered once');
	});

	await h.sub(t, 'an error answer is replayed too; over-long keys are refused; GET ignores keys', async () => {
		const bad = await post(staff.access, `/v1/communities/${A.id}/invites`, { role: 'mayor' }, 'bad-first');
		expectError(bad, 400, 'bad_request', 'role');
		const again = await post(staff.access, `/v1/communities/${A.id}/invites`, { role: 'resident' }, 'bad-first');
		expectError(again, 400, 'bad_request', 'role');
		assert.equal(again.headers['idempotent-replayed'], 'true');
		expectError(await post(staff.access, `/v1/communities/${A.id}/invites`, { role: 'resident' }, 'k'.repeat(256)), 400, 'bad_request');
		expectStatus(await post(staff.access, `/v1/communities/${A.id}/invites`, { role: 'resident' }, 'k'.repeat(255)), 201);
		const g1 = await gw.request('GET', '/v1/me', { token: staff.access, headers: { 'Idempotency-Key': 'get-key' } });
		expectStatus(g1, 200);
		assert.equal(g1.headers['idempotent-replayed'], undefined);
	});
});

itest('write rate limits per user, per address and for registrations: 429 with Retry-After', async (h, t) => {
	const gw = await h.gateway({ config: { ...FAST, rate_writes_per_user: 5, rate_writes_per_ip: 40, rate_register_per_ip: 3 } });
	const admin = await h.mint(gw, 1000, { admin: true });
	const expect429 = (res, what, max) => {
		expectError(res, 429, 'rate_limited', undefined, what);
		const ra = Number(res.headers['retry-after']);
		assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= max, `${what}: Retry-After ${res.headers['retry-after']}`);
	};
	let u1, u2, u3, A;

	await h.sub(t, 'rate_register_per_ip: the fourth registration in the hour is refused', async () => {
		u1 = await register(gw);
		u2 = await register(gw);
		u3 = await register(gw);
		const r = await gw.request('POST', '/v1/auth/register', { body: { phone: '13700000001', password: 'long-enough-pw', display_name: 'late' } });
		expect429(r, 'fourth registration', 3600);
	});

	await h.sub(t, 'rate_writes_per_user: the sixth write in a minute is refused; reads and other users go on', async () => {
		A = await createCommunity(gw, admin, 'A');
		for (let i = 0; i < 20; i++) await invite(gw, admin, A.id); // admins are exempt
		const inv = await invite(gw, admin, A.id, { role: 'resident', max_uses: 10 });
		await join(gw, u1.access, A.id, inv.code); // write 1
		const put = (u) => gw.request('PUT', `/v1/communities/${A.id}/volunteer`,
			{ token: u.access, body: { categories: ['errand'], grids: [], active: true } });
		for (let i = 2; i <= 5; i++) expectStatus(await put(u1), 200, `write ${i}`);
		expect429(await put(u1), 'sixth write', 60);
		expect429(await gw.request('POST', '/v1/auth/logout', { token: u1.access }), 'any write', 60);
		expectStatus(await gw.request('GET', '/v1/me', { token: u1.access }), 200, 'reads are not limited');
		await join(gw, u2.access, A.id, inv.code);
		expectStatus(await put(u2), 200, 'another user');
		// Refused writes changed nothing: u1 is still logged in.
		expectStatus(await gw.request('GET', '/v1/me', { token: u1.access }), 200);
	});

	await h.sub(t, 'rate_writes_per_ip: unauthenticated writes from one address are refused past the limit', async () => {
		let refused = null, n = 0;
		for (; n < 50 && !refused; n++) {
			const r = await gw.request('POST', '/v1/auth/refresh', { body: { refresh_token: `garbage-${n}` } });
			if (r.status === 429) refused = r;
			else expectError(r, 401, 'unauthorized');
		}
		assert.ok(refused, 'refused within 50 writes');
		expect429(refused, `write ${n} from the address`, 60);
		t.diagnostic(`address limited after ${n} unauthenticated writes (plus the earlier ones; limit 40)`);
		// The address is limited for signed-in users too; admins are exempt.
		await join(gw, u3.access, A.id, (await invite(gw, admin, A.id)).code).then(
			() => assert.fail('u3 wrote past the address limit'),
			(e) => assert.match(e.message, /expected 200, got 429/));
		expectStatus(await gw.request('POST', `/v1/communities/${A.id}/invites`, { token: admin, body: { role: 'resident' } }), 201);
	});
});

itest('WebSocket: more than ws_max_msgs_per_s messages in a second closes with 4029', async (h) => {
	const gw = await h.gateway({ config: { ...FAST, ws_max_msgs_per_s: 10 } });
	const admin = await h.mint(gw, 1, { admin: true });
	const calm = await h.subscriber(gw, admin, 'user:1', { label: 'calm' });
	const c = await h.ws(gw, { token: admin, label: 'chatty' });
	await c.next({ op: 'hello' });
	await c.next({ op: 'authed' });
	// Ten in a burst is allowed.
	for (let i = 0; i < 10; i++) c.send({ op: 'ping', ref: i });
	await c.collect({ op: 'pong' }, 10, 3000);
	assert.ok(c.open);
	// The eleventh within the same second is not (if the second rolled
	// over, the next ten fill the new window).
	for (let i = 10; i < 40; i++) c.send({ op: 'ping', ref: i });
	const closed = await c.closed(3000);
	assert.equal(closed.code, 4029, JSON.stringify(closed));
	const pongs = c.frames.filter((f) => f.op === 'pong').length;
	assert.ok(pongs <= 20, `${pongs} pongs before the close`);
	// Unauthenticated sockets are limited as well.
	const anon = await h.ws(gw, { label: 'anon chatty' });
	for (let i = 0; i < 30; i++) anon.send({ op: 'ping' });
	assert.equal((await anon.closed(3000)).code, 4029);
	// Other sockets are untouched.
	const seq = await gw.publish(admin, 'user:1', 'notification', {});
	await calm.waitSeq('user:1', seq, 3000);
	assert.ok(calm.open);
});
