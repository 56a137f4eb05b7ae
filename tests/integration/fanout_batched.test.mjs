// Fan-out rounds (issue 18): on the plain port one event's frames to every
// subscriber of a channel go in one io_uring submission (ws_io_uring), or
// one send() each with it off. Either way every subscriber gets every
// event exactly once and in order: 10,000 of them at once; sockets whose
// kernel buffer fills (their rest waits in their queue and follows, in
// order, once they read); sockets that hang up while rounds are going out.
import assert from 'node:assert/strict';
import net from 'node:net';
import { itest, ENGINE_NEUTRAL, poll, decodeServerFrames, encodeClientFrame } from './lib/harness.mjs';

const SUBSCRIBERS = 10000;
const EVENTS = 20;
const LEAVERS = 500;      // hang up once they have event LEAVE_AT
const LEAVE_AT = 5;
const STALLED = 20;       // stop reading while big events go out
const BIG_EVENTS = 600, BIG_BYTES = 16384; // 9.8 MB each: more than loopback's buffers hold

// A subscriber on a bare socket: the upgrade, one sub, then it checks each
// event as it comes (seq one more than the last) and remembers the first
// problem. Cheap enough for 10,000 in one test process.
function subscriber(gw, token, ch, { onEvent } = {}) {
	return new Promise((resolve, reject) => {
		const s = { seqs: 0, last: 0, problem: null, closed: false, sock: null, buf: Buffer.alloc(0), subbed: false };
		const sock = net.connect(gw.port, '127.0.0.1');
		s.sock = sock;
		let upgraded = false;
		sock.on('error', () => {});
		sock.on('close', () => { s.closed = true; if (!upgraded) reject(new Error('closed before the upgrade')); });
		sock.on('connect', () => sock.write([
			'GET /v1/ws HTTP/1.1', `Host: 127.0.0.1:${gw.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
			'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13',
			`Authorization: Bearer ${token}`].join('\r\n') + '\r\n\r\n'));
		sock.on('data', (d) => {
			s.buf = s.buf.length ? Buffer.concat([s.buf, d]) : d;
			if (!upgraded) {
				const i = s.buf.indexOf('\r\n\r\n');
				if (i < 0) return;
				if (!s.buf.subarray(0, 12).toString().includes('101')) return reject(new Error(s.buf.toString()));
				upgraded = true;
				s.buf = s.buf.subarray(i + 4);
				sock.write(encodeClientFrame(JSON.stringify({ op: 'sub', ch })));
			}
			const { frames, rest } = decodeServerFrames(s.buf);
			s.buf = rest;
			for (const f of frames) {
				if (f.opcode !== 1) continue;
				const m = JSON.parse(f.payload);
				if (m.op === 'subbed') { s.subbed = true; resolve(s); continue; }
				if (m.op !== 'event') continue;
				if (m.seq !== s.last + 1 && !s.problem) s.problem = `seq ${m.seq} after ${s.last}`;
				s.last = m.seq;
				s.seqs++;
				onEvent?.(s, m);
			}
		});
	});
}

async function connectAll(n, make) {
	const out = [];
	for (let i = 0; i < n; i += 500)
		out.push(...await Promise.all(Array.from({ length: Math.min(500, n - i) }, make)));
	return out;
}

for (const uring of [true, false]) {
	itest(`fan-out with ws_io_uring = ${uring}: 10,000 subscribers, leavers mid-round, stalled readers; each event once, in order`,
		{ ...ENGINE_NEUTRAL, timeout: 240000 }, async (h) => {
		const gw = await h.gateway({ config: {
			ws_io_uring: uring, max_conns_per_ip: 20000, max_connections: 20000,
			ws_send_queue_bytes: 16 * 1024 * 1024, ws_memory_budget: 512 * 1024 * 1024,
		} });
		const admin = await h.mint(gw, 1, { admin: true });
		const ch = 'thread:fanout';
		const m0 = await gw.metrics();
		assert.equal(m0.get('linli_ws_io_uring'), uring ? 1 : 0, 'the gauge says which path is taken');

		const subs = await connectAll(SUBSCRIBERS, () => subscriber(gw, admin, ch));
		h.onCleanup(() => subs.forEach((s) => s.sock.destroy()));
		// Leavers hang up (a reset, as a phone losing its network) as soon
		// as an early event reaches them: while later rounds go out.
		const leavers = await connectAll(LEAVERS, () => subscriber(gw, admin, ch, {
			onEvent: (s, m) => { if (m.seq === LEAVE_AT) s.sock.resetAndDestroy(); },
		}));
		h.onCleanup(() => leavers.forEach((s) => s.sock.destroy()));

		await Promise.all(Array.from({ length: EVENTS }, (_, i) =>
			gw.publish(admin, ch, 'post.created', { n: i + 1 })));
		await poll(() => subs.every((s) => s.seqs >= EVENTS), {
			timeoutMs: 60000, what: `all ${SUBSCRIBERS} subscribers to get ${EVENTS} events`,
		});
		for (const s of subs) {
			assert.equal(s.problem, null, 'in order, no gap');
			assert.equal(s.seqs, EVENTS, 'no duplicate');
			assert.ok(!s.closed);
		}
		await poll(async () => (await gw.metrics()).get('linli_ws_connections') === SUBSCRIBERS,
			{ timeoutMs: 15000, what: 'the leavers to be gone' });

		// Stalled readers: big events fill their kernel buffers; the rest
		// waits in their queues (under ws_send_queue_bytes) and follows in
		// order once they read again. Live subscribers are not held up.
		const big = 'b'.repeat(BIG_BYTES);
		const ch2 = 'thread:fanout-big';
		const stalled = await connectAll(STALLED, () => subscriber(gw, admin, ch2));
		const live = await connectAll(5, () => subscriber(gw, admin, ch2));
		h.onCleanup(() => [...stalled, ...live].forEach((s) => s.sock.destroy()));
		stalled.forEach((s) => s.sock.pause());
		for (let n = 1; n <= BIG_EVENTS; n++) await gw.publish(admin, ch2, 'post.created', { n, big });
		await poll(() => live.every((s) => s.seqs === BIG_EVENTS), { timeoutMs: 30000, what: 'live subscribers to get the big events' });
		assert.ok(stalled.every((s) => s.seqs < BIG_EVENTS), 'the stalled ones have not read everything yet');
		const held = (await gw.metrics()).get('linli_frame_bytes');
		assert.ok(held > BIG_BYTES * 10, `frames wait in the stalled sockets' queues (${held} bytes): their kernel buffers are full`);
		stalled.forEach((s) => s.sock.resume());
		await poll(() => stalled.every((s) => s.seqs === BIG_EVENTS), { timeoutMs: 60000, what: 'stalled readers to catch up' });
		for (const s of [...stalled, ...live]) {
			assert.equal(s.problem, null, 'in order, no gap, after stalling');
			assert.ok(!s.closed, 'within ws_send_queue_bytes: not dropped');
		}

		const m = await gw.metrics();
		if (uring) assert.ok(m.get('linli_ws_send_batches_total') >= EVENTS, 'rounds went through io_uring');
		else assert.equal(m.get('linli_ws_send_batches_total'), 0, 'switched off: no io_uring submission');
		assert.equal(m.get('linli_send_queue_overflows_total'), 0);
		h.t.diagnostic(`${SUBSCRIBERS} subscribers x ${EVENTS} events; io_uring submissions ${m.get('linli_ws_send_batches_total')}`);
	});
}
