// Account and community helpers for the integration tests: register, log
// in, make the first admin from the command line, communities, invites.
// Every helper asserts the status it needs and says what came back when it
// is not that.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { GATEWAY_BIN } from './harness.mjs';

// Fast password hashing for tests (2^10 instead of 2^14) and room for the
// many registrations a test makes from 127.0.0.1.
export const FAST = { scrypt_log2_n: 10, rate_register_per_ip: 10000 };

export const PASSWORD = 'neighbour-2024!';

// 11-digit mainland mobile numbers, unique within a process: 139 0000 0001 ...
let phoneSeq = 0;
export function newPhone(prefix = '139') {
	phoneSeq++;
	return prefix + String(phoneSeq).padStart(8, '0');
}

export function masked(phone) {
	return `${phone.slice(0, 3)}****${phone.slice(7)}`;
}

// Asserts res is the JSON error status/code (and field when given).
export function expectError(res, status, code, field, what = '') {
	const ctx = `${what ? what + ': ' : ''}${res.status} ${res.text}`;
	assert.equal(res.status, status, ctx);
	assert.ok(res.json && res.json.error, `JSON error body expected: ${ctx}`);
	if (code) assert.equal(res.json.error.code, code, ctx);
	assert.equal(typeof res.json.error.message, 'string', ctx);
	if (field !== undefined) assert.equal(res.json.error.field, field, ctx);
	return res.json.error;
}

export function expectStatus(res, status, what = '') {
	assert.equal(res.status, status, `${what ? what + ': ' : ''}expected ${status}, got ${res.status} ${res.text}`);
	return res.json;
}

// {user, access, refresh, expiresAt, phone, password, json}
function session(json, phone, password) {
	assert.equal(typeof json.access_token, 'string', JSON.stringify(json));
	assert.equal(typeof json.refresh_token, 'string', JSON.stringify(json));
	assert.ok(json.user && Number.isInteger(json.user.id), JSON.stringify(json));
	return {
		user: json.user, id: json.user.id, access: json.access_token, refresh: json.refresh_token,
		expiresAt: json.access_expires_at, phone, password, json,
	};
}

export async function register(gw, { phone = newPhone(), password = PASSWORD, display_name, headers } = {}) {
	const body = { phone, password, display_name: display_name ?? `居民${phone.slice(-4)}` };
	const r = await gw.request('POST', '/v1/auth/register', { body, headers });
	expectStatus(r, 201, `register ${phone}`);
	return session(r.json, r.json.user.phone, password);
}

export async function login(gw, phone, password = PASSWORD) {
	const r = await gw.request('POST', '/v1/auth/login', { body: { phone, password } });
	expectStatus(r, 200, `login ${phone}`);
	return session(r.json, phone, password);
}

// `linli-gateway --config C --db DB create-admin --phone P`, password on
// stdin; resolves with the printed user id.
export function createAdmin(gw, phone, password = PASSWORD) {
	const args = [];
	if (gw.configPath) args.push('--config', gw.configPath);
	args.push('--db', gw.db, 'create-admin', '--phone', phone);
	return new Promise((resolve, reject) => {
		const child = spawn(GATEWAY_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
		let out = '', err = '';
		const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('create-admin: no exit in 20 s')); }, 20000);
		child.stdout.on('data', (d) => { out += d; });
		child.stderr.on('data', (d) => { err += d; });
		child.on('error', (e) => { clearTimeout(timer); reject(e); });
		child.on('exit', (code) => {
			clearTimeout(timer);
			const id = Number(out.trim());
			if (code !== 0 || !Number.isInteger(id) || id <= 0)
				reject(new Error(`create-admin exited ${code}, stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`));
			else resolve(id);
		});
		child.stdin.end(password + '\n');
	});
}

// The first admin: made on the command line, then logged in over HTTP.
export async function makeAdmin(gw, phone = newPhone('188'), password = PASSWORD) {
	const id = await createAdmin(gw, phone, password);
	const s = await login(gw, phone, password);
	assert.equal(s.id, id, 'admin logs in as the user create-admin printed');
	return s;
}

export async function createCommunity(gw, token, name, grids = ['一网格', '二网格', '三网格']) {
	const r = await gw.request('POST', '/v1/communities', { token, body: { name, grids } });
	expectStatus(r, 201, `create community ${name}`);
	return r.json.community;
}

export async function appoint(gw, token, cid, uid) {
	const r = await gw.request('POST', `/v1/communities/${cid}/staff`, { token, body: { user_id: uid } });
	expectStatus(r, 200, `appoint ${uid} staff of ${cid}`);
	return r.json.membership;
}

export async function invite(gw, token, cid, body = { role: 'resident' }) {
	const r = await gw.request('POST', `/v1/communities/${cid}/invites`, { token, body });
	expectStatus(r, 201, `invite to ${cid}`);
	return r.json;
}

export async function join(gw, token, cid, code) {
	const r = await gw.request('POST', `/v1/communities/${cid}/join`, { token, body: { code } });
	expectStatus(r, 200, `join ${cid} with ${code}`);
	return r.json.membership;
}

// A member of cid: invite made by inviterToken, joined by s.
export async function addMember(gw, inviterToken, cid, s, role = 'resident') {
	const inv = await invite(gw, inviterToken, cid, { role });
	return join(gw, s.access, cid, inv.code);
}

export async function me(gw, token) {
	const r = await gw.request('GET', '/v1/me', { token });
	expectStatus(r, 200, 'GET /v1/me');
	return r.json;
}

// Every page of a {items, next_cursor} list.
export async function listAll(gw, token, path, limit = 50) {
	const items = [];
	let cursor = null;
	for (let page = 0; page < 1000; page++) {
		const q = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
		const r = await gw.request('GET', `${path}?${q}`, { token });
		expectStatus(r, 200, `GET ${path}?${q}`);
		assert.ok(Array.isArray(r.json.items), r.text);
		items.push(...r.json.items);
		cursor = r.json.next_cursor;
		if (cursor === null) return items;
		assert.equal(typeof cursor, 'string', r.text);
	}
	throw new Error(`${path}: more than 1000 pages`);
}

// The same token with one character of its signature changed.
export function tamper(token, at = -3) {
	const i = at < 0 ? token.length + at : at;
	const c = token[i];
	const to = c === 'A' ? 'B' : 'A';
	return token.slice(0, i) + to + token.slice(i + 1);
}
