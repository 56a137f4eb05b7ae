// Who may do what: every account and community endpoint and every channel
// kind, tried by an anonymous caller, a caller with a tampered token, a
// resident of community A, a resident of B, staff of A and an admin. The
// expected answers are one table; the observed one is printed as a
// diagnostic, and every cell that differs is listed in the failure.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import {
	FAST, register, login, makeAdmin, createCommunity, appoint, addMember, invite, tamper,
} from './lib/accounts.mjs';
import { Matrix, SUBBED as S, FORBIDDEN as F, UNAUTHORIZED as U, CLOSED_4001 as T } from './lib/matrix.mjs';

const ACTORS = ['anon', 'tampered', 'resA', 'resB', 'staffA', 'admin'];

itest('authorization matrix: endpoints and channels by role', async (h, t) => {
	const gw = await h.gateway({ config: FAST });
	const admin = await makeAdmin(gw);
	const A = await createCommunity(gw, admin.access, '社区A');
	const B = await createCommunity(gw, admin.access, '社区B');
	const C = await createCommunity(gw, admin.access, '社区C');
	const resA = await register(gw, { display_name: 'resident of A' });
	const resB = await register(gw, { display_name: 'resident of B' });
	const staffA = await register(gw, { display_name: 'staff of A' });
	await appoint(gw, admin.access, A.id, staffA.id);
	await addMember(gw, admin.access, A.id, resA);
	await addMember(gw, admin.access, B.id, resB);
	const users = { resA, resB, staffA, admin };
	const tokens = {
		anon: undefined,
		tampered: tamper(resA.access),
		resA: resA.access, resB: resB.access, staffA: staffA.access, admin: admin.access,
	};
	const NO = 999999;
	const notice = (await gw.request('POST', `/v1/communities/${A.id}/announcements`,
		{ token: staffA.access, body: { title: '通知', body: '矩阵' } })).json.announcement;
	const ticket = (await gw.request('POST', `/v1/communities/${A.id}/requests`,
		{ token: resA.access, body: { category: 'repair', title: '楼道灯坏了', body: '三单元二楼' } })).json.ticket;
	const meeting = (await gw.request('POST', `/v1/communities/${A.id}/meetings`, { token: staffA.access,
		body: { title: '议事会', agenda: '停车', place: '活动室', starts_at: Date.now(), invitees: 'members', quorum: 0.5 } })).json.meeting;
	const m = new Matrix(ACTORS);
	const X = m.X; // expected answers, in ACTORS order
	const pub = (ch, type = 'announcement') => ({
		method: 'POST', path: `/v1/channels/${encodeURIComponent(ch)}/events`, body: { type, data: { by: 'matrix' } },
	});

	// HTTP rows: the request an actor makes, and the status each one gets.
	const rows = [
		['GET /v1/me', () => ({ method: 'GET', path: '/v1/me' }), X(401, 401, 200, 200, 200, 200)],
		['POST /v1/communities', () => ({ method: 'POST', path: '/v1/communities', body: { name: 'new', grids: ['g'] } }),
			X(401, 401, 403, 403, 403, 201)],
		['GET /v1/communities/A', () => ({ method: 'GET', path: `/v1/communities/${A.id}` }), X(401, 401, 200, 403, 200, 200)],
		['GET /v1/communities/B', () => ({ method: 'GET', path: `/v1/communities/${B.id}` }), X(401, 401, 403, 200, 403, 200)],
		['GET /v1/communities/none', () => ({ method: 'GET', path: `/v1/communities/${NO}` }), X(401, 401, 404, 404, 404, 404)],
		['POST A/staff', () => ({ method: 'POST', path: `/v1/communities/${A.id}/staff`, body: { user_id: staffA.id } }),
			X(401, 401, 403, 403, 403, 200)],
		['POST A/invites resident', () => ({ method: 'POST', path: `/v1/communities/${A.id}/invites`, body: { role: 'resident' } }),
			X(401, 401, 403, 403, 201, 201)],
		['POST A/invites staff', () => ({ method: 'POST', path: `/v1/communities/${A.id}/invites`, body: { role: 'staff' } }),
			X(401, 401, 403, 403, 201, 201)],
		['POST B/invites', () => ({ method: 'POST', path: `/v1/communities/${B.id}/invites`, body: { role: 'resident' } }),
			X(401, 401, 403, 403, 403, 201)],
		['POST none/invites', () => ({ method: 'POST', path: `/v1/communities/${NO}/invites`, body: { role: 'resident' } }),
			X(401, 401, 404, 404, 404, 404)],
		['PUT A/volunteer', () => ({ method: 'PUT', path: `/v1/communities/${A.id}/volunteer`,
			body: { categories: ['errand'], grids: ['一网格'], active: true } }), X(401, 401, 200, 403, 200, 403)],
		['PUT B/volunteer', () => ({ method: 'PUT', path: `/v1/communities/${B.id}/volunteer`,
			body: { categories: ['errand'], grids: [], active: true } }), X(401, 401, 403, 200, 403, 403)],
		['PUT A/members/resA', () => ({ method: 'PUT', path: `/v1/communities/${A.id}/members/${resA.id}`, body: { role: 'resident' } }),
			X(401, 401, 403, 403, 200, 200)],
		['PUT B/members/resB', () => ({ method: 'PUT', path: `/v1/communities/${B.id}/members/${resB.id}`, body: { role: 'resident' } }),
			X(401, 401, 403, 403, 403, 200)],
		['GET A/members', () => ({ method: 'GET', path: `/v1/communities/${A.id}/members` }), X(401, 401, 403, 403, 200, 200)],
		['GET B/members', () => ({ method: 'GET', path: `/v1/communities/${B.id}/members` }), X(401, 401, 403, 403, 403, 200)],
		['GET A/audit', () => ({ method: 'GET', path: `/v1/communities/${A.id}/audit` }), X(401, 401, 403, 403, 200, 200)],
		['GET B/audit', () => ({ method: 'GET', path: `/v1/communities/${B.id}/audit` }), X(401, 401, 403, 403, 403, 200)],
		['publish community:A announcement', () => pub(`community:${A.id}`), X(401, 401, 403, 403, 201, 201)],
		['publish community:A other type', () => pub(`community:${A.id}`, 'thread.created'), X(401, 401, 403, 403, 403, 201)],
		['publish community:B announcement', () => pub(`community:${B.id}`), X(401, 401, 403, 403, 403, 201)],
		['publish help:A announcement', () => pub(`help:${A.id}`), X(401, 401, 403, 403, 403, 201)],
		['publish mod:A announcement', () => pub(`mod:${A.id}`), X(401, 401, 403, 403, 403, 201)],
		['publish user:resA notification', () => pub(`user:${resA.id}`, 'notification'), X(401, 401, 403, 403, 403, 201)],
		['publish thread:1 post.created', () => pub('thread:1', 'post.created'), X(401, 401, 403, 403, 403, 201)],
		// A fresh invite to C for each caller: everyone signed in may join.
		['POST C/join (valid code)', async () => {
			const inv = await invite(gw, admin.access, C.id, { role: 'resident' });
			return { method: 'POST', path: `/v1/communities/${C.id}/join`, body: { code: inv.code } };
		}, X(401, 401, 200, 200, 200, 200)],
		['GET /v1/communities (all)', () => ({ method: 'GET', path: '/v1/communities' }), X(401, 401, 403, 403, 403, 200)],
		['GET A/invites', () => ({ method: 'GET', path: `/v1/communities/${A.id}/invites` }), X(401, 401, 403, 403, 200, 200)],
		['GET B/invites', () => ({ method: 'GET', path: `/v1/communities/${B.id}/invites` }), X(401, 401, 403, 403, 403, 200)],
		['POST A/staff by phone', () => ({ method: 'POST', path: `/v1/communities/${A.id}/staff`, body: { phone: staffA.phone } }),
			X(401, 401, 403, 403, 403, 200)],
		['DELETE A/mutes/resA (not muted)', () => ({ method: 'DELETE', path: `/v1/communities/${A.id}/mutes/${resA.id}` }),
			X(401, 401, 403, 403, 404, 404)],
		['DELETE B/mutes/resB (not muted)', () => ({ method: 'DELETE', path: `/v1/communities/${B.id}/mutes/${resB.id}` }),
			X(401, 401, 403, 403, 403, 404)],
		['POST /v1/join (valid code)', async () => {
			const inv = await invite(gw, admin.access, C.id, { role: 'resident' });
			return { method: 'POST', path: '/v1/join', body: { code: inv.code } };
		}, X(401, 401, 200, 200, 200, 200)],
		// The notice board: staff publish, members read.
		['POST A/announcements', () => ({ method: 'POST', path: `/v1/communities/${A.id}/announcements`,
			body: { title: '通知', body: '内容' } }), X(401, 401, 403, 403, 201, 201)],
		['POST B/announcements', () => ({ method: 'POST', path: `/v1/communities/${B.id}/announcements`,
			body: { title: '通知', body: '内容' } }), X(401, 401, 403, 403, 403, 201)],
		['GET A/announcements', () => ({ method: 'GET', path: `/v1/communities/${A.id}/announcements` }),
			X(401, 401, 200, 403, 200, 200)],
		['GET B/announcements', () => ({ method: 'GET', path: `/v1/communities/${B.id}/announcements` }),
			X(401, 401, 403, 200, 403, 200)],
		['POST read A announcement', () => ({ method: 'POST', path: `/v1/announcements/${notice.id}/read` }),
			X(401, 401, 200, 404, 200, 200)],
		['POST release no announcement', () => ({ method: 'POST', path: `/v1/announcements/${NO}/release` }),
			X(401, 401, 404, 404, 404, 404)],
		['POST objections on no thread', () => ({ method: 'POST', path: `/v1/threads/${NO}/objections`, body: { reason: 'x' } }),
			X(401, 401, 404, 404, 404, 404)],
		['GET objections of no thread', () => ({ method: 'GET', path: `/v1/threads/${NO}/objections` }), X(401, 401, 404, 404, 404, 404)],
		['POST answer no objection', () => ({ method: 'POST', path: `/v1/objections/${NO}/answer`, body: { answer: 'x' } }),
			X(401, 401, 404, 404, 404, 404)],
		['POST actions on no thread', () => ({ method: 'POST', path: `/v1/threads/${NO}/actions`, body: { title: 'x' } }),
			X(401, 401, 404, 404, 404, 404)],
		['PATCH no action', () => ({ method: 'PATCH', path: `/v1/actions/${NO}`, body: { progress: 10 } }), X(401, 401, 404, 404, 404, 404)],
		['GET A/actions', () => ({ method: 'GET', path: `/v1/communities/${A.id}/actions` }), X(401, 401, 200, 403, 200, 200)],
		['GET B/actions', () => ({ method: 'GET', path: `/v1/communities/${B.id}/actions` }), X(401, 401, 403, 200, 403, 200)],
		// Residents' requests: members make them and read their own, staff own and answer them.
		['POST A/requests', () => ({ method: 'POST', path: `/v1/communities/${A.id}/requests`,
			body: { category: 'question', title: '问一下', body: '垃圾几点收' } }), X(401, 401, 201, 403, 201, 201)],
		['POST B/requests', () => ({ method: 'POST', path: `/v1/communities/${B.id}/requests`,
			body: { category: 'question', title: '问一下', body: '垃圾几点收' } }), X(401, 401, 403, 201, 403, 201)],
		['GET A/requests', () => ({ method: 'GET', path: `/v1/communities/${A.id}/requests` }), X(401, 401, 200, 403, 200, 200)],
		['GET A/requests/summary', () => ({ method: 'GET', path: `/v1/communities/${A.id}/requests/summary` }),
			X(401, 401, 200, 403, 200, 200)],
		['GET resA\'s ticket', () => ({ method: 'GET', path: `/v1/tickets/${ticket.id}` }), X(401, 401, 200, 404, 200, 200)],
		['GET no ticket', () => ({ method: 'GET', path: `/v1/tickets/${NO}` }), X(401, 401, 404, 404, 404, 404)],
		['POST accept resA\'s ticket', () => ({ method: 'POST', path: `/v1/tickets/${ticket.id}/accept` }),
			X(401, 401, 403, 404, 200, 409)],
		['POST reply to resA\'s ticket', () => ({ method: 'POST', path: `/v1/tickets/${ticket.id}/reply`, body: { body: '收到' } }),
			X(401, 401, 201, 404, 201, 201)],
		['POST resolve resA\'s ticket', () => ({ method: 'POST', path: `/v1/tickets/${ticket.id}/resolve`, body: { summary: '已修' } }),
			X(401, 401, 403, 404, 200, 409)],
		['POST rate resA\'s ticket', () => ({ method: 'POST', path: `/v1/tickets/${ticket.id}/rate`, body: { satisfaction: 4 } }),
			X(401, 401, 200, 404, 403, 403)],
		['POST reopen resA\'s ticket', () => ({ method: 'POST', path: `/v1/tickets/${ticket.id}/reopen`, body: { reason: '又坏了' } }),
			X(401, 401, 200, 404, 403, 403)],
		['POST accept no ticket', () => ({ method: 'POST', path: `/v1/tickets/${NO}/accept` }), X(401, 401, 404, 404, 404, 404)],
		// Meetings: staff call them, members read them, invitees check in.
		['POST A/meetings', () => ({ method: 'POST', path: `/v1/communities/${A.id}/meetings`, body: { title: '议事会',
			agenda: '议程', place: '活动室', starts_at: Date.now(), invitees: 'representatives', quorum: 0.5 } }),
		X(401, 401, 403, 403, 201, 201)],
		['GET A/meetings', () => ({ method: 'GET', path: `/v1/communities/${A.id}/meetings` }), X(401, 401, 200, 403, 200, 200)],
		['GET A meeting', (actor) => ({ method: 'GET', path: `/v1/meetings/${meeting.id}`, check: (res) =>
			(res.status === 200 && ('checkin_code' in res.json.meeting) !== (actor === 'staffA' || actor === 'admin')
				? 'the check-in code is for staff only' : null) }), X(401, 401, 200, 404, 200, 200)],
		['POST checkin wrong code', () => ({ method: 'POST', path: `/v1/meetings/${meeting.id}/checkin`, body: { code: 'nope' } }),
			X(401, 401, 403, 404, 403, 403)],
		['POST minutes', () => ({ method: 'POST', path: `/v1/meetings/${meeting.id}/minutes`, body: { text: '纪要' } }),
			X(401, 401, 403, 404, 200, 200)],
		['GET no meeting', () => ({ method: 'GET', path: `/v1/meetings/${NO}` }), X(401, 401, 404, 404, 404, 404)],
		['POST offline vote on no thread', () => ({ method: 'POST', path: `/v1/threads/${NO}/offline-votes`,
			body: { user_id: resA.id, option: 0 } }), X(401, 401, 404, 404, 404, 404)],
		// The member's own account: everyone signed in, on their own data only.
		['GET /v1/me/export', () => ({ method: 'GET', path: '/v1/me/export', check: (res, actor) =>
			(res.status === 200 && res.json.user.id !== users[actor].id ? `got user ${res.json.user.id}'s export` : null) }),
		X(401, 401, 200, 200, 200, 200)],
		['PATCH /v1/me (same name)', (actor) => ({ method: 'PATCH', path: '/v1/me',
			body: { display_name: users[actor]?.user.display_name ?? 'x' } }), X(401, 401, 200, 200, 200, 200)],
		['POST /v1/me/consent (no policy set)', () => ({ method: 'POST', path: '/v1/me/consent', body: { version: 'v1' } }),
			X(401, 401, 400, 400, 400, 400)],
		['POST /v1/me/verify (no code sent)', () => ({ method: 'POST', path: '/v1/me/verify', body: { code: '000000' } }),
			X(401, 401, 400, 400, 400, 400)],
		['POST /v1/me/phone (no code sent)', () => ({ method: 'POST', path: '/v1/me/phone', body: { phone: '13699990000', code: '000000' } }),
			X(401, 401, 400, 400, 400, 400)],
		['POST /v1/auth/sms verify (own phone)', () => ({ method: 'POST', path: '/v1/auth/sms', body: { purpose: 'verify' } }),
			X(401, 401, 202, 202, 202, 202)],
		['POST /v1/auth/reset (wrong code)', () => ({ method: 'POST', path: '/v1/auth/reset',
			body: { phone: resA.phone, code: '000000', password: 'another-password-1' } }), X(401, 401, 401, 401, 401, 401)],
		['DELETE /v1/me (wrong password)', () => ({ method: 'DELETE', path: '/v1/me', body: { password: 'not-the-password' } }),
			X(401, 401, 403, 403, 403, 403)],
		['POST /v1/me/cancel-deletion', () => ({ method: 'POST', path: '/v1/me/cancel-deletion' }), X(401, 401, 200, 200, 200, 200)],
		// Content governance: staff of the community, admins, the target.
		['POST A/warnings', () => ({ method: 'POST', path: `/v1/communities/${A.id}/warnings`, body: { user_id: resA.id, reason: '提醒' } }),
			X(401, 401, 403, 403, 201, 201)],
		['POST B/warnings', () => ({ method: 'POST', path: `/v1/communities/${B.id}/warnings`, body: { user_id: resB.id, reason: '提醒' } }),
			X(401, 401, 403, 403, 403, 201)],
		['GET A/appeals', () => ({ method: 'GET', path: `/v1/communities/${A.id}/appeals` }), X(401, 401, 403, 403, 200, 200)],
		['GET B/appeals', () => ({ method: 'GET', path: `/v1/communities/${B.id}/appeals` }), X(401, 401, 403, 403, 403, 200)],
		['GET /v1/admin/access-log', () => ({ method: 'GET', path: '/v1/admin/access-log' }), X(401, 401, 403, 403, 403, 200)],
		['POST /v1/admin/suspensions (no such user)', () => ({ method: 'POST', path: '/v1/admin/suspensions',
			body: { user_id: NO, reason: '违规' } }), X(401, 401, 403, 403, 403, 404)],
		['DELETE /v1/admin/suspensions/none', () => ({ method: 'DELETE', path: `/v1/admin/suspensions/${NO}` }),
			X(401, 401, 403, 403, 403, 404)],
		['POST appeal of no action', () => ({ method: 'POST', path: `/v1/moderation/actions/${NO}/appeal`, body: { reason: '申诉' } }),
			X(401, 401, 404, 404, 404, 404)],
		['POST release no thread', () => ({ method: 'POST', path: `/v1/threads/${NO}/release` }), X(401, 401, 404, 404, 404, 404)],
		['POST release no help', () => ({ method: 'POST', path: `/v1/help/${NO}/release` }), X(401, 401, 404, 404, 404, 404)],
		['POST release no outcome', () => ({ method: 'POST', path: `/v1/threads/${NO}/outcome/release` }), X(401, 401, 404, 404, 404, 404)],
		['POST release no held event', () => ({ method: 'POST', path: `/v1/held-events/${NO}/release` }), X(401, 401, 404, 404, 404, 404)],
		['POST decide no appeal', () => ({ method: 'POST', path: `/v1/appeals/${NO}/decide`, body: { decision: 'upheld', reason: 'x' } }),
			X(401, 401, 404, 404, 404, 404)],
		// A fresh session for each caller, so the shared tokens live on.
		['POST /v1/auth/logout (own session)', async (actor) => {
			let token;
			if (users[actor]) token = (await login(gw, users[actor].phone, users[actor].password)).access;
			if (actor === 'tampered') token = tamper((await login(gw, resA.phone, resA.password)).access);
			return { method: 'POST', path: '/v1/auth/logout', token };
		}, X(401, 401, 204, 204, 204, 204)],
	];

	await h.sub(t, 'HTTP endpoints', () => m.http(gw, tokens, rows));

	// Channel rows, named by the channel: what a sub answers ('subbed',
	// 'forbidden', 'unauthorized'), or 'closed 4001' for a tampered token
	// (in the upgrade header and in an auth frame: 4001 either way).
	const channels = [
		[`community:${A.id}`, X(U, T, S, F, S, S)],
		[`community:${B.id}`, X(U, T, F, S, F, S)],
		[`help:${A.id}`, X(U, T, S, F, S, S)],
		[`help:${B.id}`, X(U, T, F, S, F, S)],
		[`mod:${A.id}`, X(U, T, F, F, S, S)],
		[`mod:${B.id}`, X(U, T, F, F, F, S)],
		[`user:${resA.id}`, X(U, T, S, F, F, S)],
		[`user:${resB.id}`, X(U, T, F, S, F, S)],
		[`user:${staffA.id}`, X(U, T, F, F, S, S)],
		[`user:${admin.id}`, X(U, T, F, F, F, S)],
		['thread:1', X(U, T, F, F, F, S)], // no forums yet: no thread exists
	].map(([ch, expect]) => [ch, ch, expect]);
	let sockets, subbedBy;
	await h.sub(t, 'WebSocket subscriptions', async () => {
		sockets = await m.sockets(h, gw, tokens, { closing: ['tampered'] });
		subbedBy = await m.channels(h, gw, tokens, sockets, channels, { closing: ['tampered'] });
	});

	await h.sub(t, 'events reach exactly the subscribers allowed', async () => {
		// One event on every channel, then a marker on each actor's own
		// user channel (admin: its own) to know everything before it arrived.
		for (const [, ch] of channels) await gw.publish(admin.access, ch, 'announcement', { probe: ch });
		const own = { resA: `user:${resA.id}`, resB: `user:${resB.id}`, staffA: `user:${staffA.id}`, admin: `user:${admin.id}` };
		for (const ch of Object.values(own)) await gw.publish(admin.access, ch, 'announcement', { marker: true });
		for (const [actor, ch] of Object.entries(own)) {
			const c = sockets[actor];
			await c.waitFor((f) => f.op === 'event' && f.ch === ch && f.data && f.data.marker, 5000);
			const seen = new Set(c.events().filter((e) => e.data && e.data.probe).map((e) => e.ch));
			const want = [...subbedBy[actor]].sort();
			if (JSON.stringify([...seen].sort()) !== JSON.stringify(want))
				m.problem(`${actor} received probes on ${[...seen].sort()} but is subscribed to ${want}`);
		}
		assert.equal(sockets.anon.events().length, 0, 'the anonymous socket received no events');
	});

	m.print(t, 'authorization matrix', 13);
	m.assertClean();
});
