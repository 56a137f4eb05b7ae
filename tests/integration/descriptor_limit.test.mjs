// The gateway raises its soft descriptor limit to max_connections + 256 (so
// libwebsockets indexes sockets by descriptor instead of scanning a table
// per event), and says so when the hard limit is lower.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { itest, tail } from './lib/harness.mjs';

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
