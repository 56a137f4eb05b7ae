// Staff see a queue of what waits for them: held posts and reported ones,
// oldest first, with the reports; a decision takes a post off the queue.
// Residents may read the public summary (counts per action per month) but
// not the queue.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createPost } from './lib/forums.mjs';

itest('the moderation queue lists held and reported posts until staff decide', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [author, r1, r2, r3] } = await forumWorld(gw, { residents: 4, other: false });
	const th = await createThread(gw, author.access, A.id);
	const reported = await createPost(gw, author.access, th.id, '楼下的车挡住消防通道了');
	const held = await createPost(gw, author.access, th.id, '第二条');
	await createPost(gw, author.access, th.id, '无人举报');
	const report = (who, pid, reason) =>
		gw.request('POST', `/v1/posts/${pid}/report`, { token: who.access, body: { reason } });
	expectStatus(await report(r1, reported.id, '不实'), 201);
	for (const r of [r1, r2, r3]) expectStatus(await report(r, held.id, '骚扰'), 201);

	const queue = async () => {
		const r = await gw.request('GET', `/v1/communities/${A.id}/moderation/queue`, { token: staff.access });
		expectStatus(r, 200, 'queue');
		return r.json.items;
	};
	let q = await queue();
	assert.deepEqual(q.map((p) => [p.id, p.status, p.reports.length]),
		[[reported.id, 'visible', 1], [held.id, 'pending', 3]]);
	assert.equal(q[1].reports[0].reason, '骚扰');

	expectStatus(await gw.request('GET', `/v1/communities/${A.id}/moderation/queue`, { token: r1.access }), 403);
	expectStatus(await gw.request('GET', `/v1/communities/${A.id}/moderation/queue`), 401);

	expectStatus(await gw.request('POST', `/v1/posts/${held.id}/hide`, { token: staff.access, body: { reason: '骚扰他人' } }), 200);
	expectStatus(await gw.request('POST', `/v1/posts/${reported.id}/restore`, { token: staff.access }), 200);
	q = await queue();
	assert.deepEqual(q, [], 'decided posts leave the queue');

	const sum = await gw.request('GET', `/v1/communities/${A.id}/moderation/summary`, { token: r2.access });
	expectStatus(sum, 200, 'summary for residents');
	const counts = Object.fromEntries(sum.json.items.map((i) => [i.action, i.count]));
	assert.deepEqual(counts, { 'post.hide': 1, 'post.restore': 1 });
	assert.ok(sum.json.items.every((i) => /^\d{4}-\d{2}$/.test(i.month)));
	// No personal data: each row is a month, an action and a count, nothing else.
	for (const i of sum.json.items) assert.deepEqual(Object.keys(i).sort(), ['action', 'count', 'month']);
});

itest('lock needs a reason; unlock, pin and restore may give one, and the log keeps it', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [author] } = await forumWorld(gw, { residents: 1, other: false });
	const th = await createThread(gw, author.access, A.id);
	const post = (path, body) => gw.request('POST', path, { token: staff.access, body });
	expectStatus(await post(`/v1/threads/${th.id}/lock`, { reason: '讨论已转线下' }), 200);
	expectStatus(await post(`/v1/threads/${th.id}/unlock`, { reason: '业主要求继续讨论' }), 200);
	expectStatus(await post(`/v1/threads/${th.id}/pin`), 200, 'no body at all');
	const bad = await post(`/v1/threads/${th.id}/unpin`, { reason: 'x'.repeat(1000) });
	assert.equal(bad.status, 400, bad.text);
	assert.equal(bad.json.error.field, 'reason');
	const t = await gw.request('GET', `/v1/threads/${th.id}`, { token: author.access });
	assert.equal(t.json.thread.status, 'open');
	assert.equal(t.json.thread.pinned, true, 'the refused unpin changed nothing');
	const log = await gw.request('GET', `/v1/communities/${A.id}/moderation/log`, { token: staff.access });
	const reasons = Object.fromEntries(log.json.items.map((e) => [e.action, e.reason]));
	assert.deepEqual(reasons, { 'thread.lock': '讨论已转线下', 'thread.unlock': '业主要求继续讨论', 'thread.pin': '' });
});
