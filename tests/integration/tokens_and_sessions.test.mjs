// Access tokens, refresh rotation and sessions. A refresh token is single
// use; presenting a spent one revokes its whole session (access tokens 401,
// sockets closed 4001, on this process at once and on others within
// session_check_ms). Logout does the same for one session only. Expired and
// tampered tokens get 401 over HTTP and 4001 over WebSocket.
import assert from 'node:assert/strict';
import path from 'node:path';
import { itest, poll } from './lib/harness.mjs';
import { FAST, register, login, expectError, expectStatus, me, tamper } from './lib/accounts.mjs';

// gw1 checks revocations rarely: a close within a second there is the
// immediate one. gw2 (same database) finds them with its periodic check.
const GW1 = { ...FAST, session_check_ms: 5000 };
const GW2_CHECK_MS = 300;
const GW2 = { ...FAST, session_check_ms: GW2_CHECK_MS };

async function refresh(gw, token) {
	return gw.request('POST', '/v1/auth/refresh', { body: { refresh_token: token } });
}

// A socket authenticated with token and subscribed to the user's channel.
async function liveSocket(h, gw, token, uid, label) {
	return h.subscriber(gw, token, `user:${uid}`, { label });
}

async function stillAlive(c) {
	const ref = `alive-${Math.random().toString(36).slice(2)}`;
	c.send({ op: 'ping', ref });
	await c.next({ op: 'pong', ref }, 3000);
	assert.ok(c.open, `${c.label} is open`);
}

itest('refresh rotation, reuse detection, logout, expiry and tampering', async (h, t) => {
	const gw1 = await h.gateway({ name: 'gw1', config: GW1 });
	const gw2 = await h.gateway({ name: 'gw2', config: GW2, db: gw1.db });
	const admin = await h.mint(gw1, 100000, { admin: true });
	const step = (name, fn) => h.sub(t, name, fn);
	const user = await register(gw1);

	let first, r1, r2;
	await step('refresh answers a new pair; each refresh token works once', async () => {
		first = user;
		const a = await refresh(gw1, first.refresh);
		expectStatus(a, 200, 'refresh #1');
		r1 = a.json;
		assert.equal(r1.user.id, user.id);
		assert.equal(r1.user.phone, user.phone, 'own phone unmasked');
		assert.notEqual(r1.refresh_token, first.refresh, 'rotated');
		assert.match(r1.refresh_token, /^[A-Za-z0-9_-]{43}$/);
		assert.ok(r1.access_expires_at > Date.now());
		assert.equal((await me(gw1, r1.access_token)).user.id, user.id);
		// The second gateway on the same database honours it too.
		assert.equal((await me(gw2, r1.access_token)).user.id, user.id);
		const b = await refresh(gw2, r1.refresh_token);
		expectStatus(b, 200, 'refresh #2 on the other process');
		r2 = b.json;
		assert.notEqual(r2.refresh_token, r1.refresh_token);
		// Garbage and missing tokens.
		expectError(await refresh(gw1, 'x'.repeat(43)), 401, 'unauthorized', 'refresh_token');
		expectError(await gw1.request('POST', '/v1/auth/refresh', { body: {} }), 400, 'bad_request', 'refresh_token');
		expectError(await gw1.request('POST', '/v1/auth/refresh', { body: { refresh_token: 42 } }), 400, 'bad_request', 'refresh_token');
	});

	await step('a spent refresh token revokes the session: 401s, sockets closed 4001 on both processes', async () => {
		const other = await login(gw1, user.phone);          // another session of the same user
		const here = await liveSocket(h, gw1, r2.access_token, user.id, 'session on gw1');
		const there = await liveSocket(h, gw2, r2.access_token, user.id, 'session on gw2');
		const bystander = await liveSocket(h, gw1, other.access, user.id, 'other session');
		const t0 = Date.now();
		// The first refresh token was spent by refresh #1: someone has a copy.
		const reuse = await refresh(gw1, first.refresh);
		expectError(reuse, 401, 'unauthorized', 'refresh_token');
		const hereClosed = await here.closed(2000);
		const hereMs = Date.now() - t0;
		assert.equal(hereClosed.code, 4001, `gw1 socket: ${JSON.stringify(hereClosed)}`);
		const thereClosed = await there.closed(GW2_CHECK_MS + 3000);
		const thereMs = Date.now() - t0;
		assert.equal(thereClosed.code, 4001, `gw2 socket: ${JSON.stringify(thereClosed)}`);
		t.diagnostic(`reuse: socket on the same process closed after ${hereMs} ms, on the other after ${thereMs} ms (session_check_ms ${GW2_CHECK_MS})`);
		// Every token of the session is dead, on both processes.
		for (const [g, name] of [[gw1, 'gw1'], [gw2, 'gw2']]) {
			expectError(await g.request('GET', '/v1/me', { token: r2.access_token }), 401, 'unauthorized', undefined, `latest access on ${name}`);
			expectError(await g.request('GET', '/v1/me', { token: r1.access_token }), 401, 'unauthorized', undefined, `older access on ${name}`);
		}
		expectError(await refresh(gw1, r2.refresh_token), 401, 'unauthorized', 'refresh_token');
		const late = await h.ws(gw1, { token: r2.access_token, label: 'revoked session, new socket' });
		assert.equal((await late.closed(3000)).code, 4001);
		assert.ok(!late.frames.some((f) => f.op === 'authed'));
		// The user's other session is untouched.
		await stillAlive(bystander);
		assert.equal((await me(gw1, other.access)).user.id, user.id);
		expectStatus(await refresh(gw1, other.refresh), 200, 'the other session refreshes');
		// Logging in again works.
		await login(gw1, user.phone);
	});

	await step('logout: 204, that session ends at once here and within session_check_ms there; others live', async () => {
		const s1 = await login(gw1, user.phone);
		const s2 = await login(gw1, user.phone);
		const c1 = await liveSocket(h, gw1, s1.access, user.id, 's1 on gw1');
		const c1b = await liveSocket(h, gw2, s1.access, user.id, 's1 on gw2');
		const c2 = await liveSocket(h, gw1, s2.access, user.id, 's2 on gw1');
		const t0 = Date.now();
		const out = await gw1.request('POST', '/v1/auth/logout', { token: s1.access });
		expectStatus(out, 204, 'logout');
		assert.equal(out.text, '', 'no body');
		const closed = await c1.closed(1000);
		const hereMs = Date.now() - t0;
		assert.equal(closed.code, 4001, JSON.stringify(closed));
		assert.ok(hereMs < 1000, `closed on the same process after ${hereMs} ms, well before its session_check_ms 5000`);
		const closedThere = await c1b.closed(GW2_CHECK_MS + 3000);
		assert.equal(closedThere.code, 4001, JSON.stringify(closedThere));
		t.diagnostic(`logout: same-process socket closed after ${hereMs} ms, other process after ${Date.now() - t0} ms`);
		expectError(await gw1.request('GET', '/v1/me', { token: s1.access }), 401, 'unauthorized');
		expectError(await gw2.request('GET', '/v1/me', { token: s1.access }), 401, 'unauthorized');
		expectError(await gw1.request('POST', '/v1/auth/logout', { token: s1.access }), 401, 'unauthorized', undefined, 'second logout');
		expectError(await refresh(gw1, s1.refresh), 401, 'unauthorized', 'refresh_token');
		// s2 goes on: its socket gets events, its tokens work.
		await stillAlive(c2);
		const seq = await gw1.publish(admin, `user:${user.id}`, 'notification', { n: 1 });
		await c2.waitSeq(`user:${user.id}`, seq, 3000);
		assert.equal((await me(gw1, s2.access)).user.id, user.id);
		expectStatus(await refresh(gw1, s2.refresh), 200, 's2 refreshes');
		expectError(await gw1.request('POST', '/v1/auth/logout'), 401, 'unauthorized', undefined, 'logout without a token');
	});

	await step('the same refresh token raced on both processes: one wins, one retry passes, the rest revoke', async () => {
		const s = await login(gw1, user.phone);
		const answers = await Promise.all([refresh(gw1, s.refresh), refresh(gw2, s.refresh), refresh(gw1, s.refresh), refresh(gw2, s.refresh)]);
		const statuses = answers.map((a) => a.status);
		t.diagnostic(`racing refreshes answered ${statuses.join(', ')}`);
		// The first rotates; the second is taken as the retry of a lost
		// answer (refresh_reuse_grace_s) and rotates once more; the others
		// present a token already retried: theft, the session is revoked.
		assert.equal(statuses.filter((x) => x === 200).length, 2, `two 200s: ${statuses}`);
		assert.equal(statuses.filter((x) => x === 401).length, 2, `the others 401: ${statuses}`);
		for (const won of answers.filter((a) => a.status === 200).map((a) => a.json)) {
			expectError(await gw1.request('GET', '/v1/me', { token: won.access_token }), 401, 'unauthorized');
			expectError(await refresh(gw1, won.refresh_token), 401, 'unauthorized', 'refresh_token');
		}
	});

	await step('an expired access token: 401 over HTTP, 4001 on a live socket and on a new one', async () => {
		const short = await h.mint(gw1, user.id, { ttl: 1 });
		const live = await h.ws(gw1, { token: short, label: 'expiring socket' });
		await live.next({ op: 'hello' });
		const closed = await live.closed(5000);
		assert.equal(closed.code, 4001, JSON.stringify(closed));
		const err = await poll(async () => {
			const r = await gw1.request('GET', '/v1/me', { token: short });
			if (r.status === 401) return r;
			assert.equal(r.status, 200, `before expiry: ${r.status} ${r.text}`);
			return null;
		}, { timeoutMs: 4000, intervalMs: 100, what: 'the 1 s token to be refused' });
		expectError(err, 401, 'unauthorized');
		assert.match(err.json.error.message, /expired/);
		const again = await h.ws(gw1, { token: short, label: 'expired token, new socket' });
		assert.equal((await again.closed(3000)).code, 4001);
		assert.ok(!again.frames.some((f) => f.op === 'authed'));
	});

	await step('tampered tokens: 401 over HTTP, 4001 over WebSocket', async () => {
		const s = await login(gw1, user.phone);
		const parts = s.access.split('.');
		const other = await h.tmpdir('linli-other-');
		const foreign = await h.mint(path.join(other, 'other.db'), user.id);
		const variants = {
			'signature char flipped': tamper(s.access),
			'first signature char flipped': tamper(s.access, parts.slice(0, 4).join('.').length + 1),
			'user id changed': [parts[0], String(Number(parts[1]) + 1), ...parts.slice(2)].join('.'),
			'session id changed': [parts[0], parts[1], '0', parts[3], parts[4]].join('.'),
			'expiry extended': [parts[0], parts[1], parts[2], String(Number(parts[3]) + 86400), parts[4]].join('.'),
			'signature dropped': parts.slice(0, 4).join('.') + '.',
			'truncated': s.access.slice(0, -1),
			'signed by another database': foreign,
			'not a token': 'hello',
		};
		for (const [what, tok] of Object.entries(variants)) {
			expectError(await gw1.request('GET', '/v1/me', { token: tok }), 401, 'unauthorized', undefined, what);
			const c = await h.ws(gw1, { token: tok, label: `tampered: ${what}` });
			const cl = await c.closed(3000);
			assert.equal(cl.code, 4001, `${what}: ${JSON.stringify(cl)}`);
			assert.ok(!c.frames.some((f) => f.op === 'authed'), `${what}: never authed`);
		}
		// Without the Bearer scheme.
		expectError(await gw1.request('GET', '/v1/me', { headers: { Authorization: s.access } }), 401, 'unauthorized');
		// A good socket that re-authenticates with a tampered token is closed.
		const good = await liveSocket(h, gw1, s.access, user.id, 're-auth');
		good.send({ op: 'auth', token: tamper(s.access) });
		assert.equal((await good.closed(3000)).code, 4001);
		// The genuine token still works.
		assert.equal((await me(gw1, s.access)).user.id, user.id);
	});
});
