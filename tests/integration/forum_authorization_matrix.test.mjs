// Who may do what in the forums: every forum and moderation endpoint, and
// `sub` to thread/mod channels, tried by an anonymous caller, a resident of
// A, a resident of B, staff of A, an admin (member of neither) and a muted
// resident of A. The expected answers are one table; the observed one is
// printed as a diagnostic, and every cell that differs is listed.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createConsultation, createPost } from './lib/forums.mjs';
import { Matrix, SUBBED as S, FORBIDDEN as F, UNAUTHORIZED as U } from './lib/matrix.mjs';

const ACTORS = ['anon', 'resA', 'resB', 'staffA', 'admin', 'muted'];

itest('forum authorization matrix: endpoints and thread channels by role, muted members', async (h, t) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { admin, A, B, staff: staffA, residents: [resA, muted, victim], resB } = await forumWorld(gw, { residents: 3 });
	const tokens = { anon: undefined, resA: resA.access, resB: resB.access, staffA: staffA.access, admin: admin.access, muted: muted.access };
	const m = new Matrix(ACTORS);
	const X = m.X; // expected answers, in ACTORS order

	const tA = await createThread(gw, staffA.access, A.id, { title: '停车位分配', body: '讨论' });
	const tB = await createThread(gw, resB.access, B.id, { title: '和平里议事', body: '讨论' });
	const cA = await createConsultation(gw, staffA.access, A.id);
	const locked = await createThread(gw, staffA.access, A.id, { title: '已锁定', body: '锁' });
	expectStatus(await gw.request('POST', `/v1/threads/${locked.id}/lock`, { token: staffA.access, body: { reason: '争吵' } }), 200);
	const flags = await createThread(gw, staffA.access, A.id, { title: '置顶测试', body: '置顶' });
	const pReport = await createPost(gw, victim.access, tA.id, '被举报的帖子');
	const pHide = await createPost(gw, victim.access, tA.id, '被隐藏的帖子');
	const mute = await gw.request('POST', `/v1/communities/${A.id}/mutes`,
		{ token: staffA.access, body: { user_id: muted.id, minutes: 60, reason: '刷屏' } });
	expectStatus(mute, 200, 'mute');
	const NO = 999999;
	const consult = () => ({ title: '投票', body: '请投', kind: 'consultation', options: ['是', '否'], closes_at: Date.now() + 3600000 });

	const rows = [
		['POST A/threads discussion', () => ({ method: 'POST', path: `/v1/communities/${A.id}/threads`, body: { title: '新帖', body: '内容', kind: 'discussion' } }),
			X(401, 201, 403, 201, 201, 403)],
		['POST A/threads consultation', () => ({ method: 'POST', path: `/v1/communities/${A.id}/threads`, body: consult() }),
			X(401, 201, 403, 201, 201, 403)],
		['POST B/threads', () => ({ method: 'POST', path: `/v1/communities/${B.id}/threads`, body: { title: '新帖', body: '内容' } }),
			X(401, 403, 201, 403, 201, 403)],
		['POST none/threads', () => ({ method: 'POST', path: `/v1/communities/${NO}/threads`, body: { title: '新帖', body: '内容' } }),
			X(401, 404, 404, 404, 404, 404)],
		['GET A/threads', () => ({ method: 'GET', path: `/v1/communities/${A.id}/threads` }), X(401, 200, 403, 200, 200, 200)],
		['GET A/threads?q=', () => ({ method: 'GET', path: `/v1/communities/${A.id}/threads?q=${encodeURIComponent('停车位')}` }),
			X(401, 200, 403, 200, 200, 200)],
		['GET B/threads', () => ({ method: 'GET', path: `/v1/communities/${B.id}/threads` }), X(401, 403, 200, 403, 200, 403)],
		['GET thread tA', () => ({ method: 'GET', path: `/v1/threads/${tA.id}` }), X(401, 200, 403, 200, 200, 200)],
		['GET thread tB', () => ({ method: 'GET', path: `/v1/threads/${tB.id}` }), X(401, 403, 200, 403, 200, 403)],
		['GET thread none', () => ({ method: 'GET', path: `/v1/threads/${NO}` }), X(401, 404, 404, 404, 404, 404)],
		['POST tA/posts', () => ({ method: 'POST', path: `/v1/threads/${tA.id}/posts`, body: { body: '回复' } }),
			X(401, 201, 403, 201, 201, 403)],
		['POST tB/posts', () => ({ method: 'POST', path: `/v1/threads/${tB.id}/posts`, body: { body: '回复' } }),
			X(401, 403, 201, 403, 201, 403)],
		// Locked beats muted or muted beats locked: either refusal is fine.
		['POST locked/posts', () => ({ method: 'POST', path: `/v1/threads/${locked.id}/posts`, body: { body: '回复' } }),
			X(401, 409, 403, 409, 409, [403, 409])],
		['POST none/posts', () => ({ method: 'POST', path: `/v1/threads/${NO}/posts`, body: { body: '回复' } }),
			X(401, 404, 404, 404, 404, 404)],
		['GET tA/posts', () => ({ method: 'GET', path: `/v1/threads/${tA.id}/posts` }), X(401, 200, 403, 200, 200, 200)],
		['GET tB/posts', () => ({ method: 'GET', path: `/v1/threads/${tB.id}/posts` }), X(401, 403, 200, 403, 200, 403)],
		// Votes are members' own: an admin who is not a member may not vote.
		['POST cA/vote', () => ({ method: 'POST', path: `/v1/threads/${cA.id}/vote`, body: { option: 1 } }),
			X(401, 200, 403, 200, 403, 200)],
		['POST tA/vote (discussion)', () => ({ method: 'POST', path: `/v1/threads/${tA.id}/vote`, body: { option: 0 } }),
			X(401, 409, 403, 409, 409, 409)],
		['POST close (fresh consultation)', async () => {
			const c = await createConsultation(gw, staffA.access, A.id);
			return { method: 'POST', path: `/v1/threads/${c.id}/close` };
		}, X(401, 403, 403, 200, 200, 403)],
		['POST outcome (closed consultation)', async () => {
			const c = await createConsultation(gw, staffA.access, A.id);
			expectStatus(await gw.request('POST', `/v1/threads/${c.id}/close`, { token: staffA.access }), 200);
			return { method: 'POST', path: `/v1/threads/${c.id}/outcome`, body: { summary: '结论' } };
		}, X(401, 403, 403, 200, 200, 403)],
		['POST report', () => ({ method: 'POST', path: `/v1/posts/${pReport.id}/report`, body: { reason: '广告' } }),
			X(401, 201, 403, 201, 201, 201)],
		['POST report none', () => ({ method: 'POST', path: `/v1/posts/${NO}/report`, body: { reason: '广告' } }),
			X(401, 404, 404, 404, 404, 404)],
		['POST hide', () => ({ method: 'POST', path: `/v1/posts/${pHide.id}/hide`, body: { reason: '广告' } }),
			X(401, 403, 403, 200, 200, 403)],
		['POST restore', () => ({ method: 'POST', path: `/v1/posts/${pHide.id}/restore` }), X(401, 403, 403, 200, 200, 403)],
		['POST lock', () => ({ method: 'POST', path: `/v1/threads/${flags.id}/lock`, body: { reason: '冷静' } }),
			X(401, 403, 403, 200, 200, 403)],
		['POST unlock', () => ({ method: 'POST', path: `/v1/threads/${flags.id}/unlock` }), X(401, 403, 403, 200, 200, 403)],
		['POST pin', () => ({ method: 'POST', path: `/v1/threads/${flags.id}/pin` }), X(401, 403, 403, 200, 200, 403)],
		['POST unpin', () => ({ method: 'POST', path: `/v1/threads/${flags.id}/unpin` }), X(401, 403, 403, 200, 200, 403)],
		['POST lock tB', () => ({ method: 'POST', path: `/v1/threads/${tB.id}/lock`, body: { reason: '冷静' } }),
			X(401, 403, 403, 403, 200, 403)],
		['POST unlock tB', () => ({ method: 'POST', path: `/v1/threads/${tB.id}/unlock` }), X(401, 403, 403, 403, 200, 403)],
		['POST A/mutes', () => ({ method: 'POST', path: `/v1/communities/${A.id}/mutes`, body: { user_id: victim.id, minutes: 1, reason: '测试' } }),
			X(401, 403, 403, 200, 200, 403)],
		['POST B/mutes', () => ({ method: 'POST', path: `/v1/communities/${B.id}/mutes`, body: { user_id: resB.id, minutes: 1, reason: '测试' } }),
			X(401, 403, 403, 403, 200, 403)],
		['GET A/moderation/log', () => ({ method: 'GET', path: `/v1/communities/${A.id}/moderation/log` }), X(401, 403, 403, 200, 200, 403)],
		['GET B/moderation/log', () => ({ method: 'GET', path: `/v1/communities/${B.id}/moderation/log` }), X(401, 403, 403, 403, 200, 403)],
	];

	await h.sub(t, 'HTTP endpoints', () => m.http(gw, tokens, rows));

	await h.sub(t, 'a muted member is told until when, for posts and threads', async () => {
		for (const [what, path, body] of [
			['post', `/v1/threads/${tA.id}/posts`, { body: '我又来了' }],
			['thread', `/v1/communities/${A.id}/threads`, { title: '新帖', body: '内容' }],
		]) {
			const r = await gw.request('POST', path, { token: muted.access, body });
			assert.equal(r.status, 403, `${what}: ${r.text}`);
			assert.equal(r.json.error.code, 'forbidden');
			assert.equal(r.json.error.muted_until, mute.json.muted_until, `${what}: muted_until in the error: ${r.text}`);
		}
		const posts = await gw.request('GET', `/v1/threads/${tA.id}/posts?limit=200`, { token: staffA.access });
		assert.ok(!posts.json.items.some((p) => p.author.id === muted.id), 'nothing the muted member sent was stored');
	});

	// Channels, named by the channel: what a sub answers ('subbed' or the
	// error code).
	const channels = [
		[`thread:${tA.id}`, X(U, S, F, S, S, S)],
		[`thread:${cA.id}`, X(U, S, F, S, S, S)],
		[`thread:${tB.id}`, X(U, F, S, F, S, F)],
		[`thread:${NO}`, X(U, F, F, F, S, F)], // admins may subscribe to anything
		[`mod:${A.id}`, X(U, F, F, S, S, F)],
		[`mod:${B.id}`, X(U, F, F, F, S, F)],
		[`community:${A.id}`, X(U, S, F, S, S, S)],
	].map(([ch, expect]) => [ch, ch, expect]);
	let sockets;
	await h.sub(t, 'WebSocket subscriptions', async () => {
		sockets = await m.sockets(h, gw, tokens);
		await m.channels(h, gw, tokens, sockets, channels);
	});

	await h.sub(t, 'post.created on thread:{tA} reaches exactly its subscribers', async () => {
		const p = await createPost(gw, resA.access, tA.id, '最后一条');
		for (const actor of ['resA', 'staffA', 'admin', 'muted']) {
			const e = await sockets[actor].waitFor((f) => f.op === 'event' && f.ch === `thread:${tA.id}` && f.type === 'post.created' && f.data.id === p.id);
			assert.equal(e.data.body, '最后一条');
		}
		// resB's own marker arrives after anything it could have received.
		await createPost(gw, admin.access, tB.id, 'marker'); // resB was muted in B above
		await sockets.resB.waitFor((f) => f.op === 'event' && f.ch === `thread:${tB.id}` && f.data.body === 'marker');
		assert.ok(!sockets.resB.events().some((e) => e.ch !== `thread:${tB.id}`), 'resB got nothing from A');
		assert.equal(sockets.anon.events().length, 0);
	});

	m.print(t, 'forum authorization matrix');
	m.assertClean();
});
