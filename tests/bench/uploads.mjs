// Photo upload benchmark (issue 16): a 12-megapixel phone photo of about
// 3 MB (4000 x 3000, made with libvips: noise, blurred, JPEG), POSTed by
// CLIENTS concurrent clients for SECONDS; uploads kept per second, the
// answers' latency, and from the gateway's own metrics the longest loop
// turn meanwhile (linli_loop_busy_seconds_max: decoding runs on the thread
// pool, never on the loop) and the gateway's peak RSS.
//
// usage: node tests/bench/uploads.mjs [SECONDS=30] [CLIENTS=4]   (from the
// repository root, after ./linli.sh build)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SECONDS = Number(process.argv[2] || 30);
const CLIENTS = Number(process.argv[3] || 4);
const BIN = path.resolve(process.env.LINLI_GATEWAY || 'build/linli-gateway');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-bench-uploads-'));
const db = path.join(dir, 'up.db');
const conf = path.join(dir, 'gw.conf');
fs.writeFileSync(conf, 'log_level = warn\nrate_uploads_per_hour = 100000\nrate_writes_per_user = 1000000\n' +
	`upload_quota_bytes = ${100 * 1024 ** 3}\nupload_max_inflight = ${Math.max(4, CLIENTS)}\n`);
const port = await new Promise((resolve) => {
	const srv = net.createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
});

// The photo: noise blurred to a phone camera's texture, about 3 MB.
const v = path.join(dir, 'p.v'), b = path.join(dir, 'b.v'), jpg = path.join(dir, 'photo.jpg');
execFileSync('vips', ['gaussnoise', v, '4000', '3000', '--sigma', '40']);
execFileSync('vips', ['gaussblur', v, b, '1.2']);
execFileSync('vips', ['colourspace', b, v, 'srgb']);
execFileSync('vips', ['bandjoin', `${v} ${v} ${v}`, b]);
execFileSync('vips', ['jpegsave', b, jpg, '--Q', '92']);
const photo = fs.readFileSync(jpg);

const token = execFileSync(BIN, ['--config', conf, '--db', db, 'mint-token', '--user', '1', '--ttl', '7200'],
	{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0];
const gw = spawn(BIN, ['--config', conf, '--db', db, '--port', String(port)], { stdio: ['ignore', 'inherit', 'inherit'] });
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 2 });
const request = (method, p, body, headers = {}) => new Promise((resolve, reject) => {
	const req = http.request({ host: '127.0.0.1', port, method, path: p, agent, headers: {
		authorization: `Bearer ${token}`, ...headers, ...(body ? { 'content-length': body.length } : {}) } }, (res) => {
		const chunks = [];
		res.on('data', (c) => chunks.push(c));
		res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
	});
	req.on('error', reject);
	req.end(body);
});
for (let i = 0; ; i++) {
	try { if ((await request('GET', '/healthz')).status === 200) break; } catch { /* not yet */ }
	if (i > 200) throw new Error('the gateway did not start');
	await new Promise((r) => setTimeout(r, 25));
}
const metric = async (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await request('GET', '/metrics')).text)[1]);
const rss = () => Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${gw.pid}/status`, 'utf8'))[1]) * 1024;

const cpu = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).trim();
console.log(`photo ${photo.length} bytes (4000 x 3000), ${CLIENTS} clients for ${SECONDS} s; ${os.cpus().length} cores: ${cpu}; kernel ${os.release()}`);
const busyBefore = await metric('linli_loop_busy_seconds_max');
const lat = [];
let kept = 0, busy = 0, peak = rss();
const sampler = setInterval(() => { peak = Math.max(peak, rss()); }, 50);
const end = Date.now() + SECONDS * 1000;
await Promise.all(Array.from({ length: CLIENTS }, async () => {
	while (Date.now() < end) {
		const t0 = process.hrtime.bigint();
		const r = await request('POST', '/v1/uploads', photo, { 'content-type': 'image/jpeg' });
		if (r.status === 201) { kept++; lat.push(Number(process.hrtime.bigint() - t0) / 1e6); }
		else if (r.status === 503) busy++;
		else throw new Error(`${r.status} ${r.text}`);
	}
}));
clearInterval(sampler);
lat.sort((a, b2) => a - b2);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(0);
const busyMax = await metric('linli_loop_busy_seconds_max');
console.log(`kept ${kept} photos in ${SECONDS} s: ${(kept / SECONDS).toFixed(2)} uploads/s; 503 ${busy}; ` +
	`latency p50 ${q(0.5)} ms, p99 ${q(0.99)} ms; longest loop turn ${(busyMax * 1000).toFixed(1)} ms ` +
	`(before the run ${(busyBefore * 1000).toFixed(1)} ms); peak RSS ${(peak / 1048576).toFixed(0)} MiB`);
gw.kill('SIGTERM');
await new Promise((r) => gw.once('exit', r));
agent.destroy();
fs.rmSync(dir, { recursive: true, force: true });
