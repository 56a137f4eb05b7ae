// `linli-gateway backup --to FILE` copies a SQLite database while the
// gateway serves it: 1,000 posts are being written when the backup runs;
// the copy opens, passes PRAGMA integrity_check, holds every post
// acknowledged before the backup began, and serves as a database again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ENGINE, GATEWAY_BIN, itest, sql } from './lib/harness.mjs';
import { FORUM_CONFIG, forumWorld, createThread, listItems } from './lib/forums.mjs';

const execFileP = promisify(execFile);
const CONFIG = { ...FORUM_CONFIG, rate_writes_per_user: 1000000, rate_writes_per_ip: 1000000 };

itest('backup while 1,000 posts are written: a whole, consistent copy', { skip: ENGINE !== 'sqlite' }, async (h) => {
	const gw = await h.gateway({ config: CONFIG });
	const { A, residents } = await forumWorld(gw, { residents: 4, other: false });
	const thread = await createThread(gw, residents[0].access, A.id);
	const TOTAL = 1000;
	const acked = [];   // [{id, at}] in the order answers came
	let next = 0;
	const writer = async (who) => {
		while (next < TOTAL) {
			const i = next++;
			const r = await gw.request('POST', `/v1/threads/${thread.id}/posts`, { token: who.access, body: { body: `第${i}条` } });
			assert.equal(r.status, 201, r.text);
			acked.push({ id: r.json.post.id, at: Date.now() });
		}
	};
	const writers = Promise.all(residents.map(writer));
	while (acked.length < 300) await new Promise((r) => setImmediate(r));

	const copy = path.join(await h.tmpdir('linli-backup-'), 'copy.db');
	const began = Date.now();
	const before = acked.filter((x) => x.at < began).map((x) => x.id);
	const { stderr } = await execFileP(GATEWAY_BIN, ['--db', gw.db, 'backup', '--to', copy], { timeout: 30000 });
	assert.match(stderr, /written/);
	await writers;
	assert.ok(acked.length === TOTAL, 'every post answered');
	assert.ok(Number(await sql(gw, 'SELECT count(*) FROM posts')) >= TOTAL);

	assert.equal(await sql(copy, 'PRAGMA integrity_check'), 'ok');
	const inCopy = new Set((await sql(copy, `SELECT id FROM posts WHERE thread_id = ${thread.id}`)).split('\n').map(Number));
	const missing = before.filter((id) => !inCopy.has(id));
	assert.deepEqual(missing, [], `all ${before.length} posts acknowledged before the backup are in the copy`);
	assert.ok(inCopy.size < TOTAL, 'the copy is of a moment during the writes (later posts are not in it)');
	// Each post in the copy came with its event: the log and the rows agree.
	assert.equal(await sql(copy, `SELECT count(*) FROM events WHERE channel = 'thread:${thread.id}' AND type = 'post.created'`),
		String(inCopy.size));
	// Restored, it serves.
	const restored = await h.gateway({ name: 'restored', db: copy, config: CONFIG });
	const posts = await listItems(restored, residents[1].access, `/v1/threads/${thread.id}/posts?limit=200`);
	assert.ok(posts.length > 0 && posts.every((p) => inCopy.has(p.id)));
});
