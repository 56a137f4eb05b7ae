// Bad help requests and illegal transitions are refused (naming the field
// where there is one) and create nothing.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { HELP, volunteer, createHelp, getHelp, helpAction, helpList } from './lib/help.mjs';

itest('bad help input: 4xx with field, nothing created; illegal transitions refused', async (h, t) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, B, staff, residents: [asker, vol, bystander] } = await forumWorld(gw, { residents: 3 });
	const step = (name, fn) => h.sub(t, name, fn);
	await volunteer(gw, vol, A.id);

	await step('bad create bodies: 400 naming the field; list unchanged', async () => {
		const { contact, ...noContact } = HELP;
		const cases = [
			[{ ...HELP, category: 'gardening' }, 'category'],
			[{ ...HELP, grid: '九网格' }, 'grid'],
			[{ ...HELP, grid: '二网格 ' }, 'grid'],
			[{ ...HELP, title: '长'.repeat(101) }, 'title'],
			[{ ...HELP, title: '' }, 'title'],
			[noContact, 'contact'],
			[{ ...HELP, contact: '' }, 'contact'],
			[{ ...HELP, urgency: 'asap' }, 'urgency'],
			[{ ...HELP, window_minutes: 0 }, 'window_minutes'],
		];
		for (const [body, field] of cases) {
			const r = await gw.request('POST', `/v1/communities/${A.id}/help`, { token: asker.access, body });
			assert.equal(r.status, 400, `${field}: ${r.text}`);
			assert.equal(r.json?.error?.field, field, `${field}: ${r.text}`);
		}
		assert.ok(contact);
		assert.deepEqual(await helpList(gw, staff, A.id), [], 'nothing created');
		const other = await gw.request('POST', `/v1/communities/${B.id}/help`, { token: asker.access, body: HELP });
		assert.equal(other.status, 403, `non-member of B: ${other.text}`);
	});

	await step('illegal transitions', async () => {
		const req = await createHelp(gw, asker, A.id, { grid: '一网格' });
		await helpAction(gw, asker, req.id, 'claim', 409);
		await helpAction(gw, bystander, req.id, 'claim', 403);
		// Confirm before done: the requester, wrong state (409). Done or
		// unclaim before anyone claimed: not the claimer (403).
		await helpAction(gw, asker, req.id, 'confirm', 409, { rating: 5 });
		await helpAction(gw, vol, req.id, 'done', 403);
		await helpAction(gw, vol, req.id, 'unclaim', 403);
		await helpAction(gw, vol, req.id, 'claim', 200);
		await helpAction(gw, bystander, req.id, 'unclaim', 403);
		await helpAction(gw, asker, req.id, 'unclaim', 403);
		await helpAction(gw, asker, req.id, 'confirm', 409, { rating: 5 });
		await helpAction(gw, vol, req.id, 'cancel', 403);
		// Wrong caller before bad input: a stranger's rating is not looked at.
		await helpAction(gw, vol, req.id, 'confirm', 403, { rating: 9 });
		await helpAction(gw, vol, req.id, 'done', 200);
		for (const rating of [0, 6, 'five']) {
			const r = await gw.request('POST', `/v1/help/${req.id}/confirm`, { token: asker.access, body: { rating } });
			assert.equal(r.status, 400, `rating ${rating}: ${r.text}`);
			assert.equal(r.json.error.field, 'rating');
		}
		const still = await getHelp(gw, asker, req.id);
		assert.equal(still.status, 'done');
		assert.equal(still.volunteer_id, vol.id);
		const missing = await gw.request('POST', '/v1/help/999999/claim', { token: vol.access });
		assert.equal(missing.status, 404, missing.text);
		assert.deepEqual((await helpList(gw, staff, A.id)).map((x) => x.id), [req.id], 'only the one good request');
	});
});
