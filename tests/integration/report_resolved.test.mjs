// Reporters hear back: when staff hide a reported post, or keep it
// (restore), every member who reported it gets report.resolved once, with
// the outcome; a later action on the same post tells nobody again.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, createPost, createThread, forumWorld } from './lib/forums.mjs';
import { note } from './lib/help.mjs';

itest('every reporter gets report.resolved once, hidden or kept', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, report_hold_threshold: 10 } });
	const { A, staff, residents: [author, r1, r2, bystander] } = await forumWorld(gw, { residents: 4, other: false });
	const th = await createThread(gw, author.access, A.id);
	const bad = await createPost(gw, author.access, th.id, '广告：代办证件');
	const fine = await createPost(gw, author.access, th.id, '明天停水，大家存点水');
	const report = async (s, p) => expectStatus(await gw.request('POST', `/v1/posts/${p.id}/report`,
		{ token: s.access, body: { reason: '不当内容' } }), 201, `report ${p.id}`);
	const live1 = await h.subscriber(gw, r1.access, `user:${r1.id}`);
	await report(r1, bad); await report(r2, bad);
	await report(r1, fine);

	expectStatus(await gw.request('POST', `/v1/posts/${bad.id}/hide`, { token: staff.access, body: { reason: '广告' } }), 200);
	expectStatus(await gw.request('POST', `/v1/posts/${fine.id}/restore`, { token: staff.access }), 200);
	await live1.waitFor(note(r1.id, 'report.resolved', (d) => d.data.post_id === fine.id));

	const resolved = async (s) => (await gw.request('GET', '/v1/notifications', { token: s.access })).json.items
		.filter((n) => n.type === 'report.resolved').map((n) => [n.data.post_id, n.data.thread_id, n.data.outcome]).sort();
	assert.deepEqual(await resolved(r1), [[bad.id, th.id, 'hidden'], [fine.id, th.id, 'kept']].sort());
	assert.deepEqual(await resolved(r2), [[bad.id, th.id, 'hidden']]);
	assert.deepEqual(await resolved(bystander), [], 'only reporters');
	assert.deepEqual(await resolved(author), [], 'the author hears of the action itself, not of the reports');
	// Once: restoring the hidden post later tells the reporters nothing more.
	expectStatus(await gw.request('POST', `/v1/posts/${bad.id}/restore`, { token: staff.access }), 200);
	assert.equal((await resolved(r2)).length, 1);
});
