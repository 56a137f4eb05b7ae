// Verified phones: an SMS relay on loopback (lib/relay.mjs), codes read
// from what it received, and the sign-in flows that use them.
import assert from 'node:assert/strict';
import { FAST, PASSWORD, expectStatus, newPhone } from './accounts.mjs';
import { sql } from './harness.mjs';
import { Relay, RELAY_SECRET } from './relay.mjs';

export const SMS_CONFIG = { ...FAST, sms_resend_s: 1, sms_per_phone_per_day: 1000, sms_per_ip_per_hour: 100000 };

export async function smsRelay(h) {
	return new Relay('/sms').start(h);
}

export const smsConfig = (relay, extra = {}) => ({
	...SMS_CONFIG, sms_relay_url: relay.url, sms_relay_secret: RELAY_SECRET, ...extra,
});

// Asks for a code and returns it once the relay has it: {code, post, answer}.
// The phone's resend pacing (sms_resend_s, tested on its own) is reset
// first, so a test asking for many codes does not wait it out.
export async function askCode(gw, relay, phone, purpose, { token } = {}) {
	const before = relay.posts.length;
	await sql(gw, `DELETE FROM sms_pacing WHERE phone = '${phone}'`);
	const r = await gw.request('POST', '/v1/auth/sms', { token, body: { phone, purpose } });
	expectStatus(r, 202, `sms ${purpose} for ${phone}`);
	const posts = await relay.waitFor((ps) => ps.slice(before).some((p) => p.body?.phone === phone && p.body?.purpose === purpose),
		`the ${purpose} code for ${phone}`);
	const post = posts.slice(before).find((p) => p.body.phone === phone && p.body.purpose === purpose);
	assert.match(post.body.code, /^\d{6}$/);
	return { code: post.body.code, post, answer: r.json };
}

// Registers with a code (born verified): the session as lib/accounts.mjs gives.
export async function registerVerified(gw, relay, { phone = newPhone('137'), display_name, ...extra } = {}) {
	const { code } = await askCode(gw, relay, phone, 'register');
	const r = await gw.request('POST', '/v1/auth/register', {
		body: { phone, password: PASSWORD, display_name: display_name ?? `居民${phone.slice(-4)}`, code, ...extra },
	});
	expectStatus(r, 201, `register ${phone} with a code`);
	assert.equal(r.json.user.phone_verified, true, r.text);
	return { user: r.json.user, id: r.json.user.id, access: r.json.access_token, refresh: r.json.refresh_token, phone, password: PASSWORD };
}

// A wrong code for `code`: same length, different digits.
export const wrong = (code) => String((Number(code) + 1) % 1000000).padStart(6, '0');
