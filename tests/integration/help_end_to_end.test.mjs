// A request in 二网格 reaches the two errand volunteers there live and not the
// one in 三网格; one claims, the other is refused; contact is private to the
// requester and the claimer; done, confirmed with thanks; the ledger and the
// inboxes (unread counts, mark-read) record it.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus, me } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { ev, note, volunteer, createHelp, getHelp, helpAction, inbox, HELP } from './lib/help.mjs';

itest('help request: grid-matched notify, single claim, private contact, confirm, ledger, inbox', async (h, t) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [asker, v1, v2, v3] } = await forumWorld(gw, { residents: 4, other: false });
	const step = (name, fn) => h.sub(t, name, fn);
	await volunteer(gw, v1, A.id, { grids: ['二网格'] });
	await volunteer(gw, v2, A.id, { grids: ['二网格'] });
	await volunteer(gw, v3, A.id, { grids: ['三网格'] });
	const [s1, s2, s3, sa] = await Promise.all([v1, v2, v3, asker].map((s) => h.subscriber(gw, s.access, `user:${s.id}`, { label: `user ${s.id}` })));
	const hch = `help:${A.id}`;
	const board = await h.subscriber(gw, staff.access, hch, { label: 'help board' });
	let req;

	await step('request in 二网格 notifies V1 and V2 live, not V3', async () => {
		req = await createHelp(gw, asker, A.id, { grid: '二网格' });
		assert.equal(req.notified, 2, JSON.stringify(req));
		assert.equal(req.contact, HELP.contact, 'requester sees own contact');
		assert.equal(req.details, HELP.details);
		assert.equal(req.status, 'open');
		for (const [s, v] of [[s1, v1], [s2, v2]]) {
			const n = await s.waitFor(note(v.id, 'help.request', (d) => d.data.id === req.id));
			assert.equal(n.data.read, false);
			assert.ok(Number.isInteger(n.data.id) && Number.isInteger(n.data.created_at), JSON.stringify(n));
			assert.equal(n.data.data.grid, '二网格');
			assert.equal(n.data.data.contact, undefined, 'notification carries no contact');
			assert.equal(n.data.data.details, '', 'notification carries no details');
			assert.equal(n.data.data.details_hidden, true);
		}
		const created = await board.waitFor(ev(hch, 'help.created', (d) => d.id === req.id));
		assert.equal(created.data.contact, undefined, 'help.created carries no contact');
		assert.equal(created.data.details, '', 'help.created carries no details');
		assert.equal((await inbox(gw, v3)).items.length, 0, 'V3 (三网格) has an empty inbox');
	});

	await step('V1 claims; V2 gets 409; the requester is told', async () => {
		const c = await helpAction(gw, v1, req.id, 'claim');
		assert.equal(c.request.status, 'claimed');
		assert.equal(c.request.volunteer_id, v1.id);
		assert.equal(c.request.contact, HELP.contact, 'claimer sees contact in the reply');
		const r2 = await gw.request('POST', `/v1/help/${req.id}/claim`, { token: v2.access });
		expectStatus(r2, 409, 'second claim');
		const n = await sa.waitFor(note(asker.id, 'help.claimed', (d) => d.data.id === req.id));
		assert.equal(n.data.data.volunteer_id, v1.id);
		await board.waitFor(ev(hch, 'help.updated', (d) => d.id === req.id && d.status === 'claimed'));
	});

	await step('contact and details only for requester, claimer, staff', async () => {
		for (const s of [asker, v1, staff]) {
			const r = await getHelp(gw, s, req.id);
			assert.equal(r.contact, HELP.contact, `user ${s.id} should see contact`);
			assert.equal(r.details, HELP.details, `user ${s.id} should see details`);
		}
		for (const s of [v2, v3]) {
			const r = await getHelp(gw, s, req.id);
			assert.equal(r.contact, undefined, `user ${s.id} must not see contact`);
			assert.equal(r.details, '', `user ${s.id} must not see details`);
			assert.equal(r.details_hidden, true);
			assert.equal(r.status, 'claimed');
		}
	});

	await step('confirm before done is 409; done; confirm with rating and thanks', async () => {
		await helpAction(gw, asker, req.id, 'confirm', 409, { rating: 5 });
		await helpAction(gw, v2, req.id, 'done', 403);
		const d = await helpAction(gw, v1, req.id, 'done');
		assert.equal(d.request.status, 'done');
		await sa.waitFor(note(asker.id, 'help.done', (x) => x.data.id === req.id));
		await helpAction(gw, v1, req.id, 'confirm', 403, { rating: 5 });
		const c = await helpAction(gw, asker, req.id, 'confirm', 200, { rating: 5, thanks: '谢谢小伙子！' });
		assert.equal(c.request.status, 'confirmed');
		assert.equal(c.request.rating, 5);
		assert.equal(c.request.thanks, '谢谢小伙子！');
		const n = await s1.waitFor(note(v1.id, 'help.confirmed', (x) => x.data.request_id === req.id));
		assert.equal(n.data.data.rating, 5);
		assert.equal(n.data.data.thanks, '谢谢小伙子！');
		assert.ok(n.data.data.minutes >= 1);
		await helpAction(gw, asker, req.id, 'confirm', 409, { rating: 4 });
		await helpAction(gw, asker, req.id, 'cancel', 409);
	});

	await step('V3 received nothing at all on user:{uid}', async () => {
		// V3 gets a later notification of its own; nothing came before it.
		const own = await createHelp(gw, asker, A.id, { grid: '三网格', title: '修水龙头', category: 'errand' });
		assert.equal(own.notified, 1);
		const n = await s3.waitFor(note(v3.id, 'help.request'));
		assert.equal(n.data.data.id, own.id);
		assert.deepEqual(s3.events(`user:${v3.id}`).map((e) => e.data.data.id), [own.id]);
		assert.ok(!s1.events(`user:${v1.id}`).some((e) => e.data.type === 'help.request' && e.data.data.id === own.id));
	});

	await step('ledger: V1 with one request, >= 1 minute, rating 5; others see only themselves', async () => {
		const r = await gw.request('GET', `/v1/communities/${A.id}/ledger`, { token: staff.access });
		expectStatus(r, 200, 'ledger (staff)');
		const row = r.json.items.find((x) => x.user_id === v1.id);
		assert.ok(row, r.text);
		assert.equal(row.requests, 1);
		assert.ok(row.minutes >= 1, r.text);
		assert.equal(row.average_rating, 5);
		const mine = await gw.request('GET', `/v1/communities/${A.id}/ledger`, { token: v2.access });
		expectStatus(mine, 200, 'ledger (v2)');
		assert.ok(mine.json.items.every((x) => x.user_id === v2.id), mine.text);
	});

	await step('inbox, unread counts and mark-read', async () => {
		const box = await inbox(gw, v1);
		assert.deepEqual(box.items.map((n) => n.type), ['help.confirmed', 'help.request'], 'newest first');
		assert.equal(box.items[0].data.request_id, req.id);
		assert.equal(box.items[0].data.thanks, '谢谢小伙子！');
		assert.equal(box.unread, 2);
		assert.equal((await me(gw, v1.access)).unread_notifications, 2);
		const older = box.items[1].id;
		let r = await gw.request('POST', '/v1/notifications/read', { token: v1.access, body: { up_to: older } });
		expectStatus(r, 200, 'read up to the older one');
		assert.deepEqual(r.json, { unread: 1 });
		const unread = await inbox(gw, v1, '?unread=1');
		assert.deepEqual(unread.items.map((n) => n.id), [box.items[0].id]);
		assert.equal(unread.unread, 1);
		r = await gw.request('POST', '/v1/notifications/read', { token: v1.access, body: { up_to: box.items[0].id } });
		expectStatus(r, 200, 'read all');
		assert.deepEqual(r.json, { unread: 0 });
		assert.equal((await me(gw, v1.access)).unread_notifications, 0);
		assert.ok((await inbox(gw, v1)).items.every((n) => n.read === true));
		// Someone else's mark-read does not touch V1's, nor the requester's.
		const a = await inbox(gw, asker);
		assert.deepEqual(a.items.map((n) => n.type), ['help.done', 'help.claimed']);
		assert.equal(a.unread, 2);
		// Paging: limit=1 walks both.
		const p1 = await inbox(gw, asker, '?limit=1');
		assert.equal(p1.items.length, 1);
		assert.equal(typeof p1.next_cursor, 'string');
		const p2 = await inbox(gw, asker, `?limit=1&cursor=${encodeURIComponent(p1.next_cursor)}`);
		assert.deepEqual(p2.items.map((n) => n.type), ['help.claimed']);
	});
});
