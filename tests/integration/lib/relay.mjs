// A relay stand-in (push, SMS): a real HTTP server on loopback that records
// every POST the gateway makes and answers with scripted statuses.
import crypto from 'node:crypto';
import http from 'node:http';

export const RELAY_SECRET = 'relay-secret-for-tests-0123456789';

export class Relay {
	constructor(path = '/push') {
		this.path = path;
		this.posts = [];       // {headers, raw, body, status}
		this.script = [];      // statuses to answer next, then 200
		this.waiters = [];
	}

	async start(h) {
		this.server = http.createServer((req, res) => {
			let raw = '';
			req.setEncoding('utf8');
			req.on('data', (d) => { raw += d; });
			req.on('end', () => {
				const status = this.script.length ? this.script.shift() : 200;
				let body = null;
				try { body = JSON.parse(raw); } catch { /* recorded raw */ }
				this.posts.push({ headers: req.headers, raw, body, status, url: req.url });
				res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
				for (const w of this.waiters.slice()) w();
			});
		});
		await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
		this.port = this.server.address().port;
		h.onCleanup(() => this.stop());
		return this;
	}

	stop() {
		return new Promise((r) => { this.server.closeAllConnections?.(); this.server.close(() => r()); });
	}

	get url() { return `http://127.0.0.1:${this.port}${this.path}`; }

	// Resolves with the posts once pred(posts) holds; bounded.
	waitFor(pred, what, timeoutMs = 10000) {
		return new Promise((resolve, reject) => {
			const check = () => {
				if (!pred(this.posts)) return false;
				clearTimeout(timer);
				this.waiters = this.waiters.filter((w) => w !== check);
				resolve(this.posts);
				return true;
			};
			const timer = setTimeout(() => {
				this.waiters = this.waiters.filter((w) => w !== check);
				reject(new Error(`relay: timed out waiting for ${what}; got ${JSON.stringify(this.posts.map((p) => [p.headers['x-linli-delivery'], p.status]))}`));
			}, timeoutMs);
			if (!check()) this.waiters.push(check);
		});
	}
}

// Checks X-Linli-Signature the way a relay must: HMAC-SHA256 over "t.body".
export function signatureValid(post, secret = RELAY_SECRET) {
	const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(post.headers['x-linli-signature'] || '');
	if (!m) return false;
	const want = crypto.createHmac('sha256', secret).update(`${m[1]}.${post.raw}`).digest('hex');
	return crypto.timingSafeEqual(Buffer.from(want), Buffer.from(m[2])) &&
		Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}
