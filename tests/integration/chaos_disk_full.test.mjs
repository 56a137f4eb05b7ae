// Chaos (issue 12): the database's filesystem fills up (a small tmpfs the
// test mounts). Writes answer 503 with Retry-After, reads go on, nothing
// is corrupted, and writes succeed again once space is freed. SQLite only
// (PostgreSQL's disk is the server's); needs root for the mount.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { itest, sql, ENGINE } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createThread, createPost } from './lib/forums.mjs';

const skip = ENGINE !== 'sqlite' ? 'SQLite: the database file on a filesystem the test controls'
	: process.getuid() !== 0 ? 'needs root to mount a tmpfs' : false;

itest('database filesystem full: writes 503, reads go on, nothing corrupted, writes resume once freed', { skip }, async (h, t) => {
	const dir = await h.tmpdir('linli-full-');
	const mnt = path.join(dir, 'mnt');
	fs.mkdirSync(mnt);
	execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
	h.onCleanup(() => { try { execFileSync('umount', ['-l', mnt]); } catch { /* gone */ } });
	const gw = await h.gateway({ db: path.join(mnt, 'linli.db'), config: FORUM_CONFIG });
	const { A, staff, residents: [r1] } = await forumWorld(gw, { residents: 1, other: false });
	const th = await createThread(gw, r1.access, A.id);
	const before = await createPost(gw, r1.access, th.id, '满盘之前');

	// Fill what is left.
	const filler = path.join(mnt, 'filler');
	const fd = fs.openSync(filler, 'w');
	const block = Buffer.alloc(64 * 1024, 1);
	try { for (;;) fs.writeSync(fd, block); } catch (e) { assert.equal(e.code, 'ENOSPC'); }
	try { for (;;) fs.writeSync(fd, block.subarray(0, 512)); } catch { /* to the last block */ }
	fs.closeSync(fd);

	// Writes: 503 and Retry-After, never a 2xx for something not stored.
	const big = 'x'.repeat(4000);
	let refused = 0;
	for (let i = 0; i < 20; i++) {
		const r = await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: r1.access, body: { body: `满盘 ${i} ${big}` } });
		if (r.status === 201) continue; // a page the database still had room for
		assert.equal(r.status, 503, `a write on a full disk: ${r.status} ${r.text}`);
		assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After');
		refused++;
	}
	assert.ok(refused > 0, 'the full disk refused writes');
	t.diagnostic(`${refused} of 20 writes refused with 503`);
	// Reads go on.
	const list = await gw.request('GET', `/v1/threads/${th.id}/posts`, { token: staff.access });
	expectStatus(list, 200, 'read on a full disk');
	assert.ok(list.json.items.some((p) => p.id === before.id));
	expectStatus(await gw.request('GET', '/healthz'), 200);

	// Space back: writes go through again, and the file is sound.
	fs.rmSync(filler);
	const after = await gw.request('POST', `/v1/threads/${th.id}/posts`, { token: r1.access, body: { body: '腾出空间之后' } });
	expectStatus(after, 201, 'a write once space is freed');
	const stored = Number(await sql(gw, `SELECT count(*) FROM posts WHERE thread_id = ${th.id}`));
	const listed = (await gw.request('GET', `/v1/threads/${th.id}/posts?limit=100`, { token: staff.access })).json.items.length;
	assert.equal(listed, stored, 'what is listed is what is stored');
	assert.equal(await sql(gw, 'PRAGMA integrity_check'), 'ok');
	const gaps = await sql(gw, 'SELECT channel FROM events GROUP BY channel HAVING count(*) <> max(seq) - min(seq) + 1');
	assert.equal(gaps, '', 'no gap in the event log');
});
