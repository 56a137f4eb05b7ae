// Bad input gets an error (frame, close code or 4xx) and never stops the
// process: after each case a well-behaved subscriber still gets events.
import assert from 'node:assert/strict';
import net from 'node:net';
import { itest, assertContiguous } from './lib/harness.mjs';

const CONFIG = { http_max_body: 1024, ws_max_frame: 65536 };

itest('bad input over WebSocket and HTTP gets an error and the gateway keeps serving', async (h, t) => {
	const gw = await h.gateway({ config: CONFIG });
	const admin = await h.mint(gw, 1, { admin: true });
	const user2 = await h.mint(gw, 2);
	const watchCh = 'thread:watch';
	const watcher = await h.subscriber(gw, admin, watchCh, { since: 0, label: 'well-behaved watcher' });
	let watchSeq = 0;

	// The process serves others: a fresh event reaches the watcher.
	async function stillServing() {
		assert.ok(gw.running, 'gateway process is alive');
		const seq = await gw.publish(admin, watchCh, 'post.created', { probe: watchSeq + 1 });
		assert.equal(seq, watchSeq + 1);
		watchSeq = seq;
		await watcher.waitSeq(watchCh, seq, 5000);
	}

	// A client past hello (and authed when a token is given).
	async function client(token, label) {
		const c = await h.ws(gw, { token, label });
		await c.next({ op: 'hello' });
		if (token) await c.next({ op: 'authed' });
		return c;
	}

	// Error frame expected, socket stays usable.
	async function expectError(c, code, ref) {
		const e = await c.next({ op: 'error' });
		assert.equal(e.code, code, JSON.stringify(e));
		assert.equal(typeof e.message, 'string');
		if (ref !== undefined) assert.deepEqual(e.ref, ref, `ref echoed: ${JSON.stringify(e)}`);
		c.send({ op: 'ping', ref: 'alive' });
		await c.next({ op: 'pong', ref: 'alive' });
		return e;
	}

	const step = (name, fn) => h.sub(t, name, async () => { await fn(); await stillServing(); });

	// --- WebSocket ------------------------------------------------------
	await step('ws: invalid JSON gets bad_request, socket stays open', async () => {
		const c = await client(admin, 'invalid json');
		c.sendRaw('{"op":"sub",');
		await expectError(c, 'bad_request');
		c.sendRaw('not json at all');
		await expectError(c, 'bad_request');
	});
	await step('ws: non-object JSON gets bad_request', async () => {
		const c = await client(admin, 'non-object');
		c.sendRaw('[1,2,3]');
		await expectError(c, 'bad_request');
		c.sendRaw('"op"');
		await expectError(c, 'bad_request');
	});
	await step('ws: unknown op gets bad_request with ref echoed', async () => {
		const c = await client(admin, 'unknown op');
		c.send({ op: 'frobnicate', ref: 7 });
		await expectError(c, 'bad_request', 7);
	});
	await step('ws: missing op gets bad_request with ref echoed', async () => {
		const c = await client(admin, 'missing op');
		c.send({ ch: 'thread:1', ref: 'no-op' });
		await expectError(c, 'bad_request', 'no-op');
		c.send({ op: 42, ref: { nested: [1] } });
		await expectError(c, 'bad_request', { nested: [1] });
	});
	await step('ws: binary frame gets bad_request, socket stays open', async () => {
		const c = await client(admin, 'binary');
		c.sendRaw(Buffer.from([0, 1, 2, 3, 255]), { binary: true });
		await expectError(c, 'bad_request');
	});
	await step('ws: binary message over ws_max_frame is closed with 1009 too', async () => {
		const c = await client(admin, 'oversized binary');
		c.sendRaw(Buffer.alloc(1024 * 1024, 7), { binary: true });
		assert.equal((await c.closed(5000)).code, 1009);
	});
	await step('ws: binary messages count against ws_max_msgs_per_s (4029)', async () => {
		const c = await client(admin, 'binary flood');
		for (let i = 0; i < 200; i++) c.sendRaw(Buffer.from([i & 255]), { binary: true });
		assert.equal((await c.closed(5000)).code, 4029);
	});
	await step('ws: message over ws_max_frame is closed with 1009', async () => {
		const c = await client(admin, 'oversized');
		c.sendRaw(JSON.stringify({ op: 'ping', pad: 'x'.repeat(70000) }));
		const { code } = await c.closed(5000);
		assert.equal(code, 1009);
	});
	await step('ws: message just under ws_max_frame is accepted', async () => {
		const c = await client(admin, 'large but allowed');
		const msg = JSON.stringify({ op: 'ping', ref: 'big', pad: '' });
		c.sendRaw(JSON.stringify({ op: 'ping', ref: 'big', pad: 'x'.repeat(65536 - msg.length) }));
		await c.next({ op: 'pong', ref: 'big' });
	});
	await step('ws: non-admin subscribing to user:OTHER gets forbidden with ref echoed', async () => {
		const c = await client(user2, 'user 2');
		c.send({ op: 'sub', ch: 'user:3', ref: 'r-forbidden' });
		await expectError(c, 'forbidden', 'r-forbidden');
		c.send({ op: 'sub', ch: 'thread:watch', since: 0, ref: 'r-thread' });
		await expectError(c, 'forbidden', 'r-thread');
		// Its own channel is allowed.
		const s = await c.subscribe('user:2', 0);
		assert.equal(s.seq, 0);
	});
	await step('ws: sub before auth gets unauthorized; auth afterwards works', async () => {
		const c = await client(null, 'unauthenticated');
		c.send({ op: 'sub', ch: watchCh, ref: 'early' });
		await expectError(c, 'unauthorized', 'early');
		c.send({ op: 'auth', token: admin, ref: 'a' });
		const authed = await c.next({ op: 'authed' });
		assert.equal(authed.user_id, 1);
		await c.subscribe(watchCh, 0);
	});
	await step('ws: bad token is closed with 4001 (header and auth frame)', async () => {
		const viaHeader = await h.ws(gw, { token: 'v1.1.0.9999999999.forged', label: 'forged header' });
		assert.equal((await viaHeader.closed(5000)).code, 4001);
		const tampered = admin.slice(0, -2) + (admin.endsWith('AA') ? 'BB' : 'AA');
		const viaFrame = await h.ws(gw, { label: 'forged auth frame' });
		await viaFrame.next({ op: 'hello' });
		viaFrame.send({ op: 'auth', token: tampered });
		assert.equal((await viaFrame.closed(5000)).code, 4001);
		const garbage = await h.ws(gw, { label: 'garbage auth frame' });
		garbage.send({ op: 'auth', token: 'garbage' });
		assert.equal((await garbage.closed(5000)).code, 4001);
		// Wrong type for token: an error, not a crash.
		const wrongType = await client(null, 'token not a string');
		wrongType.send({ op: 'auth', token: 12345, ref: 'tt' });
		await expectError(wrongType, 'bad_request', 'tt');
	});
	await step('ws: expired token is closed with 4001, on a live socket and on a new one', async () => {
		const short = await h.mint(gw, 4, { admin: true, ttl: 1 });
		const live = await h.ws(gw, { token: short, label: 'token expiring while connected' });
		await live.next({ op: 'hello' });
		// Authed unless it already expired; either way it ends with 4001.
		const closed = await live.closed(6000);
		assert.equal(closed.code, 4001, `live socket: ${JSON.stringify(closed)}`);
		// By now the token is expired: refused on the upgrade ...
		const late = await h.ws(gw, { token: short, label: 'expired token in header' });
		assert.equal((await late.closed(5000)).code, 4001);
		assert.ok(!late.frames.some((f) => f.op === 'authed'), 'expired token never authed');
		// ... and in an auth frame.
		const lateFrame = await h.ws(gw, { label: 'expired token in auth frame' });
		lateFrame.send({ op: 'auth', token: short });
		assert.equal((await lateFrame.closed(5000)).code, 4001);
		assert.ok(!lateFrame.frames.some((f) => f.op === 'authed'), 'expired token never authed');
	});
	await step('ws: malformed channel names and bad since get bad_request with ref', async () => {
		const c = await client(admin, 'malformed channel');
		const bad = ['Thread:42', 'thread 42', 'thread:', ':42', 'nocolon', 'thread:4/2', 'x'.repeat(40) + ':1',
			'thread:' + 'a'.repeat(70), '', 'thread:42\nx', 'thread:4\u00e92'];
		for (const [i, ch] of bad.entries()) {
			c.send({ op: 'sub', ch, ref: i });
			await expectError(c, 'bad_request', i);
		}
		// An embedded NUL: jansson refuses the text itself; still an error frame.
		c.sendRaw('{"op":"sub","ch":"thread:42\\u0000x","ref":"nul"}');
		await expectError(c, 'bad_request');
		c.send({ op: 'sub', ref: 'noch' });
		await expectError(c, 'bad_request', 'noch');
		c.send({ op: 'sub', ch: 42, ref: 'numch' });
		await expectError(c, 'bad_request', 'numch');
		c.send({ op: 'sub', ch: 'thread:1', since: -1, ref: 'neg' });
		await expectError(c, 'bad_request', 'neg');
		c.send({ op: 'sub', ch: 'thread:1', since: 'x', ref: 'str' });
		await expectError(c, 'bad_request', 'str');
		c.send({ op: 'unsub', ch: 'thread:never', ref: 'u' });
		await expectError(c, 'not_found', 'u');
	});

	// --- HTTP -----------------------------------------------------------
	const pubPath = '/v1/channels/thread:bad/events';
	async function expectHttpError(res, status, code, field) {
		assert.equal(res.status, status, `status: ${res.status} ${res.text}`);
		assert.ok(res.json && res.json.error, `JSON error body: ${res.text}`);
		if (code) assert.equal(res.json.error.code, code, res.text);
		assert.equal(typeof res.json.error.message, 'string');
		if (field) assert.equal(res.json.error.field, field, res.text);
	}
	await step('http: missing body gets 400', async () => {
		await expectHttpError(await gw.request('POST', pubPath, { token: admin }), 400, 'bad_request');
	});
	await step('http: invalid JSON body gets 400', async () => {
		await expectHttpError(await gw.request('POST', pubPath, { token: admin, body: '{"type": "x", ' }), 400, 'bad_request');
	});
	await step('http: non-object body gets 400', async () => {
		await expectHttpError(await gw.request('POST', pubPath, { token: admin, body: '[1,2]' }), 400, 'bad_request');
		await expectHttpError(await gw.request('POST', pubPath, { token: admin, body: '"s"' }), 400, 'bad_request');
	});
	await step('http: missing type gets 400 naming the field', async () => {
		await expectHttpError(await gw.request('POST', pubPath, { token: admin, body: { data: {} } }), 400, 'bad_request', 'type');
		await expectHttpError(await gw.request('POST', pubPath, { token: admin, body: { type: 'Bad Type!', data: {} } }), 400, 'bad_request', 'type');
	});
	await step('http: missing data gets 400 naming the field', async () => {
		await expectHttpError(await gw.request('POST', pubPath, { token: admin, body: { type: 'x' } }), 400, 'bad_request', 'data');
	});
	await step('http: body over http_max_body gets 413', async () => {
		const body = { type: 'x', data: { pad: 'y'.repeat(2000) } };
		await expectHttpError(await gw.request('POST', pubPath, { token: admin, body }), 413, 'payload_too_large');
	});
	await step('http: malformed channel in the path gets 400', async () => {
		await expectHttpError(await gw.request('POST', '/v1/channels/NoColon/events', { token: admin, body: { type: 'x', data: 1 } }), 400, 'bad_request', 'ch');
	});
	await step('http: unknown route gets 404', async () => {
		await expectHttpError(await gw.request('GET', '/v1/no/such/thing', { token: admin }), 404, 'not_found');
	});
	await step('http: wrong method gets 405', async () => {
		await expectHttpError(await gw.request('GET', pubPath, { token: admin }), 405);
		await expectHttpError(await gw.request('DELETE', '/healthz'), 405);
	});
	await step('http: no token gets 401', async () => {
		await expectHttpError(await gw.request('POST', pubPath, { body: { type: 'x', data: {} } }), 401, 'unauthorized');
		await expectHttpError(await gw.request('POST', pubPath, { token: 'garbage', body: { type: 'x', data: {} } }), 401, 'unauthorized');
	});
	await step('http: non-admin publish gets 403', async () => {
		await expectHttpError(await gw.request('POST', pubPath, { token: user2, body: { type: 'x', data: {} } }), 403, 'forbidden');
		await expectHttpError(await gw.request('POST', '/v1/channels/user:2/events', { token: user2, body: { type: 'x', data: {} } }), 403, 'forbidden');
	});

	await step('http: pipelined requests are answered in order, each once', async () => {
		// Sent in one write each: the gateway reads one request at a time
		// (never past a body's Content-Length) and answers in order. lws
		// 4.1 spun on a buffered, pipelined body; the plain port is read by
		// the gateway itself.
		const body = JSON.stringify({ type: 'x', data: {} });
		const post = (last) => `POST /v1/channels/thread:pipe/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\n` +
			`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${last ? 'Connection: close\r\n' : ''}\r\n${body}`;
		const get = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
		const bursts = [[post(0) + post(1), ['201', '201']], [get + post(1), ['200', '201']],
			[post(0) + get + post(0) + post(1), ['201', '200', '201', '201']]];
		for (const [burst, want] of bursts) {
			const reply = await new Promise((resolve, reject) => {
				const sock = net.connect(gw.port, '127.0.0.1');
				let data = '';
				const timer = setTimeout(() => { sock.destroy(); resolve(data); }, 5000);
				sock.on('data', d => { data += d; });
				sock.on('end', () => { clearTimeout(timer); resolve(data); });
				sock.on('error', e => { clearTimeout(timer); reject(e); });
				sock.write(burst);
			});
			assert.deepEqual((reply.match(/HTTP\/1\.1 \d+/g) || []).map((x) => x.slice(9)), want, reply);
			const seqs = [...reply.matchAll(/"seq":(\d+)/g)].map((m) => Number(m[1]));
			assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'stored in the order sent');
		}
		// Each POST stored exactly once.
		const seq = await gw.publish(admin, 'thread:pipe', 'x', {});
		assert.equal(seq, 7, 'six pipelined events, plus this one');
	});

	await h.sub(t, 'no bad request stored an event, and the watcher saw every probe once, in order', async () => {
		const c = await client(admin, 'final check');
		const s = await c.subscribe('thread:bad', 0);
		assert.equal(s.seq, 0, 'nothing stored on thread:bad');
		assert.equal(c.events('thread:bad').length, 0);
		assertContiguous(watcher.events(watchCh), 1, watchSeq, 'watcher');
		assert.ok(watcher.open);
	});
});
