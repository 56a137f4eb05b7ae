// One client may not take the whole gateway (issue 12): max_conns_per_ip
// bounds the connections of one address (at accept; behind a trusted proxy,
// by the address X-Forwarded-For names), and ws_max_per_user the sockets
// of one account. What is refused is counted in /metrics.
import assert from 'node:assert/strict';
import net from 'node:net';
import { itest, poll, ENGINE_NEUTRAL } from './lib/harness.mjs';
import { FAST, register } from './lib/accounts.mjs';

// An idle TCP connection from a local address; resolves once connected.
function hold(h, gw, from) {
	return new Promise((resolve, reject) => {
		const s = net.connect({ port: gw.port, host: '127.0.0.1', localAddress: from });
		h.onCleanup(() => s.destroy());
		s.gone = new Promise((r) => s.once("close", r));
		s.on('error', () => {});
		s.once('connect', () => resolve(s));
		s.once('close', () => reject(new Error('closed before connecting')));
	});
}

// Sends one request on a fresh connection; the status code, or 'closed'.
function once(gw, from, headers = '') {
	return new Promise((resolve) => {
		const s = net.connect({ port: gw.port, host: '127.0.0.1', localAddress: from });
		let text = '';
		s.on('error', () => {});
		s.on('data', (d) => { text += d; });
		s.on('close', () => resolve(text ? Number(text.split(' ')[1]) : 'closed'));
		s.on('connect', () => s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n`));
		setTimeout(() => s.destroy(), 5000);
	});
}

itest('max_conns_per_ip: the next connection of a full address is closed at accept; others are served', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { max_conns_per_ip: 4 } });
	const held = [];
	for (let i = 0; i < 4; i++) held.push(await hold(h, gw, '127.0.0.5'));
	assert.equal(await once(gw, '127.0.0.5'), 'closed', 'the fifth from 127.0.0.5');
	assert.equal(await once(gw, '127.0.0.6'), 200, 'another address');
	const ws = await h.ws(gw, { label: 'ws from 127.0.0.1' });
	await ws.next({ op: 'hello' });
	assert.equal(await gw.metric('linli_connections_refused_per_ip_total'), 1);
	// A connection given back frees its place.
	held[0].destroy();
	await held[0].gone;
	await poll(async () => (await once(gw, '127.0.0.5')) === 200, { what: 'a place for 127.0.0.5 again' });
});

itest('behind a trusted proxy the cap follows X-Forwarded-For: one client is refused 429, the next served', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { max_conns_per_ip: 2, trusted_proxies: '127.0.0.9' } });
	// The "proxy" holds two keep-alive connections for client 203.0.113.7.
	const conns = [];
	for (let i = 0; i < 2; i++) {
		const s = await hold(h, gw, '127.0.0.9');
		s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n');
		await new Promise((r) => s.once('data', r));
		conns.push(s);
	}
	const third = await once(gw, '127.0.0.9', 'X-Forwarded-For: 203.0.113.7\r\n');
	assert.equal(third, 429, 'a third connection for the same client');
	assert.equal(await once(gw, '127.0.0.9', 'X-Forwarded-For: 198.51.100.20\r\n'), 200, 'another client through the proxy');
	// Connections of the proxy itself are not capped at accept.
	for (let i = 0; i < 3; i++) await hold(h, gw, '127.0.0.9');
	assert.equal(await once(gw, '127.0.0.9', 'X-Forwarded-For: 198.51.100.21\r\n'), 200);
});

itest('ws_max_per_user: one account may hold so many sockets; the next is closed 1008, others unaffected', async (h) => {
	const gw = await h.gateway({ config: { ...FAST, ws_max_per_user: 3 } });
	const a = await register(gw), b = await register(gw);
	const socks = [];
	for (let i = 0; i < 3; i++) {
		const c = await h.ws(gw, { token: a.access, label: `a${i}` });
		await c.next({ op: 'authed' });
		socks.push(c);
	}
	const extra = await h.ws(gw, { token: a.access, label: 'a extra' });
	const closed = await extra.closed(5000);
	assert.equal(closed.code, 1008, JSON.stringify(closed));
	assert.match(closed.reason, /ws_max_per_user/);
	const other = await h.ws(gw, { token: b.access, label: 'b' });
	await other.next({ op: 'authed' });
	assert.equal(await gw.metric('linli_ws_refused_per_user_total'), 1);
	// Closing one gives its place back.
	socks[0].close();
	await socks[0].closed(5000);
	await poll(async () => {
		const c = await h.ws(gw, { token: a.access, label: 'a again' });
		return await c.next({ op: 'authed' }).then(() => true, () => false);
	}, { what: 'a socket for account a again' });
});
