// The sanctions ladder and appeals (申诉): warnings told to the member and
// logged; an admin's suspension revokes every session (live sockets close
// 4001) and refuses sign-in with reason suspended until lifted; a
// permanent one blacklists the phone; the member a decision targeted
// appeals once within appeal_window_days, and another staff member decides;
// overturning undoes the action with its events.
import assert from 'node:assert/strict';
import { itest, sql } from './lib/harness.mjs';
import { appoint, expectError, expectStatus, login, register, PASSWORD } from './lib/accounts.mjs';
import { FORUM_CONFIG, createPost, createThread, forumWorld } from './lib/forums.mjs';
import { note } from './lib/help.mjs';

const DAY = 86400000;
const reasonOf = (r) => r.json?.error?.reason;

itest('warnings and suspensions: told, logged, sessions ended, sign-in refused, a permanent one blacklists the phone', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, session_check_ms: 200 } });
	const { admin, A, staff, residents: [member, other] } = await forumWorld(gw, { residents: 2, other: false });

	// A warning.
	const live = await h.subscriber(gw, member.access, `user:${member.id}`);
	let r = await gw.request('POST', `/v1/communities/${A.id}/warnings`, { token: staff.access, body: { user_id: member.id, reason: '发言不文明' } });
	const w = expectStatus(r, 201, 'warn').warning;
	assert.ok(w.action_id > 0);
	await live.waitFor(note(member.id, 'member.warning', (d) => d.data.reason === '发言不文明'));
	const log = (await gw.request('GET', `/v1/communities/${A.id}/moderation/log`, { token: staff.access })).json.items;
	assert.ok(log.some((e) => e.id === w.action_id && e.action === 'member.warn' && e.reason === '发言不文明'), JSON.stringify(log[0]));
	expectError(await gw.request('POST', `/v1/communities/${A.id}/warnings`, { token: other.access, body: { user_id: member.id, reason: 'x' } }), 403, 'forbidden');

	// A three-day suspension: the socket closes 4001, sign-in is refused.
	r = await gw.request('POST', '/v1/admin/suspensions', { token: admin.access, body: { user_id: member.id, reason: '多次违规', days: 3 } });
	const sus = expectStatus(r, 201, 'suspend').suspension;
	assert.ok(sus.until > Date.now() + 2.9 * DAY);
	assert.equal((await live.closed(5000)).code, 4001);
	expectError(await gw.request('GET', '/v1/me', { token: member.access }), 401, 'unauthorized');
	r = await gw.request('POST', '/v1/auth/login', { body: { phone: member.phone, password: PASSWORD } });
	expectError(r, 403, 'forbidden', undefined, 'login while suspended');
	assert.equal(reasonOf(r), 'suspended');
	assert.equal(r.json.error.suspended_until, sus.until);
	// A wrong password still says only that (no hint the account is suspended).
	expectError(await gw.request('POST', '/v1/auth/login', { body: { phone: member.phone, password: 'wrong-password-1' } }), 401, 'unauthorized');
	expectError(await gw.request('POST', '/v1/admin/suspensions', { token: staff.access, body: { user_id: other.id, reason: 'x' } }), 403, 'forbidden');
	const mlog = (await gw.request('GET', `/v1/communities/${A.id}/moderation/log`, { token: staff.access })).json.items;
	assert.ok(mlog.some((e) => e.action === 'member.suspend' && e.actor_id === admin.id && e.reason === '多次违规'));
	// Lifted: signs in again.
	expectStatus(await gw.request('DELETE', `/v1/admin/suspensions/${member.id}`, { token: admin.access }), 200, 'lift');
	await login(gw, member.phone);
	expectError(await gw.request('DELETE', `/v1/admin/suspensions/${member.id}`, { token: admin.access }), 404, 'not_found');

	// Permanent: the phone is blacklisted (as a keyed hash only).
	expectStatus(await gw.request('POST', '/v1/admin/suspensions', { token: admin.access, body: { user_id: other.id, reason: '诈骗' } }), 201);
	r = await gw.request('POST', '/v1/auth/login', { body: { phone: other.phone, password: PASSWORD } });
	assert.equal(reasonOf(r), 'suspended');
	assert.equal(r.json.error.suspended_until, null);
	r = await gw.request('POST', '/v1/auth/register', { body: { phone: other.phone, password: PASSWORD, display_name: '又来了' } });
	expectError(r, 403, 'forbidden', undefined, 'register a blacklisted phone');
	assert.equal(reasonOf(r), 'blacklisted');
	assert.doesNotMatch(await sql(gw, 'SELECT reason || user_id FROM blacklist'), new RegExp(other.phone));
	assert.equal(await sql(gw, 'SELECT length(phone_hash) FROM blacklist'), '32');
});

itest('appeals: the target appeals once within the window; the actor may not decide; overturning undoes the action', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { admin, A, staff, residents: [author, other] } = await forumWorld(gw, { residents: 2, other: false });
	const staff2 = await register(gw, { display_name: '社工小王' });
	await appoint(gw, admin.access, A.id, staff2.id);
	const th = await createThread(gw, author.access, A.id);
	const post = await createPost(gw, author.access, th.id, '楼下的车挡住消防通道了');
	const watcher = await h.subscriber(gw, other.access, `thread:${th.id}`);
	const mine = await h.subscriber(gw, author.access, `user:${author.id}`);

	expectStatus(await gw.request('POST', `/v1/posts/${post.id}/hide`, { token: staff.access, body: { reason: '涉及他人隐私' } }), 200);
	const hidden = await mine.waitFor(note(author.id, 'moderation.action', (d) => d.data.post_id === post.id));
	const actionId = hidden.data.data.action_id;
	assert.ok(actionId > 0, JSON.stringify(hidden.data));

	// Only the author may appeal it; others get 404.
	expectError(await gw.request('POST', `/v1/moderation/actions/${actionId}/appeal`, { token: other.access, body: { reason: '我也觉得' } }), 404, 'not_found');
	let r = await gw.request('POST', `/v1/moderation/actions/${actionId}/appeal`, { token: author.access, body: { reason: '没有写车牌，不涉及隐私' } });
	const appeal = expectStatus(r, 201, 'appeal').appeal;
	assert.equal(appeal.status, 'open');
	assert.equal(appeal.action.action, 'post.hide');
	assert.equal(appeal.action.reason, '涉及他人隐私');
	expectError(await gw.request('POST', `/v1/moderation/actions/${actionId}/appeal`, { token: author.access, body: { reason: '再申诉一次' } }), 409, 'conflict', undefined, 'once per action');

	// The queue for staff, the original action beside the appeal.
	const queue = (await gw.request('GET', `/v1/communities/${A.id}/appeals?status=open`, { token: staff2.access })).json.items;
	assert.deepEqual(queue.map((a) => [a.id, a.reason, a.action.reason]), [[appeal.id, '没有写车牌，不涉及隐私', '涉及他人隐私']]);
	expectError(await gw.request('GET', `/v1/communities/${A.id}/appeals`, { token: author.access }), 403, 'forbidden');

	// The staff member who hid it may not decide; another overturns.
	expectError(await gw.request('POST', `/v1/appeals/${appeal.id}/decide`, { token: staff.access, body: { decision: 'upheld', reason: '维持' } }), 403, 'forbidden');
	expectError(await gw.request('POST', `/v1/appeals/${appeal.id}/decide`, { token: staff2.access, body: { decision: 'maybe', reason: 'x' } }), 400, 'bad_request', 'decision');
	r = await gw.request('POST', `/v1/appeals/${appeal.id}/decide`, { token: staff2.access, body: { decision: 'overturned', reason: '确实不涉及隐私' } });
	expectStatus(r, 200, 'overturn');
	assert.equal(r.json.appeal.status, 'overturned');
	await watcher.waitFor((f) => f.op === 'event' && f.type === 'post.updated' && f.data.id === post.id && f.data.status === 'visible');
	await mine.waitFor(note(author.id, 'appeal.decided', (d) => d.data.id === appeal.id && d.data.status === 'overturned'));
	const posts = (await gw.request('GET', `/v1/threads/${th.id}/posts`, { token: other.access })).json.items;
	assert.equal(posts.find((p) => p.id === post.id).status, 'visible');
	expectError(await gw.request('POST', `/v1/appeals/${appeal.id}/decide`, { token: admin.access, body: { decision: 'upheld', reason: 'x' } }), 409, 'conflict', undefined, 'decided once');
	const log = (await gw.request('GET', `/v1/communities/${A.id}/moderation/log`, { token: staff.access })).json.items;
	assert.ok(log.some((e) => e.action === 'appeal.overturned' && e.actor_id === staff2.id));

	// A mute appealed and upheld stays; a warning overturned is withdrawn.
	expectStatus(await gw.request('POST', `/v1/communities/${A.id}/mutes`, { token: staff.access, body: { user_id: author.id, minutes: 60, reason: '刷屏' } }), 200);
	const muteNote = await mine.waitFor(note(author.id, 'member.mute'));
	r = await gw.request('POST', `/v1/moderation/actions/${muteNote.data.data.action_id}/appeal`, { token: author.access, body: { reason: '没有刷屏' } });
	const a2 = expectStatus(r, 201).appeal;
	expectStatus(await gw.request('POST', `/v1/appeals/${a2.id}/decide`, { token: admin.access, body: { decision: 'upheld', reason: '记录显示连发十条' } }), 200, 'an admin may decide');
	expectError(await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: author.access, body: { body: '还在禁言吗' } }), 403, 'forbidden', undefined, 'still muted');
	const warn = expectStatus(await gw.request('POST', `/v1/communities/${A.id}/warnings`, { token: staff.access, body: { user_id: other.id, reason: '广告' } }), 201).warning;
	const a3 = expectStatus(await gw.request('POST', `/v1/moderation/actions/${warn.action_id}/appeal`, { token: other.access, body: { reason: '不是广告' } }), 201).appeal;
	expectStatus(await gw.request('POST', `/v1/appeals/${a3.id}/decide`, { token: staff2.access, body: { decision: 'overturned', reason: '误判' } }), 200);
	assert.notEqual(await sql(gw, `SELECT coalesce(withdrawn_at, 0) FROM warnings WHERE id = ${warn.id}`), '0', 'the warning is withdrawn');
	const decided = (await gw.request('GET', `/v1/communities/${A.id}/appeals?status=decided`, { token: staff.access })).json.items;
	assert.deepEqual(decided.map((a) => a.status).sort(), ['overturned', 'overturned', 'upheld']);

	// The public monthly summary counts appeals and overturned decisions.
	const sum = (await gw.request('GET', `/v1/communities/${A.id}/moderation/summary`, { token: other.access })).json.items;
	const count = (action) => sum.filter((x) => x.action === action).reduce((n, x) => n + x.count, 0);
	assert.equal(count('appeal.filed'), 3);
	assert.equal(count('appeal.overturned'), 2);
	assert.equal(count('appeal.upheld'), 1);

	// After appeal_window_days (7): refused.
	expectStatus(await gw.request('POST', `/v1/posts/${post.id}/hide`, { token: staff.access, body: { reason: '再次隐藏' } }), 200);
	const again = await mine.waitFor(note(author.id, 'moderation.action', (d) => d.data.reason === '再次隐藏'));
	await sql(gw, `UPDATE moderation_log SET at = at - ${8 * DAY} WHERE id = ${again.data.data.action_id}`);
	expectError(await gw.request('POST', `/v1/moderation/actions/${again.data.data.action_id}/appeal`, { token: author.access, body: { reason: '晚了' } }),
		409, 'conflict', undefined, 'past the window');
});
