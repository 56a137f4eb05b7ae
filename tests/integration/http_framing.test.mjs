// HTTP framing on the plain port (issue 12): a Content-Length given twice
// or not as plain digits is refused with 400 and the connection closed, so
// no byte of a disputed body is ever served as a request of its own
// (request smuggling behind a proxy that reads the other length); chunked
// bodies get 411; a POST with no length has no body; Expect: 100-continue
// is answered; h2c upgrades are refused; a refused body is read and
// discarded for a while (lingering close) so the client reads the 413; a
// body trickling in is cut at http_body_timeout_ms with 408. Then the
// heads: absolute-form targets, unknown methods, oversized heads get JSON
// errors on every request of a kept-alive connection, paths are decoded
// once and queries handed on as sent (docs/http-limits.md).
import assert from 'node:assert/strict';
import net from 'node:net';
import { itest, ENGINE_NEUTRAL } from './lib/harness.mjs';

// Sends raw bytes; collects what comes back until the server closes the
// connection or timeoutMs passes. {text, closed, ms}.
function exchange(gw, chunks, { timeoutMs = 5000, gapMs = 0 } = {}) {
	return new Promise((resolve) => {
		const sock = net.connect(gw.port, '127.0.0.1');
		const got = [];
		const t0 = Date.now();
		let done = false;
		const finish = (closed) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			sock.destroy();
			resolve({ text: Buffer.concat(got).toString('latin1'), closed, ms: Date.now() - t0 });
		};
		const timer = setTimeout(() => finish(false), timeoutMs);
		sock.on('data', (d) => got.push(d));
		sock.on('close', () => finish(true));
		sock.on('error', () => finish(true));
		sock.on('connect', async () => {
			for (const c of [].concat(chunks)) {
				if (done) return;
				sock.write(c);
				if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
			}
		});
	});
}

const responses = (text) => text.match(/HTTP\/1\.[01] \d{3}/g) || [];

function jsonError(text) {
	const i = text.indexOf('\r\n\r\n');
	assert.ok(i > 0, `a response: ${JSON.stringify(text.slice(0, 200))}`);
	assert.match(text.slice(0, i), /content-type: application\/json/i);
	return JSON.parse(text.slice(i + 4)).error;
}

itest('malformed or repeated Content-Length: 400, closed, nothing smuggled', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway();
	const before = await gw.metric('linli_http_framing_refused_total');
	const smuggled = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
	const cases = [
		['Content-Length: 2\r\nContent-Length: 40', 'twice'],
		['Content-Length: 2 ', 'trailing space'],
		['Content-Length: 2,2', 'a list'],
		['Content-Length: 2.0', 'a decimal'],
		['Content-Length: -2', 'negative'],
		['Content-Length: 0x2', 'hex'],
		['Content-Length: 99999999999999999999999', 'too large to parse'],
	];
	for (const [hdr, what] of cases) {
		const r = await exchange(gw, `POST /v1/auth/login HTTP/1.1\r\nHost: x\r\n${hdr}\r\n\r\n{}${smuggled}`);
		assert.ok(r.closed, `${what}: connection closed`);
		assert.deepEqual(responses(r.text), ['HTTP/1.1 400'], `${what}: one answer, the smuggled GET not served: ${r.text}`);
		assert.match(jsonError(r.text).message, /Content-Length/, what);
	}
	assert.equal(await gw.metric('linli_http_framing_refused_total'), before + cases.length, 'each refusal counted');
	// A plain, valid length still keeps the connection alive for a second request.
	const ok = await exchange(gw, `POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}${smuggled}`, { timeoutMs: 1500 });
	assert.deepEqual(responses(ok.text), ['HTTP/1.1 400', 'HTTP/1.1 200'], ok.text);
});

itest('chunked bodies get 411; a POST without a length has no body, and the connection serves on', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway();
	const chunked = await exchange(gw, 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
	assert.ok(chunked.closed, 'closed');
	assert.deepEqual(responses(chunked.text), ['HTTP/1.1 411']);
	assert.equal(jsonError(chunked.text).code, 'length_required');

	// RFC 9112 6.3: neither length nor encoding, no body; what follows is
	// the next request.
	const noLength = await exchange(gw, 'POST /v1/auth/logout HTTP/1.1\r\nHost: x\r\n\r\n' +
		'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
	assert.ok(noLength.closed, `closed after the second answer, not left hanging: ${noLength.text}`);
	assert.deepEqual(responses(noLength.text), ['HTTP/1.1 401', 'HTTP/1.1 200']);
});

itest('Expect: 100-continue gets 100 Continue, then the answer; a body too large gets 413 at once', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { http_max_body: 1024, http_linger_ms: 300 } });
	const r = await new Promise((resolve, reject) => {
		const sock = net.connect(gw.port, '127.0.0.1');
		let text = '';
		const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no answer: ${text}`)); }, 5000);
		sock.on('connect', () => sock.write('POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n'));
		sock.on('data', (d) => {
			text += d.toString('latin1');
			if (text === 'HTTP/1.1 100 Continue\r\n\r\n') sock.write('{}'); // only once told to
			if (/\r\n\r\n\{.*\}$/s.test(text.slice(25))) { clearTimeout(timer); sock.destroy(); resolve(text); }
		});
	});
	assert.deepEqual(responses(r), ['HTTP/1.1 100', 'HTTP/1.1 400']);
	assert.equal(jsonError(r.slice(25)).field, 'phone', 'the body was read and checked');

	const big = await exchange(gw, 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
	assert.deepEqual(responses(big.text), ['HTTP/1.1 413'], 'no 100 Continue for a body that will be refused');
});

itest('h2c upgrades on the plain port are refused with a JSON 400; WebSocket upgrades still work', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway();
	const r = await exchange(gw, 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n'
		+ 'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Length: 2\r\n\r\n{}');
	assert.ok(r.closed);
	assert.doesNotMatch(r.text, / 101 /, 'no switch to HTTP/2');
	assert.match(responses(r.text)[0] || '', / 400$/, r.text);
	assert.match(jsonError(r.text).message, /websocket/);
	const c = await h.ws(gw, { label: 'ws still upgrades' });
	await c.next({ op: 'hello' });
});

itest('a refused body is drained, not reset: the client reads its 413 while still sending', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { http_max_body: 1024, http_linger_ms: 3000 } });
	// 8 MB announced and streamed without waiting: without the lingering
	// close the server's close with unread data resets the connection and
	// the client may lose the answer.
	const chunk = Buffer.alloc(64 * 1024, 0x61);
	const r = await new Promise((resolve) => {
		const sock = net.connect(gw.port, '127.0.0.1');
		let text = '', sent = 0, reset = false;
		const t0 = Date.now();
		const pump = () => {
			while (sent < 8 * 1024 * 1024 && !sock.destroyed) {
				sent += chunk.length;
				if (!sock.write(chunk)) return sock.once('drain', pump);
			}
		};
		sock.on('connect', () => { sock.write('POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n'); pump(); });
		sock.on('data', (d) => { text += d.toString('latin1'); });
		sock.on('error', (e) => { reset = e.code === 'ECONNRESET' || reset; });
		sock.on('close', () => resolve({ text, reset, ms: Date.now() - t0 }));
		setTimeout(() => sock.destroy(), 10000);
	});
	assert.deepEqual(responses(r.text), ['HTTP/1.1 413'], `the answer was read (reset: ${r.reset})`);
	assert.equal(jsonError(r.text).code, 'payload_too_large');
	assert.ok(r.ms < 9000, `closed by the server after lingering, ${r.ms} ms`);
});

itest('a body trickling in is cut at http_body_timeout_ms with 408 and counted', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { http_body_timeout_ms: 1500, http_linger_ms: 500 } });
	// One byte every 200 ms: lws's own timeout restarts on each byte.
	const bytes = Array.from({ length: 40 }, () => 'a');
	const r = await exchange(gw, ['POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n', ...bytes],
		{ gapMs: 200, timeoutMs: 8000 });
	assert.ok(r.closed, `closed (${r.ms} ms)`);
	assert.deepEqual(responses(r.text), ['HTTP/1.1 408'], r.text);
	assert.equal(jsonError(r.text).code, 'request_timeout');
	assert.ok(r.ms >= 1400 && r.ms < 6000, `cut after ${r.ms} ms`);
	assert.equal(await gw.metric('linli_http_timeouts_total'), 1);
	// A body that arrives in time is served.
	const ok = await exchange(gw, ['POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n', '{', '}'],
		{ gapMs: 300, timeoutMs: 1500 });
	assert.deepEqual(responses(ok.text), ['HTTP/1.1 400'], 'answered on its merits (phone is required)');
});

// What lws 4.1.6 answered in HTML or not at all, the gateway's own reader
// (gateway/door.c) answers in JSON, on the first request of a connection
// and on every later one.
itest('request heads: absolute-form 400, unknown methods 501, oversized heads 431, all JSON and at once, first or kept-alive', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { http_max_header: 4096 } });
	const cases = [
		['GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request', /absolute URI/],
		['BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 501, 'not_implemented', /BREW/],
		['GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'http_version_not_supported', /HTTP\/2\.0/],
		[`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`, 431, 'headers_too_large', /http_max_header/],
		['GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n', 400, 'bad_request', /folding/],
		['GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request', /percent escape/],
		['GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request', /%00/],
		['GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n', 400, 'bad_request', /needs a Host/],
		['GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'bad_request', /more than once/],
	];
	const ok = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
	for (const [raw, status, code, words] of cases) {
		// First on its connection, and after two answered requests.
		for (const [pre, want] of [['', []], [ok + ok, ['HTTP/1.1 200', 'HTTP/1.1 200']]]) {
			const what = `${pre ? 'third' : 'first'}: ${raw.slice(0, 40)}`;
			const r = await exchange(gw, pre + raw, { timeoutMs: 3000 });
			assert.equal(r.closed, true, `${what}: closed`);
			assert.deepEqual(responses(r.text), [...want, `HTTP/1.1 ${status}`], what);
			const err = jsonError(r.text.split(/(?=HTTP\/1\.1 \d{3} )/).at(-1));
			assert.equal(err.code, code, what);
			assert.match(err.message, words, what);
			assert.ok(r.ms < 2500, `${what}: answered at once, not at a time-out (${r.ms} ms)`);
		}
	}
	const m = await (await fetch(`${gw.url}/metrics`)).text();
	assert.ok(Number(m.match(/^linli_http_framing_refused_total (\d+)/m)[1]) >= 2 * cases.length, 'counted');
	// Header names lws 4.1.6 could not finish ("X:", "Con:": the start of
	// one it knows) are just headers here; custom ones go through.
	const fine = await exchange(gw, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX: 1\r\nCon: 2\r\n\r\n' +
		'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Client-Port: 1\r\nHostx: 2\r\nConnection: close\r\n\r\n');
	assert.deepEqual(responses(fine.text), ['HTTP/1.1 200', 'HTTP/1.1 200'], 'and the gateway serves on');
	assert.ok(fine.closed && fine.ms < 2500, 'closed at once after Connection: close');
});

itest('kept-alive connections: HEAD without a body, HTTP/1.0 closes, a stray CRLF is skipped, the idle connection closes at http_keepalive_timeout_ms', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { http_keepalive_timeout_ms: 1000 } });
	const head = await exchange(gw, 'HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n\r\n' +
		'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
	assert.deepEqual(responses(head.text), ['HTTP/1.1 200', 'HTTP/1.1 200'], head.text);
	const [first, second] = head.text.split(/(?=HTTP\/1\.1 )/);
	assert.match(first, /content-length: 15\r\n/i, 'HEAD: the length GET would have');
	assert.ok(first.endsWith('\r\n\r\n'), `HEAD: no body (${JSON.stringify(first.slice(-30))})`);
	assert.ok(second.endsWith('{"status":"ok"}'), 'the GET after it has its body');
	const old = await exchange(gw, 'GET /healthz HTTP/1.0\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n');
	assert.deepEqual([old.closed, responses(old.text)], [true, ['HTTP/1.1 200']], 'HTTP/1.0: one answer, then closed');
	assert.match(old.text, /connection: close/i);
	// An idle kept-alive connection is closed quietly, near the time-out.
	const idle = await exchange(gw, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 5000 });
	assert.deepEqual([idle.closed, responses(idle.text)], [true, ['HTTP/1.1 200']], 'idle: no 408, just closed');
	assert.ok(idle.ms >= 900 && idle.ms < 4000, `closed near 1 s (sweeps run each second): ${idle.ms} ms`);
	// (On a fresh connection: the harness's agent keeps its own for 5 s,
	// longer than this gateway's 1 s, so it would reuse a closed one.)
	const m = await exchange(gw, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
	assert.match(m.text, /^linli_http_timeouts_total 0$/m, 'an idle close is no time-out');
});

itest('paths are decoded once, dot segments resolved, never above the root', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway();
	const cases = [
		['/%68ealthz', 200],            // %68 = h
		['/v1/../healthz', 200],
		['//healthz', 200],
		['/./healthz/.', 200],          // "/healthz/": the router ignores a trailing slash
		['/v1/x/%2e%2e/%2E%2E/healthz', 200],
		['/../../../etc/passwd', 404],  // never above the root
		['/%2e%2e/%2e%2e/etc/passwd', 404],
	];
	for (const [path, status] of cases) {
		const r = await exchange(gw, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { timeoutMs: 3000 });
		assert.deepEqual(responses(r.text), [`HTTP/1.1 ${status}`], path);
		assert.doesNotMatch(r.text, /root:/, path);
	}
	// Queries: forum_search.test.mjs searches for "&", "+" and "%26".
});

itest('the front door: a head trickling in is served; one never finished gets 408 at http_header_timeout_ms; a silent connection is just closed', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { http_header_timeout_ms: 1000 } });
	// Byte by byte, each its own segment: peeked and waited for, then served.
	const raw = 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}';
	const slow = await exchange(gw, raw.split(''), { gapMs: 2, timeoutMs: 5000 });
	assert.deepEqual(responses(slow.text), ['HTTP/1.1 400']);
	assert.equal(jsonError(slow.text).field, 'phone', 'the handler read the body that followed the head');
	const before = await (await fetch(`${gw.url}/metrics`)).text();
	const stuck = await exchange(gw, 'GET /healthz HTTP/1.1\r\nHo', { timeoutMs: 5000 });
	assert.equal(stuck.closed, true);
	assert.deepEqual(responses(stuck.text), ['HTTP/1.1 408']);
	assert.equal(jsonError(stuck.text).code, 'request_timeout');
	assert.ok(stuck.ms >= 900 && stuck.ms < 4000, `cut near 1 s (sweeps run each second): ${stuck.ms} ms`);
	const after = await (await fetch(`${gw.url}/metrics`)).text();
	const count = (t) => Number(t.match(/^linli_http_timeouts_total (\d+)/m)[1]);
	assert.equal(count(after), count(before) + 1, 'counted as a time-out');
	const silent = await exchange(gw, [], { timeoutMs: 5000 });
	assert.deepEqual([silent.closed, silent.text], [true, ''], 'no bytes, no answer: closed');
});

itest('a client that reads none of its answers is closed after http_body_timeout_ms, not held for ever', ENGINE_NEUTRAL, async (h) => {
	const gw = await h.gateway({ config: { http_body_timeout_ms: 1000 } });
	// 400 pipelined GETs of a 45 kB file: 18 MB of answers, more than the
	// two kernels' buffers hold, so the gateway's send stalls.
	const n = 400;
	const r = await new Promise((resolve) => {
		const sock = net.connect(gw.port, '127.0.0.1');
		let text = '', closed = false;
		sock.pause(); // reads nothing
		sock.on('connect', () => sock.write('GET /js/i18n.js HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(n)));
		sock.on('data', (d) => { text += d.toString('latin1'); });
		const done = () => { if (!closed) { closed = true; resolve({ text, closed }); } };
		sock.on('close', done);
		sock.on('error', done);
		// The deadline (1 s) plus the once-a-second sweep, with room: the
		// time-out is what is tested, so this waits past it, then reads.
		setTimeout(() => sock.resume(), 3500);
		setTimeout(() => { sock.destroy(); resolve({ text, closed: false }); }, 15000);
	});
	assert.ok(r.closed, 'the gateway closed the connection');
	const answers = responses(r.text).length;
	assert.ok(answers < n, `closed before all answers went (${answers} of ${n})`);
	// And it serves on.
	const ok = await exchange(gw, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
	assert.deepEqual(responses(ok.text), ['HTTP/1.1 200']);
});
