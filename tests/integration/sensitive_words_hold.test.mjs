// A post containing a listed word, even written with full-width letters or
// spaces between its characters, is held for review (pending), not
// published: its author sees it with the reason, the thread hears nothing,
// staff see post.pending on mod:{cid}. SIGHUP reloads the list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { itest, poll } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, listItems } from './lib/forums.mjs';

itest('listed words are held for review however they are written; SIGHUP reloads the list', async (h, t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-words-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const list = path.join(dir, 'words.txt');
	fs.writeFileSync(list, '# test list\n代开发票\nspamword\n');
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, sensitive_words: list } });
	const { A, staff, residents: [author, reader] } = await forumWorld(gw, { residents: 2, other: false });
	const th = await createThread(gw, author.access, A.id);
	const tch = `thread:${th.id}`, mch = `mod:${A.id}`;
	const mod = await h.subscriber(gw, staff.access, mch, { label: 'staff mod' });
	const watcher = await h.subscriber(gw, reader.access, tch, { label: 'reader thread' });

	const held = [];
	for (const text of ['专业 代 开 发 票，请联系', 'ＳＰＡＭ　ＷＯＲＤ 优惠', 'S-p-A-m.w o r d']) {
		const r = await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: author.access, body: { body: text } });
		expectStatus(r, 201, text);
		assert.equal(r.json.post.status, 'pending', `held: ${text}`);
		assert.match(r.json.post.hold_reason, /sensitive word/);
		held.push(r.json.post.id);
		await mod.next((f) => f.op === 'event' && f.ch === mch && f.type === 'post.pending' && f.data.id === r.json.post.id, 5000);
	}
	// A clean post is published; it is the first thing the thread hears.
	const ok = await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: author.access, body: { body: '明天一起打扫楼道' } });
	expectStatus(ok, 201, 'clean post');
	assert.equal(ok.json.post.status, 'visible');
	const first = await watcher.next((f) => f.op === 'event' && f.ch === tch, 5000);
	assert.equal(first.data.id, ok.json.post.id, 'held posts were never pushed to the thread');
	assert.deepEqual((await listItems(gw, reader.access, `/v1/threads/${th.id}/posts`)).map((p) => p.id), [ok.json.post.id]);
	const mine = (await listItems(gw, author.access, `/v1/threads/${th.id}/posts`)).map((p) => p.id);
	assert.deepEqual(mine, [...held, ok.json.post.id], 'the author sees their held posts');

	// SIGHUP: a new word takes effect without a restart.
	fs.writeFileSync(list, '新词\n');
	process.kill(gw.pid, 'SIGHUP');
	await poll(async () => {
		const r = await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: staff.access, body: { body: '这是新 词' } });
		return r.status === 201 && r.json.post.status === 'pending';
	}, { timeoutMs: 5000, what: 'the reloaded list holds the new word' });
	const r = await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: author.access, body: { body: '代开发票' } });
	assert.equal(r.json.post.status, 'visible', 'the old list is gone after the reload');
});
