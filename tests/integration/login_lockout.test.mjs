// Password guessing: after login_max_failures failed logins for one phone
// (login_max_failures_ip for one address) within login_window_s, logins
// answer 429 with Retry-After, even with the right password, until
// login_lockout_s has passed. Unknown phones fail exactly like known ones.
import assert from 'node:assert/strict';
import { itest, poll } from './lib/harness.mjs';
import { FAST, PASSWORD, newPhone, register, login, expectError, expectStatus } from './lib/accounts.mjs';

const LOCKOUT_S = 2;

function attempt(gw, phone, password) {
	return gw.request('POST', '/v1/auth/login', { body: { phone, password } });
}

function expectLocked(res, what) {
	const e = expectError(res, 429, 'rate_limited', undefined, what);
	const ra = Number(res.headers['retry-after']);
	assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= LOCKOUT_S, `${what}: Retry-After ${res.headers['retry-after']}`);
	return e;
}

// Polls with the right password until the lock-out ends; returns the time
// from lockedAt to the first success.
async function waitUnlocked(gw, phone, lockedAt) {
	await poll(async () => {
		const r = await attempt(gw, phone, PASSWORD);
		if (r.status === 429) return null;
		expectStatus(r, 200, 'login after the lock-out');
		return true;
	}, { timeoutMs: LOCKOUT_S * 1000 + 3000, intervalMs: 100, what: `${phone} to be unlocked` });
	return Date.now() - lockedAt;
}

itest('per phone: locked after login_max_failures, right password included; unlocked after login_lockout_s', async (h, t) => {
	const gw = await h.gateway({ config: { ...FAST, login_max_failures: 3, login_lockout_s: LOCKOUT_S, login_window_s: 60 } });
	const victim = await register(gw);
	const bystander = await register(gw);
	const unknown = newPhone('137');

	await h.sub(t, 'three wrong passwords: 401, 401, 401; then 429 even with the right one', async () => {
		const bodies = [];
		for (let i = 1; i <= 3; i++) {
			const r = await attempt(gw, victim.phone, `wrong-password-${i}`);
			bodies.push(expectError(r, 401, 'unauthorized', undefined, `failure ${i}`));
		}
		const lockedAt = Date.now();
		expectLocked(await attempt(gw, victim.phone, PASSWORD), 'right password while locked');
		expectLocked(await attempt(gw, victim.phone, 'wrong-again'), 'wrong password while locked');
		// Any spelling of the number is the same number.
		expectLocked(await attempt(gw, `+86 ${victim.phone.slice(0, 3)}-${victim.phone.slice(3)}`, PASSWORD), 'other spelling');
		// Other phones are not affected.
		await login(gw, bystander.phone);
		const waited = await waitUnlocked(gw, victim.phone, lockedAt);
		t.diagnostic(`first successful login ${waited} ms after the lock (login_lockout_s ${LOCKOUT_S})`);
		assert.ok(waited >= LOCKOUT_S * 1000 - 300, `unlocked after ${waited} ms, before login_lockout_s`);
		// A success clears the count: two more failures do not lock.
		for (let i = 0; i < 2; i++) expectError(await attempt(gw, victim.phone, 'nope-nope'), 401, 'unauthorized');
		await login(gw, victim.phone);
	});

	await h.sub(t, 'an unknown phone fails the same way, and is locked the same way', async () => {
		const known = [];
		const unknownErr = [];
		for (let i = 1; i <= 3; i++) {
			unknownErr.push(expectError(await attempt(gw, unknown, `guess-${i}-guess`), 401, 'unauthorized', undefined, `unknown ${i}`));
		}
		known.push(expectError(await attempt(gw, bystander.phone, 'guess-0-guess'), 401, 'unauthorized'));
		assert.deepEqual(unknownErr[0], known[0], 'same error for unknown phone and wrong password');
		expectLocked(await attempt(gw, unknown, 'guess-4-guess'), 'unknown phone locked');
		// Registering that number is still possible, and the lock follows the number.
		const s = await register(gw, { phone: unknown });
		expectLocked(await attempt(gw, unknown, s.password), 'new account on a locked number');
		await waitUnlocked(gw, unknown, Date.now());
	});
});

itest('per address: login_max_failures_ip failures across phones lock the address', async (h, t) => {
	const gw = await h.gateway({ config: {
		...FAST, login_max_failures: 100, login_max_failures_ip: 4, login_lockout_s: LOCKOUT_S, login_window_s: 60,
	} });
	const users = [];
	for (let i = 0; i < 2; i++) users.push(await register(gw));
	// Four failures, each on a different phone: none reaches the per-phone limit.
	const phones = [users[0].phone, newPhone('136'), newPhone('136'), newPhone('136')];
	for (const p of phones) expectError(await attempt(gw, p, 'not-the-password'), 401, 'unauthorized');
	const lockedAt = Date.now();
	expectLocked(await attempt(gw, users[1].phone, PASSWORD), 'right password from a locked address');
	// Registration is not a login: still open.
	await register(gw);
	const waited = await waitUnlocked(gw, users[1].phone, lockedAt);
	t.diagnostic(`address unlocked after ${waited} ms`);
	assert.ok(waited >= LOCKOUT_S * 1000 - 300, `unlocked after ${waited} ms`);
});
