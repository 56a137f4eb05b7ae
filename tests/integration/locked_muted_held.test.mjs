// Issue 12's state findings: a lock is a fact of its own (closing a
// consultation, by staff or by its deadline, keeps it; a closed one can be
// locked); edits are refused where posting is (locked, muted); and the
// thread channel tells members that a post is held, never why, what it
// said or who wrote it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { itest, poll, sql } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createConsultation, createPost, getThread } from './lib/forums.mjs';

function expectReason(r, status, reason, what) {
	expectStatus(r, status, what);
	assert.equal(r.json.error.reason, reason, `${what}: reason (${r.text})`);
}

itest('a lock outlives closing, by staff or by the deadline, and a closed consultation can be locked', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [r1] } = await forumWorld(gw, { residents: 1, other: false });
	const as = (s) => ({ token: s.access });
	const lock = (tid) => gw.request('POST', `/v1/threads/${tid}/lock`, { ...as(staff), body: { reason: '转线下讨论' } });
	const postIn = (tid) => gw.request('POST', `/v1/threads/${tid}/posts`, { ...as(r1), body: { body: '我还有话说' } });

	// Locked, then closed by staff.
	const c1 = await createConsultation(gw, staff.access, A.id);
	expectStatus(await lock(c1.id), 200, 'lock c1');
	expectReason(await gw.request('POST', `/v1/threads/${c1.id}/vote`, { ...as(r1), body: { option: 0 } }),
		409, 'locked', 'vote in a locked consultation');
	expectStatus(await gw.request('POST', `/v1/threads/${c1.id}/close`, as(staff)), 200, 'close c1');
	let th = await getThread(gw, r1.access, c1.id);
	assert.equal(th.status, 'closed');
	assert.equal(th.locked, true, 'closing kept the lock');
	expectReason(await postIn(c1.id), 409, 'locked', 'post after a locked consultation closed');

	// Locked, then closed by its deadline (the tick).
	const c2 = await createConsultation(gw, staff.access, A.id);
	expectStatus(await lock(c2.id), 200, 'lock c2');
	await sql(gw, `UPDATE threads SET closes_at = ${Date.now() - 1000} WHERE id = ${c2.id}`);
	await poll(async () => (await getThread(gw, r1.access, c2.id)).status === 'closed',
		{ what: 'the deadline closes c2', timeoutMs: 15000 });
	assert.equal((await getThread(gw, r1.access, c2.id)).locked, true, 'the deadline kept the lock');
	expectReason(await postIn(c2.id), 409, 'locked', 'post after a locked consultation passed its deadline');

	// Closed first, then locked: the lock takes effect; unlocking lifts it.
	const c3 = await createConsultation(gw, staff.access, A.id);
	expectStatus(await gw.request('POST', `/v1/threads/${c3.id}/close`, as(staff)), 200, 'close c3');
	expectStatus(await postIn(c3.id), 201, 'a closed, unlocked consultation takes posts');
	const locked = await lock(c3.id);
	expectStatus(locked, 200, 'lock a closed consultation');
	assert.equal(locked.json.thread.locked, true, 'the answer shows the lock');
	assert.equal(locked.json.thread.status, 'closed');
	expectReason(await postIn(c3.id), 409, 'locked', 'post in a closed consultation locked afterwards');
	expectStatus(await gw.request('POST', `/v1/threads/${c3.id}/unlock`, as(staff)), 200, 'unlock c3');
	th = await getThread(gw, r1.access, c3.id);
	assert.deepEqual([th.status, th.locked], ['closed', false]);
	expectStatus(await postIn(c3.id), 201, 'unlocked: posts again');

	// A discussion: status says locked while open, as it always did.
	const d = await createThread(gw, r1.access, A.id);
	expectStatus(await lock(d.id), 200, 'lock the discussion');
	th = await getThread(gw, r1.access, d.id);
	assert.deepEqual([th.status, th.locked], ['locked', true]);
});

itest('edits are refused in a locked thread and for a muted member', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
	const th = await createThread(gw, r1.access, A.id);
	const p1 = await createPost(gw, r1.access, th.id, '原文一');
	const p2 = await createPost(gw, r2.access, th.id, '原文二');
	const edit = (s, p, body) => gw.request('PATCH', `/v1/posts/${p.id}`, { token: s.access, body: { body } });

	expectStatus(await gw.request('POST', `/v1/communities/${A.id}/mutes`,
		{ token: staff.access, body: { user_id: r2.id, minutes: 60, reason: '刷屏' } }), 200, 'mute r2');
	const muted = await edit(r2, p2, '禁言中改帖');
	expectReason(muted, 403, 'muted', 'edit while muted');
	assert.equal(muted.json.error.mute_reason, '刷屏', 'the muted member sees why');
	assert.ok(muted.json.error.muted_until > Date.now(), 'and until when');

	expectStatus(await gw.request('POST', `/v1/threads/${th.id}/lock`,
		{ token: staff.access, body: { reason: '冷静一下' } }), 200, 'lock');
	expectReason(await edit(r1, p1, '锁帖后改帖'), 409, 'locked', 'edit in a locked thread');

	const posts = await gw.request('GET', `/v1/threads/${th.id}/posts`, { token: r1.access });
	assert.deepEqual(posts.json.items.map((p) => p.body), ['原文一', '原文二'], 'both texts unchanged');
	assert.equal(Number(await sql(gw, 'SELECT count(*) FROM post_edits')), 0, 'no edit recorded');
});

itest('the thread channel says a post is held, not why, what it said or who wrote it', async (h, t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-held-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const list = path.join(dir, 'words.txt');
	fs.writeFileSync(list, '代开发票\n');
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, sensitive_words: list } });
	const { A, residents: [author, reader] } = await forumWorld(gw, { residents: 2, other: false });
	const th = await createThread(gw, author.access, A.id);
	const p = await createPost(gw, author.access, th.id, '楼道灯坏了');
	const tch = `thread:${th.id}`;
	const watcher = await h.subscriber(gw, reader.access, tch, { label: 'reader' });

	const r = await gw.request('PATCH', `/v1/posts/${p.id}`, { token: author.access, body: { body: '代开发票，联系我' } });
	expectStatus(r, 200, 'edit into a listed word');
	assert.equal(r.json.post.status, 'pending');
	assert.match(r.json.post.hold_reason, /代开发票/, 'the author is told why');

	const ev = await watcher.next((f) => f.op === 'event' && f.ch === tch && f.type === 'post.updated' && f.data.id === p.id, 5000);
	assert.equal(ev.data.status, 'pending');
	assert.equal(ev.data.body, '');
	for (const k of ['hold_reason', 'author', 'edited_at'])
		assert.ok(!(k in ev.data), `the event carries no ${k}: ${JSON.stringify(ev.data)}`);
	assert.ok(!JSON.stringify(ev).includes('代开发票'), 'the word is nowhere in the event');
	// What a REST read by the same subscriber shows: nothing of the post.
	const seen = await gw.request('GET', `/v1/threads/${th.id}/posts`, { token: reader.access });
	assert.deepEqual(seen.json.items.map((x) => x.id), []);
});
