// Bad input to the forum endpoints: missing, wrong-typed and over-long
// fields, too few or too many options, a deadline in the past, an option
// out of range, a reply to another thread's post, non-numeric ids. Each is
// a 4xx naming the field; nothing is stored and no event is published.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createConsultation, createPost, listItems } from './lib/forums.mjs';

const long = (n) => '长'.repeat(n);

itest('forum bad input: 4xx naming the field, nothing stored, no event', async (h, t) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
	const tA = await createThread(gw, r1.access, A.id, { title: '讨论', body: '正文' });
	const p1 = await createPost(gw, r1.access, tA.id, '第一条');
	const cA = await createConsultation(gw, staff.access, A.id, { options: ['甲', '乙', '丙'] });
	const tO = await createThread(gw, r2.access, A.id, { title: '另一帖', body: '正文' });
	const pO = await createPost(gw, r2.access, tO.id, '另一帖的回复');

	const chans = [`community:${A.id}`, `thread:${tA.id}`, `thread:${cA.id}`, `thread:${tO.id}`];
	const sock = await h.subscriber(gw, r1.access, chans[0], { label: 'resident' });
	for (const ch of chans.slice(1)) await sock.subscribe(ch);
	const mod = await h.subscriber(gw, staff.access, `mod:${A.id}`, { label: 'staff mod' });
	const userSock = await h.subscriber(gw, r2.access, `user:${r2.id}`, { label: 'r2 user' });

	const snapshot = async () => ({
		threads: await listItems(gw, staff.access, `/v1/communities/${A.id}/threads?limit=100`),
		postsA: await listItems(gw, staff.access, `/v1/threads/${tA.id}/posts?limit=200`),
		postsC: await listItems(gw, staff.access, `/v1/threads/${cA.id}/posts?limit=200`),
		postsO: await listItems(gw, staff.access, `/v1/threads/${tO.id}/posts?limit=200`),
		consultation: (await gw.request('GET', `/v1/threads/${cA.id}`, { token: r1.access })).json,
		log: await listItems(gw, staff.access, `/v1/communities/${A.id}/moderation/log?limit=200`),
	});
	const before = await snapshot();

	const future = () => Date.now() + 3600000;
	const cons = (over) => ({ title: '投票', body: '请投', kind: 'consultation', options: ['是', '否'], closes_at: future(), ...over });
	const threads = `/v1/communities/${A.id}/threads`;
	// [what, token, method, path, body, status, field]
	const R1 = r1.access, ST = staff.access;
	const cases = [
		['thread: no body', R1, 'POST', threads, undefined, 400],
		['thread: invalid JSON', R1, 'POST', threads, '{"title":', 400],
		['thread: array body', R1, 'POST', threads, [], 400],
		['thread: missing title', R1, 'POST', threads, { body: 'x' }, 400, 'title'],
		['thread: title number', R1, 'POST', threads, { title: 5, body: 'x' }, 400, 'title'],
		['thread: title empty', R1, 'POST', threads, { title: '', body: 'x' }, 400, 'title'],
		['thread: title 101 chars', R1, 'POST', threads, { title: long(101), body: 'x' }, 400, 'title'],
		['thread: title control char', R1, 'POST', threads, { title: 'a\u0001b', body: 'x' }, 400, 'title'],
		['thread: missing body', R1, 'POST', threads, { title: 't' }, 400, 'body'],
		['thread: body object', R1, 'POST', threads, { title: 't', body: { a: 1 } }, 400, 'body'],
		['thread: body 5001 chars', R1, 'POST', threads, { title: 't', body: long(5001) }, 400, 'body'],
		['thread: kind unknown', R1, 'POST', threads, { title: 't', body: 'b', kind: 'poll' }, 400, 'kind'],
		['thread: kind number', R1, 'POST', threads, { title: 't', body: 'b', kind: 1 }, 400, 'kind'],
		['consultation: no options', R1, 'POST', threads, cons({ options: undefined }), 400, 'options'],
		['consultation: options string', R1, 'POST', threads, cons({ options: '是,否' }), 400, 'options'],
		['consultation: 1 option', R1, 'POST', threads, cons({ options: ['是'] }), 400, 'options'],
		['consultation: 11 options', R1, 'POST', threads, cons({ options: Array.from({ length: 11 }, (_, i) => `选项${i}`) }), 400, 'options'],
		['consultation: option numbers', R1, 'POST', threads, cons({ options: [1, 2] }), 400, 'options'],
		['consultation: empty option', R1, 'POST', threads, cons({ options: ['是', ''] }), 400, 'options'],
		['consultation: option 101 chars', R1, 'POST', threads, cons({ options: ['是', long(101)] }), 400, 'options'],
		['consultation: no closes_at', R1, 'POST', threads, cons({ closes_at: undefined }), 400, 'closes_at'],
		['consultation: closes_at past', R1, 'POST', threads, cons({ closes_at: Date.now() - 60000 }), 400, 'closes_at'],
		['consultation: closes_at now', R1, 'POST', threads, cons({ closes_at: Date.now() }), 400, 'closes_at'],
		['consultation: closes_at string', R1, 'POST', threads, cons({ closes_at: String(future()) }), 400, 'closes_at'],
		['consultation: closes_at float', R1, 'POST', threads, cons({ closes_at: future() + 0.5 }), 400, 'closes_at'],
		['consultation: closes_at in 2 years', R1, 'POST', threads, cons({ closes_at: Date.now() + 2 * 366 * 86400000 }), 400, 'closes_at'],
		['consultation: live_tally string', ST, 'POST', threads, cons({ live_tally: 'yes' }), 400, 'live_tally'],
		['post: no body', R1, 'POST', `/v1/threads/${tA.id}/posts`, undefined, 400],
		['post: missing body', R1, 'POST', `/v1/threads/${tA.id}/posts`, {}, 400, 'body'],
		['post: body empty', R1, 'POST', `/v1/threads/${tA.id}/posts`, { body: '' }, 400, 'body'],
		['post: body array', R1, 'POST', `/v1/threads/${tA.id}/posts`, { body: ['x'] }, 400, 'body'],
		['post: body 5001 chars', R1, 'POST', `/v1/threads/${tA.id}/posts`, { body: long(5001) }, 400, 'body'],
		['post: reply_to string', R1, 'POST', `/v1/threads/${tA.id}/posts`, { body: 'x', reply_to: String(p1.id) }, 400, 'reply_to'],
		['post: reply_to 0', R1, 'POST', `/v1/threads/${tA.id}/posts`, { body: 'x', reply_to: 0 }, 400, 'reply_to'],
		['post: reply_to another thread', R1, 'POST', `/v1/threads/${tA.id}/posts`, { body: 'x', reply_to: pO.id }, 400, 'reply_to'],
		['post: reply_to no such post', R1, 'POST', `/v1/threads/${tA.id}/posts`, { body: 'x', reply_to: 999999 }, 400, 'reply_to'],
		['vote: missing option', R1, 'POST', `/v1/threads/${cA.id}/vote`, {}, 400, 'option'],
		['vote: option 3 of 3', R1, 'POST', `/v1/threads/${cA.id}/vote`, { option: 3 }, 400, 'option'],
		['vote: option -1', R1, 'POST', `/v1/threads/${cA.id}/vote`, { option: -1 }, 400, 'option'],
		['vote: option string', R1, 'POST', `/v1/threads/${cA.id}/vote`, { option: '0' }, 400, 'option'],
		['vote: option float', R1, 'POST', `/v1/threads/${cA.id}/vote`, { option: 0.5 }, 400, 'option'],
		['vote: reason number', R1, 'POST', `/v1/threads/${cA.id}/vote`, { option: 0, reason: 7 }, 400, 'reason'],
		['vote: reason 501 chars', R1, 'POST', `/v1/threads/${cA.id}/vote`, { option: 0, reason: long(501) }, 400, 'reason'],
		['vote: discussion thread', R1, 'POST', `/v1/threads/${tA.id}/vote`, { option: 0 }, 409],
		['report: missing reason', R1, 'POST', `/v1/posts/${pO.id}/report`, {}, 400, 'reason'],
		['report: reason 501 chars', R1, 'POST', `/v1/posts/${pO.id}/report`, { reason: long(501) }, 400, 'reason'],
		['hide: missing reason', ST, 'POST', `/v1/posts/${pO.id}/hide`, {}, 400, 'reason'],
		['hide: no body', ST, 'POST', `/v1/posts/${pO.id}/hide`, undefined, 400],
		['lock: missing reason', ST, 'POST', `/v1/threads/${tA.id}/lock`, {}, 400, 'reason'],
		['lock: reason empty', ST, 'POST', `/v1/threads/${tA.id}/lock`, { reason: '' }, 400, 'reason'],
		['mute: missing user_id', ST, 'POST', `/v1/communities/${A.id}/mutes`, { minutes: 5, reason: 'x' }, 400, 'user_id'],
		['mute: user_id string', ST, 'POST', `/v1/communities/${A.id}/mutes`, { user_id: String(r2.id), minutes: 5, reason: 'x' }, 400, 'user_id'],
		['mute: minutes 0', ST, 'POST', `/v1/communities/${A.id}/mutes`, { user_id: r2.id, minutes: 0, reason: 'x' }, 400, 'minutes'],
		['mute: minutes string', ST, 'POST', `/v1/communities/${A.id}/mutes`, { user_id: r2.id, minutes: '5', reason: 'x' }, 400, 'minutes'],
		['mute: missing reason', ST, 'POST', `/v1/communities/${A.id}/mutes`, { user_id: r2.id, minutes: 5 }, 400, 'reason'],
		['mute: not a member', ST, 'POST', `/v1/communities/${A.id}/mutes`, { user_id: 999999, minutes: 5, reason: 'x' }, 404, 'user_id'],
		['outcome: before close', ST, 'POST', `/v1/threads/${cA.id}/outcome`, { summary: '结论' }, 409],
		['close: a discussion', ST, 'POST', `/v1/threads/${tA.id}/close`, undefined, 409],
		// Ids that are not positive integers: 404 naming the parameter.
		['thread id abc', R1, 'GET', '/v1/threads/abc', undefined, 404, 'tid'],
		['thread id -1', R1, 'GET', '/v1/threads/-1', undefined, 404, 'tid'],
		['thread id 0', R1, 'GET', '/v1/threads/0', undefined, 404, 'tid'],
		['thread id 1e3', R1, 'GET', '/v1/threads/1e3', undefined, 404, 'tid'],
		['thread id 0x10', R1, 'GET', '/v1/threads/0x10', undefined, 404, 'tid'],
		['thread id overflow', R1, 'GET', '/v1/threads/99999999999999999999999', undefined, 404, 'tid'],
		['posts of thread abc', R1, 'POST', '/v1/threads/abc/posts', { body: 'x' }, 404, 'tid'],
		['vote on thread 1.5', R1, 'POST', '/v1/threads/1.5/vote', { option: 0 }, 404, 'tid'],
		['community id abc', R1, 'POST', '/v1/communities/abc/threads', { title: 't', body: 'b' }, 404, 'cid'],
		['community id abc list', R1, 'GET', '/v1/communities/abc/threads', undefined, 404, 'cid'],
		['post id abc', R1, 'POST', '/v1/posts/abc/report', { reason: 'x' }, 404, 'pid'],
		['post id -5 hide', ST, 'POST', '/v1/posts/-5/hide', { reason: 'x' }, 404, 'pid'],
		['mod log community abc', ST, 'GET', '/v1/communities/abc/moderation/log', undefined, 404, 'cid'],
		// Query parameters.
		['threads limit 0', R1, 'GET', `${threads}?limit=0`, undefined, 400, 'limit'],
		['threads limit 101', R1, 'GET', `${threads}?limit=101`, undefined, 400, 'limit'],
		['threads cursor abc', R1, 'GET', `${threads}?cursor=abc`, undefined, 400, 'cursor'],
		['posts limit x', R1, 'GET', `/v1/threads/${tA.id}/posts?limit=x`, undefined, 400, 'limit'],
	];

	const problems = [];
	for (const [what, token, method, path, body, status, field] of cases) {
		const r = await gw.request(method, path, { token, body });
		const err = r.json && r.json.error;
		if (r.status !== status) problems.push(`${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 200)}`);
		else if (!err || typeof err.code !== 'string' || typeof err.message !== 'string') problems.push(`${what}: no JSON error: ${r.text.slice(0, 200)}`);
		else if (field !== undefined && err.field !== field) problems.push(`${what}: expected field ${field}, got ${JSON.stringify(err.field)}: ${r.text.slice(0, 200)}`);
	}
	assert.deepEqual(problems, [], `bad input answered wrongly:\n  ${problems.join('\n  ')}`);

	const after = await snapshot();
	for (const k of Object.keys(before)) assert.deepEqual(after[k], before[k], `${k} unchanged`);
	assert.ok(!('my_vote' in after.consultation.thread) && after.consultation.thread.votes === 0, 'no vote stored');

	// Markers: one valid action per channel; each must be the first event
	// its subscriber sees after subscribing.
	const marker = await createThread(gw, r1.access, A.id, { title: '标记', body: '标记' });
	await createPost(gw, r1.access, tA.id, '标记');
	expectStatus(await gw.request('POST', `/v1/threads/${cA.id}/vote`, { token: r1.access, body: { option: 0 } }), 200);
	await createPost(gw, r2.access, tO.id, '标记');  // r2 was not muted
	expectStatus(await gw.request('POST', `/v1/posts/${pO.id}/report`, { token: r1.access, body: { reason: '标记' } }), 201);
	const firstType = { [chans[0]]: 'thread.created', [chans[1]]: 'post.created', [chans[2]]: 'vote.tally', [chans[3]]: 'post.created' };
	for (const ch of chans) {
		const e = await sock.waitFor((f) => f.op === 'event' && f.ch === ch);
		assert.equal(e.type, firstType[ch], `${ch}: first event is the marker, got ${JSON.stringify(e)}`);
	}
	assert.equal((await sock.waitFor((f) => f.op === 'event' && f.ch === chans[0])).data.id, marker.id);
	const m = await mod.waitFor((f) => f.op === 'event');
	assert.equal(m.type, 'report.created', `mod: first event is the marker report: ${JSON.stringify(m)}`);
	assert.equal(m.data.reason, '标记');
	assert.equal(userSock.events().length, 0, 'no notification to r2 (no hide, no mute)');
});
