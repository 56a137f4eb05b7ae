// Keepalive: a socket silent for ws_ping_secs gets a WebSocket ping; one
// still silent at ws_idle_secs is closed with 1001. Sockets that answer the
// pings (any WebSocket library does) or send anything themselves stay open.
import assert from 'node:assert/strict';
import { itest, ENGINE_NEUTRAL, poll, RawSocket, decodeServerFrames, encodeClientFrame } from './lib/harness.mjs';

const PING = 9, CLOSE = 8;

function rawFrames(r) {
	return decodeServerFrames(Buffer.concat(r.received)).frames;
}

itest('silent sockets are pinged after ws_ping_secs and closed 1001 at ws_idle_secs; answering ones stay', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { ws_ping_secs: 1, ws_idle_secs: 3 } });
	const admin = await h.mint(gw, 1, { admin: true });

	const t0 = Date.now();
	// Never answers anything: the raw socket only collects what it is sent.
	const dead = await RawSocket.connect(h, gw, { token: admin });
	// The ws package answers every ping with a pong on its own.
	const alive = await h.ws(gw, { token: admin, label: 'answers pings' });
	let pings = 0;
	alive.ws.on('ping', () => { pings++; });
	// Talks (app-level pings) every 400 ms, so it is never silent for a second.
	const chatty = await RawSocket.connect(h, gw, { token: admin });
	const talk = setInterval(() => chatty.sendText({ op: 'ping' }), 400);
	h.onCleanup(() => clearInterval(talk));
	// Answers each ping by hand, echoing its data in a pong (RFC 6455 5.5.3).
	const manual = await RawSocket.connect(h, gw, { token: admin });
	const answering = (async () => {
		for (let n = 1; n <= 3; n++) {
			await poll(() => rawFrames(manual).filter((f) => f.opcode === PING).length >= n,
				{ timeoutMs: 4000, what: `ping ${n} to the socket answering by hand` });
			const ping = rawFrames(manual).filter((f) => f.opcode === PING)[n - 1];
			assert.ok(ping.payload.length > 0, 'the ping carries data for the pong to echo');
			manual.socket.write(encodeClientFrame(ping.payload, 10));
		}
	})();

	await poll(() => rawFrames(dead).some((f) => f.opcode === PING), { timeoutMs: 4000, what: 'a ping to the silent socket' });
	const pingedAfter = Date.now() - t0;
	assert.ok(pingedAfter >= 900, `pinged after ${pingedAfter} ms, before ws_ping_secs`);

	// Answering resets the silence: the answering socket is pinged again
	// a second after its pong, more than once.
	await poll(() => pings >= 2, { timeoutMs: 6000, what: 'a second ping to the answering socket' });

	await poll(() => rawFrames(dead).some((f) => f.opcode === CLOSE), { timeoutMs: 6000, what: 'a close frame to the silent socket' });
	const closedAfter = Date.now() - t0;
	assert.ok(closedAfter >= 2900, `closed after ${closedAfter} ms, before ws_idle_secs`);
	const close = rawFrames(dead).find((f) => f.opcode === CLOSE);
	assert.equal(close.payload.readUInt16BE(0), 1001, 'idle socket closed with 1001');
	assert.match(close.payload.subarray(2).toString(), /idle/);
	const pingsToDead = rawFrames(dead).filter((f) => f.opcode === PING).length;
	assert.equal(pingsToDead, 1, 'one ping per silence, then the close');
	// A client that is not dead after all acknowledges the close; the server
	// then drops the connection at once (lws waits 5 s for an ack otherwise).
	dead.socket.write(encodeClientFrame(close.payload.subarray(0, 2), CLOSE));
	assert.equal((await dead.drainToClose(3000)).code, 1001);

	// Both others outlived ws_idle_secs and still answer.
	assert.ok(Date.now() - t0 >= 3000);
	assert.ok(alive.open, 'the socket answering pings is open');
	alive.send({ op: 'ping', ref: 'still' });
	await alive.next({ op: 'pong', ref: 'still' });
	assert.ok(!chatty.ended, 'the talking socket is open');
	assert.ok(!rawFrames(chatty).some((f) => f.opcode === PING), 'a socket that talks is never pinged');
	clearInterval(talk);

	// A pong alone also counts as hearing from the client: the socket that
	// answers by hand got a third ping (a second after each pong, so past
	// ws_idle_secs) and is still open.
	await answering;
	assert.ok(Date.now() - t0 >= 2900, `third ping after ${Date.now() - t0} ms`);
	assert.ok(!manual.ended, 'answered by hand: still open past ws_idle_secs');

	const m = await gw.metrics();
	assert.ok(m.get('linli_ws_closed_total{code="1001"}') >= 1, 'the hang-up is counted under 1001');
});
