// The gateway serves the web app and the SDK: index at /, known types only,
// a strict CSP, nothing outside the two folders.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { itest, ENGINE_NEUTRAL } from './lib/harness.mjs';

// A raw request, so "..", "%2e%2e" and "//" reach the server unnormalised.
function rawGet(gw, target) {
	return new Promise((resolve, reject) => {
		const s = net.connect(gw.port, '127.0.0.1', () =>
			s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
		let buf = '';
		s.setEncoding('latin1');
		s.on('data', (d) => { buf += d; });
		s.on('end', () => resolve(Number(buf.split(' ')[1])));
		s.on('error', reject);
		s.setTimeout(5000, () => { s.destroy(); reject(new Error(`no answer to ${target}`)); });
	});
}

itest('static mount: app, SDK, types, CSP and no escape from the roots', ENGINE_NEUTRAL, async (h) => {
	const dir = await h.tmpdir('linli-web-');
	const web = path.join(dir, 'web'), sdk = path.join(dir, 'sdk');
	fs.mkdirSync(path.join(web, 'js'), { recursive: true });
	fs.mkdirSync(sdk);
	fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>鄰里</title>');
	fs.writeFileSync(path.join(web, 'js', 'app.js'), 'export const x = 1;\n');
	fs.writeFileSync(path.join(web, '.secret.js'), 'hidden');
	fs.writeFileSync(path.join(web, 'notes.md'), 'not a served type');
	fs.writeFileSync(path.join(sdk, 'linli.js'), 'export class Linli {}\n');
	fs.writeFileSync(path.join(dir, 'outside.js'), 'outside');
	fs.symlinkSync(path.join(dir, 'outside.js'), path.join(web, 'link.js'));
	const gw = await h.gateway({ config: { web_root: web, web_sdk_root: sdk } });

	const index = await gw.request('GET', '/');
	assert.equal(index.status, 200);
	assert.match(index.headers['content-type'], /^text\/html; charset=utf-8/);
	assert.match(index.text, /鄰里/);
	const csp = index.headers['content-security-policy'];
	assert.match(csp, /script-src 'self'/);
	assert.doesNotMatch(csp, /unsafe-inline/);
	// Connections to this gateway only: not any ws:/wss: host.
	const connect = /connect-src ([^;]*)/.exec(csp)[1].trim().split(/\s+/);
	assert.deepEqual(connect, ["'self'", `ws://127.0.0.1:${gw.port}`, `wss://127.0.0.1:${gw.port}`], csp);
	const odd = await gw.request('GET', '/', { headers: { host: 'evil.example"; script-src *' } });
	assert.equal(/connect-src ([^;]*)/.exec(odd.headers['content-security-policy'])[1].trim(), "'self'",
		'a Host that is not a plain host[:port] is not named');
	assert.equal(index.headers['strict-transport-security'], undefined, 'no HSTS without TLS');
	assert.equal(index.headers['cache-control'], 'no-cache');

	const js = await gw.request('GET', '/js/app.js');
	assert.equal(js.status, 200);
	assert.match(js.headers['content-type'], /^text\/javascript/);
	const s = await gw.request('GET', '/sdk/linli.js');
	assert.equal(s.status, 200);
	assert.match(s.text, /class Linli/);

	for (const p of ['/.secret.js', '/notes.md', '/link.js', '/missing.js', '/js/', '/sdk/../web/index.html',
		'/../outside.js', '/%2e%2e/outside.js', '/sdk/%2e%2e/outside.js']) {
		assert.equal(await rawGet(gw, p), 404, p);
	}
	// The API is unaffected: unknown /v1 paths stay JSON 404s.
	const api = await gw.request('GET', '/v1/nothing.js');
	assert.equal(api.status, 404);
	assert.equal(api.json.error.code, 'not_found');
	const post = await gw.request('POST', '/index.html', { body: {} });
	assert.equal(post.status, 404);
});
