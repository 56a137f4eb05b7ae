// Three neighbours report a post: it is held for review (pending). Staff
// watching mod:{cid} see each report and the hold live; residents' lists
// drop the post while its author still sees it; staff restore it, everyone
// sees it again, the author is told, and the moderation log records it.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createPost, listItems, search } from './lib/forums.mjs';

const ev = (ch, type, pred = () => true) => (f) => f.op === 'event' && f.ch === ch && f.type === type && pred(f.data);

itest('reports hold a post for review; staff restore it; hide too; all logged', async (h, t) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [author, r1, r2, r3] } = await forumWorld(gw, { residents: 4, other: false });
	const step = (name, fn) => h.sub(t, name, fn);

	const th = await createThread(gw, author.access, A.id, { title: '楼道堆放杂物', body: '请大家自觉清理。' });
	const text = '五楼那家的纸箱堆了一个月了，再不清理我就直接扔掉。';
	const p = await createPost(gw, author.access, th.id, text);
	const q = await createPost(gw, r1.access, th.id, '我可以帮忙搬。');
	assert.equal(p.status, 'visible');
	const tch = `thread:${th.id}`, mch = `mod:${A.id}`, uch = `user:${author.id}`;
	const mod = await h.subscriber(gw, staff.access, mch, { label: 'staff mod' });
	const watcher = await h.subscriber(gw, r3.access, tch, { label: 'resident thread' });
	const authorSock = await h.subscriber(gw, author.access, uch, { label: 'author user' });
	const postsOf = async (s) => (await listItems(gw, s.access, `/v1/threads/${th.id}/posts`)).map((x) => x.id);

	await step('three distinct reporters; a repeated report counts once', async () => {
		const reasons = ['言语威胁', '不文明', '人身攻击'];
		const reporters = [r1, r2, r3];
		for (let i = 0; i < 3; i++) {
			const r = await gw.request('POST', `/v1/posts/${p.id}/report`, { token: reporters[i].access, body: { reason: reasons[i] } });
			expectStatus(r, 201, `report ${i + 1}`);
			assert.deepEqual(r.json, { post_id: p.id, reports: i + 1 });
			if (i === 0) {
				const again = await gw.request('POST', `/v1/posts/${p.id}/report`, { token: r1.access, body: { reason: '再举报一次' } });
				expectStatus(again, 201, 'repeat report');
				assert.equal(again.json.reports, 1, 'the same reporter twice counts once');
			}
		}
		const reports = await mod.collect(ev(mch, 'report.created'), 3);
		assert.deepEqual(reports.map((e) => [e.data.post_id, e.data.thread_id, e.data.reports, e.data.reason]),
			reasons.map((why, i) => [p.id, th.id, i + 1, why]));
		const pending = await mod.waitFor(ev(mch, 'post.pending', (d) => d.id === p.id));
		assert.equal(pending.data.status, 'pending');
		assert.equal(pending.data.body, text, 'staff see the held text');
		assert.equal(pending.data.hold_reason, 'reported');
		assert.ok(pending.seq > reports[2].seq, 'held after the third report');
		assert.equal(mod.events(mch).filter((e) => e.type === 'report.created').length, 3, 'no event for the repeat');
		const upd = await watcher.waitFor(ev(tch, 'post.updated', (d) => d.id === p.id));
		assert.equal(upd.data.status, 'pending');
		assert.equal(upd.data.body, '', 'the thread channel does not carry held text');
	});

	await step('residents no longer see it; its author and staff do', async () => {
		assert.deepEqual(await postsOf(r2), [q.id]);
		assert.deepEqual(await postsOf(r1), [q.id]);
		assert.deepEqual(await postsOf(author), [p.id, q.id], 'author sees own held post');
		const mine = (await listItems(gw, author.access, `/v1/threads/${th.id}/posts`)).find((x) => x.id === p.id);
		assert.equal(mine.status, 'pending');
		assert.deepEqual(await postsOf(staff), [p.id, q.id]);
		assert.deepEqual(await search(gw, r2.access, A.id, '纸箱堆了'), [], 'held text not searchable');
	});

	await step('staff restore: visible again, post.updated, moderation.action, author notified', async () => {
		// A reason is optional for a restore, but checked when given.
		const bad = await gw.request('POST', `/v1/posts/${p.id}/restore`, { token: staff.access, body: { reason: 42 } });
		assert.equal(bad.status, 400, bad.text);
		assert.equal(bad.json.error.field, 'reason');
		const r = await gw.request('POST', `/v1/posts/${p.id}/restore`, { token: staff.access, body: { reason: '举报不实，已核实' } });
		expectStatus(r, 200, 'restore');
		assert.equal(r.json.post.status, 'visible');
		const upd = await watcher.waitFor(ev(tch, 'post.updated', (d) => d.id === p.id && d.status === 'visible'));
		assert.equal(upd.data.body, text);
		const action = await mod.waitFor(ev(mch, 'moderation.action', (d) => d.action === 'post.restore'));
		assert.equal(action.data.post_id, p.id);
		// The author's inbox entry, pushed as it is stored: {id, type, data, created_at, read}.
		const note = await authorSock.waitFor(ev(uch, 'notification', (d) => d.data.action === 'post.restore'));
		assert.equal(note.data.type, 'moderation.action');
		assert.equal(note.data.data.post_id, p.id);
		assert.equal(note.data.read, false);
		const inbox = await gw.request('GET', '/v1/notifications', { token: author.access });
		expectStatus(inbox, 200, 'inbox');
		assert.ok(inbox.json.items.some((n) => n.id === note.data.id && n.data.action === 'post.restore'),
			'the notification is also in the inbox');
		assert.deepEqual(await postsOf(r2), [p.id, q.id]);
		assert.equal((await search(gw, r2.access, A.id, '纸箱堆了')).length, 1, 'searchable again');
		// Reports were resolved: one more report does not hold it again.
		const r4 = await gw.request('POST', `/v1/posts/${p.id}/report`, { token: staff.access, body: { reason: '复核' } });
		expectStatus(r4, 201);
		assert.equal(r4.json.reports, 1);
		assert.deepEqual(await postsOf(r2), [p.id, q.id]);
	});

	await step('staff hide with a reason: gone for residents, author notified', async () => {
		const r = await gw.request('POST', `/v1/posts/${q.id}/hide`, { token: staff.access, body: { reason: '偏离主题' } });
		expectStatus(r, 200, 'hide');
		const upd = await watcher.waitFor(ev(tch, 'post.updated', (d) => d.id === q.id));
		assert.equal(upd.data.status, 'hidden');
		assert.equal(upd.data.body, '');
		const a = await mod.waitFor(ev(mch, 'moderation.action', (d) => d.action === 'post.hide'));
		assert.deepEqual([a.data.post_id, a.data.reason], [q.id, '偏离主题']);
		assert.deepEqual(await postsOf(r2), [p.id]);
		assert.deepEqual(await postsOf(staff), [p.id, q.id]);
	});

	await step('the moderation log lists hide and restore, newest first', async () => {
		const log = await listItems(gw, staff.access, `/v1/communities/${A.id}/moderation/log`);
		const restore = log.find((e) => e.action === 'post.restore');
		assert.ok(restore, `post.restore in the log: ${JSON.stringify(log)}`);
		assert.equal(restore.actor_id, staff.id);
		assert.deepEqual(restore.actor, { id: staff.id, display_name: '社工小张' }, 'the actor by name');
		assert.deepEqual(restore.target, { kind: 'post', id: p.id, excerpt: p.body.slice(0, 60) }, 'what was acted on, in its words');
		assert.equal(restore.reason, '举报不实，已核实', 'the restore says why');
		assert.ok(Number.isInteger(restore.id) && Number.isInteger(restore.at));
		const hide = log.find((e) => e.action === 'post.hide');
		assert.deepEqual([hide.actor_id, hide.target, hide.reason], [staff.id, { kind: 'post', id: q.id, excerpt: q.body.slice(0, 60) }, '偏离主题']);
		assert.ok(log.indexOf(hide) < log.indexOf(restore), 'newest first');
	});
});
