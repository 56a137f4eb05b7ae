// The gateway raises its soft descriptor limit to max_connections + 256 (so
// libwebsockets indexes sockets by descriptor instead of scanning a table
// per event), and says so when the hard limit is lower.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { itest, poll, tail } from './lib/harness.mjs';

function nofile(pid) {
	const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
	const [soft, hard] = line.trim().split(/\s+/).slice(3, 5).map(Number);
	return { soft, hard };
}

itest('soft RLIMIT_NOFILE is raised to max_connections + 256 within the hard limit', async (h) => {
	// Soft 1024, hard 4096: room to raise.
	const gw = await h.gateway({ config: { max_connections: 2000 }, launcher: ['prlimit', '--nofile=1024:4096'] });
	assert.deepEqual(nofile(gw.pid), { soft: 2256, hard: 4096 });
	assert.doesNotMatch(tail(gw.logPath, 40), /needs \d+ descriptors/);
	assert.equal((await gw.request('GET', '/healthz')).status, 200);
});

itest('a hard limit below max_connections + 256: warned at start, raised as far as it goes, still serving', async (h) => {
	const gw = await h.gateway({ config: { max_connections: 2000 }, launcher: ['prlimit', '--nofile=256:1000'] });
	assert.deepEqual(nofile(gw.pid), { soft: 1000, hard: 1000 });
	assert.match(tail(gw.logPath, 40), /max_connections = 2000 needs 2256 descriptors; the hard limit is 1000/);
	assert.equal((await gw.request('GET', '/healthz')).status, 200);
	const c = await h.ws(gw, { token: await h.mint(gw, 1, { admin: true }) });
	c.send({ op: 'ping', ref: 1 });
	await c.next({ op: 'pong', ref: 1 });
});

function cpuTicks(pid) {
	const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
	return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks
}

itest('out of descriptors: new connections are closed at once, no busy loop, and service resumes', async (h) => {
	const gw = await h.gateway({ config: { max_connections: 1000 }, launcher: ['prlimit', '--nofile=200:200'] });
	// 300 TCP connections that never send a request: the gateway holds
	// each it accepts (waiting for headers) until descriptors run short.
	const socks = [];
	let closedEarly = 0;
	await Promise.all(Array.from({ length: 300 }, () => new Promise((resolve) => {
		const s = net.connect(gw.port, '127.0.0.1');
		socks.push(s);
		s.on('error', () => {});
		s.once('close', () => { closedEarly++; resolve(); });
		s.once('connect', () => setTimeout(resolve, 0));
	})));
	h.onCleanup(() => socks.forEach((s) => s.destroy()));
	await poll(async () => (await gw.metric('linli_accepts_refused_total')) > 0, { what: 'refused accepts counted' });
	const refused = await gw.metric('linli_accepts_refused_total');
	assert.ok(refused >= 100 && refused <= 300, `refused ${refused}`);
	await poll(() => closedEarly >= refused, { what: 'the refused sockets to be closed' });

	// Held at the limit for a second: the process stays idle (a gateway
	// spinning on accept() would use the whole second).
	const t0 = cpuTicks(gw.pid);
	const until = Date.now() + 1000;
	await poll(() => Date.now() >= until, { timeoutMs: 3000, what: 'a second at the limit' });
	const used = cpuTicks(gw.pid) - t0;
	assert.ok(used < 30, `gateway used ${used} ticks in a second at the descriptor limit`);

	// Once the idle sockets go, the gateway serves as before.
	socks.forEach((s) => s.destroy());
	await poll(async () => (await gw.request('GET', '/healthz', { timeoutMs: 1000 })).status === 200, { what: '/healthz after release' });
	const c = await h.ws(gw, { token: await h.mint(gw, 1, { admin: true }) });
	c.send({ op: 'ping', ref: 2 });
	await c.next({ op: 'pong', ref: 2 });
	assert.match(tail(gw.logPath, 60), /out of descriptors \(limit 200\): closing new connections/);
});
