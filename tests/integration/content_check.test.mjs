// The content check (内容安全): every user-written text is POSTed, signed,
// to the operator's checker before it is stored. pass publishes; review
// holds a post, thread or help request (its author and staff see it,
// nobody else, nobody is told) until staff release it, and refuses texts
// without a held state; reject answers 400 content_rejected naming the
// field and stores nothing; a checker that never answers costs the request
// the time-out, then content_check_fail.
import assert from 'node:assert/strict';
import { itest, sql } from './lib/harness.mjs';
import { PASSWORD, expectError, expectStatus, newPhone } from './lib/accounts.mjs';
import { FORUM_CONFIG, createPost, createThread, forumWorld } from './lib/forums.mjs';
import { Checker } from './lib/checker.mjs';
import { note, volunteer } from './lib/help.mjs';
import { signatureValid } from './lib/relay.mjs';

const rejected = (r, field, what) => {
	const e = expectError(r, 400, 'bad_request', field, what);
	assert.equal(e.reason, 'content_rejected', `${what}: ${r.text}`);
};

itest('pass publishes, review holds a post for staff, reject stores nothing; every text kind is checked', async (h) => {
	const checker = await new Checker().start(h);
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, ...checker.config() } });
	const { A, staff, residents: [author, other] } = await forumWorld(gw, { residents: 2, other: false });
	const th = await createThread(gw, author.access, A.id, { title: '电梯维修', body: '三号楼电梯坏了' });
	const watcher = await h.subscriber(gw, other.access, `thread:${th.id}`);
	const mod = await h.subscriber(gw, staff.access, `mod:${A.id}`);

	// pass
	const ok = await createPost(gw, author.access, th.id, '物业已经来看过了');
	assert.equal(ok.status, 'visible');
	await watcher.waitFor((f) => f.op === 'event' && f.type === 'post.created' && f.data.id === ok.id);

	// review: held, with the checker's label; only author and staff see it.
	const held = await createPost(gw, author.access, th.id, '待审的内容，加微信');
	assert.equal(held.status, 'pending');
	assert.match(held.hold_reason, /content check \(ad\)/);
	await mod.waitFor((f) => f.op === 'event' && f.type === 'post.pending' && f.data.id === held.id);
	const list = async (s) => (await gw.request('GET', `/v1/threads/${th.id}/posts`, { token: s.access })).json.items.map((p) => p.id);
	assert.ok((await list(author)).includes(held.id));
	assert.ok((await list(staff)).includes(held.id));
	assert.ok(!(await list(other)).includes(held.id), 'others do not see a held post');
	// Nothing about it on the thread channel until staff restore it.
	const marker = await createPost(gw, author.access, th.id, '标记');
	await watcher.waitFor((f) => f.op === 'event' && f.data?.id === marker.id);
	assert.ok(!watcher.frames.some((f) => f.op === 'event' && f.data?.id === held.id), 'no event for the held post');
	expectStatus(await gw.request('POST', `/v1/posts/${held.id}/restore`, { token: staff.access }), 200, 'restore');
	await watcher.waitFor((f) => f.op === 'event' && f.data?.id === held.id && f.data.status === 'visible');

	// reject: 400 naming the field, nothing stored.
	const before = await sql(gw, 'SELECT (SELECT count(*) FROM posts) || \'/\' || (SELECT count(*) FROM threads) || \'/\' || (SELECT count(*) FROM help_requests)');
	rejected(await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: author.access, body: { body: '违规的话' } }), 'body', 'post');
	rejected(await gw.request('PATCH', `/v1/posts/${ok.id}`, { token: author.access, body: { body: '改成违规的话' } }), 'body', 'edit');
	rejected(await gw.request('POST', `/v1/communities/${A.id}/threads`, { token: author.access,
		body: { title: '违规标题', body: '正文', kind: 'discussion' } }), 'title', 'thread title');
	rejected(await gw.request('POST', `/v1/communities/${A.id}/threads`, { token: author.access,
		body: { title: '标题', body: '违规正文', kind: 'discussion' } }), 'body', 'thread body');
	rejected(await gw.request('POST', `/v1/communities/${A.id}/help`, { token: author.access,
		body: { category: 'errand', title: '违规求助', details: '说明', contact: '电话' } }), 'title', 'help title');
	rejected(await gw.request('POST', `/v1/communities/${A.id}/help`, { token: author.access,
		body: { category: 'errand', title: '求助', details: '违规说明', contact: '电话' } }), 'details', 'help details');
	rejected(await gw.request('POST', `/v1/channels/community:${A.id}/events`, { token: staff.access,
		body: { type: 'announcement', data: { title: '通知', body: '违规公告' } } }), 'data', 'announcement');
	rejected(await gw.request('PATCH', '/v1/me', { token: author.access, body: { display_name: '违规昵称' } }), 'display_name', 'display name');
	rejected(await gw.request('PATCH', '/v1/me', { token: author.access, body: { display_name: '待审昵称' } }), 'display_name', 'a display name held for review is refused');
	rejected(await gw.request('POST', '/v1/auth/register', { body: { phone: newPhone(), password: PASSWORD, display_name: '违规的人' } }),
		'display_name', 'registration');
	assert.equal(await sql(gw, 'SELECT (SELECT count(*) FROM posts) || \'/\' || (SELECT count(*) FROM threads) || \'/\' || (SELECT count(*) FROM help_requests)'), before, 'nothing stored');
	const okNow = (await gw.request('GET', `/v1/threads/${th.id}/posts`, { token: other.access })).json.items.find((x) => x.id === ok.id);
	assert.equal(okNow.body, '物业已经来看过了', 'the refused edit changed nothing');
	assert.equal((await gw.request('GET', '/v1/me', { token: author.access })).json.user.display_name, author.user.display_name);

	// Every text kind reached the checker, signed, with user and community.
	const kinds = new Set(checker.posts.map((p) => p.body.kind));
	for (const k of ['post', 'post_edit', 'thread_title', 'thread_body', 'help_title', 'help_details', 'announcement', 'display_name'])
		assert.ok(kinds.has(k), `kind ${k} checked (have ${[...kinds]})`);
	assert.ok(checker.posts.every((p) => signatureValid(p)), 'every check is signed');
	const p = checker.about('待审的内容')[0];
	assert.equal(p.body.user_id, author.id);
	assert.equal(p.body.community_id, A.id);
	assert.equal(checker.about('物业已经来看过了').length, 1, 'a text is checked once per request');

	// An appeal's reason too.
	expectStatus(await gw.request('POST', `/v1/posts/${ok.id}/hide`, { token: staff.access, body: { reason: '测试' } }), 200);
	const action = (await gw.request('GET', `/v1/communities/${A.id}/moderation/log`, { token: staff.access })).json.items
		.find((e) => e.action === 'post.hide' && e.target?.id === ok.id);
	rejected(await gw.request('POST', `/v1/moderation/actions/${action.id}/appeal`, { token: author.access, body: { reason: '违规申诉' } }), 'reason', 'appeal');
	expectStatus(await gw.request('POST', `/v1/moderation/actions/${action.id}/appeal`, { token: author.access, body: { reason: '请复核' } }), 201);
	assert.ok(checker.posts.some((x) => x.body.kind === 'appeal' && x.body.text === '请复核'));

	// The outcome summary too (a closed consultation).
	const co = await createThread(gw, staff.access, A.id, { kind: 'consultation', title: '议题', body: '投票', options: ['是', '否'], closes_at: Date.now() + 60000 });
	expectStatus(await gw.request('POST', `/v1/threads/${co.id}/close`, { token: staff.access }), 200);
	rejected(await gw.request('POST', `/v1/threads/${co.id}/outcome`, { token: staff.access, body: { summary: '违规结果' } }), 'summary', 'outcome');
	expectStatus(await gw.request('POST', `/v1/threads/${co.id}/outcome`, { token: staff.access, body: { summary: '通过' } }), 200, 'outcome');
	assert.ok(checker.posts.some((x) => x.body.kind === 'outcome'));
});

itest('a checker that never answers: the request waits content_check_timeout_ms, then content_check_fail decides; the loop serves meanwhile', async (h) => {
	const checker = await new Checker().start(h);
	for (const [fail, want] of [['review', 'pending'], ['reject', 400], ['pass', 'visible']]) {
		const gw = await h.gateway({ config: { ...FORUM_CONFIG, ...checker.config({ content_check_timeout_ms: 400, content_check_fail: fail }) } });
		const { A, residents: [author] } = await forumWorld(gw, { residents: 1, other: false });
		const th = await createThread(gw, author.access, A.id);
		const t0 = Date.now();
		const slow = gw.request('POST', `/v1/threads/${th.id}/posts`, { token: author.access, body: { body: `不回答 ${fail}` } });
		// Meanwhile other requests are answered at once.
		const h0 = Date.now();
		expectStatus(await gw.request('GET', '/healthz'), 200);
		assert.ok(Date.now() - h0 < 300, 'the loop is not blocked by the outstanding check');
		const r = await slow;
		const took = Date.now() - t0;
		assert.ok(took >= 380 && took < 2400, `${fail}: answered after ${took} ms (time-out 400)`);
		if (want === 400) rejected(r, 'body', 'content_check_fail = reject');
		else assert.equal(expectStatus(r, 201, fail).post.status, want);
		assert.ok((await gw.metric('linli_content_check_failures_total')) >= 1);
		await gw.stop();
	}
});

itest('a thread or help request held for review: author and staff only, announced to nobody until staff release it', async (h) => {
	const checker = await new Checker().start(h);
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, ...checker.config() } });
	const { A, staff, residents: [author, other, vol] } = await forumWorld(gw, { residents: 3, other: false });
	await volunteer(gw, vol, A.id);
	const community = await h.subscriber(gw, other.access, `community:${A.id}`);
	const helpCh = await h.subscriber(gw, other.access, `help:${A.id}`);
	const volInbox = await h.subscriber(gw, vol.access, `user:${vol.id}`);
	const mod = await h.subscriber(gw, staff.access, `mod:${A.id}`);

	let r = await gw.request('POST', `/v1/communities/${A.id}/threads`, { token: author.access,
		body: { title: '标题', body: '待审的正文', kind: 'discussion' } });
	const th = expectStatus(r, 201, 'held thread').thread;
	assert.equal(th.held, true);
	assert.match(th.hold_reason, /content check \(ad\)/);
	r = await gw.request('POST', `/v1/communities/${A.id}/help`, { token: author.access,
		body: { category: 'errand', title: '待审的求助', details: '说明', contact: '电话' } });
	const hr = expectStatus(r, 201, 'held help').request;
	assert.equal(hr.held, true);
	assert.equal(hr.notified, 0, 'no volunteer told');
	await mod.waitFor((f) => f.op === 'event' && f.type === 'thread.pending' && f.data.id === th.id);
	await mod.waitFor((f) => f.op === 'event' && f.type === 'help.pending' && f.data.id === hr.id);

	// Author and staff see them; others get 404 and no list entry.
	for (const s of [author, staff]) {
		expectStatus(await gw.request('GET', `/v1/threads/${th.id}`, { token: s.access }), 200);
		expectStatus(await gw.request('GET', `/v1/help/${hr.id}`, { token: s.access }), 200);
	}
	for (const s of [other, vol]) {
		expectError(await gw.request('GET', `/v1/threads/${th.id}`, { token: s.access }), 404, 'not_found');
		expectError(await gw.request('GET', `/v1/help/${hr.id}`, { token: s.access }), 404, 'not_found');
		assert.ok(!(await gw.request('GET', `/v1/communities/${A.id}/threads`, { token: s.access })).json.items.some((x) => x.id === th.id));
		assert.ok(!(await gw.request('GET', `/v1/communities/${A.id}/help`, { token: s.access })).json.items.some((x) => x.id === hr.id));
	}
	expectError(await gw.request('POST', `/v1/help/${hr.id}/claim`, { token: vol.access }), 404, 'not_found', undefined, 'a held request cannot be claimed');
	assert.ok(!(await gw.request('GET', `/v1/communities/${A.id}/threads?q=${encodeURIComponent('待审的正文')}`, { token: staff.access })).json.items.some((x) => x.id === th.id), 'not searchable while held');
	// The staff queue lists them.
	const q = (await gw.request('GET', `/v1/communities/${A.id}/moderation/queue`, { token: staff.access })).json;
	assert.deepEqual(q.threads.map((x) => x.id), [th.id]);
	assert.deepEqual(q.help_requests.map((x) => x.id), [hr.id]);
	expectError(await gw.request('POST', `/v1/threads/${th.id}/release`, { token: author.access }), 403, 'forbidden');

	// A staff announcement and an outcome held for review are staff's only.
	r = await gw.request('POST', `/v1/channels/community:${A.id}/events`, { token: staff.access,
		body: { type: 'announcement', data: { title: '通知', body: '待审公告' } } });
	const heldAnn = expectStatus(r, 202, 'held announcement').held;
	assert.match(heldAnn.hold_reason, /content check/);
	const co = await createThread(gw, staff.access, A.id, { kind: 'consultation', title: '议题', body: '投票', options: ['是', '否'], closes_at: Date.now() + 60000 });
	expectStatus(await gw.request('POST', `/v1/threads/${co.id}/close`, { token: staff.access }), 200);
	r = await gw.request('POST', `/v1/threads/${co.id}/outcome`, { token: staff.access, body: { summary: '待审的结果' } });
	assert.equal(expectStatus(r, 200, 'held outcome').thread.outcome.held, true);
	assert.equal((await gw.request('GET', `/v1/threads/${co.id}`, { token: other.access })).json.thread.outcome, undefined, 'members see no held outcome');
	const q2 = (await gw.request('GET', `/v1/communities/${A.id}/moderation/queue`, { token: staff.access })).json;
	assert.deepEqual(q2.announcements.map((x) => x.id), [heldAnn.id]);
	assert.deepEqual(q2.outcomes.map((x) => x.id), [co.id]);
	assert.ok(!community.frames.some((f) => f.op === 'event' && f.type === 'announcement'), 'no announcement published');
	const seq = expectStatus(await gw.request('POST', `/v1/held-events/${heldAnn.id}/release`, { token: staff.access }), 201).seq;
	await community.waitFor((f) => f.op === 'event' && f.type === 'announcement' && f.seq === seq && f.data.body === '待审公告');
	expectStatus(await gw.request('POST', `/v1/threads/${co.id}/outcome/release`, { token: staff.access }), 200);
	assert.equal((await gw.request('GET', `/v1/threads/${co.id}`, { token: other.access })).json.thread.outcome.summary, '待审的结果');
	expectError(await gw.request('POST', `/v1/held-events/${heldAnn.id}/release`, { token: staff.access }), 404, 'not_found', undefined, 'released once');
	expectError(await gw.request('POST', `/v1/threads/${co.id}/outcome/release`, { token: staff.access }), 409, 'conflict');

	// Released: announced as if just written.
	r = await gw.request('POST', `/v1/threads/${th.id}/release`, { token: staff.access });
	assert.equal(expectStatus(r, 200, 'release thread').thread.held, undefined);
	await community.waitFor((f) => f.op === 'event' && f.type === 'thread.created' && f.data.id === th.id);
	r = await gw.request('POST', `/v1/help/${hr.id}/release`, { token: staff.access });
	assert.equal(expectStatus(r, 200, 'release help').request.notified, 1);
	await helpCh.waitFor((f) => f.op === 'event' && f.type === 'help.created' && f.data.id === hr.id);
	await volInbox.waitFor(note(vol.id, 'help.request', (d) => d.data.id === hr.id));
	expectStatus(await gw.request('GET', `/v1/threads/${th.id}`, { token: other.access }), 200);
	expectStatus(await gw.request('POST', `/v1/help/${hr.id}/claim`, { token: vol.access }), 200, 'claimable now');
	expectError(await gw.request('POST', `/v1/threads/${th.id}/release`, { token: staff.access }), 409, 'conflict', undefined, 'released once');
	// Nothing about them reached members before the release.
	const firstCreated = community.frames.findIndex((f) => f.op === 'event' && f.data?.id === th.id);
	assert.equal(community.frames[firstCreated].type, 'thread.created');
	const log = (await gw.request('GET', `/v1/communities/${A.id}/moderation/log`, { token: staff.access })).json.items;
	assert.ok(log.some((e) => e.action === 'thread.release') && log.some((e) => e.action === 'help.release'));
});

itest('a write that waits for the check counts once against the rate limits', async (h) => {
	const checker = await new Checker().start(h);
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, ...checker.config(), rate_writes_per_user: 5 } });
	const { A, staff, residents: [author] } = await forumWorld(gw, { residents: 1, other: false });
	const th = await createThread(gw, staff.access, A.id);
	// Joining was this member's first write; four posts make five.
	for (let i = 0; i < 4; i++)
		await createPost(gw, author.access, th.id, `第${i + 1}条`);
	expectError(await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: author.access, body: { body: '第五条' } }),
		429, 'rate_limited', undefined, 'the sixth write');
	assert.equal(checker.about('第').length, 4, 'the refused one never reached the checker');
});
