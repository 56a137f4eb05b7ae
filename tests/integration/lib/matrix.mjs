// The authorization-matrix runner: a table of expected answers (one row per
// request or channel, one column per actor), the observed table printed as
// a diagnostic, and one failure that lists every cell that differs.
//
// Used by the account, forum and help matrices; rows may add per-cell
// checks (privacy of what a read returns, nothing changed by a refused
// write).
import assert from 'node:assert/strict';

export const ERROR_CODES = {
	400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict',
};

// What a WebSocket `sub` may answer in a channel row.
export const SUBBED = 'subbed', FORBIDDEN = 'forbidden', UNAUTHORIZED = 'unauthorized', CLOSED_4001 = 'closed 4001';

// want: a value, or an array of acceptable values.
export const accepts = (want, got) => (Array.isArray(want) ? want.includes(got) : want === got);

export class Matrix {
	constructor(actors) {
		this.actors = actors;
		this.observed = []; // [name, got, expect]
		this.mismatches = [];
	}

	// Expected answers in actor order: m.X(401, 403, ...).
	X = (...v) => {
		assert.equal(v.length, this.actors.length, `a row needs ${this.actors.length} cells (${this.actors}), got ${v.length}`);
		return Object.fromEntries(this.actors.map((a, i) => [a, v[i]]));
	};

	problem(msg) { this.mismatches.push(msg); }

	// rows: [name, make(actor) -> {method, path, body?, token?, check?}, expect].
	// `token` (even undefined) overrides tokens[actor]; check(res, actor)
	// runs after the request whatever its status and returns a problem (a
	// string), a list of them, or nothing.
	async http(gw, tokens, rows) {
		for (const [name, make, expect] of rows) {
			const got = {};
			for (const actor of this.actors) {
				const r = await make(actor);
				const token = 'token' in r ? r.token : tokens[actor];
				const res = await gw.request(r.method, r.path, { token, body: r.body });
				got[actor] = res.status;
				if (!accepts(expect[actor], res.status)) {
					this.problem(`${name} as ${actor}: expected ${expect[actor]}, got ${res.status} ${res.text.slice(0, 160)}`);
				} else if (res.status >= 400) {
					const code = ERROR_CODES[res.status];
					if (!res.json || !res.json.error || res.json.error.code !== code)
						this.problem(`${name} as ${actor}: ${res.status} without error code ${code}: ${res.text.slice(0, 160)}`);
				}
				if (r.check) {
					let p;
					try {
						p = await r.check(res, actor);
					} catch (e) {
						p = `check threw: ${e.stack || e}`;
					}
					for (const msg of [p].flat().filter(Boolean)) this.problem(`${name} as ${actor}: ${msg}`);
				}
			}
			this.observed.push([name, got, expect]);
		}
	}

	// One WebSocket per actor with a token (or none: anonymous), past
	// hello/authed. Actors in `closing` (tampered tokens) get none.
	async sockets(h, gw, tokens, { closing = [] } = {}) {
		const sockets = {};
		for (const actor of this.actors) {
			if (closing.includes(actor)) continue;
			const c = await h.ws(gw, { token: tokens[actor], label: actor });
			await c.next({ op: 'hello' });
			if (tokens[actor]) await c.next({ op: 'authed' });
			sockets[actor] = c;
		}
		return sockets;
	}

	// rows: [name, ch (a string, or actor -> string), expect]. The answer is
	// 'subbed' or the error code; for actors in `closing`, CLOSED_4001 when
	// their token closes the socket with 4001 both in the upgrade header and
	// in an auth frame (and neither socket was authed or subbed). Returns
	// {actor: Set of channels subscribed}.
	async channels(h, gw, tokens, sockets, rows, { closing = [] } = {}) {
		const subbedBy = Object.fromEntries(this.actors.map((a) => [a, new Set()]));
		let n = 0;
		for (const [name, chOf, expect] of rows) {
			const got = {};
			for (const actor of this.actors) {
				const ch = typeof chOf === 'function' ? chOf(actor) : chOf;
				let answer;
				if (closing.includes(actor)) {
					const viaHeader = await h.ws(gw, { token: tokens[actor], label: `${actor} header` });
					const c1 = await viaHeader.closed(5000);
					const viaFrame = await h.ws(gw, { label: `${actor} frame` });
					viaFrame.send({ op: 'auth', token: tokens[actor] });
					viaFrame.send({ op: 'sub', ch, ref: 'x' });
					const c2 = await viaFrame.closed(5000);
					const authed = [viaHeader, viaFrame].some((c) => c.frames.some((f) => f.op === 'authed' || f.op === 'subbed'));
					answer = c1.code === 4001 && c2.code === 4001 && !authed ? CLOSED_4001
						: `closed ${c1.code}/${c2.code}${authed ? ' after authed' : ''}`;
				} else {
					const c = sockets[actor];
					const ref = `m${++n}`;
					c.send({ op: 'sub', ch, ref });
					const f = await c.next((x) => x.ref === ref && (x.op === 'subbed' || x.op === 'error'), 5000);
					answer = f.op === 'subbed' ? SUBBED : f.code;
					if (f.op === 'subbed') {
						subbedBy[actor].add(ch);
						if (f.ch !== ch || !Number.isInteger(f.seq)) this.problem(`sub ${ch} as ${actor}: odd subbed ${JSON.stringify(f)}`);
					}
				}
				got[actor] = answer;
				if (!accepts(expect[actor], answer)) this.problem(`sub ${name} (${ch}) as ${actor}: expected ${expect[actor]}, got ${answer}`);
			}
			this.observed.push([`sub ${name}`, got, expect]);
		}
		return subbedBy;
	}

	// The observed table, "x!=y" where y was expected.
	print(t, title, cw = 11) {
		const w = Math.max(...this.observed.map(([name]) => name.length));
		t.diagnostic(`${title} (observed; "x!=y" where y was expected):`);
		t.diagnostic(`${''.padEnd(w)} | ${this.actors.map((a) => a.padEnd(cw)).join('| ')}`);
		for (const [name, got, expect] of this.observed) {
			t.diagnostic(`${name.padEnd(w)} | ${this.actors.map((a) => {
				const g = String(got[a]);
				return (accepts(expect[a], got[a]) ? g : `${g}!=${expect[a]}`).padEnd(cw);
			}).join('| ')}`);
		}
	}

	assertClean() {
		assert.deepEqual(this.mismatches, [], `cells that differ from the expected matrix:\n  ${this.mismatches.join('\n  ')}`);
	}
}
