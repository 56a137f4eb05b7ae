// Neighbour-help fan-out benchmark (issue 5): a community of 20,000 members
// of whom 4,000 are volunteers; each request matches 2,000 of them, all
// online (one WebSocket each, subscribed to user:{uid}). Per request: the
// time from sending the POST, and from receiving its 201, until each of
// the 2,000 volunteers has the notification; and, from the gateway's own
// linli_loop_busy_seconds, how long any loop turn ran (the inbox rows and
// events are written in the request's transaction, on the loop).
//
// With "announce" (issue 15), each round is an announcement by an admin to
// the whole community instead: 20,000 inbox rows per round, of which the
// same 2,000 online members' arrivals are timed. With "action" (issue 17),
// the 2,000 online members all voted in one closed consultation, and each
// round is a change of one of its implementation items (落实): 2,000 inbox
// rows per round, every participant online.
//
// usage: node tests/bench/help.mjs [REQUESTS=20] [announce|action]   (from
// the repository root, after ./linli.sh build; ./linli.sh bench-help does both)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const REQUESTS = Number(process.argv[2] || 20);
const ANNOUNCE = process.argv[3] === 'announce';
const ACTION = process.argv[3] === 'action';
const NOTE = ANNOUNCE ? 'announcement' : ACTION ? 'action.updated' : 'help.request';
const MEMBERS = 20000, MATCHING = 2000, OTHER_VOLUNTEERS = 2000;
const BIN = path.resolve(process.env.LINLI_GATEWAY || 'build/linli-gateway');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-bench-help-'));
const db = path.join(dir, 'help.db');
const conf = path.join(dir, 'gw.conf');
fs.writeFileSync(conf, 'log_level = warn\nrate_writes_per_user = 1000000\nrate_writes_per_ip = 10000000\nmax_conns_per_ip = 1000000\n');
const port = await new Promise((resolve) => { // a free loopback port
	const srv = net.createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
});

const mint = (args) => execFileSync(BIN, ['--config', conf, '--db', db, 'mint-token', ...args, '--ttl', '7200'],
	{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
const sql = (q) => execFileSync('sqlite3', [db], { input: q, encoding: 'utf8' });

// Users 2 .. 2001 match (errand in 3号楼); 2002 asks; 2003 .. 4002 are
// volunteers who do not match (5号楼); everyone up to 20001 is a member.
const admin = mint(['--user', '1', '--admin'])[0];
const volTokens = mint(['--user', '2', '--count', String(MATCHING)]);
const asker = mint(['--user', String(MATCHING + 2)])[0];
const now = Date.now();
sql(`BEGIN;
WITH RECURSIVE u(id) AS (SELECT ${MATCHING + 3} UNION ALL SELECT id + 1 FROM u WHERE id < ${MEMBERS + 1})
INSERT INTO users (id, display_name, created_at) SELECT id, 'member ' || id, ${now} FROM u;
INSERT INTO communities (id, name, created_by, created_at) VALUES (1, '压测社区', 1, ${now});
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 10)
INSERT INTO grids (community_id, name, position) SELECT 1, n || '号楼', n FROM g;
INSERT INTO memberships (community_id, user_id, role, joined_at) SELECT 1, id, 'resident', ${now} FROM users WHERE id > 1;
INSERT INTO volunteers (community_id, user_id, categories, grids, active, updated_at)
  SELECT 1, id, '["errand","repair"]', '["3号楼"]', 1, ${now} FROM users WHERE id BETWEEN 2 AND ${MATCHING + 1};
INSERT INTO volunteers (community_id, user_id, categories, grids, active, updated_at)
  SELECT 1, id, '["errand"]', '["5号楼"]', 1, ${now} FROM users WHERE id BETWEEN ${MATCHING + 3} AND ${MATCHING + 2 + OTHER_VOLUNTEERS};
COMMIT;`);
// The action mode's consultation: closed, the 2,000 online members its voters.
if (ACTION) sql(`BEGIN;
INSERT INTO threads (id, community_id, kind, title, body, author_id, status, closes_at, closed_at, created_at, updated_at)
  VALUES (1, 1, 'consultation', '楼顶加装太阳能', '请投票', 1, 'closed', ${now}, ${now}, ${now}, ${now});
INSERT INTO thread_options (thread_id, idx, label) VALUES (1, 0, '同意'), (1, 1, '反对');
INSERT INTO votes (thread_id, user_id, option_idx, updated_at) SELECT 1, id, id % 2, ${now} FROM users WHERE id BETWEEN 2 AND ${MATCHING + 1};
COMMIT;`);
console.log(`seeded: ${sql('SELECT count(*) FROM memberships;').trim()} members, ` +
	`${sql('SELECT count(*) FROM volunteers;').trim()} volunteers`);

// LINLI_BENCH_WRAP="perf record -g -o /tmp/p.data --" profiles the gateway.
const wrap = (process.env.LINLI_BENCH_WRAP || '').split(' ').filter(Boolean);
const argv = [...wrap, BIN, '--config', conf, '--db', db, '--port', String(port)];
const gw = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
process.on('exit', () => { try { gw.kill('SIGINT'); } catch { /* gone */ } });

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function request(method, p, { token, body } = {}) {
	return new Promise((resolve, reject) => {
		const data = body ? JSON.stringify(body) : undefined;
		const r = http.request({ host: '127.0.0.1', port, method, path: p, agent,
			headers: { ...(token ? { authorization: `Bearer ${token}` } : {}),
				...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } },
		(res) => { let t = ''; res.setEncoding('utf8'); res.on('data', (d) => { t += d; }); res.on('end', () => resolve({ status: res.statusCode, text: t })); });
		r.on('error', reject);
		r.setTimeout(30000, () => r.destroy(new Error(`${method} ${p} timed out`)));
		r.end(data);
	});
}
const metrics = async () => {
	const m = new Map();
	for (const line of (await request('GET', '/metrics')).text.split('\n')) {
		const x = /^(\S+)\s+(\S+)$/.exec(line);
		if (x) m.set(x[1], Number(x[2]));
	}
	return m;
};

for (let i = 0; ; i++) {
	try { if ((await request('GET', '/healthz')).status === 200) break; } catch { /* not yet */ }
	if (i > 200) throw new Error('gateway did not start');
	await new Promise((r) => setTimeout(r, 50));
}

// 2,000 volunteers online. Each socket records when notifications arrive.
let onNote = () => {};
const t0 = process.hrtime.bigint();
const socks = await Promise.all(volTokens.map((tok, i) => new Promise((resolve, reject) => {
	const uid = i + 2;
	const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { headers: { authorization: `Bearer ${tok}` } });
	ws.on('message', (buf) => {
		const f = JSON.parse(buf);
		if (f.op === 'authed') ws.send(JSON.stringify({ op: 'sub', ch: `user:${uid}` }));
		else if (f.op === 'subbed') resolve(ws);
		else if (f.op === 'event' && f.type === 'notification') onNote(uid, f.data);
		else if (f.op === 'error') reject(new Error(JSON.stringify(f)));
	});
	ws.on('error', reject);
})));
console.log(`${socks.length} volunteers connected and subscribed in ${Number(process.hrtime.bigint() - t0) / 1e6 | 0} ms`);

const ms = (a, b) => Number(b - a) / 1e6;
const fromSend = [], from201 = [], postMs = [];
const before = await metrics();
let actionId = null; // the action mode's item, made in round 0
for (let r = 0; r < REQUESTS; r++) {
	const seen = new Map();
	let done;
	const all = new Promise((res) => { done = res; });
	let hid = null;
	const early = [];
	onNote = (uid, n) => {
		if (n.type !== NOTE) return;
		if (seen.has(uid)) throw new Error(`volunteer ${uid} notified twice`);
		seen.set(uid, { at: process.hrtime.bigint(), hid: ANNOUNCE ? n.data.announcement_id : ACTION ? n.data.action_id : n.data.id });
		if (seen.size === MATCHING) done();
	};
	const sent = process.hrtime.bigint();
	const res = ANNOUNCE
		? await request('POST', '/v1/communities/1/announcements', { token: admin, body: {
			title: `停水通知 #${r}`, body: '周六 9:00-12:00 停水，请提前储水。' } })
		: ACTION && r === 0 ? await request('POST', '/v1/threads/1/actions', { token: admin, body: { title: '采购太阳能板' } })
		: ACTION ? await request('PATCH', `/v1/actions/${actionId}`, { token: admin, body: { status: 'in_progress', progress: Math.min(100, r * 10) } })
		: await request('POST', '/v1/communities/1/help', { token: asker, body: {
			category: 'errand', grid: '3号楼', title: `帮忙取快递 #${r}`, details: '东门快递柜', contact: '13900001111' } });
	const got = process.hrtime.bigint();
	if (res.status !== (ACTION && r > 0 ? 200 : 201)) throw new Error(`POST: ${res.status} ${res.text}`);
	const body = JSON.parse(res.text);
	if (ACTION && r === 0) actionId = body.action.id;
	hid = ANNOUNCE ? body.announcement.id : ACTION ? actionId : body.request.id;
	if (!ANNOUNCE && !ACTION && body.request.notified !== MATCHING) throw new Error(`notified ${body.request.notified}, expected ${MATCHING}`);
	const timer = setTimeout(() => { throw new Error(`only ${seen.size} of ${MATCHING} notified after 30 s`); }, 30000);
	await all;
	clearTimeout(timer);
	postMs.push(ms(sent, got));
	for (const { at, hid: h } of seen.values()) {
		if (h !== hid) throw new Error('a notification for the wrong request');
		fromSend.push(ms(sent, at));
		from201.push(Math.max(0, ms(got, at)));
		early.push(at < got);
	}
}
const after = await metrics();

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]; };
const row = (name, a) => console.log(`${name.padEnd(34)} p50 ${pct(a, 50).toFixed(1).padStart(6)}  p99 ${pct(a, 99).toFixed(1).padStart(6)}  max ${Math.max(...a).toFixed(1).padStart(6)} ms`);
console.log(ANNOUNCE
	? `\n${REQUESTS} announcements to ${MEMBERS} members, ${MATCHING} of them online (${fromSend.length} live notifications, each exactly once)`
	: ACTION ? `\n${REQUESTS} changes of one item, each to ${MATCHING} participants, all online (${fromSend.length} live notifications, each exactly once)`
	: `\n${REQUESTS} requests x ${MATCHING} matching online volunteers (${fromSend.length} notifications, each exactly once)`);
row(ANNOUNCE ? 'POST /announcements answered (201)' : ACTION ? 'POST/PATCH item answered' : 'POST /help answered (201)', postMs);
row('notification, from the send', fromSend);
row('notification, from the 201', from201);
const turnsOver = (m, name, le) => (m.get(`${name}_count`) || 0) - (m.get(`${name}_bucket{le="${le}"}`) || 0);
for (const [name, what] of [['linli_loop_busy_seconds', 'wall'], ['linli_loop_cpu_seconds', 'loop thread CPU']]) {
	const d = (le) => turnsOver(after, name, le) - turnsOver(before, name, le);
	console.log(`loop iterations by ${what}: ${after.get(`${name}_count`) - before.get(`${name}_count`)} during the run; ` +
		`over 10 ms: ${d('0.01')}; over 20 ms: ${d('0.02')}; over 50 ms: ${d('0.05')}; ` +
		`longest since start: ${(after.get(`${name}_max`) * 1000).toFixed(1)} ms`);
}
console.log(`inbox rows: ${sql('SELECT count(*) FROM notifications;').trim()}, events: ${sql('SELECT count(*) FROM events;').trim()}`);
for (const s of socks) s.terminate();
gw.kill('SIGINT');
await new Promise((r) => gw.once('exit', r));
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
