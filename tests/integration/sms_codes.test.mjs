// Verification codes by SMS: a relay on loopback gets one signed POST per
// code; the code registers (born verified), logs in, resets a forgotten
// password (other sessions closed with 4001), changes the phone; wrong
// codes kill it after 5 tries; an expired or used code, or one for another
// purpose, is refused; the answer never tells whether a phone has an
// account; resends are paced.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ENGINE_NEUTRAL, itest, poll, sql } from './lib/harness.mjs';
import { PASSWORD, expectError, expectStatus, login, me, newPhone, register } from './lib/accounts.mjs';
import { askCode, registerVerified, smsConfig, smsRelay, wrong } from './lib/phones.mjs';
import { signatureValid } from './lib/relay.mjs';

itest('a code per POST, signed; it registers, logs in, resets and changes the phone', async (h) => {
	const relay = await smsRelay(h);
	const gw = await h.gateway({ config: smsConfig(relay, { session_check_ms: 200 }) });
	const phone = newPhone('137');

	// Register with a code: one signed POST, born verified.
	const { code, post, answer } = await askCode(gw, relay, phone, 'register');
	assert.ok(signatureValid(post), post.headers['x-linli-signature']);
	assert.equal(post.url, '/sms');
	assert.deepEqual(Object.keys(post.body).sort(), ['code', 'phone', 'purpose', 'ttl_s']);
	assert.ok(post.body.ttl_s > 290 && post.body.ttl_s <= 300, post.raw);
	assert.ok(Number(post.headers['x-linli-delivery']) > 0);
	assert.equal(post.headers['x-linli-attempt'], '1');
	assert.ok(answer.expires_at > Date.now() + 290000 && answer.resend_after_ms === 1000, JSON.stringify(answer));
	assert.equal(await sql(gw, `SELECT count(*) FROM sms_codes WHERE phone = '${phone}'`), '1');
	assert.equal(await sql(gw, `SELECT length(code_hash) FROM sms_codes WHERE phone = '${phone}'`), '32',
		'a 32-byte keyed hash is stored');
	assert.doesNotMatch(await sql(gw, `SELECT phone || purpose || ip || created_at || expires_at FROM sms_codes`),
		new RegExp(code), 'and never the code');
	let r = await gw.request('POST', '/v1/auth/register', { body: { phone, password: PASSWORD, display_name: '新居民', code } });
	expectStatus(r, 201, 'register with the code');
	assert.equal(r.json.user.phone_verified, true);
	const first = { access: r.json.access_token, id: r.json.user.id };
	assert.equal((await me(gw, first.access)).user.phone_verified, true);
	// The same code again: spent.
	r = await gw.request('POST', '/v1/auth/register', { body: { phone: newPhone('137'), password: PASSWORD, display_name: 'x', code } });
	expectError(r, 400, 'bad_request', 'code', 'a code for another phone');

	// 验证码登录: a login code; the register code does not serve as one.
	r = await gw.request('POST', '/v1/auth/login', { body: { phone, code } });
	expectError(r, 401, 'unauthorized', 'code', 'a spent register code does not log in');
	const lc = await askCode(gw, relay, phone, 'login');
	r = await gw.request('POST', '/v1/auth/login', { body: { phone, code: lc.code } });
	expectStatus(r, 200, 'login by code');
	assert.equal(r.json.user.id, first.id);
	r = await gw.request('POST', '/v1/auth/login', { body: { phone, code: lc.code } });
	expectError(r, 401, 'unauthorized', 'code', 'a login code serves once');

	// Reset: other sessions revoked, their sockets closed with 4001.
	const sock = await h.subscriber(gw, first.access, `user:${first.id}`);
	const rc = await askCode(gw, relay, phone, 'reset');
	r = await gw.request('POST', '/v1/auth/reset', { body: { phone, code: rc.code, password: 'a-new-password-2026' } });
	expectStatus(r, 200, 'reset');
	const after = r.json.access_token;
	assert.equal((await sock.closed(5000)).code, 4001, 'the old session\'s socket is closed 4001');
	expectError(await gw.request('GET', '/v1/me', { token: first.access }), 401, 'unauthorized', undefined, 'old session revoked');
	expectStatus(await gw.request('GET', '/v1/me', { token: after }), 200, 'the new session works');
	await assert.rejects(login(gw, phone, PASSWORD), /401/, 'the old password is gone');
	await login(gw, phone, 'a-new-password-2026');

	// Change phone: the code goes to the new phone; sessions stay.
	const next = newPhone('137');
	const cc = await askCode(gw, relay, next, 'change_phone', { token: after });
	r = await gw.request('POST', '/v1/me/phone', { token: after, body: { phone: next, code: cc.code } });
	expectStatus(r, 200, 'change phone');
	assert.equal(r.json.user.phone, next);
	assert.equal(r.json.user.phone_verified, true);
	expectStatus(await gw.request('GET', '/v1/me', { token: after }), 200, 'the session stays');
	await login(gw, next, 'a-new-password-2026');
	// The old number is free again; a taken one answers 409.
	const other = await register(gw, { phone });
	const taken = await askCode(gw, relay, phone, 'change_phone', { token: after });
	r = await gw.request('POST', '/v1/me/phone', { token: after, body: { phone, code: taken.code } });
	expectError(r, 409, 'conflict', 'phone', 'that phone has an account');
	assert.ok(other.id);
	// A change_phone code asked by someone else does not serve.
	const third = newPhone('137');
	const mine = await askCode(gw, relay, third, 'change_phone', { token: other.access });
	r = await gw.request('POST', '/v1/me/phone', { token: after, body: { phone: third, code: mine.code } });
	expectError(r, 400, 'bad_request', 'code', 'someone else\'s code');
});

itest('wrong codes kill a code after 5 tries; an expired code is refused; a purpose is one purpose', async (h) => {
	const relay = await smsRelay(h);
	const gw = await h.gateway({ config: smsConfig(relay) });
	const s = await registerVerified(gw, relay);

	const { code } = await askCode(gw, relay, s.phone, 'login');
	for (let i = 0; i < 5; i++)
		expectError(await gw.request('POST', '/v1/auth/login', { body: { phone: s.phone, code: wrong(code) } }),
			401, 'unauthorized', 'code', `wrong try ${i + 1}`);
	expectError(await gw.request('POST', '/v1/auth/login', { body: { phone: s.phone, code } }),
		401, 'unauthorized', 'code', 'the right code after 5 wrong tries');
	assert.equal(await sql(gw, `SELECT tries FROM sms_codes WHERE phone = '${s.phone}' AND purpose = 'login'`), '5');

	// A fresh code works; then one that expired does not.
	const fresh = await askCode(gw, relay, s.phone, 'login');
	expectStatus(await gw.request('POST', '/v1/auth/login', { body: { phone: s.phone, code: fresh.code } }), 200, 'a fresh code');
	const old = await askCode(gw, relay, s.phone, 'login');
	await sql(gw, `UPDATE sms_codes SET expires_at = ${Date.now() - 1} WHERE phone = '${s.phone}' AND used_at IS NULL`);
	expectError(await gw.request('POST', '/v1/auth/login', { body: { phone: s.phone, code: old.code } }),
		401, 'unauthorized', 'code', 'an expired code');

	// A reset code neither logs in nor verifies; the newest code counts.
	const reset = await askCode(gw, relay, s.phone, 'reset');
	expectError(await gw.request('POST', '/v1/auth/login', { body: { phone: s.phone, code: reset.code } }),
		401, 'unauthorized', 'code', 'a reset code used to log in');
	expectError(await gw.request('POST', '/v1/me/verify', { token: s.access, body: { code: reset.code } }),
		400, 'bad_request', 'code', 'a reset code used to verify');
	const a = await askCode(gw, relay, s.phone, 'login');
	const b = await askCode(gw, relay, s.phone, 'login');
	if (a.code !== b.code)
		expectError(await gw.request('POST', '/v1/auth/login', { body: { phone: s.phone, code: a.code } }),
			401, 'unauthorized', 'code', 'an older code once a newer one was sent');
	expectStatus(await gw.request('POST', '/v1/auth/login', { body: { phone: s.phone, code: b.code } }), 200, 'the newest code');

	// Bad input names the field.
	for (const [body, field] of [
		[{ phone: s.phone, purpose: 'spam' }, 'purpose'], [{ phone: '12345', purpose: 'login' }, 'phone'],
		[{ purpose: 'login' }, 'phone'], [{ phone: s.phone }, 'purpose'], [{ phone: s.phone, purpose: 7 }, 'purpose'],
	])
		expectError(await gw.request('POST', '/v1/auth/sms', { body }), 400, 'bad_request', field, JSON.stringify(body));
	for (const code of ['12345', '1234567', 'abcdef', '12 456'])
		expectError(await gw.request('POST', '/v1/auth/login', { body: { phone: s.phone, code } }), 400, 'bad_request', 'code', code);
	expectError(await gw.request('POST', '/v1/auth/sms', { body: { phone: s.phone, purpose: 'verify' } }),
		401, 'unauthorized', undefined, 'verify needs a session');
	expectError(await gw.request('POST', '/v1/auth/sms', { token: s.access, body: { phone: newPhone('137'), purpose: 'verify' } }),
		400, 'bad_request', 'phone', 'verify goes to one\'s own phone');
});

itest('the answer is the same for a phone with and without an account; resends are paced and counted', async (h) => {
	const relay = await smsRelay(h);
	const gw = await h.gateway({ config: smsConfig(relay, { sms_resend_s: 60, sms_per_phone_per_day: 3, sms_per_ip_per_hour: 8 }) });
	const known = await register(gw);
	const unknown = newPhone('136');
	const shape = (r) => [r.status, Object.keys(r.json).sort().join(','), r.json.resend_after_ms,
		Math.round((r.json.expires_at - Date.now()) / 10000)];
	for (const purpose of ['login', 'reset', 'register']) {
		await sql(gw, 'DELETE FROM sms_pacing');
		const a = await gw.request('POST', '/v1/auth/sms', { body: { phone: known.phone, purpose } });
		const b = await gw.request('POST', '/v1/auth/sms', { body: { phone: unknown, purpose } });
		assert.deepEqual(shape(a), shape(b), `${purpose}: ${a.text} vs ${b.text}`);
		assert.equal(a.status, 202);
	}
	// Login and reset codes go only to phones with an account.
	await relay.waitFor((ps) => ps.filter((p) => p.body.phone === known.phone).length === 3 &&
		ps.some((p) => p.body.phone === unknown), 'three codes to the known phone, one to the other');
	assert.deepEqual(relay.posts.filter((p) => p.body.phone === unknown).map((p) => p.body.purpose), ['register']);

	// Resend before sms_resend_s: 429 with Retry-After, for both alike.
	for (const phone of [known.phone, unknown]) {
		const r = await gw.request('POST', '/v1/auth/sms', { body: { phone, purpose: 'login' } });
		expectError(r, 429, 'rate_limited', undefined, 'resend too soon');
		const wait = Number(r.headers['retry-after']);
		assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
	}
	// Three a day per phone: the fourth is refused even after the pacing.
	await sql(gw, 'DELETE FROM sms_pacing');
	const r4 = await gw.request('POST', '/v1/auth/sms', { body: { phone: known.phone, purpose: 'login' } });
	expectError(r4, 429, 'rate_limited', undefined, 'sms_per_phone_per_day');
	assert.ok(Number(r4.headers['retry-after']) > 3600, r4.headers['retry-after']);
	// Eight an hour from one address: six so far, two more, then 429.
	for (let i = 0; i < 2; i++)
		expectStatus(await gw.request('POST', '/v1/auth/sms', { body: { phone: newPhone('135'), purpose: 'register' } }), 202);
	const r9 = await gw.request('POST', '/v1/auth/sms', { body: { phone: newPhone('135'), purpose: 'register' } });
	expectError(r9, 429, 'rate_limited', undefined, 'sms_per_ip_per_hour');
	assert.ok(Number(r9.headers['retry-after']) > 3000, r9.headers['retry-after']);
});

itest('a failing relay is retried until it takes the code; no relay: the code goes to the log', ENGINE_NEUTRAL, async (h) => {
	const relay = await smsRelay(h);
	const gw = await h.gateway({ config: smsConfig(relay) });
	relay.script.push(503, 500);
	const phone = newPhone('137');
	expectStatus(await gw.request('POST', '/v1/auth/sms', { body: { phone, purpose: 'register' } }), 202);
	await relay.waitFor((ps) => ps.filter((p) => p.body.phone === phone).length === 3, 'three attempts');
	const tries = relay.posts.filter((p) => p.body.phone === phone);
	assert.deepEqual(tries.map((p) => p.status), [503, 500, 200]);
	assert.deepEqual(tries.map((p) => p.headers['x-linli-attempt']), ['1', '2', '3']);
	assert.equal(new Set(tries.map((p) => p.headers['x-linli-delivery'])).size, 1);
	assert.equal(new Set(tries.map((p) => p.body.code)).size, 1, 'the same code each time');
	// The relay has the third POST a moment before the gateway has its answer.
	await poll(async () => (await gw.metric('linli_sms_delivered_total')) === 1, { what: 'the delivery counted' });
	assert.equal(await gw.metric('linli_sms_failures_total'), 2);

	// Without a relay: a warning at start, and the code in the log.
	const dev = await h.gateway({ config: { scrypt_log2_n: 10, sms_resend_s: 1 } });
	const p2 = newPhone('137');
	expectStatus(await dev.request('POST', '/v1/auth/sms', { body: { phone: p2, purpose: 'register' } }), 202);
	const log = () => fs.readFileSync(dev.logPath, 'utf8');
	let found = null;
	await poll(() => (found = /register code (\d{6}) for 137\*\*\*\*/.exec(log())), { what: 'the code in the log' });
	assert.match(log(), /no sms_relay_url: verification codes are written to this log/);
	const r = await dev.request('POST', '/v1/auth/register', { body: { phone: p2, password: PASSWORD, display_name: '开发', code: found[1] } });
	expectStatus(r, 201, 'the logged code registers');
	assert.doesNotMatch(log(), new RegExp(p2), 'the full phone number is never logged');
});
