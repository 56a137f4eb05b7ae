// Who may do what in neighbour help, the inbox and push devices: every
// endpoint, and `sub` to help:{cid} and user:{uid}, tried by an anonymous
// caller, a tampered token, a member of another community (resB), a resident
// of A who is not the requester (resA), the requester, the volunteer who
// claimed (volC), another active volunteer (volN), staff of A and an admin
// who is a member of neither. Reads are checked for privacy (contact,
// details and thanks only for the requester, the claiming volunteer while
// the help is under way, staff and admins; for everyone else contact and
// thanks are absent and details is "" with details_hidden); refused
// writes are checked to have changed nothing (the request as its requester
// sees it, the unread counts of those a transition would notify, someone
// else's inbox and devices). The expected answers are one table; the
// observed one is printed as a diagnostic and every cell that differs is
// listed in the failure.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus, tamper } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { HELP, ev, note, volunteer, createHelp, getHelp, helpAction, helpList } from './lib/help.mjs';
import { Matrix, SUBBED as S, FORBIDDEN as F, UNAUTHORIZED as U, CLOSED_4001 as T } from './lib/matrix.mjs';

const ACTORS = ['anon', 'tampered', 'resB', 'resA', 'requester', 'volC', 'volN', 'staff', 'admin'];
// Many writes from one user and one address inside a minute.
const CONFIG = { ...FORUM_CONFIG, rate_writes_per_user: 100000, rate_writes_per_ip: 1000000 };
const NO = 999999;
const THANKS = '谢谢邻居！';
const ABSENT = ['contact', 'thanks']; // for those who may not see them; details is blanked
// True when d shows nothing private: no contact or thanks, details blank.
const bareOf = (d) => !ABSENT.some((k) => k in d) && d.details === '' && d.details_hidden === true;

itest('help authorization matrix: help, inbox and device endpoints and help/user channels by role', async (h, t) => {
	const gw = await h.gateway({ config: CONFIG });
	const { admin, A, B, staff, residents: [resA, requester, volC, volN], resB } = await forumWorld(gw, { residents: 4 });
	const users = { resB, resA, requester, volC, volN, staff, admin };
	const ids = Object.fromEntries(Object.entries(users).map(([a, s]) => [a, s.id]));
	const tokens = { anon: undefined, tampered: tamper(requester.access) };
	for (const [a, s] of Object.entries(users)) tokens[a] = s.access;
	const m = new Matrix(ACTORS);
	const X = m.X;

	await volunteer(gw, volC, A.id);
	await volunteer(gw, volN, A.id);
	// Fixed requests for the reads: open, claimed by volC, confirmed (with
	// thanks) for each volunteer so the ledger has two rows, and one in B.
	const hOpen = await createHelp(gw, requester, A.id, { title: '开着的请求' });
	const hClaimed = await createHelp(gw, requester, A.id, { title: '已认领' });
	await helpAction(gw, volC, hClaimed.id, 'claim');
	const confirmed = {};
	for (const v of [volC, volN]) {
		const r = await createHelp(gw, requester, A.id, { title: '已完成' });
		await helpAction(gw, v, r.id, 'claim');
		await helpAction(gw, v, r.id, 'done');
		await helpAction(gw, requester, r.id, 'confirm', 200, { rating: 5, thanks: THANKS });
		confirmed[v.id] = r;
	}
	const hConfC = confirmed[volC.id];
	const hB = await createHelp(gw, resB, B.id, { title: '和平里的请求' });

	// --- privacy ------------------------------------------------------------

	// Who should see contact/details/thanks of request r (as listed).
	const seesPrivate = (actor, r) => actor === 'admin' || (actor === 'staff' && r.community_id === A.id) ||
		r.requester_id === ids[actor] ||
		(r.volunteer_id !== null && r.volunteer_id === ids[actor] && ['claimed', 'done'].includes(r.status));
	// Problems with what `actor` was shown of r; `full` is who should see.
	const privacy = (actor, r, full, what) => {
		const p = [];
		if (full) {
			if (r.contact !== HELP.contact) p.push(`${what}: contact ${JSON.stringify(r.contact)}, expected ${JSON.stringify(HELP.contact)}`);
			if (r.details !== HELP.details) p.push(`${what}: details ${JSON.stringify(r.details)}, expected ${JSON.stringify(HELP.details)}`);
			if (r.status === 'confirmed' && r.thanks !== THANKS) p.push(`${what}: thanks ${JSON.stringify(r.thanks)}`);
		} else {
			for (const k of ABSENT) if (k in r) p.push(`${what}: ${k} shown to ${actor}: ${JSON.stringify(r[k])}`);
			if (r.details !== '' || r.details_hidden !== true) p.push(`${what}: details ${JSON.stringify(r.details)} shown to ${actor}`);
		}
		return p;
	};
	// A row for GET /v1/help/{hid}: `full` lists who sees the private fields.
	const getRow = (name, hid, full, expect) => [name, () => ({
		method: 'GET', path: `/v1/help/${hid}`,
		check: (res, actor) => {
			if (res.status !== 200) return null;
			const r = res.json.request;
			if (r.id !== hid) return `answered request ${r.id}`;
			return privacy(actor, r, full.includes(actor), `request ${hid}`);
		},
	}), expect];
	// A list row: the fixed requests are there, each item private unless
	// seesPrivate, and exactly as named in `full` for the fixed ones.
	const listRow = (name, cid, fixed, expect) => [name, () => ({
		method: 'GET', path: `/v1/communities/${cid}/help?limit=200`,
		check: (res, actor) => {
			if (res.status !== 200) return null;
			const p = [];
			const items = res.json.items;
			if (res.json.next_cursor !== null) p.push('more than one page');
			for (const [hid, full] of fixed) {
				const r = items.find((x) => x.id === hid);
				if (!r) p.push(`request ${hid} missing from the list`);
				else p.push(...privacy(actor, r, full.includes(actor), `listed ${hid}`));
			}
			for (const r of items) {
				if (r.community_id !== cid) p.push(`request ${r.id} of community ${r.community_id} listed`);
				p.push(...privacy(actor, r, seesPrivate(actor, r), `listed ${r.id}`));
			}
			return p;
		},
	}), expect];

	// --- state snapshots for refused writes ---------------------------------

	const unreadOf = async (s) => {
		const r = await gw.request('GET', '/v1/notifications?limit=1', { token: s.access });
		expectStatus(r, 200, `inbox of ${s.id}`);
		return r.json.unread;
	};
	const asOwner = (cid) => (cid === A.id ? requester : resB);
	// A request in state open/claimed (by volC)/done (by volC), made afresh.
	async function fresh(state, cid = A.id) {
		const r = await createHelp(gw, asOwner(cid), cid, { title: `新请求 ${state}` });
		if (state !== 'open') await helpAction(gw, volC, r.id, 'claim');
		if (state === 'done') await helpAction(gw, volC, r.id, 'done');
		return r.id;
	}
	// What each transition leaves when it succeeds, from the state before.
	const after = {
		claim: (b, actor) => ({ status: 'claimed', volunteer_id: ids[actor] }),
		unclaim: () => ({ status: 'open', volunteer_id: null }),
		done: (b) => ({ status: 'done', volunteer_id: b.volunteer_id }),
		confirm: (b) => ({ status: 'confirmed', volunteer_id: b.volunteer_id }),
		cancel: (b) => ({ status: 'cancelled', volunteer_id: b.volunteer_id }),
	};
	// Whether the caller sees the contact in a transition's 200 answer.
	const answerFull = { claim: true, unclaim: false, done: true, confirm: true, cancel: true };
	// POST /v1/help/{hid}/{action} on a fresh request per caller. A refused
	// one leaves the request (as its requester sees it) and the unread counts
	// of the requester and volC exactly as they were; one that succeeds makes
	// exactly the documented transition.
	const transitionRow = (action, state, expect, { cid = A.id, body } = {}) => [`POST ${action} (${state}${cid === A.id ? '' : ', in B'})`, async () => {
		const hid = await fresh(state, cid);
		const owner = asOwner(cid);
		const before = await getHelp(gw, owner, hid);
		const unread = [await unreadOf(owner), await unreadOf(volC)];
		return {
			method: 'POST', path: `/v1/help/${hid}/${action}`, body,
			check: async (res, actor) => {
				const now = await getHelp(gw, owner, hid);
				if (res.status !== 200) {
					const p = [];
					try { assert.deepEqual(now, before); } catch { p.push(`refused, yet the request changed: ${JSON.stringify(before)} -> ${JSON.stringify(now)}`); }
					const u = [await unreadOf(owner), await unreadOf(volC)];
					if (u[0] !== unread[0] || u[1] !== unread[1]) p.push(`refused, yet unread counts (owner, volC) went ${unread} -> ${u}`);
					return p;
				}
				const want = after[action](before, actor);
				const p = [];
				if (now.status !== want.status || now.volunteer_id !== want.volunteer_id)
					p.push(`200 left status ${now.status} volunteer ${now.volunteer_id}, expected ${want.status} ${want.volunteer_id}`);
				p.push(...privacy(actor, res.json.request, answerFull[action], `${action} answer`));
				return p;
			},
		};
	}, expect];

	// --- inbox and devices ---------------------------------------------------

	const inboxIds = {};
	const ownsNote = (actor, n) => {
		const d = n.data || {};
		const me = ids[actor];
		switch (n.type) {
		case 'help.request': return ['volC', 'volN'].includes(actor) && d.requester_id !== me;
		case 'help.claimed': case 'help.unclaimed': case 'help.done': case 'help.expired': return d.requester_id === me;
		case 'help.cancelled': return d.volunteer_id === me;
		case 'help.confirmed': return ['volC', 'volN'].includes(actor);
		default: return false;
		}
	};
	const MAX = Number.MAX_SAFE_INTEGER;
	const devicesOf = async (s) => {
		const r = await gw.request('GET', '/v1/devices', { token: s.access });
		expectStatus(r, 200, `devices of ${s.id}`);
		return r.json.items.map((d) => d.id);
	};
	let tokenSeq = 0;
	const newToken = (who) => `push-${who}-${++tokenSeq}-${'x'.repeat(12)}`;
	const registered = {}; // actor -> device ids registered in the POST row

	const rows = [
		// First, so resA, the requester and staff have an inactive profile
		// when they try to claim below; admins are not members.
		['PUT A/volunteer', (actor) => ({
			method: 'PUT', path: `/v1/communities/${A.id}/volunteer`,
			body: { categories: ['errand'], grids: [], active: actor === 'volC' || actor === 'volN' },
		}), X(401, 401, 403, 200, 200, 200, 200, 200, 403)],
		['PUT B/volunteer', () => ({
			method: 'PUT', path: `/v1/communities/${B.id}/volunteer`, body: { categories: ['errand'], grids: [], active: false },
		}), X(401, 401, 200, 403, 403, 403, 403, 403, 403)],
		['PUT none/volunteer', () => ({
			method: 'PUT', path: `/v1/communities/${NO}/volunteer`, body: { categories: ['errand'], grids: [], active: false },
		}), X(401, 401, 404, 404, 404, 404, 404, 404, 404)],

		// Creating: members (and admins) of the community; the creator is
		// the requester and sees its own contact and details.
		...[['A', A.id, X(401, 401, 403, 201, 201, 201, 201, 201, 201)], ['B', B.id, X(401, 401, 201, 403, 403, 403, 403, 403, 201)],
			['none', NO, X(401, 401, 404, 404, 404, 404, 404, 404, 404)]].map(([n, cid, expect]) => [`POST ${n}/help`, () => ({
			method: 'POST', path: `/v1/communities/${cid}/help`, body: { ...HELP, title: '矩阵新建' },
			check: (res, actor) => {
				if (res.status !== 201) return null;
				const r = res.json.request;
				const p = privacy(actor, r, true, 'created');
				if (r.requester_id !== ids[actor] || r.community_id !== cid || r.status !== 'open' || r.volunteer_id !== null)
					p.push(`created ${JSON.stringify(r)}`);
				return p;
			},
		}), expect]),

		listRow('GET A/help', A.id, [
			[hOpen.id, ['requester', 'staff', 'admin']],
			[hClaimed.id, ['requester', 'volC', 'staff', 'admin']],
			[hConfC.id, ['requester', 'staff', 'admin']], // confirmed: volC no longer
		], X(401, 401, 403, 200, 200, 200, 200, 200, 200)),
		listRow('GET B/help', B.id, [[hB.id, ['resB', 'admin']]], X(401, 401, 200, 403, 403, 403, 403, 403, 200)),
		['GET none/help', () => ({ method: 'GET', path: `/v1/communities/${NO}/help` }), X(401, 401, 404, 404, 404, 404, 404, 404, 404)],
		getRow('GET help open', hOpen.id, ['requester', 'staff', 'admin'], X(401, 401, 403, 200, 200, 200, 200, 200, 200)),
		getRow('GET help claimed', hClaimed.id, ['requester', 'volC', 'staff', 'admin'], X(401, 401, 403, 200, 200, 200, 200, 200, 200)),
		getRow('GET help confirmed', hConfC.id, ['requester', 'staff', 'admin'], X(401, 401, 403, 200, 200, 200, 200, 200, 200)),
		getRow('GET help in B', hB.id, ['resB', 'admin'], X(401, 401, 200, 403, 403, 403, 403, 403, 200)),
		['GET help none', () => ({ method: 'GET', path: `/v1/help/${NO}` }), X(401, 401, 404, 404, 404, 404, 404, 404, 404)],

		// The ledger: staff and admins see every volunteer, others themselves.
		['GET A/ledger', () => ({
			method: 'GET', path: `/v1/communities/${A.id}/ledger`,
			check: (res, actor) => {
				if (res.status !== 200) return null;
				const got = res.json.items.map((x) => x.user_id).sort((a, b) => a - b);
				const want = ['staff', 'admin'].includes(actor) ? [volC.id, volN.id].sort((a, b) => a - b)
					: ['volC', 'volN'].includes(actor) ? [ids[actor]] : [];
				return JSON.stringify(got) === JSON.stringify(want) ? null : `ledger rows for ${got}, expected ${want}`;
			},
		}), X(401, 401, 403, 200, 200, 200, 200, 200, 200)],
		['GET B/ledger', () => ({ method: 'GET', path: `/v1/communities/${B.id}/ledger` }), X(401, 401, 200, 403, 403, 403, 403, 403, 200)],
		['GET none/ledger', () => ({ method: 'GET', path: `/v1/communities/${NO}/ledger` }), X(401, 401, 404, 404, 404, 404, 404, 404, 404)],

		// Transitions. Claim: active volunteers of the community only, never
		// one's own (409); anyone but the claiming volunteer (unclaim, done)
		// or the requester (confirm, cancel) gets 403, whatever the state.
		transitionRow('claim', 'open', X(401, 401, 403, 403, 409, 200, 200, 403, 403)),
		transitionRow('claim', 'claimed', X(401, 401, 403, 403, 409, 409, 409, 403, 403)),
		transitionRow('claim', 'open', X(401, 401, 409, 403, 403, 403, 403, 403, 403), { cid: B.id }),
		transitionRow('unclaim', 'claimed', X(401, 401, 403, 403, 403, 200, 403, 403, 403)),
		transitionRow('done', 'claimed', X(401, 401, 403, 403, 403, 200, 403, 403, 403)),
		transitionRow('confirm', 'done', X(401, 401, 403, 403, 200, 403, 403, 403, 403), { body: { rating: 4, thanks: THANKS } }),
		transitionRow('cancel', 'open', X(401, 401, 403, 403, 200, 403, 403, 403, 403)),
		transitionRow('cancel', 'claimed', X(401, 401, 403, 403, 200, 403, 403, 403, 403)),
		...['claim', 'unclaim', 'done', 'confirm', 'cancel'].map((action) => [`POST ${action} (none)`, () => ({
			method: 'POST', path: `/v1/help/${NO}/${action}`,
		}), X(401, 401, 404, 404, 404, 404, 404, 404, 404)]),

		// The inbox: one's own notifications only, never with contact.
		['GET /v1/notifications', () => ({
			method: 'GET', path: '/v1/notifications?limit=200',
			check: (res, actor) => {
				if (res.status !== 200) return null;
				const p = [];
				const items = res.json.items;
				if (res.json.next_cursor !== null) p.push('more than one page');
				inboxIds[actor] = items.map((n) => n.id);
				for (const n of items) {
					if (!ownsNote(actor, n)) p.push(`notification not meant for ${actor}: ${JSON.stringify(n).slice(0, 200)}`);
					if (n.data && 'contact' in n.data) p.push(`notification ${n.id} carries contact`);
					if (n.data && n.data.details) p.push(`notification ${n.id} carries details`);
				}
				const types = new Set(items.map((n) => n.type));
				const need = { requester: ['help.claimed', 'help.done'], volC: ['help.request', 'help.confirmed'], volN: ['help.request', 'help.confirmed'] }[actor];
				if (need) for (const ty of need) if (!types.has(ty)) p.push(`no ${ty} in the inbox`);
				if (!need && items.length) p.push(`${items.length} notifications, expected none`);
				return p;
			},
		}), X(401, 401, 200, 200, 200, 200, 200, 200, 200)],
		// Mark-read touches only the caller's own: the requester, volC and
		// volN each have fresh unread notifications before every call.
		['POST /v1/notifications/read', async () => {
			const hid = await fresh('open'); // help.request to volC and volN
			await helpAction(gw, volC, hid, 'claim'); // help.claimed to the requester
			const witnesses = { requester, volC, volN };
			const before = {};
			for (const [w, s] of Object.entries(witnesses)) before[w] = await unreadOf(s);
			return {
				method: 'POST', path: '/v1/notifications/read', body: { up_to: MAX },
				check: async (res, actor) => {
					const p = [];
					if (res.status === 200 && res.json.unread !== 0) p.push(`answered unread ${res.json.unread}`);
					for (const [w, s] of Object.entries(witnesses)) {
						const u = await unreadOf(s);
						if (w === actor) {
							if (u !== 0) p.push(`own unread ${u} after read-all`);
						} else if (before[w] === 0) {
							p.push(`witness ${w} had nothing unread`);
						} else if (u !== before[w]) {
							p.push(`${w}'s unread went ${before[w]} -> ${u}`);
						}
					}
					return p;
				},
			};
		}, X(401, 401, 200, 200, 200, 200, 200, 200, 200)],

		// Devices: one's own only; the token is never echoed.
		['POST /v1/devices (new token)', (actor) => ({
			method: 'POST', path: '/v1/devices', body: { platform: 'android', token: newToken(actor) },
			check: (res) => {
				if (res.status !== 201) return null;
				const d = res.json.device;
				(registered[actor] ||= []).push(d.id);
				return 'token' in d || !/^….{6}$/.test(d.token_tail) ? `device ${JSON.stringify(d)}` : null;
			},
		}), X(401, 401, 201, 201, 201, 201, 201, 201, 201)],
		['GET /v1/devices', () => ({
			method: 'GET', path: '/v1/devices',
			check: (res, actor) => {
				if (res.status !== 200) return null;
				const got = res.json.items.map((d) => d.id);
				const p = [];
				if (JSON.stringify(got) !== JSON.stringify(registered[actor] || [])) p.push(`devices ${got}, registered ${registered[actor]}`);
				if (res.json.items.some((d) => 'token' in d)) p.push('a token is echoed');
				return p;
			},
		}), X(401, 401, 200, 200, 200, 200, 200, 200, 200)],
		// Someone else's device is answered as missing, and stays.
		['DELETE requester\'s device', async () => {
			const r = await gw.request('POST', '/v1/devices', { token: requester.access, body: { platform: 'ios', token: newToken('victim') } });
			expectStatus(r, 201, 'requester registers a device');
			const id = r.json.device.id;
			return {
				method: 'DELETE', path: `/v1/devices/${id}`,
				check: async (res) => {
					const still = (await devicesOf(requester)).includes(id);
					if (res.status === 200) return still ? 'answered 200 but the device is still there' : null;
					if (!still) return `refused (${res.status}) but the requester's device is gone`;
					const clean = await gw.request('DELETE', `/v1/devices/${id}`, { token: requester.access });
					return clean.status === 200 ? null : `the requester could not delete its own device: ${clean.status}`;
				},
			};
		}, X(401, 401, 404, 404, 200, 404, 404, 404, 404)],
		['DELETE none device', () => ({ method: 'DELETE', path: `/v1/devices/${NO}` }), X(401, 401, 404, 404, 404, 404, 404, 404, 404)],
		// Documented: re-registering a known token moves it to the caller (a
		// phone that changed hands).
		['POST /v1/devices (requester\'s token)', async () => {
			const tok = newToken('handed-on');
			const r = await gw.request('POST', '/v1/devices', { token: requester.access, body: { platform: 'web', token: tok } });
			expectStatus(r, 201, 'requester registers a device');
			const id = r.json.device.id;
			return {
				method: 'POST', path: '/v1/devices', body: { platform: 'web', token: tok },
				check: async (res, actor) => {
					const theirs = (await devicesOf(requester)).includes(id);
					if (res.status !== 200) return theirs ? null : `refused (${res.status}) but the requester lost the device`;
					if (res.json.device.id !== id) return `answered device ${res.json.device.id}, expected ${id}`;
					const mine = (await devicesOf(users[actor])).includes(id);
					return mine && theirs === (actor === 'requester') ? null : `after the take-over: caller has it ${mine}, requester has it ${theirs}`;
				},
			};
		}, X(401, 401, 200, 200, 200, 200, 200, 200, 200)],
	];

	await h.sub(t, 'HTTP endpoints', async () => {
		await m.http(gw, tokens, rows);
		// Inboxes are disjoint: no notification is listed for two users.
		const seen = new Map();
		for (const [actor, list] of Object.entries(inboxIds)) {
			for (const id of list) {
				if (seen.has(id)) m.problem(`notification ${id} in the inboxes of ${seen.get(id)} and ${actor}`);
				seen.set(id, actor);
			}
		}
		if (!inboxIds.requester?.length || !inboxIds.volC?.length) m.problem('inbox check saw no notifications');
	});

	await h.sub(t, 'a volunteer who unclaims, or whose request is cancelled, loses contact and details', async () => {
		const r = await createHelp(gw, requester, A.id, { title: '认领又放弃' });
		const c = await helpAction(gw, volN, r.id, 'claim');
		assert.equal(c.request.contact, HELP.contact, 'the claim answer carries the contact');
		let seen = await getHelp(gw, volN, r.id);
		assert.equal(seen.contact, HELP.contact, 'claimer sees the contact');
		assert.equal(seen.details, HELP.details, 'claimer sees the details');
		assert.equal((await helpList(gw, volN, A.id, '?limit=200')).find((x) => x.id === r.id)?.contact, HELP.contact);
		const u = await helpAction(gw, volN, r.id, 'unclaim');
		assert.ok(bareOf(u.request), `unclaim answer shows private fields: ${JSON.stringify(u.request)}`);
		seen = await getHelp(gw, volN, r.id);
		assert.equal(seen.status, 'open');
		assert.equal(seen.volunteer_id, null);
		assert.ok(bareOf(seen), `after unclaim GET shows private fields: ${JSON.stringify(seen)}`);
		const listed = (await helpList(gw, volN, A.id, '?limit=200')).find((x) => x.id === r.id);
		assert.ok(listed, 'still listed');
		assert.ok(bareOf(listed), `after unclaim the list shows private fields: ${JSON.stringify(listed)}`);
		// The next claimer gets it; the one who gave it back still does not.
		await helpAction(gw, volC, r.id, 'claim');
		assert.equal((await getHelp(gw, volC, r.id)).contact, HELP.contact);
		assert.ok(!('contact' in await getHelp(gw, volN, r.id)), 'volN still without contact');
		// Cancelled by the requester: the claimer loses access too.
		await helpAction(gw, requester, r.id, 'cancel');
		assert.ok(bareOf(await getHelp(gw, volC, r.id)), 'volC without contact after the cancel');
		assert.equal((await getHelp(gw, staff, r.id)).contact, HELP.contact, 'staff still see it');
	});

	const sockets = await m.sockets(h, gw, tokens, { closing: ['tampered'] });
	const own = (actor) => `user:${ids[actor] ?? requester.id}`;
	let subbedBy;
	await h.sub(t, 'WebSocket subscriptions', async () => {
		subbedBy = await m.channels(h, gw, tokens, sockets, [
			['help:A', `help:${A.id}`, X(U, T, F, S, S, S, S, S, S)],
			['help:B', `help:${B.id}`, X(U, T, S, F, F, F, F, F, S)],
			['help:none', `help:${NO}`, X(U, T, F, F, F, F, F, F, S)], // admins may subscribe to anything
			['user:own', own, X(U, T, S, S, S, S, S, S, S)],
			['user:requester', `user:${requester.id}`, X(U, T, F, F, S, F, F, F, S)],
			['user:volC', `user:${volC.id}`, X(U, T, F, F, F, S, F, F, S)],
			['user:staff', `user:${staff.id}`, X(U, T, F, F, F, F, F, S, S)],
		], { closing: ['tampered'] });
	});

	await h.sub(t, 'help and user events reach exactly the subscribers allowed, never with contact', async () => {
		const hA = `help:${A.id}`;
		const r = await createHelp(gw, requester, A.id, { title: '事件探针' });
		await helpAction(gw, volC, r.id, 'claim');
		const bare = (what, d) => {
			if (d && !bareOf(d)) m.problem(`${what} carries private fields: ${JSON.stringify(d)}`);
		};
		for (const actor of ['resA', 'requester', 'volC', 'volN', 'staff', 'admin']) {
			const c = await sockets[actor].waitFor(ev(hA, 'help.created', (d) => d.id === r.id));
			const u = await sockets[actor].waitFor(ev(hA, 'help.updated', (d) => d.id === r.id && d.status === 'claimed'));
			bare(`help.created to ${actor}`, c.data);
			bare(`help.updated to ${actor}`, u.data);
		}
		for (const actor of ['requester', 'admin']) {
			const n = await sockets[actor].waitFor(note(requester.id, 'help.claimed', (d) => d.data.id === r.id));
			bare(`help.claimed to ${actor}`, n.data.data);
		}
		for (const v of ['volC', 'volN']) {
			const n = await sockets[v].waitFor(note(ids[v], 'help.request', (d) => d.data.id === r.id));
			bare(`help.request to ${v}`, n.data.data);
		}
		// Markers: a request in B (resB, admin) and an announcement on each
		// member's own user channel, after everything else.
		const mb = await createHelp(gw, resB, B.id, { title: '标记' });
		await sockets.resB.waitFor(ev(`help:${B.id}`, 'help.created', (d) => d.id === mb.id));
		await sockets.admin.waitFor(ev(`help:${B.id}`, 'help.created', (d) => d.id === mb.id));
		for (const actor of Object.keys(users)) {
			await gw.publish(admin.access, own(actor), 'announcement', { marker: true });
			await sockets[actor].waitFor((f) => f.op === 'event' && f.ch === own(actor) && f.data && f.data.marker);
		}
		for (const actor of Object.keys(users)) {
			const stray = sockets[actor].events().filter((e) => !subbedBy[actor].has(e.ch));
			if (stray.length) m.problem(`${actor} received events on ${[...new Set(stray.map((e) => e.ch))]} without a subscription`);
		}
		assert.ok(!sockets.resB.events().some((e) => e.ch === hA), 'resB got nothing from help:A');
		assert.equal(sockets.anon.events().length, 0, 'the anonymous socket received no events');
	});

	m.print(t, 'help authorization matrix', 9);
	m.assertClean();
});
