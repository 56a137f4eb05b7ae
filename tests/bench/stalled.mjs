// Memory under stalled readers (issue 12): SOCKETS WebSockets subscribe to
// one channel with since=0 (a replay of EVENTS events of EVENT_BYTES), half
// of them never read a byte; then live events keep coming. The gateway's
// RSS is sampled throughout: it must stay near its baseline plus
// ws_memory_budget, however many stalled sockets there are.
//
// usage: node tests/bench/stalled.mjs [SOCKETS=19000] [BUDGET_MB=256]
// (from the repository root after ./linli.sh build; ./linli.sh bench-stalled)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SOCKETS = Number(process.argv[2] || 19000);
const BUDGET_MB = Number(process.argv[3] || 256);
const EVENTS = 400, EVENT_BYTES = 4000, LIVE_EVENTS = 200, LIVE_PER_S = 20;
const BIN = path.resolve(process.env.LINLI_GATEWAY || 'build/linli-gateway');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-bench-stalled-'));
const db = path.join(dir, 'b.db'), conf = path.join(dir, 'gw.conf');
fs.writeFileSync(conf, `log_level = warn\nmax_connections = ${SOCKETS + 500}\nmax_conns_per_ip = 1000000\n`
	+ `ws_memory_budget = ${BUDGET_MB * 1048576}\n`);
const port = await new Promise((resolve) => {
	const srv = net.createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
});
const token = execFileSync(BIN, ['--config', conf, '--db', db, 'mint-token', '--user', '1', '--admin', '--ttl', '7200'],
	{ encoding: 'utf8' }).trim();
const gw = spawn(BIN, ['--config', conf, '--db', db, '--port', String(port)], { stdio: ['ignore', 'inherit', 'inherit'] });
process.on('exit', () => { try { gw.kill('SIGKILL'); } catch { /* gone */ } });
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
function request(method, p, body) {
	return new Promise((resolve, reject) => {
		const data = body ? JSON.stringify(body) : null;
		const r = http.request({ host: '127.0.0.1', port, method, path: p, agent,
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(data ? { 'content-length': Buffer.byteLength(data) } : {}) } },
		(res) => { let t = ''; res.on('data', (d) => { t += d; }); res.on('end', () => resolve({ status: res.statusCode, text: t })); });
		r.on('error', reject);
		r.end(data);
	});
}
for (let i = 0; i < 100; i++) {
	try { if ((await request('GET', '/healthz')).status === 200) break; } catch { /* not yet */ }
	await new Promise((r) => setTimeout(r, 100));
}
const rss = () => Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${gw.pid}/status`, 'utf8'))[1]) * 1024;
const metric = async (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec((await request('GET', '/metrics')).text)?.[1] ?? NaN);
const pad = 'z'.repeat(EVENT_BYTES);
const publish = (n) => request('POST', '/v1/channels/thread:1/events', { type: 'post.created', data: { n, pad } });
for (let n = 1; n <= EVENTS; n++) await publish(n);
const base = rss();

// A masked client frame (what a browser sends).
function frame(text) {
	const p = Buffer.from(text), m = Buffer.from([1, 2, 3, 4]);
	const head = p.length < 126 ? Buffer.from([0x81, 0x80 | p.length]) : Buffer.from([0x81, 0x80 | 126, p.length >> 8, p.length & 255]);
	return Buffer.concat([head, m, Buffer.from(p.map((b, i) => b ^ m[i & 3]))]);
}
let peak = base, peakFrames = 0, connected = 0, failed = 0;
const sampler = setInterval(async () => {
	peak = Math.max(peak, rss());
	try { peakFrames = Math.max(peakFrames, await metric('linli_frame_bytes')); } catch { /* busy */ }
}, 250);
const socks = [];
function open(stall) {
	return new Promise((resolve) => {
		const s = net.connect(port, '127.0.0.1');
		s.on('error', () => { failed++; resolve(); });
		s.once('connect', () => {
			s.write(`GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
				+ `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`);
			s.write(frame(JSON.stringify({ op: 'sub', ch: 'thread:1', since: 0 })));
			connected++;
			if (stall) s.pause();
			else s.on('data', () => {});
			socks.push(s);
			resolve();
		});
	});
}
const t0 = Date.now();
for (let i = 0; i < SOCKETS; i += 500) {
	await Promise.all(Array.from({ length: Math.min(500, SOCKETS - i) }, (_, k) => open((i + k) % 2 === 0)));
}
const opened = Date.now() - t0;
for (let n = 1; n <= LIVE_EVENTS; n++) {
	await publish(EVENTS + n);
	await new Promise((r) => setTimeout(r, 1000 / LIVE_PER_S));
}
await new Promise((r) => setTimeout(r, 5000));
clearInterval(sampler);
const closes = await metric('linli_ws_budget_closes_total');
const overflows = await metric('linli_send_queue_overflows_total');
const live = await metric('linli_ws_connections');
const cpu = execFileSync('lscpu', { encoding: 'utf8' }).match(/Model name:\s*(.*)/)?.[1];
console.log(`stalled readers: ${SOCKETS} sockets (${SOCKETS / 2} never read), replay of ${EVENTS} x ${EVENT_BYTES} B, `
	+ `${LIVE_EVENTS} live events at ${LIVE_PER_S}/s; ws_memory_budget ${BUDGET_MB} MiB; ${cpu}, ${os.cpus().length} vCPU`);
console.log(`  opened in ${(opened / 1000).toFixed(1)} s (${connected} connected, ${failed} failed); at the end ${live} open`);
console.log(`  RSS: baseline ${(base / 1048576).toFixed(0)} MiB, peak ${(peak / 1048576).toFixed(0)} MiB `
	+ `(+${((peak - base) / 1048576).toFixed(0)} MiB); frames held at most ${(peakFrames / 1048576).toFixed(0)} MiB`);
console.log(`  closed 1008: ${closes} for the budget, ${overflows} for a full queue`);
for (const s of socks) s.destroy();
gw.kill('SIGINT');
process.exit(0);
