// The notice board (通知公告, issue 15): staff publish an announcement; it
// is kept (present after a reload, seen by a member who joins later),
// listed pinned first then newest, in every member's inbox, evented on
// community:{cid}; each member's reading is kept and staff see how many of
// the members have read it. One the content check holds is staff's until
// released. The old channel publish of type announcement still works.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { addMember, expectError, expectStatus, invite, listAll, register } from './lib/accounts.mjs';
import { Checker } from './lib/checker.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { ev, inbox, note } from './lib/help.mjs';

const publish = (gw, s, cid, body) => gw.request('POST', `/v1/communities/${cid}/announcements`, { token: s.access, body });
const board = (gw, s, cid) => listAll(gw, s.access, `/v1/communities/${cid}/announcements`, 2);

itest('announcements: kept, pinned first, in every inbox, read counts for staff, seen by who joins later', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { admin, A, staff, residents: [r1, r2], B, resB } = await forumWorld(gw, { residents: 2 });
	const live = await h.subscriber(gw, r1.access, `community:${A.id}`);
	const inbox1 = await h.subscriber(gw, r1.access, `user:${r1.id}`);

	const first = await publish(gw, staff, A.id, { title: '停水通知', body: '周六 9:00-12:00 停水，请提前储水。' });
	expectStatus(first, 201, 'staff publish');
	const a1 = first.json.announcement;
	assert.equal(a1.title, '停水通知');
	assert.equal(a1.pinned, false);
	assert.equal(a1.author.id, staff.id);
	assert.equal(a1.read_count, 0);
	assert.equal(a1.member_count, 3, 'staff and two residents');
	assert.equal(a1.notified, 2, 'every member but its author');
	const got = await live.waitFor(ev(`community:${A.id}`, 'announcement', (d) => d.id === a1.id));
	assert.equal(got.data.body, '周六 9:00-12:00 停水，请提前储水。');
	assert.equal(got.data.read_count, undefined, 'the event carries no staff counts');
	await inbox1.waitFor(note(r1.id, 'announcement', (d) => d.data.announcement_id === a1.id));

	const a2 = (await publish(gw, staff, A.id, { title: '电梯维修', body: '3号楼电梯周日维修。', pinned: true })).json.announcement;
	const a3 = (await publish(gw, staff, A.id, { title: '垃圾分类宣传', body: '本周五晚在广场。' })).json.announcement;

	// Pinned first, then newest; paged two at a time (the cursor keeps the order).
	assert.deepEqual((await board(gw, r1, A.id)).map((a) => a.id), [a2.id, a3.id, a1.id]);
	for (const s of [r1, r2]) {
		const n = (await inbox(gw, s)).items.filter((x) => x.type === 'announcement').map((x) => x.data.announcement_id).sort();
		assert.deepEqual(n, [a1.id, a2.id, a3.id].sort(), `every announcement in ${s.display_name}'s inbox`);
		const d = (await inbox(gw, s)).items.find((x) => x.data.announcement_id === a2.id).data;
		assert.deepEqual([d.community_id, d.title], [A.id, '电梯维修'], 'the notification names its subject');
	}
	assert.equal((await inbox(gw, staff)).items.filter((x) => x.type === 'announcement').length, 0, 'not to its author');

	// Reading: kept per member, counted for staff only.
	expectStatus(await gw.request('POST', `/v1/announcements/${a1.id}/read`, { token: r1.access }), 200);
	expectStatus(await gw.request('POST', `/v1/announcements/${a1.id}/read`, { token: r1.access }), 200, 'twice is once');
	const mine = (await board(gw, r1, A.id)).find((a) => a.id === a1.id);
	assert.equal(mine.read, true);
	assert.equal(mine.read_count, undefined, 'residents see no counts');
	assert.equal((await board(gw, r2, A.id)).find((a) => a.id === a1.id).read, false);
	const counted = (await board(gw, staff, A.id)).find((a) => a.id === a1.id);
	assert.deepEqual([counted.read_count, counted.member_count], [1, 3]);

	// A member who joins afterwards finds the board as it is.
	const late = await register(gw, { display_name: '新住户' });
	await addMember(gw, staff.access, A.id, late);
	assert.deepEqual((await board(gw, late, A.id)).map((a) => [a.id, a.read]), [[a2.id, false], [a3.id, false], [a1.id, false]]);

	// Another community's members and residents may not.
	expectError(await gw.request('GET', `/v1/communities/${A.id}/announcements`, { token: resB.access }), 403, 'forbidden');
	expectError(await gw.request('POST', `/v1/announcements/${a1.id}/read`, { token: resB.access }), 404, 'not_found');
	expectError(await publish(gw, r1, A.id, { title: 'x', body: 'y' }), 403, 'forbidden');
	expectStatus(await publish(gw, admin, B.id, { title: '和平里通知', body: '开会' }), 201, 'an admin anywhere');
	assert.deepEqual((await board(gw, resB, B.id)).map((a) => a.title), ['和平里通知']);

	// Bad input names the field and stores nothing.
	expectError(await publish(gw, staff, A.id, { body: '没有标题' }), 400, 'bad_request', 'title');
	expectError(await publish(gw, staff, A.id, { title: '没有正文' }), 400, 'bad_request', 'body');
	expectError(await publish(gw, staff, A.id, { title: '太长', body: '字'.repeat(5001) }), 400, 'bad_request', 'body');
	expectError(await publish(gw, staff, A.id, { title: 't', body: 'b', pinned: 'yes' }), 400, 'bad_request', 'pinned');
	assert.equal((await board(gw, staff, A.id)).length, 3, 'nothing stored by the refusals');

	// The old way still answers {seq} and events the channel.
	const old = await gw.request('POST', `/v1/channels/${encodeURIComponent(`community:${A.id}`)}/events`,
		{ token: staff.access, body: { type: 'announcement', data: { text: '旧接口' } } });
	expectStatus(old, 201, 'channel publish');
	assert.equal(typeof old.json.seq, 'number');
	await live.waitFor(ev(`community:${A.id}`, 'announcement', (d) => d.text === '旧接口'));
});

itest('announcements the content check holds are staff\'s until released; then every member hears', async (h) => {
	const checker = await new Checker().start(h);
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, ...checker.config() } });
	const { A, staff, residents: [r1] } = await forumWorld(gw, { residents: 1, other: false });
	const mod = await h.subscriber(gw, staff.access, `mod:${A.id}`);
	const held = await publish(gw, staff, A.id, { title: '招聘启事', body: '待审 兼职信息' });
	expectStatus(held, 201, 'stored, held');
	const a = held.json.announcement;
	assert.equal(a.status, 'pending');
	assert.match(a.hold_reason, /content check/);
	await mod.waitFor(ev(`mod:${A.id}`, 'announcement.pending', (d) => d.id === a.id));
	assert.deepEqual((await board(gw, r1, A.id)).map((x) => x.id), [], 'members do not see it');
	assert.equal((await inbox(gw, r1)).items.filter((x) => x.type === 'announcement').length, 0, 'nor hear of it');
	expectError(await gw.request('POST', `/v1/announcements/${a.id}/read`, { token: r1.access }), 404, 'not_found');
	const queue = (await gw.request('GET', `/v1/communities/${A.id}/moderation/queue`, { token: staff.access })).json;
	assert.deepEqual(queue.notices.map((x) => x.id), [a.id], 'in the moderation queue');
	expectError(await gw.request('POST', `/v1/announcements/${a.id}/release`, { token: r1.access }), 404, 'not_found');

	const live = await h.subscriber(gw, r1.access, `user:${r1.id}`);
	const rel = await gw.request('POST', `/v1/announcements/${a.id}/release`, { token: staff.access });
	expectStatus(rel, 200, 'release');
	assert.equal(rel.json.announcement.status, 'visible');
	await live.waitFor(note(r1.id, 'announcement', (d) => d.data.announcement_id === a.id));
	assert.deepEqual((await board(gw, r1, A.id)).map((x) => x.id), [a.id]);
	expectStatus(await gw.request('POST', `/v1/announcements/${a.id}/release`, { token: staff.access }), 200, 'again: nothing changes');
	assert.equal((await inbox(gw, r1)).items.filter((x) => x.type === 'announcement').length, 1, 'told once');

	expectError(await publish(gw, staff, A.id, { title: '违规', body: '内容' }), 400, 'bad_request', 'title');
	assert.equal((await board(gw, staff, A.id)).length, 1, 'a rejected one is not stored');
});

itest('an invite code alone joins its community; a wrong or used code says which', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff } = await forumWorld(gw, { residents: 0, other: false });
	const inv = await invite(gw, staff.access, A.id, { role: 'resident', max_uses: 1 });
	const s = await register(gw, { display_name: '只有邀请码' });
	const r = await gw.request('POST', '/v1/join', { token: s.access, body: { code: inv.code.toLowerCase() } });
	expectStatus(r, 200, 'join by code');
	assert.deepEqual([r.json.membership.community_id, r.json.membership.role], [A.id, 'resident']);
	const other = await register(gw, { display_name: '晚了一步' });
	const used = await gw.request('POST', '/v1/join', { token: other.access, body: { code: inv.code } });
	expectError(used, 409, 'conflict', 'code');
	assert.equal(used.json.error.reason, 'invite_used_up');
	const wrong = await gw.request('POST', '/v1/join', { token: other.access, body: { code: 'NOPE1234' } });
	expectError(wrong, 404, 'not_found', 'code');
	assert.equal(wrong.json.error.reason, 'invite_unknown');
	expectError(await gw.request('POST', '/v1/join', { body: { code: inv.code } }), 401, 'unauthorized');
	// The community tells the forms which help categories the server takes.
	const c = (await gw.request('GET', `/v1/communities/${A.id}`, { token: s.access })).json.community;
	assert.deepEqual(c.help_categories, ['errand', 'elderly_care', 'repair', 'medical_escort', 'childcare', 'other']);
});
