// The retained access log (网络日志留存): every request that writes, every
// login, refresh and logout and every WebSocket authentication, with user,
// session, address and port, user agent, route, target, status and the
// texts written; read by admins and by `linli-gateway export-log`; trimmed
// after access_log_retention_days (at least 180); never a password, token
// or code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { GATEWAY_BIN, itest, poll, sql } from './lib/harness.mjs';
import { PASSWORD, expectError, expectStatus, newPhone } from './lib/accounts.mjs';
import { FORUM_CONFIG, createThread, forumWorld } from './lib/forums.mjs';
import { askCode, smsConfig, smsRelay } from './lib/phones.mjs';

const execFileP = promisify(execFile);
const DAY = 86400000;

itest('a scripted session is logged step by step; admins read it, export-log prints it; nothing secret in it', async (h) => {
	const relay = await smsRelay(h);
	const gw = await h.gateway({ config: smsConfig(relay, { retention_interval_s: 1 }) });
	const { admin, A, staff } = await forumWorld(gw, { residents: 0, other: false });
	const ua = { 'user-agent': 'linli-test-phone/2.0' };
	const steps = [];
	const step = async (what, method, p, opts, want) => {
		const r = await gw.request(method, p, { ...opts, headers: { ...ua, ...(opts.headers || {}) } });
		expectStatus(r, want, what);
		steps.push({ what, method, route: null, status: want, port: r.localPort, r });
		return r;
	};
	// register (with a code), login, post, edit, hidden by staff, logout
	const phone = newPhone('137');
	const { code } = await askCode(gw, relay, phone, 'register');
	let r = await step('register', 'POST', '/v1/auth/register', { body: { phone, password: PASSWORD, display_name: '日志居民', code } }, 201);
	const uid = r.json.user.id;
	r = await step('login', 'POST', '/v1/auth/login', { body: { phone, password: PASSWORD } }, 200);
	const { access_token: token, refresh_token: refresh } = r.json;
	expectStatus(await gw.request('POST', `/v1/communities/${A.id}/join`, { token,
		body: { code: (await gw.request('POST', `/v1/communities/${A.id}/invites`, { token: staff.access, body: { role: 'resident' } })).json.code } }), 200);
	const th = await createThread(gw, staff.access, A.id);
	r = await step('post', 'POST', `/v1/threads/${th.id}/posts`, { token, body: { body: '第一版内容' } }, 201);
	const pid = r.json.post.id;
	await step('edit', 'PATCH', `/v1/posts/${pid}`, { token, body: { body: '第二版内容' } }, 200);
	expectStatus(await gw.request('POST', `/v1/posts/${pid}/hide`, { token: staff.access, body: { reason: '离题' } }), 200);
	await step('wrong password', 'POST', '/v1/auth/login', { body: { phone, password: 'not-my-password' } }, 401);
	await step('logout', 'POST', '/v1/auth/logout', { token }, 204);
	// A WebSocket authentication is logged too.
	const ws = await h.ws(gw, { token: staff.access, label: 'staff' });
	await ws.next({ op: 'authed' });

	const rows = await poll(async () => {
		const q = await gw.request('GET', `/v1/admin/access-log?user_id=${uid}&limit=50`, { token: admin.access });
		return q.status === 200 && q.json.items.length >= 5 && q.json.items.every((e) => e.status !== null) ? q.json.items : null;
	}, { what: 'the caller\'s entries' });
	const mine = rows.slice().reverse(); // oldest first
	const routes = mine.map((e) => `${e.method} ${e.route} ${e.status}`);
	assert.deepEqual(routes, [
		'POST /v1/auth/register 201', 'POST /v1/auth/login 200', 'POST /v1/communities/{cid}/join 200',
		'POST /v1/threads/{tid}/posts 201', 'PATCH /v1/posts/{pid} 200', 'POST /v1/auth/logout 204',
	]);
	for (const e of mine) {
		assert.equal(e.user_id, uid);
		assert.equal(e.ip, '127.0.0.1');
		assert.ok(Number.isInteger(e.port) && e.port > 1024, JSON.stringify(e));
		assert.ok(Number.isInteger(e.request_id) && e.at > 0);
	}
	for (const s of steps.filter((x) => x.status < 400 && x.what !== 'register' && x.what !== 'login'))
		assert.ok(mine.some((e) => e.port === s.port), `${s.what}: its port ${s.port} logged`);
	assert.equal(mine[3].user_agent, 'linli-test-phone/2.0');
	assert.deepEqual(mine[3].target, { tid: th.id });
	assert.deepEqual(mine[3].texts, { body: '第一版内容' });
	assert.deepEqual(mine[4].texts, { body: '第二版内容' }, 'each version of the text is kept');
	assert.ok(mine[4].session_id > 0);
	// The failed login has no user (the phone proved nothing); the staff's hide and the socket are there.
	const all = (await gw.request('GET', '/v1/admin/access-log?limit=200', { token: admin.access })).json.items;
	assert.ok(all.some((e) => e.route === '/v1/auth/login' && e.status === 401 && e.user_id === null));
	assert.ok(all.some((e) => e.route === '/v1/posts/{pid}/hide' && e.user_id === staff.id && e.status === 200));
	assert.ok(all.some((e) => e.method === 'WS' && e.user_id === staff.id && e.status === 200));
	// Pages, filters.
	const p1 = (await gw.request('GET', '/v1/admin/access-log?limit=2', { token: admin.access })).json;
	assert.equal(p1.items.length, 2);
	const p2 = (await gw.request('GET', `/v1/admin/access-log?limit=2&cursor=${p1.next_cursor}`, { token: admin.access })).json;
	assert.ok(p2.items[0].id < p1.items[1].id);
	const since = mine[3].at;
	const win = (await gw.request('GET', `/v1/admin/access-log?user_id=${uid}&since=${since}&until=${mine[5].at}`, { token: admin.access })).json.items;
	assert.deepEqual(win.map((e) => e.route).reverse(), ['/v1/threads/{tid}/posts', '/v1/posts/{pid}']);
	// Only admins.
	expectError(await gw.request('GET', '/v1/admin/access-log', { token: staff.access }), 403, 'forbidden');
	expectError(await gw.request('GET', '/v1/admin/access-log'), 401, 'unauthorized');
	expectError(await gw.request('GET', '/v1/admin/access-log?since=x', { token: admin.access }), 400, 'bad_request', 'since');

	// Never a password, token or code.
	const dump = await sql(gw, "SELECT coalesce(target, '') || '|' || coalesce(texts, '') || '|' || coalesce(user_agent, '') || '|' || route FROM access_log");
	for (const secret of [PASSWORD, 'not-my-password', token, refresh, code, token.split('.').at(-1)])
		assert.ok(!dump.includes(secret), `the log holds no ${secret.slice(0, 6)}…`);

	// export-log: the same entries as JSON lines.
	const iso = (ms) => new Date(ms).toISOString();
	const out = await execFileP(GATEWAY_BIN, ['--db', gw.db, 'export-log', '--since', iso(mine[0].at), '--until', iso(mine[5].at + 1000), '--user', String(uid)]);
	const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
	assert.deepEqual(lines.map((e) => e.id), mine.map((e) => e.id));
	assert.deepEqual(lines[3], mine[3]);
	await assert.rejects(execFileP(GATEWAY_BIN, ['--db', gw.db, 'export-log', '--since', 'yesterday', '--until', iso(Date.now())]),
		(e) => /--since: expected a time/.test(e.stderr));

	// Retention: older than 180 days goes (in batches), younger stays.
	await sql(gw, `INSERT INTO access_log (at, ip, method, route, request_id) VALUES (${Date.now() - 181 * DAY}, '10.0.0.1', 'POST', '/old', 1), (${Date.now() - 179 * DAY}, '10.0.0.2', 'POST', '/young', 2)`);
	await poll(async () => (await sql(gw, "SELECT count(*) FROM access_log WHERE route = '/old'")) === '0', { what: 'the old entry trimmed' });
	assert.equal(await sql(gw, "SELECT count(*) FROM access_log WHERE route = '/young'"), '1');
});

itest('the gateway refuses to start with access_log_retention_days under 180', async (h) => {
	const dir = await h.tmpdir('linli-al-');
	const conf = path.join(dir, 'short.conf');
	fs.writeFileSync(conf, 'access_log_retention_days = 90\n');
	await assert.rejects(execFileP(GATEWAY_BIN, ['--config', conf, '--db', path.join(dir, 'x.db'), '--port', '0'], { timeout: 10000 }),
		(e) => /access_log_retention_days: 90 is out of range \(180 to 3650\)/.test(e.stderr));
	void FORUM_CONFIG;
});
