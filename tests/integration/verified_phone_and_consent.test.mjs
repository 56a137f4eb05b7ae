// require_verified_phone: an account whose phone no code has proven reads
// but cannot post, vote, report, ask for help or claim (403
// phone_unverified) until it verifies. privacy_policy_version: register
// needs the current consent_version; a new version makes every write 403
// consent_required until the member agrees again, each consent kept with
// its time and address.
import assert from 'node:assert/strict';
import { itest, sql } from './lib/harness.mjs';
import { PASSWORD, addMember, expectError, expectStatus, me, newPhone, register } from './lib/accounts.mjs';
import { FORUM_CONFIG, createConsultation, createPost, createThread, forumWorld } from './lib/forums.mjs';
import { HELP, createHelp, volunteer } from './lib/help.mjs';
import { askCode, registerVerified, smsConfig, smsRelay } from './lib/phones.mjs';

// Each write a member makes, as [what, method, path, body].
function writes(A, thread, consultation, post, help) {
	return [
		['post', 'POST', `/v1/threads/${thread.id}/posts`, { body: '我也同意' }],
		['vote', 'POST', `/v1/threads/${consultation.id}/vote`, { option: 0 }],
		['report', 'POST', `/v1/posts/${post.id}/report`, { reason: '广告' }],
		['ask for help', 'POST', `/v1/communities/${A.id}/help`, HELP],
		['claim', 'POST', `/v1/help/${help.id}/claim`, undefined],
		['start a thread', 'POST', `/v1/communities/${A.id}/threads`, { title: '新话题', body: '内容', kind: 'discussion' }],
	];
}

itest('require_verified_phone: an unverified account reads but cannot write until it verifies', async (h) => {
	const relay = await smsRelay(h);
	// A world made while codes were not required: its accounts are unverified.
	const gw = await h.gateway({ config: smsConfig(relay) });
	const { admin, A, staff, residents: [writer, unverified] } = await forumWorld(gw, { residents: 2, other: false });
	const thread = await createThread(gw, writer.access, A.id);
	const consultation = await createConsultation(gw, staff.access, A.id);
	const post = await createPost(gw, writer.access, thread.id, '第一条');
	const help = await createHelp(gw, writer, A.id);
	await volunteer(gw, unverified, A.id);
	await gw.restart({ config: smsConfig(relay, { require_verified_phone: true }) });

	// Register now needs a code.
	expectError(await gw.request('POST', '/v1/auth/register', { body: { phone: newPhone(), password: PASSWORD, display_name: '无码' } }),
		400, 'bad_request', 'code', 'register without a code');
	const fresh = await registerVerified(gw, relay);
	await addMember(gw, admin.access, A.id, fresh);

	// Reads work.
	expectStatus(await gw.request('GET', `/v1/threads/${thread.id}/posts`, { token: unverified.access }), 200, 'read posts');
	expectStatus(await gw.request('GET', `/v1/communities/${A.id}/help`, { token: unverified.access }), 200, 'read help');
	assert.equal((await me(gw, unverified.access)).user.phone_verified, false);
	// Every write: 403 phone_unverified, and nothing stored.
	const count = () => sql(gw, 'SELECT (SELECT count(*) FROM posts) + (SELECT count(*) FROM votes) + ' +
		'(SELECT count(*) FROM reports) + (SELECT count(*) FROM help_requests) + (SELECT count(*) FROM threads)');
	const before = await count();
	for (const [what, method, path, body] of writes(A, thread, consultation, post, help)) {
		const r = await gw.request(method, path, { token: unverified.access, body });
		const e = expectError(r, 403, 'forbidden', undefined, what);
		assert.equal(e.reason, 'phone_unverified', `${what}: ${r.text}`);
	}
	assert.equal(await count(), before, 'nothing was written');
	// Staff and the verified newcomer are unverified / verified alike.
	expectError(await gw.request('POST', `/v1/threads/${thread.id}/posts`, { token: staff.access, body: { body: '通知' } }), 403, 'forbidden');
	await createPost(gw, fresh.access, thread.id, '新居民的帖子');

	// Verify: the code goes to the account's own phone; then every write works.
	const { code } = await askCode(gw, relay, unverified.phone, 'verify', { token: unverified.access });
	const r = await gw.request('POST', '/v1/me/verify', { token: unverified.access, body: { code } });
	expectStatus(r, 200, 'verify');
	assert.equal(r.json.user.phone_verified, true);
	for (const [what, method, path, body] of writes(A, thread, consultation, post, help))
		assert.ok([200, 201].includes((await gw.request(method, path, { token: unverified.access, body })).status), what);
	// An admin (operator) is not held to it.
	expectStatus(await gw.request('POST', '/v1/communities', { token: admin.access, body: { name: '新社区', grids: ['一'] } }), 201);
});

itest('privacy_policy_version: consent at registration, and again after a change, before any write', async (h) => {
	const cfg = (v) => ({ ...FORUM_CONFIG, privacy_policy_version: v });
	const gw = await h.gateway({ config: cfg('2026-12') });
	const phone = newPhone();
	const body = { phone, password: PASSWORD, display_name: '同意者' };
	expectError(await gw.request('POST', '/v1/auth/register', { body }), 400, 'bad_request', 'consent_version', 'no consent');
	expectError(await gw.request('POST', '/v1/auth/register', { body: { ...body, consent_version: '2026-01' } }),
		400, 'bad_request', 'consent_version', 'an old version');
	let r = await gw.request('POST', '/v1/auth/register', { body: { ...body, consent_version: '2026-12' }, headers: { 'user-agent': 'linli-test/1' } });
	expectStatus(r, 201, 'register with consent');
	const s = { access: r.json.access_token, id: r.json.user.id };
	let m = await me(gw, s.access);
	assert.equal(m.consent_required, false);
	assert.equal(m.consent.version, '2026-12');

	// The policy changes: /v1/me says so, writes are refused, reads are not.
	await gw.restart({ config: cfg('2027-03') });
	m = await me(gw, s.access);
	assert.equal(m.consent_required, true);
	assert.equal(m.privacy_policy_version, '2027-03');
	r = await gw.request('PATCH', '/v1/me', { token: s.access, body: { display_name: '改名' } });
	assert.equal(expectError(r, 403, 'forbidden').reason, 'consent_required', r.text);
	expectStatus(await gw.request('GET', '/v1/notifications', { token: s.access }), 200, 'reads go on');
	expectError(await gw.request('POST', '/v1/me/consent', { token: s.access, body: { version: '2026-12' } }),
		400, 'bad_request', 'version', 'the old version');
	r = await gw.request('POST', '/v1/me/consent', { token: s.access, body: { version: '2027-03' } });
	expectStatus(r, 200, 'consent');
	assert.equal(r.json.consent.version, '2027-03');
	assert.equal((await me(gw, s.access)).consent_required, false);
	expectStatus(await gw.request('PATCH', '/v1/me', { token: s.access, body: { display_name: '改名' } }), 200, 'writes again');
	// Both consents are kept with time and address.
	const rows = (await sql(gw, `SELECT version || ' ' || ip FROM consents WHERE user_id = ${s.id} ORDER BY id`)).split('\n');
	assert.deepEqual(rows, ['2026-12 127.0.0.1', '2027-03 127.0.0.1']);
	const exp = await gw.request('GET', '/v1/me/export', { token: s.access });
	assert.deepEqual(exp.json.consents.map((c) => c.version), ['2026-12', '2027-03']);
	assert.ok(exp.json.consents.every((c) => c.at > 0 && c.ip === '127.0.0.1'));
});
