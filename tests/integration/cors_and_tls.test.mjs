// Browsers: CORS headers for the origins in cors_origins, preflight, and
// WebSocket upgrades refused from other origins. TLS: with tls_cert and
// tls_key, HTTPS and WSS on the same port, served by the gateway's own
// reader and framing as on the plain port (JSON errors on kept-alive
// connections, unmasked frames closed 1002).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { itest } from './lib/harness.mjs';
import { FAST, register, me, expectError, expectStatus } from './lib/accounts.mjs';

const execFileP = promisify(execFile);
const APP = 'https://app.example.cn';
const ADMIN_APP = 'https://admin.example.cn';

itest('CORS: listed origins get the headers and preflights; others get none and cannot open sockets', async (h, t) => {
	const gw = await h.gateway({ config: { ...FAST, cors_origins: `"${APP}, ${ADMIN_APP}"` } });
	const user = await register(gw);
	const same = `http://127.0.0.1:${gw.port}`;
	const hdr = (origin, extra = {}) => ({ Origin: origin, ...extra });

	await h.sub(t, 'a listed origin gets Access-Control-Allow-Origin on answers and errors', async () => {
		for (const origin of [APP, ADMIN_APP]) {
			const r = await gw.request('GET', '/v1/me', { token: user.access, headers: hdr(origin) });
			expectStatus(r, 200);
			assert.equal(r.headers['access-control-allow-origin'], origin);
			assert.match(r.headers.vary || '', /Origin/);
			assert.match(r.headers['access-control-expose-headers'] || '', /Retry-After/i);
			assert.match(r.headers['access-control-expose-headers'] || '', /Idempotent-Replayed/i);
		}
		// Errors too, or the page could not read them.
		const e = await gw.request('GET', '/v1/me', { headers: hdr(APP) });
		expectError(e, 401, 'unauthorized');
		assert.equal(e.headers['access-control-allow-origin'], APP);
		const reg = await gw.request('POST', '/v1/auth/register', { headers: hdr(APP), body: { phone: '13600000001', password: 'from-the-browser', display_name: 'web' } });
		expectStatus(reg, 201);
		assert.equal(reg.headers['access-control-allow-origin'], APP);
	});

	await h.sub(t, 'other origins, look-alikes and no Origin get no CORS headers', async () => {
		for (const origin of ['https://evil.example', `${APP}.evil.example`, 'https://app.example.c', 'http://app.example.cn',
			`${APP}:8443`, `${APP}/`, 'null', `${APP}, https://evil.example`]) {
			const r = await gw.request('GET', '/v1/me', { token: user.access, headers: hdr(origin) });
			expectStatus(r, 200, origin);
			assert.equal(r.headers['access-control-allow-origin'], undefined, `no ACAO for ${origin}`);
		}
		const none = await gw.request('GET', '/v1/me', { token: user.access });
		expectStatus(none, 200);
		assert.equal(none.headers['access-control-allow-origin'], undefined);
		// The web app served by this gateway (same origin) is allowed.
		const own = await gw.request('GET', '/v1/me', { token: user.access, headers: hdr(same) });
		assert.equal(own.headers['access-control-allow-origin'], same);
	});

	await h.sub(t, 'preflight: 204 with methods, headers and max-age for a listed origin only', async () => {
		const pre = (origin, p = '/v1/communities/1/invites') => gw.request('OPTIONS', p, { headers: {
			Origin: origin, 'Access-Control-Request-Method': 'POST',
			'Access-Control-Request-Headers': 'authorization, content-type, idempotency-key',
		} });
		const ok = await pre(APP);
		assert.equal(ok.status, 204, ok.text);
		assert.equal(ok.text, '');
		assert.equal(ok.headers['access-control-allow-origin'], APP);
		const methods = (ok.headers['access-control-allow-methods'] || '').split(/,\s*/);
		for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS']) assert.ok(methods.includes(m), `allow-methods has ${m}: ${methods}`);
		const allowed = (ok.headers['access-control-allow-headers'] || '').toLowerCase().split(/,\s*/);
		for (const x of ['authorization', 'content-type', 'idempotency-key']) assert.ok(allowed.includes(x), `allow-headers has ${x}: ${allowed}`);
		assert.ok(Number(ok.headers['access-control-max-age']) > 0);
		// Any path, no token needed.
		assert.equal((await pre(APP, '/v1/auth/register')).status, 204);
		const evil = await pre('https://evil.example');
		assert.equal(evil.status, 204);
		assert.equal(evil.headers['access-control-allow-origin'], undefined);
		assert.equal(evil.headers['access-control-allow-methods'], undefined);
	});

	const refusedOrigins = ['https://evil.example', `${APP}.evil.example`, 'null'];
	await h.sub(t, 'WebSocket: listed, same-origin and Origin-less upgrades open; other origins never do', async () => {
		for (const [origin, label] of [[APP, 'listed'], [same, 'same origin'], [undefined, 'no Origin']]) {
			const headers = origin ? { Origin: origin } : {};
			const c = await h.ws(gw, { token: user.access, headers, label });
			await c.next({ op: 'hello' });
			await c.next({ op: 'authed' });
			await c.subscribe(`user:${user.id}`);
		}
		for (const origin of refusedOrigins) {
			await assert.rejects(h.ws(gw, { token: user.access, headers: { Origin: origin }, label: `from ${origin}` }),
				undefined, `upgrade from ${origin} must fail`);
		}
		expectStatus(await gw.request('GET', '/healthz'), 200, 'the process serves on');
	});

	await h.sub(t, 'WebSocket: a refused upgrade is answered HTTP 403', async () => {
		const answers = [];
		for (const origin of refusedOrigins) {
			const answer = await new Promise((resolve) => {
				const req = http.request({ host: '127.0.0.1', port: gw.port, path: '/v1/ws', agent: false, headers: {
					Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
					'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: origin,
				} });
				req.on('response', (res) => { res.resume(); resolve(`HTTP ${res.statusCode}`); });
				req.on('upgrade', (res, sock) => { sock.destroy(); resolve('HTTP 101'); });
				req.on('error', (e) => resolve(`no HTTP answer (${e.code || e.message})`));
				req.setTimeout(5000, () => req.destroy(new Error('no answer in 5 s')));
				req.end();
			});
			answers.push(`${origin}: ${answer}`);
		}
		t.diagnostic(`refused upgrades: ${answers.join('; ')}`);
		assert.deepEqual(answers, refusedOrigins.map((o) => `${o}: HTTP 403`));
	});
});

itest('TLS: HTTPS and WSS on one port with tls_cert/tls_key', async (h, t) => {
	const dir = await h.tmpdir('linli-tls-');
	const cert = path.join(dir, 'cert.pem');
	const key = path.join(dir, 'key.pem');
	await execFileP('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
		'-days', '1', '-keyout', key, '-out', cert], { timeout: 30000 });
	const gw = await h.gateway({ config: { ...FAST, tls_cert: cert, tls_key: key, http_header_timeout_ms: 1000 } });
	assert.ok(gw.url.startsWith('https://') && gw.wsUrl.startsWith('wss://'));
	const admin = await h.mint(gw, 100000, { admin: true });

	await h.sub(t, 'register, log in and read /v1/me over HTTPS', async () => {
		const health = await gw.request('GET', '/healthz');
		expectStatus(health, 200);
		assert.equal(health.headers['strict-transport-security'], 'max-age=15552000', 'HSTS in TLS mode (hsts_max_age_s)');
		const u = await register(gw);
		assert.equal((await me(gw, u.access)).user.id, u.id);
		const sock = await h.ws(gw, { token: u.access, label: 'wss' });
		await sock.next({ op: 'hello' });
		const authed = await sock.next({ op: 'authed' });
		assert.equal(authed.user_id, u.id);
		await sock.subscribe(`user:${u.id}`);
		const seq = await gw.publish(admin, `user:${u.id}`, 'notification', { over: 'tls' });
		const evs = await sock.waitSeq(`user:${u.id}`, seq, 3000);
		assert.deepEqual(evs.at(-1).data, { over: 'tls' });
		// Auth in the first frame works over WSS too.
		const late = await h.ws(gw, { label: 'wss auth frame' });
		await late.next({ op: 'hello' });
		late.send({ op: 'auth', token: u.access, ref: 1 });
		await late.next({ op: 'authed' });
	});

	await h.sub(t, 'the certificate served is the configured one', async () => {
		const tls = await import('node:tls');
		const pem = (await import('node:fs')).readFileSync(cert, 'utf8');
		const subject = await new Promise((resolve, reject) => {
			const s = tls.connect({ host: '127.0.0.1', port: gw.port, ca: pem, servername: 'localhost', checkServerIdentity: () => undefined }, () => {
				const c = s.getPeerCertificate();
				const proto = s.getProtocol();
				s.end();
				resolve({ cn: c.subject.CN, proto });
			});
			s.on('error', reject);
		});
		assert.equal(subject.cn, 'localhost');
		assert.match(subject.proto, /^TLSv1\.[23]$/);
		t.diagnostic(`negotiated ${subject.proto}`);
	});

	await h.sub(t, 'plain HTTP on the TLS port gets no answer from the API', async () => {
		const r = await new Promise((resolve) => {
			const req = http.request({ host: '127.0.0.1', port: gw.port, path: '/healthz' }, (res) => {
				let b = '';
				res.on('data', (d) => { b += d; });
				res.on('end', () => resolve({ status: res.statusCode, body: b }));
			});
			req.on('error', (e) => resolve({ error: e.code || e.message }));
			req.setTimeout(3000, () => req.destroy(new Error('timeout')));
			req.end();
		});
		assert.ok(r.error || r.status !== 200 || !r.body.includes('"ok"'), `plain HTTP answered ${JSON.stringify(r)}`);
		t.diagnostic(`plain HTTP on the TLS port: ${JSON.stringify(r).slice(0, 120)}`);
		expectStatus(await gw.request('GET', '/healthz'), 200, 'HTTPS still serves');
	});

	const tls = await import('node:tls');
	// Raw bytes over TLS: what comes back until the server closes, or 5 s.
	const overTls = (chunks, { onData } = {}) => new Promise((resolve) => {
		const got = [];
		const s = tls.connect({ host: '127.0.0.1', port: gw.port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
			for (const c of [].concat(chunks)) s.write(c);
		});
		const done = (closed) => { clearTimeout(timer); s.destroy(); resolve({ buf: Buffer.concat(got), closed, alpn: s.alpnProtocol }); };
		const timer = setTimeout(() => done(false), 5000);
		s.on('data', (d) => { got.push(d); if (onData) onData(s, Buffer.concat(got)); });
		s.on('close', () => done(true));
		s.on('error', () => done(true));
	});

	await h.sub(t, 'request heads over TLS: every request of a kept-alive connection checked, JSON errors, "X:" served', async () => {
		const r = await overTls('GET /healthz HTTP/1.1\r\nHost: x\r\nX: 1\r\n\r\n' +
			'GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n');
		const text = r.buf.toString('latin1');
		assert.equal(r.alpn, 'http/1.1', 'ALPN: HTTP/1.1, never h2');
		assert.deepEqual(text.match(/HTTP\/1\.1 \d{3}/g), ['HTTP/1.1 200', 'HTTP/1.1 400'], text);
		assert.match(text, /"code":"bad_request".*absolute URI/);
		assert.ok(r.closed, 'closed after the refusal');
	});

	await h.sub(t, 'WSS: an unmasked client frame closes 1002 (RFC 6455 5.1)', async () => {
		const key = 'dGhlIHNhbXBsZSBub25jZQ==';
		let sent = false;
		const r = await overTls(`GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
			`Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`, {
			onData: (s, all) => {
				if (!sent && all.includes('\r\n\r\n')) {
					sent = true;
					s.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // "hi", FIN, text, no mask
				}
			},
		});
		const i = r.buf.indexOf('\r\n\r\n');
		assert.match(r.buf.subarray(0, i).toString(), /^HTTP\/1\.1 101 /);
		// The server's frames (unmasked): the hello, then a close with 1002.
		const frames = [];
		for (let b = r.buf.subarray(i + 4); b.length >= 2;) {
			let len = b[1] & 0x7f, at = 2;
			if (len === 126) { len = b.readUInt16BE(2); at = 4; }
			frames.push({ op: b[0] & 0x0f, payload: b.subarray(at, at + len) });
			b = b.subarray(at + len);
		}
		const close = frames.find((f) => f.op === 8);
		assert.ok(close, `a close frame among ${frames.map((f) => f.op)}`);
		assert.equal(close.payload.readUInt16BE(0), 1002);
		assert.match(close.payload.subarray(2).toString(), /mask/);
	});

	await h.sub(t, 'a TLS connection that never finishes its handshake is closed at http_header_timeout_ms', async () => {
		const net = await import('node:net');
		const r = await new Promise((resolve) => {
			const t0 = Date.now();
			const s = net.connect(gw.port, '127.0.0.1');
			s.on('close', () => resolve({ closed: true, ms: Date.now() - t0 }));
			s.on('error', () => {});
			setTimeout(() => { s.destroy(); resolve({ closed: false }); }, 6000);
		});
		assert.ok(r.closed && r.ms >= 900 && r.ms < 4000, `closed near 1 s: ${JSON.stringify(r)}`);
	});
});
