// WebSocket framing on the plain port is the gateway's own (wsplain.c,
// issue 12): the front door answers the upgrade, and every client frame is
// checked as RFC 6455 asks. An unmasked frame, reserved bits, an unknown
// opcode, a control frame over 125 bytes or fragmented, a continuation
// outside a message and a new message inside one are protocol errors
// (1002); a frame longer than ws_max_frame is closed 1009 before its
// payload is read. Messages split over frames and over TCP segments are
// put back together; pings are answered with their payload; a client's
// close is echoed. Upgrades the door refuses get JSON errors.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { itest, ENGINE_NEUTRAL, RawSocket, decodeServerFrames, encodeClientFrame, poll } from './lib/harness.mjs';

const TEXT = 1, CONT = 0, CLOSE = 8, PING = 9, PONG = 10;

// A client frame with every bit chosen by the caller.
function frame({ fin = true, rsv = 0, opcode = TEXT, masked = true, payload = Buffer.alloc(0), lenOverride }) {
	const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
	const len = lenOverride ?? data.length;
	let head;
	if (len < 126) head = Buffer.from([0, len]);
	else if (len < 65536) { head = Buffer.alloc(4); head[1] = 126; head.writeUInt16BE(len, 2); }
	else { head = Buffer.alloc(10); head[1] = 127; head.writeBigUInt64BE(BigInt(len), 2); }
	head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
	if (!masked) return Buffer.concat([head, data]);
	head[1] |= 0x80;
	const mask = crypto.randomBytes(4);
	const out = Buffer.alloc(data.length);
	for (let i = 0; i < data.length; i++) out[i] = data[i] ^ mask[i & 3];
	return Buffer.concat([head, mask, out]);
}

function frames(r) {
	return decodeServerFrames(Buffer.concat(r.received)).frames;
}

function texts(r) {
	return frames(r).filter((f) => f.opcode === TEXT).map((f) => JSON.parse(f.payload.toString()));
}

// The status line and body of an upgrade the door answers.
function upgradeAnswer(gw, lines) {
	return new Promise((resolve) => {
		const sock = net.connect(gw.port, '127.0.0.1');
		let got = '';
		sock.on('data', (d) => { got += d.toString('latin1'); });
		sock.on('close', () => resolve(got));
		sock.on('error', () => resolve(got));
		sock.on('connect', () => sock.write(lines.join('\r\n') + '\r\n\r\n'));
		setTimeout(() => sock.destroy(), 5000);
	});
}

itest('plain-port WebSocket: client frames are checked (1002, 1009), reassembled, pinged and closed as RFC 6455 says', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { ws_max_frame: 4096 } });
	const admin = await h.mint(gw, 1, { admin: true });

	const protocolErrors = [
		['an unmasked frame', frame({ masked: false, payload: '{"op":"ping"}' }), /masked/],
		['reserved bits', frame({ rsv: 4, payload: '{"op":"ping"}' }), /reserved/],
		['an unknown opcode', frame({ opcode: 3, payload: 'x' }), /opcode/],
		['a ping over 125 bytes', frame({ opcode: PING, payload: Buffer.alloc(126, 1) }), /control/],
		['a fragmented ping', frame({ opcode: PING, fin: false, payload: 'x' }), /control/],
		['a continuation outside a message', frame({ opcode: CONT, payload: 'x' }), /continuation/],
		['a new message inside one', Buffer.concat([frame({ fin: false, payload: '{"op":' }),
			frame({ payload: '{"op":"ping"}' })]), /new message/],
		['a close frame of one byte', frame({ opcode: CLOSE, payload: Buffer.from([3]) }), /close/],
	];
	for (const [what, bytes, reason] of protocolErrors) {
		const r = await RawSocket.connect(h, gw, { token: admin });
		r.socket.write(bytes);
		const { code, frames: got } = await r.drainToClose(5000);
		assert.equal(code, 1002, `${what}: closed 1002`);
		const close = got.find((f) => f.opcode === CLOSE);
		assert.match(close.payload.subarray(2).toString(), reason, `${what}: the reason says why`);
		assert.ok(!texts(r).some((m) => m.op === 'pong'), `${what}: never handled`);
	}

	// Longer than ws_max_frame: 1009 from the header alone (the 1 GB the
	// header announces never has to come).
	{
		const r = await RawSocket.connect(h, gw, { token: admin });
		r.socket.write(frame({ payload: 'x', lenOverride: 1 << 30 }).subarray(0, 14));
		assert.equal((await r.drainToClose(5000)).code, 1009);
	}

	// A message in three frames, each sent a byte at a time, with a ping
	// between the fragments (control frames may interleave): reassembled.
	{
		const r = await RawSocket.connect(h, gw, { token: admin });
		await r.waitText('"authed"');
		const msg = Buffer.from(JSON.stringify({ op: 'ping', ref: 'fragmented ' + 'é'.repeat(40) }));
		const parts = [
			frame({ fin: false, payload: msg.subarray(0, 10) }),
			frame({ opcode: PING, payload: 'between' }),
			frame({ fin: false, opcode: CONT, payload: msg.subarray(10, 50) }),
			frame({ opcode: CONT, payload: msg.subarray(50) }),
		];
		for (const b of Buffer.concat(parts)) {
			r.socket.write(Buffer.from([b]));
			await new Promise((res) => setImmediate(res));
		}
		await poll(() => texts(r).some((m) => m.op === 'pong' && m.ref === 'fragmented ' + 'é'.repeat(40)),
			{ what: 'the reassembled message answered' });
		const pong = frames(r).find((f) => f.opcode === PONG);
		assert.equal(pong?.payload.toString(), 'between', 'a ping is answered with its own payload');

		// A message of exactly ws_max_frame bytes is fine; one byte more in
		// fragments is 1009.
		const limit = JSON.stringify({ op: 'ping', ref: 'limit' }).padEnd(4096, ' ');
		r.sendText(limit);
		await poll(() => texts(r).some((m) => m.op === 'pong' && m.ref === 'limit'), { what: 'a message at the limit' });
		r.socket.write(frame({ fin: false, payload: Buffer.alloc(4000, 0x20) }));
		r.socket.write(frame({ opcode: CONT, payload: Buffer.alloc(97, 0x20) }));
		assert.equal((await r.drainToClose(5000)).code, 1009, 'fragments over ws_max_frame together');
	}

	// The client closes: the server echoes its code and hangs up.
	{
		const r = await RawSocket.connect(h, gw, { token: admin });
		await r.waitText('"authed"');
		const p = Buffer.alloc(2);
		p.writeUInt16BE(4321);
		r.socket.write(frame({ opcode: CLOSE, payload: Buffer.concat([p, Buffer.from('bye')]) }));
		assert.equal((await r.drainToClose(5000)).code, 4321, 'the close is echoed with its code');
	}

	// The server is still whole: a normal client subscribes and hears back.
	const ok = await h.ws(gw, { token: admin, label: 'after the misbehaviour' });
	ok.send({ op: 'ping', ref: 'alive' });
	await ok.next({ op: 'pong', ref: 'alive' });

	const m = await gw.metrics();
	assert.ok(m.get('linli_ws_closed_total{code="1002"}') >= protocolErrors.length, 'protocol errors are counted');
	assert.ok(m.get('linli_ws_closed_total{code="1009"}') >= 2, 'too-big messages are counted');
});

itest('plain-port upgrades: the door answers 101 with the right accept key, and JSON errors for bad ones', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { cors_origins: 'https://app.example' } });
	const base = ['GET /v1/ws HTTP/1.1', `Host: 127.0.0.1:${gw.port}`, 'Upgrade: websocket', 'Connection: keep-alive, Upgrade'];
	const key = crypto.randomBytes(16).toString('base64');
	const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
	const good = await new Promise((resolve) => {
		const sock = net.connect(gw.port, '127.0.0.1');
		sock.on('data', (d) => { resolve(d.toString('latin1')); sock.destroy(); });
		sock.on('connect', () => sock.write([...base, `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'].join('\r\n') + '\r\n\r\n'));
	});
	assert.match(good, /^HTTP\/1\.1 101 /);
	assert.match(good, new RegExp(`\r\nSec-WebSocket-Accept: ${accept.replace(/[+/]/g, '\\$&')}\r\n`, 'i'));

	const cases = [
		['no version', [...base, `Sec-WebSocket-Key: ${key}`], 426, /Sec-WebSocket-Version/],
		['version 8', [...base, `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 8'], 426, /13/],
		['no key', [...base, 'Sec-WebSocket-Version: 13'], 400, /Sec-WebSocket-Key/],
		['a short key', [...base, 'Sec-WebSocket-Key: c2hvcnQ=', 'Sec-WebSocket-Version: 13'], 400, /16 bytes/],
		['another path', [base[0].replace('/v1/ws', '/v1/other'), ...base.slice(1), `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'], 404, /\/v1\/ws/],
		['a POST', [base[0].replace('GET', 'POST'), ...base.slice(1), `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'], 400, /GET/],
		['no Connection: Upgrade', [base[0], base[1], base[2], 'Connection: keep-alive', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'], 400, /Connection/],
		['a foreign origin', [...base, `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', 'Origin: https://evil.example'], 403, /origin/],
	];
	for (const [what, lines, status, message] of cases) {
		const got = await upgradeAnswer(gw, lines);
		assert.match(got, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${status}`);
		const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
		assert.match(body.error.message, message, `${what}: the error says why`);
	}
	// An allowed origin is upgraded.
	const r = await upgradeAnswer(gw, [...base, `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', 'Origin: https://app.example']);
	assert.match(r, /^HTTP\/1\.1 101 /);
});
