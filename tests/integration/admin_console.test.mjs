// What the admin console and the staff member list stand on (issue 15):
// every community listed for admins with member and staff counts; staff
// appointed by the phone they registered with; the invites a community
// made, with uses, expiry and state; a mute shown on the member list until
// when, ended by staff (logged, told), and only once.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { createCommunity, expectError, expectStatus, invite, join, listAll, makeAdmin, newPhone, register } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { inbox } from './lib/help.mjs';

itest('admins list every community with counts and appoint staff by phone', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const admin = await makeAdmin(gw);
	const a = await createCommunity(gw, admin.access, '甲社区', ['1号楼']);
	const b = await createCommunity(gw, admin.access, '乙社区', ['一网格', '二网格']);
	const worker = await register(gw, { display_name: '社工小赵' });
	const r = await gw.request('POST', `/v1/communities/${b.id}/staff`, { token: admin.access, body: { phone: worker.phone } });
	expectStatus(r, 200, 'appoint by phone');
	assert.deepEqual([r.json.membership.community_id, r.json.membership.role], [b.id, 'staff']);
	expectError(await gw.request('POST', `/v1/communities/${b.id}/staff`, { token: admin.access, body: { phone: newPhone() } }),
		404, 'not_found', 'phone');
	expectError(await gw.request('POST', `/v1/communities/${b.id}/staff`, { token: admin.access, body: { phone: '12' } }),
		400, 'bad_request', 'phone');
	const all = await listAll(gw, admin.access, '/v1/communities', 1);
	assert.deepEqual(all.map((c) => [c.id, c.name, c.grids, c.member_count, c.staff_count]),
		[[b.id, '乙社区', ['一网格', '二网格'], 1, 1], [a.id, '甲社区', ['1号楼'], 0, 0]], 'newest first, paged one at a time');
});

itest('the invites a community made, with uses, expiry and state; a mute ended by staff', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [r1] } = await forumWorld(gw, { residents: 1, other: false });
	const once = await invite(gw, staff.access, A.id, { role: 'resident', max_uses: 1 });
	const twice = await invite(gw, staff.access, A.id, { role: 'staff', max_uses: 2 });
	const newcomer = await register(gw, { display_name: '新来的' });
	await join(gw, newcomer.access, A.id, once.code);
	const list = (await gw.request('GET', `/v1/communities/${A.id}/invites`, { token: staff.access })).json.items;
	const by = Object.fromEntries(list.map((x) => [x.code, x]));
	assert.deepEqual([by[once.code].uses, by[once.code].max_uses, by[once.code].state, by[once.code].role], [1, 1, 'used_up', 'resident']);
	assert.deepEqual([by[twice.code].uses, by[twice.code].state, by[twice.code].role], [0, 'open', 'staff']);
	assert.equal(by[twice.code].expires_at, twice.expires_at);
	assert.equal(by[twice.code].created_by.id, staff.id);
	// Paged one at a time, newest first: every invite once, none skipped
	// (several made in one millisecond share a time; the code orders them).
	const more = await Promise.all([1, 2, 3, 4].map(() => invite(gw, staff.access, A.id)));
	const paged = await listAll(gw, staff.access, `/v1/communities/${A.id}/invites`, 1);
	const whole = (await gw.request('GET', `/v1/communities/${A.id}/invites?limit=200`, { token: staff.access })).json.items;
	assert.equal(new Set(paged.map((x) => x.code)).size, paged.length, 'none twice');
	assert.deepEqual(paged.map((x) => x.code), whole.map((x) => x.code), 'the pages are the whole list, in its order');
	for (const x of [once, twice, ...more]) assert.ok(paged.some((y) => y.code === x.code), `${x.code} listed`);
	assert.ok(paged.every((x, i) => i === 0 || x.created_at <= paged[i - 1].created_at), 'newest first');
	expectError(await gw.request('GET', `/v1/communities/${A.id}/invites?cursor=12`, { token: staff.access }), 400, 'bad_request', 'cursor');

	expectStatus(await gw.request('POST', `/v1/communities/${A.id}/mutes`,
		{ token: staff.access, body: { user_id: r1.id, minutes: 30, reason: '刷屏' } }), 200, 'mute');
	const m = (await listAll(gw, staff.access, `/v1/communities/${A.id}/members`)).find((x) => x.user_id === r1.id);
	assert.ok(m.muted_until > Date.now() + 29 * 60000, 'until when');
	assert.equal(m.mute_reason, '刷屏');
	const end = await gw.request('DELETE', `/v1/communities/${A.id}/mutes/${r1.id}`, { token: staff.access });
	expectStatus(end, 200, 'unmute');
	assert.equal(end.json.muted_until, null);
	expectError(await gw.request('DELETE', `/v1/communities/${A.id}/mutes/${r1.id}`, { token: staff.access }), 404, 'not_found');
	const after = (await listAll(gw, staff.access, `/v1/communities/${A.id}/members`)).find((x) => x.user_id === r1.id);
	assert.equal(after.muted_until, undefined);
	const th = await gw.request('POST', `/v1/communities/${A.id}/threads`, { token: r1.access, body: { title: '可以说话了', body: '谢谢', kind: 'discussion' } });
	expectStatus(th, 201, 'posts again');
	assert.deepEqual((await inbox(gw, r1)).items.filter((n) => n.type.startsWith('member.')).map((n) => n.type), ['member.unmute', 'member.mute']);
	const log = await listAll(gw, staff.access, `/v1/communities/${A.id}/moderation/log`);
	assert.deepEqual(log.slice(0, 2).map((e) => [e.action, e.target.excerpt]), [['member.unmute', '居民1'], ['member.mute', '居民1']]);
});
