// A socket that does not authenticate within ws_auth_timeout_ms is closed
// with 4001; an authenticated one opened at the same time stays open.
import assert from 'node:assert/strict';
import { itest, ENGINE_NEUTRAL } from './lib/harness.mjs';

itest('unauthenticated socket is closed with 4001 after ws_auth_timeout_ms = 300; authenticated sockets stay', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { ws_auth_timeout_ms: 300 } });
	const admin = await h.mint(gw, 1, { admin: true });

	const t0 = Date.now();
	const idle = await h.ws(gw, { label: 'never authenticates' });
	const viaHeader = await h.ws(gw, { token: admin, label: 'authed by header' });
	const viaFrame = await h.ws(gw, { label: 'authed by frame' });
	await viaFrame.next({ op: 'hello' });
	viaFrame.send({ op: 'auth', token: admin, ref: 1 });
	await viaFrame.next({ op: 'authed', ref: 1 });

	const hello = await idle.next({ op: 'hello' });
	assert.equal(typeof hello.heartbeat_ms, 'number');
	const { code } = await idle.closed(5000);
	const elapsed = Date.now() - t0;
	assert.equal(code, 4001);
	assert.ok(elapsed >= 250, `closed after ${elapsed} ms, not before the 300 ms time-out`);
	assert.ok(!idle.frames.some((f) => f.op === 'authed'));

	// The authenticated sockets outlived it and still answer.
	for (const c of [viaHeader, viaFrame]) {
		assert.ok(c.open, `${c.label} still open`);
		c.send({ op: 'ping', ref: 'after' });
		await c.next({ op: 'pong', ref: 'after' });
	}
	// A socket that sends only pings is still unauthenticated: closed too.
	const pinger = await h.ws(gw, { label: 'pings but never authenticates' });
	pinger.send({ op: 'ping', ref: 'p' });
	await pinger.next({ op: 'pong', ref: 'p' });
	assert.equal((await pinger.closed(5000)).code, 4001);
});
