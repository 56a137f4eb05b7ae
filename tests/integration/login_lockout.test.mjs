// Password guessing: after login_max_failures failed logins for one phone
// (login_max_failures_ip for one address) within login_window_s, logins
// answer 429 with Retry-After, even with the right password, until
// login_lockout_s has passed. Unknown phones fail exactly like known ones,
// any string is a password to try (too short for the rules: 401, counted),
// and a registration answered "already registered" counts against the
// address like a failed login.
import assert from 'node:assert/strict';
import { itest, poll } from './lib/harness.mjs';
import { FAST, PASSWORD, newPhone, register, login, expectError, expectStatus } from './lib/accounts.mjs';

const LOCKOUT_S = 2;

function attempt(gw, phone, password) {
	return gw.request('POST', '/v1/auth/login', { body: { phone, password } });
}

function expectLocked(res, what, lockoutS = LOCKOUT_S) {
	const e = expectError(res, 429, 'rate_limited', undefined, what);
	const ra = Number(res.headers['retry-after']);
	assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= lockoutS, `${what}: Retry-After ${res.headers['retry-after']}`);
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
	// Registration from a locked address is refused too: were it open,
	// its 201 or 409 would tell the locked client which phones have accounts.
	expectLocked(await gw.request('POST', '/v1/auth/register',
		{ body: { phone: newPhone('135'), password: PASSWORD, display_name: '新邻居' } }), 'register from a locked address');
	const waited = await waitUnlocked(gw, users[1].phone, lockedAt);
	t.diagnostic(`address unlocked after ${waited} ms`);
	assert.ok(waited >= LOCKOUT_S * 1000 - 300, `unlocked after ${waited} ms`);
});

itest('a password too short or too long for the rules is a wrong one: 401, and it counts', async (h) => {
	const gw = await h.gateway({ config: { ...FAST, login_max_failures: 3, login_lockout_s: LOCKOUT_S, login_window_s: 60 } });
	const victim = await register(gw);
	for (const pw of ['1234', '', 'x'.repeat(200)])
		expectError(await attempt(gw, victim.phone, pw), 401, 'unauthorized', undefined, `password ${JSON.stringify(pw.slice(0, 8))}`);
	expectLocked(await attempt(gw, victim.phone, PASSWORD), 'three such guesses lock the phone');
	// A 128-byte prefix of a too-long password is not the password either.
	await waitUnlocked(gw, victim.phone, Date.now());
	const p128 = PASSWORD.repeat(9).slice(0, 128);
	const long = await register(gw, { password: p128 });
	expectError(await attempt(gw, long.phone, p128 + 'x'), 401, 'unauthorized', undefined, 'the 128-byte password plus one');
	await login(gw, long.phone, p128);
});

itest('per address: unregistered phones lock it after exactly login_max_failures_ip failures; "already registered" counts too', async (h) => {
	const gw = await h.gateway({ config: {
		...FAST, login_max_failures: 100, login_max_failures_ip: 4, login_lockout_s: 300, login_window_s: 60,
	} });
	const from = (addr) => ({ from: addr });
	const known = [];
	for (let i = 0; i < 3; i++) known.push(await register(gw));
	const loginFrom = (addr, phone, password = 'not-the-password') =>
		gw.request('POST', '/v1/auth/login', { body: { phone, password }, ...from(addr) });
	const registerFrom = (addr, phone) => gw.request('POST', '/v1/auth/register',
		{ body: { phone, password: PASSWORD, display_name: '新邻居' }, ...from(addr) });

	// Three failures of unregistered phones: not yet locked (the limit is 4).
	for (let i = 0; i < 3; i++) expectError(await loginFrom('127.0.0.5', newPhone('136')), 401, 'unauthorized', undefined, `failure ${i + 1}`);
	await login(gw, known[0].phone); // from 127.0.0.1: another address
	expectStatus(await loginFrom('127.0.0.5', known[0].phone, PASSWORD), 200, 'three failures do not lock the address');
	expectError(await loginFrom('127.0.0.5', newPhone('136')), 401, 'unauthorized', undefined, 'failure 4');
	expectLocked(await loginFrom('127.0.0.5', known[1].phone, PASSWORD), 'the fourth locks it', 300);

	// Probing registration: each "already registered" counts.
	for (let i = 0; i < 3; i++) {
		const r = await registerFrom('127.0.0.6', known[i].phone);
		expectError(r, 409, 'conflict', 'phone', `probe ${i + 1}`);
	}
	expectStatus(await registerFrom('127.0.0.6', newPhone('135')), 201, 'three probes: a real newcomer still registers');
	expectError(await registerFrom('127.0.0.6', known[0].phone), 409, 'conflict', 'phone', 'probe 4');
	expectLocked(await registerFrom('127.0.0.6', known[1].phone), 'a fifth probe is refused', 300);
	expectLocked(await registerFrom('127.0.0.6', newPhone('135')), 'and so is any registration from there', 300);
	expectLocked(await loginFrom('127.0.0.6', known[2].phone, PASSWORD), 'and logins', 300);
	// Another client is not affected.
	expectStatus(await registerFrom('127.0.0.7', newPhone('135')), 201, 'another address registers');
});
