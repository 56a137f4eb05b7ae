// IP属地: with ip_region_db (a MaxMind-format file, built here by
// lib/mmdb-write.pl with Debian's libmaxmind-db-writer-perl), threads,
// posts and help requests keep the region of the address they were written
// from, and a user the region of the last login; the address is the
// client's after trusted_proxies, and X-Forwarded-For from anyone else is
// ignored.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ENGINE_NEUTRAL, GATEWAY_BIN, itest } from './lib/harness.mjs';
import { expectStatus, login, me } from './lib/accounts.mjs';
import { FORUM_CONFIG, createThread, forumWorld } from './lib/forums.mjs';
import { createHelp } from './lib/help.mjs';

const execFileP = promisify(execFile);
const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'mmdb-write.pl');

const cn = (zh, en) => ({ country: { iso_code: 'CN', names: { en: 'China', 'zh-CN': '中国' } },
	subdivisions: [{ iso_code: en.slice(0, 2).toUpperCase(), names: { en, 'zh-CN': zh } }] });
const NETWORKS = {
	'113.108.0.0/16': cn('广东', 'Guangdong'),
	'202.96.0.0/16': cn('上海', 'Shanghai'),
	'203.0.113.0/24': { country: { iso_code: 'JP', names: { en: 'Japan', 'zh-CN': '日本' } } },
	'198.51.100.0/24': { country: { iso_code: 'ZZ', names: { en: 'Elsewhere' } } },
	'127.0.0.0/8': cn('北京', 'Beijing'),
};

async function regionDb(h) {
	const dir = await h.tmpdir('linli-mmdb-');
	const file = path.join(dir, 'regions.mmdb');
	await new Promise((resolve, reject) => {
		const child = execFile('perl', [WRITER, file], (err, _out, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve()));
		child.stdin.end(JSON.stringify(NETWORKS));
	});
	return file;
}

const from = (ip) => ({ 'x-forwarded-for': ip });

itest('threads, posts, help requests and logins keep the region of the client address', ENGINE_NEUTRAL, async (h) => {
	const db = await regionDb(h);
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, ip_region_db: db, trusted_proxies: '127.0.0.1/32' } });
	const { A, residents: [a, b] } = await forumWorld(gw, { residents: 2, other: false });

	const post = async (token, tid, ip) => {
		const r = await gw.request('POST', `/v1/threads/${tid}/posts`, { token, body: { body: `来自 ${ip}` }, headers: from(ip) });
		return expectStatus(r, 201, `post from ${ip}`).post;
	};
	let r = await gw.request('POST', `/v1/communities/${A.id}/threads`, {
		token: a.access, headers: from('113.108.1.2'), body: { title: '电梯', body: '坏了', kind: 'discussion' } });
	const thread = expectStatus(r, 201, 'thread').thread;
	assert.equal(thread.ip_region, '广东');
	assert.deepEqual(thread.attachments, []);
	assert.equal((await post(a.access, thread.id, '202.96.3.4')).ip_region, '上海');
	assert.equal((await post(a.access, thread.id, '203.0.113.9')).ip_region, '日本', 'abroad: the country');
	assert.equal((await post(a.access, thread.id, '198.51.100.7')).ip_region, 'Elsewhere', 'no Chinese name: English');
	assert.equal((await post(a.access, thread.id, '192.0.2.1')).ip_region, null, 'unmapped: null');
	// A region stays with what was written, wherever its author is now.
	const posts = (await gw.request('GET', `/v1/threads/${thread.id}/posts`, { token: b.access })).json.items;
	assert.deepEqual(posts.map((p) => p.ip_region), ['上海', '日本', 'Elsewhere', null]);
	assert.equal((await gw.request('GET', `/v1/threads/${thread.id}`, { token: b.access })).json.thread.ip_region, '广东');

	r = await gw.request('POST', `/v1/communities/${A.id}/help`, { token: b.access, headers: from('113.108.9.9'),
		body: { category: 'errand', title: '取快递', details: '东门', contact: '楼下' } });
	assert.equal(expectStatus(r, 201, 'help').request.ip_region, '广东');

	// A login records the user's region; others see it on the user.
	r = await gw.request('POST', '/v1/auth/login', { body: { phone: a.phone, password: a.password }, headers: from('202.96.200.1') });
	expectStatus(r, 200, 'login from Shanghai');
	assert.equal(r.json.user.ip_region, '上海');
	assert.equal((await me(gw, a.access)).user.ip_region, '上海');
});

itest('without trusted_proxies X-Forwarded-For is ignored; without a database ip_region is null', ENGINE_NEUTRAL, async (h) => {
	const db = await regionDb(h);
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, ip_region_db: db } });
	const { A, residents: [a] } = await forumWorld(gw, { residents: 1, other: false });
	let r = await gw.request('POST', `/v1/communities/${A.id}/threads`, {
		token: a.access, headers: from('113.108.1.2'), body: { title: '停车', body: '车位', kind: 'discussion' } });
	assert.equal(expectStatus(r, 201).thread.ip_region, '北京', 'the connection\'s own address (127.0.0.1), not the header');

	const plain = await h.gateway({ config: FORUM_CONFIG });
	const w = await forumWorld(plain, { residents: 1, other: false });
	const t = await createThread(plain, w.residents[0].access, w.A.id);
	assert.equal(t.ip_region, null);
	assert.equal((await createHelp(plain, w.residents[0], w.A.id)).ip_region, null);
	assert.equal((await login(plain, w.residents[0].phone)).user.ip_region, null);

	// A database that cannot be read stops the gateway at start, saying why.
	const dir = path.dirname(db), conf = path.join(dir, 'bad.conf');
	fs.writeFileSync(conf, `ip_region_db = "${path.join(dir, 'missing.mmdb')}"\n`);
	await assert.rejects(execFileP(GATEWAY_BIN, ['--config', conf, '--db', path.join(dir, 'x.db'), '--port', '0'], { timeout: 10000 }),
		(e) => /ip_region_db: cannot open .*missing\.mmdb/.test(e.stderr));
});
