// Who may do what: every account and community endpoint and every channel
// kind, tried by an anonymous caller, a caller with a tampered token, a
// resident of community A, a resident of B, staff of A and an admin. The
// expected answers are one table; the observed one is printed as a
// diagnostic, and every cell that differs is listed in the failure.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import {
	FAST, register, login, makeAdmin, createCommunity, appoint, addMember, invite, tamper,
} from './lib/accounts.mjs';

const ACTORS = ['anon', 'tampered', 'resA', 'resB', 'staffA', 'admin'];

// Expected answers, in ACTORS order.
const X = (...v) => Object.fromEntries(ACTORS.map((a, i) => [a, v[i]]));

itest('authorization matrix: endpoints and channels by role', async (h, t) => {
	const gw = await h.gateway({ config: FAST });
	const admin = await makeAdmin(gw);
	const A = await createCommunity(gw, admin.access, '社区A');
	const B = await createCommunity(gw, admin.access, '社区B');
	const C = await createCommunity(gw, admin.access, '社区C');
	const resA = await register(gw, { display_name: 'resident of A' });
	const resB = await register(gw, { display_name: 'resident of B' });
	const staffA = await register(gw, { display_name: 'staff of A' });
	await appoint(gw, admin.access, A.id, staffA.id);
	await addMember(gw, admin.access, A.id, resA);
	await addMember(gw, admin.access, B.id, resB);
	const users = { resA, resB, staffA, admin };
	const tokens = {
		anon: undefined,
		tampered: tamper(resA.access),
		resA: resA.access, resB: resB.access, staffA: staffA.access, admin: admin.access,
	};
	const NO = 999999;
	const pub = (ch, type = 'announcement') => ({
		method: 'POST', path: `/v1/channels/${encodeURIComponent(ch)}/events`, body: { type, data: { by: 'matrix' } },
	});

	// HTTP rows: the request an actor makes, and the status each one gets.
	const rows = [
		['GET /v1/me', () => ({ method: 'GET', path: '/v1/me' }), X(401, 401, 200, 200, 200, 200)],
		['POST /v1/communities', () => ({ method: 'POST', path: '/v1/communities', body: { name: 'new', grids: ['g'] } }),
			X(401, 401, 403, 403, 403, 201)],
		['GET /v1/communities/A', () => ({ method: 'GET', path: `/v1/communities/${A.id}` }), X(401, 401, 200, 403, 200, 200)],
		['GET /v1/communities/B', () => ({ method: 'GET', path: `/v1/communities/${B.id}` }), X(401, 401, 403, 200, 403, 200)],
		['GET /v1/communities/none', () => ({ method: 'GET', path: `/v1/communities/${NO}` }), X(401, 401, 404, 404, 404, 404)],
		['POST A/staff', () => ({ method: 'POST', path: `/v1/communities/${A.id}/staff`, body: { user_id: staffA.id } }),
			X(401, 401, 403, 403, 403, 200)],
		['POST A/invites resident', () => ({ method: 'POST', path: `/v1/communities/${A.id}/invites`, body: { role: 'resident' } }),
			X(401, 401, 403, 403, 201, 201)],
		['POST A/invites staff', () => ({ method: 'POST', path: `/v1/communities/${A.id}/invites`, body: { role: 'staff' } }),
			X(401, 401, 403, 403, 201, 201)],
		['POST B/invites', () => ({ method: 'POST', path: `/v1/communities/${B.id}/invites`, body: { role: 'resident' } }),
			X(401, 401, 403, 403, 403, 201)],
		['POST none/invites', () => ({ method: 'POST', path: `/v1/communities/${NO}/invites`, body: { role: 'resident' } }),
			X(401, 401, 404, 404, 404, 404)],
		['PUT A/volunteer', () => ({ method: 'PUT', path: `/v1/communities/${A.id}/volunteer`,
			body: { categories: ['errand'], grids: ['一网格'], active: true } }), X(401, 401, 200, 403, 200, 403)],
		['PUT B/volunteer', () => ({ method: 'PUT', path: `/v1/communities/${B.id}/volunteer`,
			body: { categories: ['errand'], grids: [], active: true } }), X(401, 401, 403, 200, 403, 403)],
		['PUT A/members/resA', () => ({ method: 'PUT', path: `/v1/communities/${A.id}/members/${resA.id}`, body: { role: 'resident' } }),
			X(401, 401, 403, 403, 200, 200)],
		['PUT B/members/resB', () => ({ method: 'PUT', path: `/v1/communities/${B.id}/members/${resB.id}`, body: { role: 'resident' } }),
			X(401, 401, 403, 403, 403, 200)],
		['GET A/members', () => ({ method: 'GET', path: `/v1/communities/${A.id}/members` }), X(401, 401, 403, 403, 200, 200)],
		['GET B/members', () => ({ method: 'GET', path: `/v1/communities/${B.id}/members` }), X(401, 401, 403, 403, 403, 200)],
		['GET A/audit', () => ({ method: 'GET', path: `/v1/communities/${A.id}/audit` }), X(401, 401, 403, 403, 200, 200)],
		['GET B/audit', () => ({ method: 'GET', path: `/v1/communities/${B.id}/audit` }), X(401, 401, 403, 403, 403, 200)],
		['publish community:A announcement', () => pub(`community:${A.id}`), X(401, 401, 403, 403, 201, 201)],
		['publish community:A other type', () => pub(`community:${A.id}`, 'thread.created'), X(401, 401, 403, 403, 403, 201)],
		['publish community:B announcement', () => pub(`community:${B.id}`), X(401, 401, 403, 403, 403, 201)],
		['publish help:A announcement', () => pub(`help:${A.id}`), X(401, 401, 403, 403, 403, 201)],
		['publish mod:A announcement', () => pub(`mod:${A.id}`), X(401, 401, 403, 403, 403, 201)],
		['publish user:resA notification', () => pub(`user:${resA.id}`, 'notification'), X(401, 401, 403, 403, 403, 201)],
		['publish thread:1 post.created', () => pub('thread:1', 'post.created'), X(401, 401, 403, 403, 403, 201)],
		// A fresh invite to C for each caller: everyone signed in may join.
		['POST C/join (valid code)', async () => {
			const inv = await invite(gw, admin.access, C.id, { role: 'resident' });
			return { method: 'POST', path: `/v1/communities/${C.id}/join`, body: { code: inv.code } };
		}, X(401, 401, 200, 200, 200, 200)],
		// A fresh session for each caller, so the shared tokens live on.
		['POST /v1/auth/logout (own session)', async (actor) => {
			let token;
			if (users[actor]) token = (await login(gw, users[actor].phone, users[actor].password)).access;
			if (actor === 'tampered') token = tamper((await login(gw, resA.phone, resA.password)).access);
			return { method: 'POST', path: '/v1/auth/logout', token };
		}, X(401, 401, 204, 204, 204, 204)],
	];

	const observed = [];
	const mismatches = [];
	await h.sub(t, 'HTTP endpoints', async () => {
		for (const [name, make, expect] of rows) {
			const got = {};
			for (const actor of ACTORS) {
				const r = await make(actor);
				const token = 'token' in r ? r.token : tokens[actor];
				const res = await gw.request(r.method, r.path, { token, body: r.body });
				got[actor] = res.status;
				if (res.status !== expect[actor])
					mismatches.push(`${name} as ${actor}: expected ${expect[actor]}, got ${res.status} ${res.text.slice(0, 160)}`);
				else if (res.status >= 400) {
					const code = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' }[res.status];
					if (!res.json || !res.json.error || res.json.error.code !== code)
						mismatches.push(`${name} as ${actor}: ${res.status} without error code ${code}: ${res.text.slice(0, 160)}`);
				}
			}
			observed.push([name, got, expect]);
		}
	});

	// Channel rows: what a sub answers ('subbed', 'forbidden',
	// 'unauthorized'), or 'closed 4001' for a tampered token.
	const S = 'subbed', F = 'forbidden', U = 'unauthorized', T = 'closed 4001';
	const channels = [
		[`community:${A.id}`, X(U, T, S, F, S, S)],
		[`community:${B.id}`, X(U, T, F, S, F, S)],
		[`help:${A.id}`, X(U, T, S, F, S, S)],
		[`help:${B.id}`, X(U, T, F, S, F, S)],
		[`mod:${A.id}`, X(U, T, F, F, S, S)],
		[`mod:${B.id}`, X(U, T, F, F, F, S)],
		[`user:${resA.id}`, X(U, T, S, F, F, S)],
		[`user:${resB.id}`, X(U, T, F, S, F, S)],
		[`user:${staffA.id}`, X(U, T, F, F, S, S)],
		[`user:${admin.id}`, X(U, T, F, F, F, S)],
		['thread:1', X(U, T, F, F, F, S)], // no forums yet: no thread exists
	];
	const sockets = {};
	const subbedBy = Object.fromEntries(ACTORS.map((a) => [a, new Set()]));
	await h.sub(t, 'WebSocket subscriptions', async () => {
		for (const actor of ['anon', 'resA', 'resB', 'staffA', 'admin']) {
			const c = await h.ws(gw, { token: tokens[actor], label: actor });
			await c.next({ op: 'hello' });
			if (tokens[actor]) await c.next({ op: 'authed' });
			sockets[actor] = c;
		}
		let n = 0;
		for (const [ch, expect] of channels) {
			const got = {};
			for (const actor of ACTORS) {
				let answer;
				if (actor === 'tampered') {
					// In the upgrade header and in an auth frame: 4001 either way.
					const viaHeader = await h.ws(gw, { token: tokens.tampered, label: 'tampered header' });
					const c1 = await viaHeader.closed(5000);
					const viaFrame = await h.ws(gw, { label: 'tampered frame' });
					viaFrame.send({ op: 'auth', token: tokens.tampered });
					viaFrame.send({ op: 'sub', ch, ref: 'x' });
					const c2 = await viaFrame.closed(5000);
					const authed = [viaHeader, viaFrame].some((c) => c.frames.some((f) => f.op === 'authed' || f.op === 'subbed'));
					answer = c1.code === 4001 && c2.code === 4001 && !authed ? T : `closed ${c1.code}/${c2.code}${authed ? ' after authed' : ''}`;
				} else {
					const c = sockets[actor];
					const ref = `r${++n}`;
					c.send({ op: 'sub', ch, ref });
					const f = await c.next((x) => x.ref === ref && (x.op === 'subbed' || x.op === 'error'), 5000);
					answer = f.op === 'subbed' ? S : f.code;
					if (f.op === 'subbed') {
						subbedBy[actor].add(ch);
						if (f.ch !== ch || !Number.isInteger(f.seq)) mismatches.push(`${ch} as ${actor}: odd subbed ${JSON.stringify(f)}`);
					}
				}
				got[actor] = answer;
				if (answer !== expect[actor])
					mismatches.push(`sub ${ch} as ${actor}: expected ${expect[actor]}, got ${answer}`);
			}
			observed.push([`sub ${ch}`, got, expect]);
		}
	});

	await h.sub(t, 'events reach exactly the subscribers allowed', async () => {
		// One event on every channel, then a marker on each actor's own
		// user channel (admin: its own) to know everything before it arrived.
		for (const [ch] of channels) await gw.publish(admin.access, ch, 'announcement', { probe: ch });
		const own = { resA: `user:${resA.id}`, resB: `user:${resB.id}`, staffA: `user:${staffA.id}`, admin: `user:${admin.id}` };
		for (const ch of Object.values(own)) await gw.publish(admin.access, ch, 'announcement', { marker: true });
		for (const [actor, ch] of Object.entries(own)) {
			const c = sockets[actor];
			await c.waitFor((f) => f.op === 'event' && f.ch === ch && f.data && f.data.marker, 5000);
			const seen = new Set(c.events().filter((e) => e.data && e.data.probe).map((e) => e.ch));
			const want = [...subbedBy[actor]].sort();
			if (JSON.stringify([...seen].sort()) !== JSON.stringify(want))
				mismatches.push(`${actor} received probes on ${[...seen].sort()} but is subscribed to ${want}`);
		}
		assert.equal(sockets.anon.events().length, 0, 'the anonymous socket received no events');
	});

	// The table, as a diagnostic.
	const w = Math.max(...observed.map(([n]) => n.length));
	const cw = 13;
	const lines = [`${''.padEnd(w)} | ${ACTORS.map((a) => a.padEnd(cw)).join('| ')}`];
	lines.push('-'.repeat(lines[0].length));
	for (const [name, got, expect] of observed) {
		lines.push(`${name.padEnd(w)} | ${ACTORS.map((a) => {
			const g = String(got[a]);
			return (g === String(expect[a]) ? g : `${g}!=${expect[a]}`).padEnd(cw);
		}).join('| ')}`);
	}
	t.diagnostic('authorization matrix (observed; "x!=y" where y was expected):');
	for (const l of lines) t.diagnostic(l);
	assert.deepEqual(mismatches, [], `cells that differ from the expected matrix:\n  ${mismatches.join('\n  ')}`);
});
