// A content-check stand-in (内容安全): a real HTTP server on loopback that
// records every signed POST and answers by a rule on the text. 违规 in a
// text: reject (label "politics"); 待审: review (label "ad"); 不回答: no
// answer at all (the gateway's time-out decides); anything else: pass.
import http from 'node:http';
import { RELAY_SECRET } from './relay.mjs';

export const CHECK_SECRET = RELAY_SECRET;

// A JPEG's width, from its first start-of-frame segment (0: not a JPEG).
export function jpegWidth(b) {
	if (b.length < 4 || b[0] !== 0xFF || b[1] !== 0xD8) return 0;
	for (let i = 2; i + 9 < b.length && b[i] === 0xFF;) {
		const m = b[i + 1];
		if (m >= 0xC0 && m <= 0xCF && m !== 0xC4 && m !== 0xC8 && m !== 0xCC) return b.readUInt16BE(i + 7);
		i += 2 + b.readUInt16BE(i + 2);
	}
	return 0;
}

export class Checker {
	constructor() {
		this.posts = [];  // {headers, raw, body}
		this.hung = [];
	}

	async start(h) {
		this.server = http.createServer((req, res) => {
			let raw = '';
			req.setEncoding('utf8');
			req.on('data', (d) => { raw += d; });
			req.on('end', () => {
				let body = null;
				try { body = JSON.parse(raw); } catch { /* recorded raw */ }
				this.posts.push({ headers: req.headers, raw, body });
				const text = body?.text || '';
				if (text.includes('不回答')) { this.hung.push(res); return; }
				// A photo (kind "image", its thumbnail in image_base64): by its
				// width, 123 px reject, 124 px review, any other pass.
				const width = body?.kind === 'image' ? jpegWidth(Buffer.from(body.image_base64 || '', 'base64')) : 0;
				const answer = text.includes('违规') || width === 123 ? { result: 'reject', label: 'politics' }
					: text.includes('待审') || width === 124 ? { result: 'review', label: 'ad' } : { result: 'pass' };
				res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
			});
		});
		await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
		this.port = this.server.address().port;
		h.onCleanup(() => this.stop());
		return this;
	}

	stop() {
		for (const res of this.hung) res.destroy();
		return new Promise((r) => { this.server.closeAllConnections?.(); this.server.close(() => r()); });
	}

	get url() { return `http://127.0.0.1:${this.port}/check`; }

	config(extra = {}) {
		return { content_check_url: this.url, content_check_secret: CHECK_SECRET, ...extra };
	}

	// The checks made of photos.
	images() { return this.posts.filter((p) => p.body?.kind === 'image'); }

	// The checks made of texts containing s.
	about(s) { return this.posts.filter((p) => p.body?.text?.includes(s)); }
}
