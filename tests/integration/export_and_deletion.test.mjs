// The member's rights over their data: GET /v1/me/export holds everything
// stored about the caller and nothing of anyone else's; DELETE /v1/me
// (注销) takes effect after the grace period, cancellable until then, and a
// tick that survives restarts anonymises the account.
import assert from 'node:assert/strict';
import { itest, poll, sql } from './lib/harness.mjs';
import { PASSWORD, expectError, expectStatus, login, me, newPhone, register } from './lib/accounts.mjs';
import { FORUM_CONFIG, createConsultation, createPost, createThread, forumWorld, vote } from './lib/forums.mjs';
import { createHelp, helpAction, volunteer } from './lib/help.mjs';
import { askCode, smsConfig, smsRelay } from './lib/phones.mjs';

itest('export: the caller\'s posts with their versions, votes with reasons, help, sessions, consents, moderation; no one else\'s contact', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, export_per_user_per_day: 3 } });
	const { A, staff, residents: [other, volunteerB] } = await forumWorld(gw, { residents: 2, other: false });
	// A privacy policy from now on: the others agree again, the caller at
	// registration.
	await gw.restart({ config: { ...FORUM_CONFIG, privacy_policy_version: 'v1', export_per_user_per_day: 3 } });
	for (const s of [staff, other, volunteerB])
		expectStatus(await gw.request('POST', '/v1/me/consent', { token: s.access, body: { version: 'v1' } }), 200);
	const phone = newPhone('137');
	let r = await gw.request('POST', '/v1/auth/register', { headers: { 'user-agent': 'phone-of-me' },
		body: { phone, password: PASSWORD, display_name: '出口人', consent_version: 'v1' } });
	expectStatus(r, 201, 'register');
	const me1 = { id: r.json.user.id, access: r.json.access_token, phone, password: PASSWORD };
	const inv = await gw.request('POST', `/v1/communities/${A.id}/invites`, { token: staff.access, body: { role: 'resident' } });
	expectStatus(await gw.request('POST', `/v1/communities/${A.id}/join`, { token: me1.access, body: { code: inv.json.code } }), 200);

	const thread = await createThread(gw, me1.access, A.id, { title: '我的话题', body: '话题正文' });
	const p = await createPost(gw, me1.access, thread.id, '第一版');
	expectStatus(await gw.request('PATCH', `/v1/posts/${p.id}`, { token: me1.access, body: { body: '第二版' } }), 200);
	expectStatus(await gw.request('PATCH', `/v1/posts/${p.id}`, { token: me1.access, body: { body: '第三版' } }), 200);
	const theirs = await createPost(gw, other.access, thread.id, `别人的帖子 ${other.phone}`);
	const cons = await createConsultation(gw, staff.access, A.id);
	await vote(gw, me1.access, cons.id, 1, '太吵了');
	await vote(gw, other.access, cons.id, 0, '别人的理由');
	expectStatus(await gw.request('POST', `/v1/posts/${theirs.id}/report`, { token: me1.access, body: { reason: '广告' } }), 201);
	const asked = await createHelp(gw, me1, A.id, { title: '我的求助', contact: '我的联系方式 13700009999' });
	await volunteer(gw, volunteerB, A.id);
	await volunteer(gw, me1, A.id);
	const theirHelp = await createHelp(gw, other, A.id, { title: '别人的求助', contact: `别人的电话 ${other.phone}` });
	await helpAction(gw, me1, theirHelp.id, 'claim');
	expectStatus(await gw.request('POST', `/v1/posts/${p.id}/hide`, { token: staff.access, body: { reason: '离题' } }), 200);
	expectStatus(await gw.request('POST', '/v1/devices', { token: me1.access, body: { platform: 'ios', token: 'apns-token-abcdef-123456' } }), 201);
	// 居民诉求 and a meeting (issue 17): the request, the answer to it, the check-in.
	const tk = expectStatus(await gw.request('POST', `/v1/communities/${A.id}/requests`, { token: me1.access,
		body: { category: 'complaint', title: '我的诉求', body: '楼上漏水' } }), 201).ticket;
	expectStatus(await gw.request('POST', `/v1/tickets/${tk.id}/reply`, { token: staff.access, body: { body: '已转物业' } }), 201);
	expectStatus(await gw.request('POST', `/v1/communities/${A.id}/requests`, { token: other.access,
		body: { category: 'question', title: '别人的诉求', body: '别人的话' } }), 201);
	const mt = expectStatus(await gw.request('POST', `/v1/communities/${A.id}/meetings`, { token: staff.access,
		body: { title: '议事会', agenda: '议程', place: '活动室', starts_at: Date.now(), invitees: 'members', quorum: 0.5 } }), 201).meeting;
	expectStatus(await gw.request('POST', `/v1/meetings/${mt.id}/checkin`, { token: me1.access, body: { code: mt.checkin_code } }), 200);

	r = await gw.request('GET', '/v1/me/export', { token: me1.access });
	const x = expectStatus(r, 200, 'export');
	assert.equal(x.user.id, me1.id);
	assert.equal(x.user.phone, me1.phone, 'the owner sees the own phone');
	assert.deepEqual(x.memberships.map((m) => [m.community_id, m.role]), [[A.id, 'resident']]);
	assert.deepEqual(x.threads.map((t) => t.title), ['我的话题']);
	assert.equal(x.posts.length, 1);
	assert.equal(x.posts[0].body, '第三版');
	assert.equal(x.posts[0].status, 'hidden');
	assert.deepEqual(x.posts[0].versions.map((v) => v.body), ['第一版', '第二版'], 'earlier versions, oldest first');
	assert.deepEqual(x.votes.map((v) => [v.thread_id, v.option, v.reason]), [[cons.id, 1, '太吵了']]);
	assert.deepEqual(x.reports.map((v) => [v.post_id, v.reason]), [[theirs.id, '广告']]);
	assert.deepEqual(x.help_requests.map((q) => [q.id, q.contact]), [[asked.id, '我的联系方式 13700009999']]);
	assert.deepEqual(x.help_claimed.map((q) => [q.id, q.requester_id]), [[theirHelp.id, other.id]]);
	assert.equal(x.help_claimed[0].contact, undefined, 'never the requester\'s contact');
	assert.ok(x.sessions.length >= 1);
	assert.ok(x.sessions.some((s) => s.ip === '127.0.0.1' && s.user_agent === 'phone-of-me' && s.created_at > 0 && s.last_seen_at > 0), JSON.stringify(x.sessions));
	assert.deepEqual(x.consents.map((c) => c.version), ['v1']);
	assert.ok(x.moderation.some((m) => m.action.includes('hide') && m.target_id === p.id && m.reason === '离题'), JSON.stringify(x.moderation));
	assert.deepEqual(x.devices.map((d) => [d.platform, d.token_tail]), [['ios', '123456']]);
	assert.doesNotMatch(r.text, /apns-token-abcdef/, 'device tokens only by their tail');
	assert.ok(Array.isArray(x.notifications) && Array.isArray(x.appeals) && Array.isArray(x.uploads));
	assert.deepEqual(x.requests.map((q) => [q.id, q.title, q.body]), [[tk.id, '我的诉求', '楼上漏水']]);
	assert.deepEqual(x.request_replies.map((q) => [q.ticket_id, q.author_id, q.body, q.public]), [[tk.id, staff.id, '已转物业', false]]);
	assert.deepEqual(x.meeting_checkins.map((c) => [c.meeting_id, c.meeting_title]), [[mt.id, '议事会']]);
	assert.equal(x.votes[0].source, 'online');
	assert.doesNotMatch(r.text, /别人的诉求|别人的话/, 'no one else\'s requests');
	// Nobody else's phone or contact anywhere in it.
	for (const s of [staff, other, volunteerB])
		assert.doesNotMatch(r.text, new RegExp(s.phone), `no phone of user ${s.id}`);
	assert.doesNotMatch(r.text, /别人的理由|别人的电话|别人的帖子/, 'no one else\'s votes, contacts or posts');

	// Rate-limited per member.
	for (let i = 0; i < 2; i++)
		expectStatus(await gw.request('GET', '/v1/me/export', { token: me1.access }), 200);
	expectError(await gw.request('GET', '/v1/me/export', { token: me1.access }), 429, 'rate_limited');
	expectError(await gw.request('GET', '/v1/me/export'), 401, 'unauthorized');
});

itest('deletion: after the grace period the account is anonymised once; cancelling keeps everything; the tick survives a restart', async (h) => {
	const relay = await smsRelay(h);
	const cfg = smsConfig(relay, { account_deletion_grace_days: 15, session_check_ms: 200 });
	const gw = await h.gateway({ config: cfg });
	const { A, staff, residents: [leaver, stayer, helper] } = await forumWorld(gw, { residents: 3, other: false });
	const thread = await createThread(gw, leaver.access, A.id, { title: '离开前的话题' });
	const post = await createPost(gw, leaver.access, thread.id, '再见了各位');
	await volunteer(gw, leaver, A.id);
	await volunteer(gw, helper, A.id);
	const open = await createHelp(gw, leaver, A.id, { title: '还没人接' });
	const claimedByHelper = await createHelp(gw, leaver, A.id, { title: '有人接了' });
	await helpAction(gw, helper, claimedByHelper.id, 'claim');
	const stayerAsk = await createHelp(gw, stayer, A.id, { title: '离开者接的' });
	await helpAction(gw, leaver, stayerAsk.id, 'claim');
	expectStatus(await gw.request('POST', '/v1/devices', { token: leaver.access, body: { platform: 'android', token: 'vendor-token-of-the-leaver-0001' } }), 201);

	// Wrong password: refused. A code (purpose cancel) or the password schedules it.
	expectError(await gw.request('DELETE', '/v1/me', { token: leaver.access, body: { password: 'not-the-password' } }), 403, 'forbidden', 'password');
	expectError(await gw.request('DELETE', '/v1/me', { token: leaver.access, body: {} }), 400, 'bad_request');
	let r = await gw.request('DELETE', '/v1/me', { token: leaver.access, body: { password: PASSWORD } });
	expectStatus(r, 202, 'delete');
	const day = 86400000;
	assert.ok(Math.abs(r.json.deletes_at - (Date.now() + 15 * day)) < 60000, r.text);
	assert.equal((await me(gw, leaver.access)).deletes_at, r.json.deletes_at);
	// Logging in meanwhile works; cancelling keeps everything.
	await login(gw, leaver.phone);
	expectStatus(await gw.request('POST', '/v1/me/cancel-deletion', { token: leaver.access }), 200);
	assert.equal((await me(gw, leaver.access)).deletes_at, null);
	const { code } = await askCode(gw, relay, leaver.phone, 'cancel', { token: leaver.access });
	r = await gw.request('DELETE', '/v1/me', { token: leaver.access, body: { code } });
	expectStatus(r, 202, 'delete by code');

	// The gateway is down when the grace period ends; it anonymises on start.
	await gw.kill();
	await sql(gw, `UPDATE users SET deletes_at = ${Date.now() - 1000} WHERE id = ${leaver.id}`);
	await gw.start();
	await poll(async () => (await sql(gw, `SELECT deleted_at IS NOT NULL FROM users WHERE id = ${leaver.id}`)) === (gw.db.startsWith('postgres') ? 't' : '1'),
		{ what: 'the account anonymised' });
	const row = await sql(gw, `SELECT display_name || '|' || coalesce(phone, '-') || '|' || coalesce(pw_hash, '-') FROM users WHERE id = ${leaver.id}`);
	assert.equal(row, '已注销用户|-|-');
	assert.equal(await sql(gw, `SELECT count(*) FROM sessions WHERE user_id = ${leaver.id} AND revoked_at IS NULL`), '0', 'no live session');
	assert.equal(await sql(gw, `SELECT count(*) FROM sessions WHERE user_id = ${leaver.id} AND (ip IS NOT NULL OR user_agent IS NOT NULL)`), '0');
	assert.equal(await sql(gw, `SELECT (SELECT count(*) FROM devices WHERE user_id = ${leaver.id}) + (SELECT count(*) FROM volunteers WHERE user_id = ${leaver.id}) + (SELECT count(*) FROM memberships WHERE user_id = ${leaver.id})`), '0',
		'no devices, volunteer profile or membership');
	expectError(await gw.request('GET', '/v1/me', { token: leaver.access }), 401, 'unauthorized', undefined, 'the token is dead');
	await assert.rejects(login(gw, leaver.phone), /401/, 'no password to log in with');
	// Threads and posts stay, authored by 已注销用户.
	const t = await gw.request('GET', `/v1/threads/${thread.id}`, { token: stayer.access });
	assert.equal(t.json.thread.author.display_name, '已注销用户');
	const ps = await gw.request('GET', `/v1/threads/${thread.id}/posts`, { token: stayer.access });
	assert.deepEqual(ps.json.items.map((x) => [x.id, x.author.display_name, x.body]), [[post.id, '已注销用户', '再见了各位']]);
	assert.equal(ps.json.items[0].author.phone ?? null, null);
	// Help: its own requests cancelled, what it claimed back to open; contact blanked.
	const status = async (hid) => (await gw.request('GET', `/v1/help/${hid}`, { token: staff.access })).json.request;
	assert.equal((await status(open.id)).status, 'cancelled');
	assert.equal((await status(claimedByHelper.id)).status, 'cancelled');
	assert.equal((await status(claimedByHelper.id)).contact, '');
	const back = await status(stayerAsk.id);
	assert.equal(back.status, 'open');
	assert.equal(back.volunteer_id, null);
	// The volunteer and the requester were told.
	const inbox = async (s) => (await gw.request('GET', '/v1/notifications', { token: s.access })).json.items.map((n) => [n.type, n.data.id]);
	assert.ok((await inbox(helper)).some(([t2, id]) => t2 === 'help.cancelled' && id === claimedByHelper.id));
	assert.ok((await inbox(stayer)).some(([t2, id]) => t2 === 'help.unclaimed' && id === stayerAsk.id));

	// The phone registers anew, as a new account.
	const again = await register(gw, { phone: leaver.phone });
	assert.notEqual(again.id, leaver.id);
	// Once: a second gateway on the same database finds nothing more to do.
	assert.equal((await sql(gw, `SELECT count(*) FROM users WHERE display_name = '已注销用户'`)), '1');
});
