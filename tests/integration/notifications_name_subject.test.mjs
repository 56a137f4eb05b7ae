// Notifications added by the contract (issue 15): everyone who voted hears
// when a consultation closes (by staff or at its deadline) and when its
// outcome is published; help.confirmed names its request, community and
// title; a claimed request shows who is coming to those who see the
// contact (the requester, the volunteer, staff), and to nobody else.
import assert from 'node:assert/strict';
import { itest, poll } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, createConsultation, forumWorld, vote } from './lib/forums.mjs';
import { createHelp, getHelp, helpAction, inbox, note, volunteer } from './lib/help.mjs';

const notes = async (gw, s, type) => (await inbox(gw, s)).items.filter((n) => n.type === type).map((n) => n.data);

itest('voters hear when a consultation closes and when its outcome is published; non-voters do not', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [v1, v2, bystander] } = await forumWorld(gw, { residents: 3, other: false });
	const co = await createConsultation(gw, staff.access, A.id, { title: '是否加装电梯' });
	await vote(gw, v1.access, co.id, 0, '方便老人');
	await vote(gw, v2.access, co.id, 1);
	await vote(gw, v2.access, co.id, 0, '改主意了'); // a changed vote is one voter
	const live = await h.subscriber(gw, v1.access, `user:${v1.id}`);
	expectStatus(await gw.request('POST', `/v1/threads/${co.id}/close`, { token: staff.access }), 200, 'close');
	await live.waitFor(note(v1.id, 'consultation.closed', (d) => d.data.thread_id === co.id));
	for (const s of [v1, v2])
		assert.deepEqual(await notes(gw, s, 'consultation.closed'), [{ thread_id: co.id, community_id: A.id, title: '是否加装电梯' }]);
	assert.deepEqual(await notes(gw, bystander, 'consultation.closed'), [], 'only voters');
	expectStatus(await gw.request('POST', `/v1/threads/${co.id}/outcome`,
		{ token: staff.access, body: { summary: '同意加装，下月施工' } }), 200, 'outcome');
	for (const s of [v1, v2])
		assert.deepEqual(await notes(gw, s, 'consultation.outcome'), [{ thread_id: co.id, community_id: A.id, title: '是否加装电梯' }]);
	assert.deepEqual(await notes(gw, bystander, 'consultation.outcome'), []);

	// At the deadline, by the tick: the same.
	const soon = await createConsultation(gw, staff.access, A.id, { title: '广场舞时间', closes_at: Date.now() + 1500 });
	await vote(gw, bystander.access, soon.id, 2);
	await poll(async () => (await notes(gw, bystander, 'consultation.closed')).some((d) => d.thread_id === soon.id),
		{ what: 'closed at its deadline', timeoutMs: 10000 });
	assert.deepEqual((await notes(gw, v1, 'consultation.closed')).map((d) => d.thread_id), [co.id]);
});

itest('help: who is coming is shown to the requester, the volunteer and staff; help.confirmed names its subject', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [asker, vol, neighbour] } = await forumWorld(gw, { residents: 3, other: false });
	await volunteer(gw, vol, A.id, { categories: ['errand'] });
	const hr = await createHelp(gw, asker, A.id, { title: '帮忙买药' });
	assert.equal((await getHelp(gw, asker, hr.id)).volunteer, undefined, 'nobody yet');
	await helpAction(gw, vol, hr.id, 'claim');
	for (const s of [asker, vol, staff])
		assert.deepEqual((await getHelp(gw, s, hr.id)).volunteer, { id: vol.id, display_name: '居民2' }, `seen by ${s.id}`);
	assert.equal((await getHelp(gw, neighbour, hr.id)).volunteer, undefined, 'not to other members');
	await helpAction(gw, vol, hr.id, 'done');
	const live = await h.subscriber(gw, vol.access, `user:${vol.id}`);
	await helpAction(gw, asker, hr.id, 'confirm', 200, { rating: 5, thanks: '谢谢小李！' });
	const n = await live.waitFor(note(vol.id, 'help.confirmed'));
	assert.deepEqual([n.data.data.request_id, n.data.data.community_id, n.data.data.title, n.data.data.rating, n.data.data.thanks],
		[hr.id, A.id, '帮忙买药', 5, '谢谢小李！']);
});
