// SIGTERM: every connected client gets close 1001 and the process exits 0.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';

itest('SIGTERM closes connected clients with 1001 and the process exits 0', async (h) => {
	const gw = await h.gateway({ config: { shutdown_grace_ms: 2000 } });
	const admin = await h.mint(gw, 1, { admin: true });
	const ch = 'thread:shutdown';
	const subs = [];
	for (let i = 0; i < 3; i++) subs.push(await h.subscriber(gw, admin, ch, { since: 0, label: `subscriber ${i}` }));
	const unauthed = await h.ws(gw, { label: 'unauthenticated' });
	await unauthed.next({ op: 'hello' });
	// Queued frames go out before the close.
	for (let i = 1; i <= 20; i++) await gw.publish(admin, ch, 'post.created', { i });
	for (const s of subs) await s.waitSeq(ch, 20);

	const t0 = Date.now();
	const exit = gw.stop({ timeoutMs: 10000 });
	const closes = await Promise.all([...subs, unauthed].map((c) => c.closed(5000)));
	for (const [i, c] of closes.entries()) assert.equal(c.code, 1001, `client ${i}: ${JSON.stringify(c)}`);
	const { code, signal } = await exit;
	assert.equal(signal, null);
	assert.equal(code, 0, 'exit code after SIGTERM');
	assert.ok(Date.now() - t0 < 8000, `exited in ${Date.now() - t0} ms`);
	for (const s of subs) assert.equal(s.events(ch).length, 20);
});

itest('SIGTERM with no clients exits 0 promptly', async (h) => {
	const gw = await h.gateway();
	const { code, signal } = await gw.stop({ timeoutMs: 10000 });
	assert.equal(signal, null);
	assert.equal(code, 0);
});
