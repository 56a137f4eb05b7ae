// Integration harness: real redis-server and linli-gateway processes, an
// HTTP helper and a WebSocket client that records every frame.
//
// Every test is written with itest(name, async (h, t) => { ... }): `h` owns
// every process, socket and temp dir the test makes and releases them when
// the test ends (pass or fail). On failure the gateways' stderr is printed.
//
// Synchronisation is event-driven: waits resolve when a frame, a close or
// an exit arrives, and every wait has a bounded time-out. Where only polling
// is possible (/healthz, /readyz, /metrics) poll() retries until a deadline.
//
// The storage engine: SQLite files by default; with LINLI_TEST_ENGINE=postgres
// (and LINLI_TEST_PG_URL, a cluster tests/run-all.sh starts) every gateway
// a test starts without an explicit db gets a fresh PostgreSQL database of
// its own, dropped when the test ends.

import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';

const execFileP = promisify(execFile);

export const GATEWAY_BIN = process.env.LINLI_GATEWAY ||
	fileURLToPath(new URL('../../../build/linli-gateway', import.meta.url));
export const REDIS_BIN = process.env.LINLI_REDIS_SERVER || 'redis-server';
export const ENGINE = process.env.LINLI_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
const PG_URL = process.env.LINLI_TEST_PG_URL;
if (ENGINE === 'postgres' && !PG_URL)
	throw new Error('LINLI_TEST_ENGINE=postgres needs LINLI_TEST_PG_URL (a cluster; see tests/pg-cluster.sh)');
// Options for a test the database engine plays no part in (sockets, frames,
// the password work queue): it runs in the SQLite passes only, which keeps
// the suite's integration passes within its time.
export const ENGINE_NEUTRAL = { skip: ENGINE !== 'sqlite' && 'engine-neutral: runs in the SQLite passes' };

// The URL of database `name` on the test cluster.
export function pgUrl(name) {
	const u = new URL(PG_URL);
	u.pathname = `/${name}`;
	return u.toString();
}

// Runs SQL on the test cluster's maintenance database (psql).
export async function pgAdmin(q) {
	return (await execFileP('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', PG_URL, '-c', q])).stdout.trim();
}

// Safety net: whatever happens to a test, no child outlives the runner.
const liveChildren = new Set();
process.on('exit', () => {
	for (const c of liveChildren) {
		try { c.kill('SIGKILL'); } catch { /* gone */ }
	}
});

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

// Calls fn until it returns a truthy value; returns that value. Throws with
// `what` and the last result/error after timeoutMs.
export async function poll(fn, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last, lastErr;
	for (;;) {
		try {
			last = await fn();
			lastErr = undefined;
			if (last) return last;
		} catch (e) {
			if (e.fatal) throw e;
			lastErr = e;
		}
		if (Date.now() >= deadline) {
			const detail = lastErr ? `last error: ${lastErr.message}` : `last value: ${JSON.stringify(last)}`;
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
		}
		await delay(intervalMs);
	}
}

// Resolves with {code, signal} when child exits (at once if it already has).
function exited(child) {
	if (child.exitCode !== null || child.signalCode !== null)
		return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
	return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function withTimeout(promise, ms, what) {
	let timer;
	return Promise.race([
		promise,
		new Promise((_, reject) => {
			timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
		}),
	]).finally(() => clearTimeout(timer));
}

export function tail(file, lines) {
	try {
		const all = fs.readFileSync(file, 'utf8').split('\n');
		return all.slice(-lines).join('\n');
	} catch (e) {
		return `(cannot read ${file}: ${e.message})`;
	}
}

// Frame matching: a function, or an object whose fields must all be equal.
function matcher(pred) {
	if (typeof pred === 'function') return pred;
	if (pred && typeof pred === 'object') {
		return (f) => f && Object.entries(pred).every(([k, v]) => f[k] === v);
	}
	return () => true;
}

function describe(pred) {
	return typeof pred === 'function' ? (pred.name || pred.toString().slice(0, 120)) : JSON.stringify(pred);
}

function shortFrame(f) {
	const s = JSON.stringify(f);
	return s && s.length > 200 ? s.slice(0, 200) + '…' : s;
}

// ---------------------------------------------------------------------------
// Redis

export class Redis {
	constructor(h, dir, port) {
		this.h = h;
		this.dir = dir;
		this.port = port;
		this.url = `redis://127.0.0.1:${port}`;
		this.logPath = path.join(dir, 'redis.log');
		this.child = null;
	}

	async start() {
		const fd = fs.openSync(this.logPath, 'a');
		const child = spawn(REDIS_BIN, [
			'--port', String(this.port), '--bind', '127.0.0.1',
			'--save', '', '--appendonly', 'no', '--dir', this.dir,
			'--daemonize', 'no', '--protected-mode', 'no',
		], { stdio: ['ignore', fd, fd] });
		fs.closeSync(fd);
		liveChildren.add(child);
		child.once('exit', () => liveChildren.delete(child));
		this.child = child;
		await poll(async () => {
			if (child.exitCode !== null || child.signalCode !== null)
				throw Object.assign(new Error(`redis-server exited: ${tail(this.logPath, 20)}`), { fatal: true });
			return (await redisPing(this.port)) === '+PONG';
		}, { timeoutMs: 10000, intervalMs: 25, what: `redis-server on port ${this.port}` });
		return this;
	}

	get running() {
		return this.child && this.child.exitCode === null && this.child.signalCode === null;
	}

	async kill() {
		if (!this.running) return;
		this.child.kill('SIGKILL');
		await withTimeout(exited(this.child), 10000, 'redis-server to die');
	}

	async stop() {
		if (!this.running) return;
		this.child.kill('SIGTERM');
		try {
			await withTimeout(exited(this.child), 5000, 'redis-server to stop');
		} catch {
			await this.kill();
		}
	}

	async restart() {
		await this.kill();
		return this.start();
	}
}

function redisPing(port) {
	return new Promise((resolve) => {
		const s = net.connect(port, '127.0.0.1');
		let buf = '';
		const done = (v) => { s.destroy(); resolve(v); };
		s.setTimeout(1000, () => done(null));
		s.on('error', () => done(null));
		s.on('connect', () => s.write('PING\r\n'));
		s.on('data', (d) => {
			buf += d;
			if (buf.includes('\r\n')) done(buf.trim());
		});
	});
}

// ---------------------------------------------------------------------------
// Gateway

function configText(config) {
	if (!config) return null;
	if (typeof config === 'string') return config;
	return Object.entries(config).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
}

export class Gateway {
	constructor(h, { name, dir, port, db, redis, config, tls, launcher, host = '127.0.0.1' }) {
		this.h = h;
		// The loopback address it listens on (127.0.0.2, .3: other "hosts").
		this.host = host;
		if (host !== '127.0.0.1')
			config = { ...(typeof config === 'object' ? config : {}), listen: host };
		// Command words put before the binary, e.g. ['prlimit', '--nofile=300:300'].
		this.launcher = launcher || [];
		// HTTPS/WSS: explicit, or implied by tls_cert in an object config.
		this.tls = tls ?? !!(config && typeof config === 'object' && config.tls_cert);
		this.name = name;
		this.dir = dir;
		this.port = port;
		this.db = db;
		this.redisUrl = redis ? (typeof redis === 'string' ? redis : redis.url) : null;
		this.configPath = null;
		// LINLI_WS_IO_URING=0: a whole pass with fan-out rounds sent one
		// send() at a time (issue 18: every test both ways across passes).
		if (process.env.LINLI_WS_IO_URING === '0') {
			if (!config) config = { ws_io_uring: false };
			else if (typeof config === 'object' && !('ws_io_uring' in config)) config = { ...config, ws_io_uring: false };
			else if (typeof config === 'string' && !config.includes('ws_io_uring')) config += '\nws_io_uring = false\n';
		}
		const text = configText(config);
		if (text !== null) {
			this.configPath = path.join(dir, `${name}.conf`);
			fs.writeFileSync(this.configPath, text);
		}
		this.logPath = path.join(dir, `${name}.stderr.log`);
		this.child = null;
		this.agent = null;
		this.expectedExit = false; // set when we signal it ourselves
		this.starts = 0;
	}

	get url() { return `${this.tls ? 'https' : 'http'}://${this.host}:${this.port}`; }
	get wsUrl() { return `${this.tls ? 'wss' : 'ws'}://${this.host}:${this.port}/v1/ws`; }
	get pid() { return this.child && this.child.pid; }
	get running() {
		return this.child && this.child.exitCode === null && this.child.signalCode === null;
	}

	args() {
		const a = [];
		if (this.configPath) a.push('--config', this.configPath);
		a.push('--port', String(this.port), '--db', this.db);
		if (this.redisUrl) a.push('--redis', this.redisUrl);
		return a;
	}

	async start() {
		this.starts++;
		fs.appendFileSync(this.logPath,
			`---- harness: start #${this.starts}: ${[...this.launcher, GATEWAY_BIN, ...this.args()].join(' ')}\n`);
		const fd = fs.openSync(this.logPath, 'a');
		const argv = [...this.launcher, GATEWAY_BIN, ...this.args()];
		const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd] });
		fs.closeSync(fd);
		liveChildren.add(child);
		child.once('exit', (code, signal) => {
			liveChildren.delete(child);
			try {
				fs.appendFileSync(this.logPath, `---- harness: exited code=${code} signal=${signal}\n`);
			} catch { /* temp dir gone */ }
		});
		this.child = child;
		this.expectedExit = false;
		this.agent = this.tls
			? new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false })
			: new http.Agent({ keepAlive: true, maxSockets: 16 });
		try {
			await poll(async () => {
				if (!this.running)
					throw Object.assign(new Error(`${this.name} exited during start-up`), { fatal: true });
				const r = await this.request('GET', '/healthz', { timeoutMs: 1000 });
				return r.status === 200;
			}, { timeoutMs: 10000, intervalMs: 25, what: `${this.name} /healthz` });
		} catch (e) {
			e.message += `\n${this.name} stderr:\n${tail(this.logPath, 40)}`;
			throw e;
		}
		return this;
	}

	// SIGTERM; resolves with {code, signal}. Kills after timeoutMs.
	async stop({ timeoutMs = 10000 } = {}) {
		if (!this.child) return null;
		if (!this.running) return { code: this.child.exitCode, signal: this.child.signalCode };
		this.expectedExit = true;
		this.child.kill('SIGTERM');
		try {
			return await withTimeout(exited(this.child), timeoutMs, `${this.name} to exit after SIGTERM`);
		} catch (e) {
			this.child.kill('SIGKILL');
			await exited(this.child);
			throw e;
		} finally {
			this.agent?.destroy();
		}
	}

	async kill() {
		if (!this.running) return;
		this.expectedExit = true;
		this.child.kill('SIGKILL');
		await withTimeout(exited(this.child), 10000, `${this.name} to die`);
		this.agent?.destroy();
	}

	// Killed and started again; with config, on that configuration (the
	// operator edited the file).
	async restart({ config } = {}) {
		await this.kill();
		if (config !== undefined) {
			this.configPath = path.join(this.dir, `${this.name}.conf`);
			fs.writeFileSync(this.configPath, configText(config));
		}
		return this.start();
	}

	// VmRSS in bytes.
	rss() {
		const s = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
		const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(s);
		return Number(m[1]) * 1024;
	}

	// One HTTP request. body: object (JSON-encoded), string or Buffer.
	// agent: another http(s).Agent (e.g. unlimited sockets for bursts);
	// from: a source address (127.0.0.5: another client machine).
	request(method, urlPath, { token, body, headers = {}, timeoutMs = 10000, agent, from } = {}) {
		return new Promise((resolve, reject) => {
			const hdrs = { ...headers };
			let payload = null;
			if (body !== undefined) {
				payload = Buffer.isBuffer(body) ? body
					: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
				if (!Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-type'))
					hdrs['Content-Type'] = 'application/json';
				hdrs['Content-Length'] = payload.length;
			}
			if (token) hdrs.Authorization = `Bearer ${token}`;
			const req = (this.tls ? https : http).request({
				host: this.host, port: this.port, method, path: urlPath,
				headers: hdrs, agent: from ? false : agent || this.agent, localAddress: from,
			}, (res) => {
				const chunks = [];
				const localPort = res.socket?.localPort; // the gateway's view: the client's port
				res.on('data', (c) => chunks.push(c));
				res.on('error', reject);
				res.on('end', () => {
					const buffer = Buffer.concat(chunks); // the bytes, for binary answers (photos)
					const text = buffer.toString('utf8');
					let json;
					try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
					resolve({ status: res.statusCode, headers: res.headers, text, json, localPort, buffer });
				});
			});
			req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${timeoutMs} ms`)));
			req.on('error', reject);
			if (payload) req.write(payload);
			req.end();
		});
	}

	// POST an event; asserts 201 and returns the seq.
	async publish(token, ch, type, data) {
		const r = await this.request('POST', `/v1/channels/${encodeURIComponent(ch)}/events`,
			{ token, body: { type, data } });
		if (r.status !== 201 || !r.json || !Number.isInteger(r.json.seq))
			throw new Error(`publish to ${ch} on ${this.name}: expected 201 {seq}, got ${r.status} ${r.text}`);
		return r.json.seq;
	}

	async metrics() {
		const r = await this.request('GET', '/metrics');
		if (r.status !== 200) throw new Error(`/metrics: ${r.status}`);
		return parseMetrics(r.text);
	}

	async metric(name) {
		const m = await this.metrics();
		return m.get(name);
	}
}

export function parseMetrics(text) {
	const out = new Map();
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		// Label values are quoted and may hold braces (route patterns).
		const m = /^([^\s{]+)(\{(?:[^"}]|"[^"]*")*\})?\s+(\S+)$/.exec(line);
		if (m) out.set(m[1] + (m[2] || ''), Number(m[3]));
	}
	return out;
}

// ---------------------------------------------------------------------------
// HAProxy in front of gateways, as production runs them: round robin, health
// checks on /readyz, X-Forwarded-For added, WebSockets passed through. It
// answers requests and WebSockets like a gateway does (request, wsUrl).

export const HAPROXY_BIN = process.env.LINLI_HAPROXY || 'haproxy';

export class Haproxy {
	constructor(h, dir, port, backends, { checkMs = 250 } = {}) {
		this.h = h;
		this.dir = dir;
		this.host = '127.0.0.1';
		this.port = port;
		this.name = 'haproxy';
		this.tls = false;
		this.backends = backends;
		this.checkMs = checkMs;
		this.logPath = path.join(dir, 'haproxy.log');
		this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
	}

	get url() { return `http://127.0.0.1:${this.port}`; }
	get wsUrl() { return `ws://127.0.0.1:${this.port}/v1/ws`; }

	async start() {
		const cfg = [
			'global', '  maxconn 4000',
			'defaults', '  mode http', '  timeout connect 1s', '  timeout client 60s',
			'  timeout server 60s', '  timeout tunnel 1h', '  option redispatch', '  retries 3',
			'frontend fe', `  bind 127.0.0.1:${this.port}`, '  option forwardfor', '  default_backend gateways',
			// From 127.0.0.1: the address a gateway lists in trusted_proxies.
			// The check is the README's: in rotation while the gateway's
			// database answers and it is not shutting down (a Redis outage
			// makes /readyz 503 but leaves every gateway able to serve).
			'backend gateways', '  balance roundrobin', '  source 127.0.0.1', '  option httpchk',
			'  http-check send meth GET uri /readyz', '  http-check expect string "\\"store\\":\\"ok\\""',
			'  http-check expect ! string "shutting down"', `  default-server inter ${this.checkMs} fall 2 rise 1`,
			...this.backends.map((b) => `  server ${b.name} ${b.host}:${b.port} check`),
		].join('\n') + '\n';
		const cfgPath = path.join(this.dir, 'haproxy.cfg');
		fs.writeFileSync(cfgPath, cfg);
		const fd = fs.openSync(this.logPath, 'a');
		const child = spawn(HAPROXY_BIN, ['-f', cfgPath, '-db'], { stdio: ['ignore', fd, fd] });
		fs.closeSync(fd);
		liveChildren.add(child);
		child.once('exit', () => liveChildren.delete(child));
		this.child = child;
		await poll(async () => {
			if (child.exitCode !== null)
				throw Object.assign(new Error(`haproxy exited: ${tail(this.logPath, 20)}`), { fatal: true });
			return (await this.request('GET', '/healthz', { timeoutMs: 1000 })).status === 200;
		}, { timeoutMs: 10000, what: 'haproxy to forward /healthz' });
		return this;
	}

	async stop() {
		this.agent.destroy();
		if (this.child && this.child.exitCode === null) {
			this.child.kill('SIGKILL');
			await withTimeout(exited(this.child), 5000, 'haproxy to die');
		}
	}
}
// Requests and publishing through the proxy work as they do on a gateway.
Haproxy.prototype.request = function (...args) { return Gateway.prototype.request.apply(this, args); };
Haproxy.prototype.publish = function (...args) { return Gateway.prototype.publish.apply(this, args); };

// ---------------------------------------------------------------------------
// PostgreSQL clusters of a test's own (tests/pg-cluster.sh), for what the
// shared one must not suffer: a primary killed, a standby promoted.

const PG_CLUSTER = fileURLToPath(new URL('../../pg-cluster.sh', import.meta.url));

export class PgCluster {
	constructor(h, dir, port) {
		this.h = h;
		this.dir = dir;
		this.port = port;
	}

	url(db = 'postgres') { return `postgresql://linli@127.0.0.1:${this.port}/${db}`; }

	async cmd(...args) {
		return (await execFileP(PG_CLUSTER, args, { timeout: 60000 })).stdout.trim();
	}

	start(...opts) { return this.cmd('start', this.dir, String(this.port), ...opts); }
	standbyOf(primary) { return this.cmd('standby', String(primary.port), this.dir, String(this.port)); }
	promote() { return this.cmd('promote', this.dir); }
	kill() { return this.cmd('kill', this.dir); }
	stop() { return this.cmd('stop', this.dir); }

	async psql(q, db = 'postgres') {
		return (await execFileP('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', this.url(db), '-c', q])).stdout.trim();
	}
}

// ---------------------------------------------------------------------------
// WebSocket client

export class Client {
	constructor(h, label) {
		this.h = h;
		this.label = label;
		this.frames = [];   // every frame received, parsed (binary: {binary: Buffer})
		this.pos = 0;       // next() consumes from here
		this.waiters = new Set();
		this.closeInfo = null;
		this.error = null;
		this._closeWaiters = [];
	}

	static connect(h, url, { token, headers = {}, label = 'client', timeoutMs = 5000, wsOptions = {} } = {}) {
		const c = new Client(h, label);
		const hdrs = { ...headers };
		if (token) hdrs.Authorization = `Bearer ${token}`;
		const ws = new WebSocket(url, { headers: hdrs, maxPayload: 256 * 1024 * 1024, ...wsOptions });
		c.ws = ws;
		h._clients.add(c);
		ws.on('message', (data, isBinary) => {
			let f;
			if (isBinary) f = { binary: data };
			else {
				const s = data.toString('utf8');
				try { f = JSON.parse(s); } catch { f = { unparsable: s }; }
			}
			c.frames.push(f);
			c._wake();
		});
		ws.on('error', (e) => { c.error = e; });
		ws.on('close', (code, reason) => {
			c.closeInfo = { code, reason: reason.toString('utf8') };
			for (const w of c._closeWaiters) w(c.closeInfo);
			c._closeWaiters = [];
			c._wake();
		});
		return withTimeout(new Promise((resolve, reject) => {
			ws.once('open', () => resolve(c));
			ws.once('unexpected-response', (req, res) => reject(new Error(`${label}: upgrade refused: HTTP ${res.statusCode}`)));
			ws.once('error', (e) => reject(e));
		}), timeoutMs, `${label} to connect`).catch((e) => { ws.terminate(); throw e; });
	}

	get open() { return this.ws.readyState === WebSocket.OPEN; }

	send(obj) { this.ws.send(JSON.stringify(obj)); }
	sendRaw(data, opts = {}) { this.ws.send(data, opts); }

	_wake() {
		for (const w of [...this.waiters]) w.check();
	}

	_recent(n = 8) {
		return this.frames.slice(-n).map(shortFrame).join('\n    ');
	}

	// Waits until check() returns a value other than undefined.
	_wait(check, timeoutMs, what) {
		return new Promise((resolve, reject) => {
			const w = {};
			const finish = (fn, v) => {
				clearTimeout(w.timer);
				this.waiters.delete(w);
				fn(v);
			};
			w.check = () => {
				let v;
				try { v = check(); } catch (e) { return finish(reject, e); }
				if (v !== undefined) return finish(resolve, v);
				if (this.closeInfo)
					finish(reject, new Error(`${this.label}: socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${what}; ${this.frames.length} frames, last:\n    ${this._recent()}`));
			};
			w.timer = setTimeout(() => finish(reject, new Error(
				`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; ${this.frames.length} frames, last:\n    ${this._recent()}`)), timeoutMs);
			this.waiters.add(w);
			w.check();
		});
	}

	// The first frame at or after the cursor matching pred; moves the cursor
	// past it.
	next(pred = () => true, timeoutMs = 5000) {
		const m = matcher(pred);
		return this._wait(() => {
			for (let i = this.pos; i < this.frames.length; i++) {
				if (m(this.frames[i])) {
					this.pos = i + 1;
					return this.frames[i];
				}
			}
			return undefined;
		}, timeoutMs, `frame ${describe(pred)}`);
	}

	// The first frame ever received matching pred (does not move the cursor).
	waitFor(pred, timeoutMs = 5000) {
		const m = matcher(pred);
		return this._wait(() => this.frames.find((f) => m(f)), timeoutMs, `frame ${describe(pred)}`);
	}

	// Waits until n frames match pred; returns them.
	collect(pred, n, timeoutMs = 10000) {
		const m = matcher(pred);
		return this._wait(() => {
			const got = this.frames.filter((f) => m(f));
			return got.length >= n ? got : undefined;
		}, timeoutMs, `${n} frames ${describe(pred)} (have ${this.frames.filter((f) => m(f)).length})`);
	}

	events(ch) {
		return this.frames.filter((f) => f.op === 'event' && (ch === undefined || f.ch === ch));
	}

	// Waits until an event on ch with seq >= seq has arrived.
	waitSeq(ch, seq, timeoutMs = 10000) {
		return this._wait(() => {
			const evs = this.events(ch);
			return evs.length && evs[evs.length - 1].seq >= seq ? evs : undefined;
		}, timeoutMs, `event on ${ch} with seq >= ${seq} (last seen: ${(() => { const e = this.events(ch); return e.length ? e[e.length - 1].seq : 'none'; })()})`);
	}

	// Resolves with {code, reason} when the socket closes.
	closed(timeoutMs = 5000) {
		if (this.closeInfo) return Promise.resolve(this.closeInfo);
		return withTimeout(new Promise((r) => this._closeWaiters.push(r)), timeoutMs,
			`${this.label} to be closed; last frames:\n    ${this._recent()}`);
	}

	// Sends sub and waits for its subbed (matched by ref). Returns the
	// subbed frame.
	async subscribe(ch, since, timeoutMs = 10000) {
		const ref = `sub-${ch}-${this.frames.length}-${Math.random().toString(36).slice(2, 8)}`;
		const msg = { op: 'sub', ch, ref };
		if (since !== undefined) msg.since = since;
		this.send(msg);
		return this._wait(() => {
			const f = this.frames.find((x) => x.ref === ref && (x.op === 'subbed' || x.op === 'error'));
			if (f && f.op === 'error') throw new Error(`${this.label}: sub ${ch} refused: ${JSON.stringify(f)}`);
			return f;
		}, timeoutMs, `subbed ${ch} (ref ${ref})`);
	}

	close(code = 1000) {
		if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
	}

	terminate() { this.ws.terminate(); }
}

// ---------------------------------------------------------------------------
// Raw WebSocket: the upgrade by hand on a net socket, for clients that must
// misbehave at the TCP level (e.g. never read).

// A masked client frame (opcode 1 = text, 2 = binary, 8 = close).
export function encodeClientFrame(payload, opcode = 1) {
	const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
	const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
	let head;
	if (data.length < 126) {
		head = Buffer.from([0x80 | opcode, 0x80 | data.length]);
	} else if (data.length < 65536) {
		head = Buffer.alloc(4);
		head[0] = 0x80 | opcode; head[1] = 0x80 | 126; head.writeUInt16BE(data.length, 2);
	} else {
		head = Buffer.alloc(10);
		head[0] = 0x80 | opcode; head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(data.length), 2);
	}
	const masked = Buffer.alloc(data.length);
	for (let i = 0; i < data.length; i++) masked[i] = data[i] ^ mask[i & 3];
	return Buffer.concat([head, mask, masked]);
}

// Parses unmasked server frames from buf: {frames: [{opcode, payload}], rest}.
export function decodeServerFrames(buf) {
	const frames = [];
	let off = 0;
	for (;;) {
		if (buf.length - off < 2) break;
		const opcode = buf[off] & 0x0f;
		let len = buf[off + 1] & 0x7f, hl = 2;
		if (len === 126) { if (buf.length - off < 4) break; len = buf.readUInt16BE(off + 2); hl = 4; }
		else if (len === 127) { if (buf.length - off < 10) break; len = Number(buf.readBigUInt64BE(off + 2)); hl = 10; }
		if (buf.length - off < hl + len) break;
		frames.push({ opcode, payload: buf.subarray(off + hl, off + hl + len) });
		off += hl + len;
	}
	return { frames, rest: buf.subarray(off) };
}

export class RawSocket {
	// Connects and upgrades; resolves once the 101 is in.
	static connect(h, gw, { token, timeoutMs = 5000 } = {}) {
		const r = new RawSocket();
		r.received = [];       // chunks read after the upgrade response
		r.ended = false;
		const sock = net.connect(gw.port, gw.host || '127.0.0.1');
		r.socket = sock;
		h.onCleanup(() => sock.destroy());
		r._ended = new Promise((resolve) => sock.once('close', () => { r.ended = true; resolve(); }));
		sock.on('error', () => { /* seen as close */ });
		return withTimeout(new Promise((resolve, reject) => {
			let head = Buffer.alloc(0);
			const onData = (d) => {
				head = Buffer.concat([head, d]);
				const i = head.indexOf('\r\n\r\n');
				if (i < 0) return;
				sock.off('data', onData);
				const status = head.subarray(0, i).toString('latin1').split('\r\n')[0];
				if (!/^HTTP\/1\.1 101/.test(status)) return reject(new Error(`raw upgrade refused: ${status}`));
				const rest = head.subarray(i + 4);
				if (rest.length) r.received.push(rest);
				sock.on('data', (x) => { r.received.push(x); r._onData?.(); });
				resolve(r);
			};
			sock.on('data', onData);
			sock.once('close', () => reject(new Error('raw socket closed during upgrade')));
			sock.on('connect', () => {
				const lines = [
					'GET /v1/ws HTTP/1.1', `Host: 127.0.0.1:${gw.port}`, 'Upgrade: websocket',
					'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
					'Sec-WebSocket-Version: 13',
				];
				if (token) lines.push(`Authorization: Bearer ${token}`);
				sock.write(lines.join('\r\n') + '\r\n\r\n');
			});
		}), timeoutMs, 'raw WebSocket upgrade');
	}

	sendText(obj) { this.socket.write(encodeClientFrame(typeof obj === 'string' ? obj : JSON.stringify(obj))); }

	text() { return Buffer.concat(this.received).toString('latin1'); }

	// Waits (reading) until the bytes received contain needle.
	waitText(needle, timeoutMs = 5000) {
		return withTimeout(new Promise((resolve) => {
			const check = () => { if (this.text().includes(needle)) { this._onData = null; resolve(); } };
			this._onData = check;
			check();
		}), timeoutMs, `raw socket to receive ${needle}`);
	}

	// Stops reading: the kernel buffers fill and the server's writes block.
	pause() { this.socket.pause(); }

	// Reads everything left until the server closes the TCP connection;
	// returns the close frame's code, or 1006 when none came.
	async drainToClose(timeoutMs = 15000) {
		this.socket.resume();
		await withTimeout(this._ended, timeoutMs, 'the server to close the raw socket');
		const { frames } = decodeServerFrames(Buffer.concat(this.received));
		const close = frames.find((f) => f.opcode === 8);
		return { code: close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1006, frames };
	}
}

// ---------------------------------------------------------------------------
// Assertions on event streams

// Asserts events (frames with .seq) are exactly from..to, each once, in order.
export function assertContiguous(events, from, to, label = 'events') {
	const seqs = events.map((e) => e.seq);
	const problems = [];
	for (let i = 1; i < seqs.length; i++) {
		if (seqs[i] === seqs[i - 1]) problems.push(`duplicate ${seqs[i]} at index ${i}`);
		else if (seqs[i] < seqs[i - 1]) problems.push(`out of order ${seqs[i - 1]} -> ${seqs[i]} at index ${i}`);
		else if (seqs[i] !== seqs[i - 1] + 1) problems.push(`gap ${seqs[i - 1]} -> ${seqs[i]} at index ${i}`);
		if (problems.length > 10) break;
	}
	if (seqs[0] !== from) problems.unshift(`first seq ${seqs[0]}, expected ${from}`);
	if (seqs[seqs.length - 1] !== to) problems.push(`last seq ${seqs[seqs.length - 1]}, expected ${to}`);
	if (seqs.length !== to - from + 1) problems.push(`${seqs.length} events, expected ${to - from + 1}`);
	if (problems.length)
		throw new Error(`${label}: not exactly ${from}..${to} in order:\n  ${problems.join('\n  ')}`);
}

// ---------------------------------------------------------------------------
// Per-test harness

// Runs SQL on a gateway's database with the engine's own tool (sqlite3 on
// the WAL file, psql on a PostgreSQL database), as an operator would;
// returns its output (rows one per line, columns joined by |). Tests use it
// to look at rows the API does not show, or to move a row's clock back
// instead of waiting. Write SQL both engines accept.
export async function sql(gw, q) {
	const db = typeof gw === 'string' ? gw : gw.db;
	if (/^postgres(ql)?:\/\//.test(db))
		return (await execFileP('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', q])).stdout.trim();
	return (await execFileP('sqlite3', ['-cmd', '.timeout 5000', db, q])).stdout.trim();
}

export class Harness {
	constructor(t, name) {
		this.t = t;
		this.name = name;
		this._dirs = [];
		this._gateways = [];
		this._redis = [];
		this._proxies = [];
		this._pgClusters = [];
		this._clients = new Set();
		this._cleanups = [];
		this._pgDatabases = [];
		this.failed = false;
	}

	// A new, empty database for a gateway: a file path in dir for SQLite,
	// a fresh PostgreSQL database's URL otherwise.
	async newDb(dir) {
		if (ENGINE === 'sqlite')
			return path.join(dir, 'linli.db');
		const name = `linli_it_${process.pid}_${Harness.dbs = (Harness.dbs || 0) + 1}`;
		await pgAdmin(`CREATE DATABASE ${name}`);
		this._pgDatabases.push(name);
		return pgUrl(name);
	}

	async tmpdir(prefix = 'linli-it-') {
		const d = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
		this._dirs.push(d);
		return d;
	}

	onCleanup(fn) { this._cleanups.push(fn); }

	async redis() {
		const dir = await this.tmpdir('linli-redis-');
		const r = new Redis(this, dir, await freePort());
		this._redis.push(r);
		return r.start();
	}

	// Starts a gateway. opts: name, db (default: a new file), redis (Redis or
	// URL), config (object or text), port (default: free).
	async gateway(opts = {}) {
		const dir = opts.dir || await this.tmpdir('linli-gw-');
		const name = opts.name || `gw${this._gateways.length + 1}`;
		const g = new Gateway(this, {
			name, dir,
			port: opts.port || await freePort(),
			db: opts.db || await this.newDb(dir),
			redis: opts.redis,
			config: opts.config,
			tls: opts.tls,
			launcher: opts.launcher,
			host: opts.host,
		});
		this._gateways.push(g);
		return g.start();
	}

	// HAProxy on 127.0.0.1 in front of backends (gateways).
	async haproxy(backends, opts = {}) {
		const dir = await this.tmpdir('linli-haproxy-');
		const p = new Haproxy(this, dir, await freePort(), backends, opts);
		this._proxies.push(p);
		return p.start();
	}

	// A PostgreSQL cluster of this test's own, not started.
	async pgCluster() {
		const dir = await this.tmpdir('linli-pgc-');
		await fsp.chmod(dir, 0o755); /* as root, the cluster is the postgres user's */
		const c = new PgCluster(this, path.join(dir, 'data'), await freePort());
		this._pgClusters.push(c);
		return c;
	}

	// A token from `linli-gateway --db DB mint-token`. target: Gateway or db path.
	async mint(target, uid, { admin = false, ttl } = {}) {
		const db = typeof target === 'string' ? target : target.db;
		const args = ['--db', db, 'mint-token', '--user', String(uid)];
		if (admin) args.push('--admin');
		if (ttl !== undefined) args.push('--ttl', String(ttl));
		const { stdout } = await execFileP(GATEWAY_BIN, args, { timeout: 10000 });
		const tok = stdout.trim();
		if (!tok) throw new Error('mint-token printed nothing');
		return tok;
	}

	// A WebSocket client. opts: token (Authorization header), label.
	// Over TLS the gateway's (self-signed) certificate is accepted.
	ws(gw, opts = {}) {
		if (gw.tls) opts = { ...opts, wsOptions: { rejectUnauthorized: false, ...(opts.wsOptions || {}) } };
		return Client.connect(this, gw.wsUrl, opts);
	}

	// An authenticated client (header), past hello/authed, subscribed to ch.
	async subscriber(gw, token, ch, { since, label } = {}) {
		const c = await this.ws(gw, { token, label: label || `sub(${gw.name},${ch})` });
		await c.next({ op: 'hello' });
		await c.next({ op: 'authed' });
		c.subbed = await c.subscribe(ch, since);
		return c;
	}

	dumpLogs() {
		for (const g of this._gateways) {
			console.error(`\n===== ${this.name}: ${g.name} (port ${g.port}) stderr, last 120 lines: ${g.logPath}\n${tail(g.logPath, 120)}`);
		}
		for (const r of this._redis) {
			console.error(`\n===== ${this.name}: redis (port ${r.port}) log, last 20 lines\n${tail(r.logPath, 20)}`);
		}
		for (const p of this._proxies) {
			console.error(`\n===== ${this.name}: haproxy (port ${p.port}) log, last 20 lines\n${tail(p.logPath, 20)}`);
		}
		for (const c of this._pgClusters) {
			console.error(`\n===== ${this.name}: postgres (port ${c.port}) log, last 30 lines\n${tail(path.join(c.dir, 'server.log'), 30)}`);
		}
	}

	// Stops everything; prints the logs first when the test failed.
	async cleanup() {
		const errors = [];
		for (const fn of this._cleanups.reverse()) {
			try { await fn(); } catch (e) { errors.push(e); }
		}
		for (const c of this._clients) {
			try { c.terminate(); } catch { /* already gone */ }
		}
		for (const g of this._gateways) {
			if (!g.child) continue;
			if (!g.running && !g.expectedExit) {
				errors.push(new Error(`${g.name} exited unexpectedly: code=${g.child.exitCode} signal=${g.child.signalCode}`));
				continue;
			}
			if (!g.running) { g.agent?.destroy(); continue; }
			try {
				const r = await g.stop();
				if (r.code !== 0) errors.push(new Error(`${g.name} exited with ${JSON.stringify(r)} after SIGTERM, expected code 0`));
			} catch (e) {
				errors.push(e);
			}
		}
		for (const p of this._proxies) {
			try { await p.stop(); } catch (e) { errors.push(e); }
		}
		for (const r of this._redis) {
			try { await r.kill(); } catch (e) { errors.push(e); }
		}
		for (const c of this._pgClusters) {
			try { await c.kill(); } catch (e) { errors.push(e); }
		}
		for (const name of this._pgDatabases) {
			try { await pgAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch (e) { errors.push(e); }
		}
		const failed = this.failed || errors.length;
		if (failed) this.dumpLogs();
		for (const d of this._dirs) {
			if (failed && process.env.LINLI_KEEP_TMP) continue;
			await fsp.rm(d, { recursive: true, force: true }).catch(() => {});
		}
		if (errors.length) {
			throw errors.length === 1 ? errors[0]
				: new AggregateError(errors, errors.map((e) => e.message).join('; '));
		}
	}

	// A subtest of t that marks the harness failed (for the log dump).
	sub(t, name, fn) {
		return t.test(name, async (st) => {
			try {
				await fn(st);
			} catch (e) {
				this.failed = true;
				throw e;
			}
		});
	}
}

// Defines a test with its own harness; cleans up whatever happens and prints
// the gateways' stderr when it fails.
export function itest(name, opts, fn) {
	if (typeof opts === 'function') { fn = opts; opts = {}; }
	return test(name, { timeout: 90000, ...opts }, async (t) => {
		const h = new Harness(t, name);
		let err, cleanupErr;
		try {
			await fn(h, t);
		} catch (e) {
			err = e;
			h.failed = true;
		}
		try {
			await h.cleanup();
		} catch (e) {
			cleanupErr = e;
		}
		if (err) throw err;
		if (cleanupErr) throw cleanupErr;
	});
}

export { delay };
