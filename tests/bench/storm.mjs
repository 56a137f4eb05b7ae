// Reconnect storm (issue 18): SUBS subscribers over CHANNELS channels are
// live; the gateway restarts (a deploy: SIGTERM, start again on the same
// database); BEHIND events are published to every channel while they are
// away; then all of them reconnect with `since` — at once, or (variant
// "jitter") each after the SDK's own full-jitter backoff (backoffDelay,
// clients/js). Measured: time from the go until every subscriber has every
// missed event, in order, and is live (`subbed`); the gateway's CPU over
// the storm and its peak RSS (VmHWM since the restart).
//
// usage: node tests/bench/storm.mjs [once|jitter] [SUBS=10000] [CHANNELS=100] [BEHIND=50] [--json]
// (from the repository root after ./linli.sh build; run by tests/bench/run.sh)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { backoffDelay } from '../../clients/js/src/linli.js';

const args = process.argv.slice(2).filter((a) => a !== '--json');
const JSON_OUT = process.argv.includes('--json');
const VARIANT = args[0] || 'once';
const SUBS = Number(args[1] || 10000), CHANNELS = Number(args[2] || 100), BEHIND = Number(args[3] || 50);
const BIN = path.resolve(process.env.LINLI_GATEWAY || 'build/linli-gateway');
const PIN = process.env.STORM_PIN_SERVER ? ['taskset', '-c', process.env.STORM_PIN_SERVER] : [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-bench-storm-'));
const db = path.join(dir, 'b.db'), conf = path.join(dir, 'gw.conf');
fs.writeFileSync(conf, `log_level = warn\nmax_connections = ${SUBS + 500}\nmax_conns_per_ip = 1000000\n`);
const port = await new Promise((resolve) => {
	const srv = net.createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
});
const token = execFileSync(BIN, ['--config', conf, '--db', db, 'mint-token', '--user', '1', '--admin', '--ttl', '7200'],
	{ encoding: 'utf8' }).trim();
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
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
let gw = null;
async function start() {
	const argv = [...PIN, BIN, '--config', conf, '--db', db, '--port', String(port)];
	gw = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
	for (let i = 0; i < 200; i++) {
		try { if ((await request('GET', '/healthz')).status === 200) return; } catch { /* not yet */ }
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('the gateway did not come up');
}
async function stop() {
	const exited = new Promise((r) => gw.once('exit', r));
	gw.kill('SIGTERM');
	await exited;
}
process.on('exit', () => { try { gw?.kill('SIGKILL'); } catch { /* gone */ } });
const serverPid = () => gw.pid; // taskset execs the gateway: the same process
const cpuS = (pid) => {
	const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
	return (Number(f[11]) + Number(f[12])) / 100;
};
const hwm = (pid) => Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

function frame(text) {
	const p = Buffer.from(text), m = Buffer.from([1, 2, 3, 4]);
	const head = p.length < 126 ? Buffer.from([0x81, 0x80 | p.length]) : Buffer.from([0x81, 0x80 | 126, p.length >> 8, p.length & 255]);
	return Buffer.concat([head, m, Buffer.from(p.map((b, i) => b ^ m[i & 3]))]);
}
// Frames from the server (unmasked), as many as are whole in buf.
function frames(buf, out) {
	let off = 0;
	for (;;) {
		if (buf.length - off < 2) break;
		let len = buf[off + 1] & 0x7f, hl = 2;
		if (len === 126) { if (buf.length - off < 4) break; len = buf.readUInt16BE(off + 2); hl = 4; }
		else if (len === 127) { if (buf.length - off < 10) break; len = Number(buf.readBigUInt64BE(off + 2)); hl = 10; }
		if (buf.length - off < hl + len) break;
		if ((buf[off] & 0x0f) === 1) out.push(buf.subarray(off + hl, off + hl + len));
		off += hl + len;
	}
	return buf.subarray(off);
}

// One subscriber: connects, subscribes after its last seq (0: from the
// start), tracks order. Resolves when subbed.
function connect(s) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1');
		s.sock = sock;
		let buf = Buffer.alloc(0), up = false;
		sock.on('error', () => {});
		sock.on('close', () => { s.open = false; if (!s.subbed) reject(new Error(up ? 'closed before subbed' : 'refused')); });
		sock.on('connect', () => sock.write(['GET /v1/ws HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket',
			'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13',
			`Authorization: Bearer ${token}`].join('\r\n') + '\r\n\r\n'));
		sock.on('data', (d) => {
			buf = buf.length ? Buffer.concat([buf, d]) : d;
			if (!up) {
				const i = buf.indexOf('\r\n\r\n');
				if (i < 0) return;
				up = true;
				s.open = true;
				buf = buf.subarray(i + 4);
				sock.write(frame(JSON.stringify({ op: 'sub', ch: s.ch, since: s.last })));
			}
			const got = [];
			buf = frames(buf, got);
			for (const p of got) {
				const m = JSON.parse(p);
				if (m.op === 'event') {
					if (m.seq !== s.last + 1 && !s.problem) s.problem = `seq ${m.seq} after ${s.last}`;
					s.last = m.seq;
				} else if (m.op === 'subbed') {
					s.subbed = true;
					resolve();
				}
				if (s.subbed && s.last >= s.want && !s.doneAt) { s.doneAt = performance.now(); s.onDone?.(); }
			}
		});
	});
}
async function inBatches(items, fn, size = 500) {
	for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

await start();
const subs = Array.from({ length: SUBS }, (_, i) => ({ ch: `thread:storm${i % CHANNELS}`, last: 0, want: 0 }));
// One event per channel first, so that every subscriber has a seq to resume from.
await inBatches(Array.from({ length: CHANNELS }, (_, c) => c), (c) =>
	request('POST', `/v1/channels/thread:storm${c}/events`, { type: 'post.created', data: { n: 0 } }), 16);
await inBatches(subs, connect);
await new Promise((r) => {
	const t = setInterval(() => { if (subs.every((s) => s.last === 1)) { clearInterval(t); r(); } }, 20);
});

// The deploy: the gateway restarts; events come in while everyone is away.
await stop();
await new Promise((r) => { const t = setInterval(() => { if (subs.every((s) => !s.open)) { clearInterval(t); r(); } }, 20); });
await start();
const pid = serverPid();
const pad = 'p'.repeat(100);
const jobs = [];
for (let c = 0; c < CHANNELS; c++) for (let n = 1; n <= BEHIND; n++) jobs.push([c, n]);
await inBatches(jobs, ([c, n]) => request('POST', `/v1/channels/thread:storm${c}/events`, { type: 'post.created', data: { n, pad } }), 16);
for (const s of subs) { s.want = 1 + BEHIND; s.subbed = false; s.doneAt = 0; }

// The storm.
const overflows = () => {
	try {
		const t = fs.readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
		const i = t[0].split(' ').indexOf('ListenOverflows');
		return Number(t[1].split(' ')[i]);
	} catch { return NaN; }
};
const ov0 = overflows();
const cpu0 = cpuS(pid);
const t0 = performance.now();
let done = 0, retries = 0;
const all = new Promise((resolve) => { for (const s of subs) s.onDone = () => { if (++done === SUBS) resolve(); }; });
const attempt = async (s, n) => {
	if (VARIANT === 'jitter') await new Promise((r) => setTimeout(r, backoffDelay(n, { minMs: 500, maxMs: 30000 })));
	try { await connect(s); } catch { retries++; return attempt(s, n + 1); }
};
const timeout = setTimeout(() => {
	const subbed = subs.filter((s) => s.subbed).length, open = subs.filter((s) => s.open).length;
	console.error(`storm: ${done}/${SUBS} caught up after 120 s (${subbed} subbed, ${open} open, ${retries} retries)`);
	process.exit(1);
}, 120000);
subs.forEach((s) => attempt(s, 1)); // every connect at once (or after its backoff)
let parkedMax = 0, connMax = 0;
const sampler = setInterval(async () => {
	try {
		const t = (await request('GET', '/metrics')).text;
		parkedMax = Math.max(parkedMax, Number(/^linli_replays_parked (\S+)/m.exec(t)?.[1] || 0));
		connMax = Math.max(connMax, Number(/^linli_ws_connections (\S+)/m.exec(t)?.[1] || 0));
		if (process.env.STORM_TRACE) console.error(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${done} done, ${/^linli_ws_connections (\S+)/m.exec(t)?.[1]} sockets, ${/^linli_replays_parked (\S+)/m.exec(t)?.[1]} parked`);
	} catch { /* busy */ }
}, 250);
await all;
clearInterval(sampler);
clearTimeout(timeout);
const wall = (performance.now() - t0) / 1000;
const closes = [...(await request('GET', '/metrics')).text.matchAll(/^linli_ws_closed_total\{code="(\w+)"\} (\d+)/gm)]
	.filter((m) => m[2] !== '0').map((m) => `${m[1]}:${m[2]}`).join(' ');
const cpu = cpuS(pid) - cpu0;
const peak = hwm(pid);
const times = subs.map((s) => s.doneAt - t0).sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))] / 1000;
const problems = subs.filter((s) => s.problem).length;
const result = { variant: VARIANT, subscribers: SUBS, channels: CHANNELS, behind: BEHIND,
	all_caught_up_s: +wall.toFixed(3), p50_s: +q(0.5).toFixed(3), p99_s: +q(0.99).toFixed(3),
	server_cpu_s: +cpu.toFixed(2), peak_rss_mib: +(peak / 1048576).toFixed(1), refused_retries: retries,
	replays_parked_max: parkedMax, server_closes: closes, listen_overflows: overflows() - ov0,
	out_of_order: problems, cpu: os.cpus()[0].model, kernel: os.release() };
console.log(JSON_OUT ? JSON.stringify(result)
	: `storm (${VARIANT}): ${SUBS} subscribers x ${BEHIND} missed events over ${CHANNELS} channels: all caught up in ${wall.toFixed(2)} s `
	+ `(p50 ${q(0.5).toFixed(2)} s, p99 ${q(0.99).toFixed(2)} s), gateway CPU ${cpu.toFixed(2)} s, peak RSS ${(peak / 1048576).toFixed(1)} MiB, `
	+ `${retries} retries (closes by the server: ${closes || 'none'}), ${problems} out of order, ${parkedMax} replays parked at most, ${overflows() - ov0} listen-queue overflows`);
for (const s of subs) s.sock.destroy();
await stop();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(problems ? 1 : 0);
