// 议事会 and 居民代表会议 (issue 17, "From consultation to action"): a
// meeting of representatives with quorum 0.5 — check-ins below and above
// the quorum flip `quorate`; a wrong check-in code and a non-invitee are
// refused; an offline vote entered by staff counts in the tally, shows
// `source: "offline"`, is audited with who entered it, and loses to that
// member's later online vote (and is refused for a member who voted
// online); minutes are kept with the meeting.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { addMember, expectError, expectStatus, register } from './lib/accounts.mjs';
import { FORUM_CONFIG, createConsultation, forumWorld, getThread, vote } from './lib/forums.mjs';
import { ev } from './lib/help.mjs';

const MEETING = { title: '第三季度居民代表会议', agenda: '一、加装电梯\n二、停车收费', place: '社区活动室',
	starts_at: Date.now() + 3600000, invitees: 'representatives', quorum: 0.5 };

itest('居民代表会议: quorum from check-ins, wrong code and non-invitees refused, offline votes counted and overruled online', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { admin, A, staff, residents: [plain], resB } = await forumWorld(gw, { residents: 1 });
	const reps = [];
	for (let i = 1; i <= 4; i++) {
		const r = await register(gw, { display_name: `代表${i}` });
		await addMember(gw, admin.access, A.id, r, 'representative');
		reps.push(r);
	}
	const members = expectStatus(await gw.request('GET', `/v1/communities/${A.id}/members?limit=50`, { token: staff.access }), 200).items;
	assert.equal(members.filter((m) => m.role === 'representative').length, 4, 'the representative role');
	const co = await createConsultation(gw, staff.access, A.id, { title: '是否加装电梯', live_tally: true });
	const room = await h.subscriber(gw, plain.access, `community:${A.id}`, { label: 'community channel' });

	// Bad input and callers who may not call a meeting.
	const call = (body, s = staff) => gw.request('POST', `/v1/communities/${A.id}/meetings`, { token: s.access, body });
	expectError(await call({ ...MEETING, quorum: 1.5 }), 400, 'bad_request', 'quorum');
	expectError(await call({ ...MEETING, quorum: '半数' }), 400, 'bad_request', 'quorum');
	expectError(await call({ ...MEETING, invitees: 'everyone' }), 400, 'bad_request', 'invitees');
	expectError(await call({ ...MEETING, starts_at: undefined }), 400, 'bad_request', 'starts_at');
	expectError(await call({ ...MEETING, title: '' }), 400, 'bad_request', 'title');
	expectError(await call({ ...MEETING, thread_ids: [999999] }), 400, 'bad_request', 'thread_ids');
	expectError(await call(MEETING, reps[0]), 403, 'forbidden');
	const m = expectStatus(await call({ ...MEETING, thread_ids: [co.id] }), 201, 'call the meeting').meeting;
	assert.match(m.checkin_code, /^\d{6}$/);
	assert.deepEqual([m.invited, m.attendee_count, m.quorate, m.quorum, m.threads.map((t) => t.id)], [4, 0, false, 0.5, [co.id]]);
	const seen = expectStatus(await gw.request('GET', `/v1/meetings/${m.id}`, { token: plain.access }), 200).meeting;
	assert.equal(seen.checkin_code, undefined, 'the code is on the screen in the room, not in the app');
	expectError(await gw.request('GET', `/v1/meetings/${m.id}`, { token: resB.access }), 404, 'not_found');

	// Check-ins: invitees with the right code only.
	const checkin = (s, code = m.checkin_code) => gw.request('POST', `/v1/meetings/${m.id}/checkin`, { token: s.access, body: { code } });
	const wrong = m.checkin_code === '000000' ? '111111' : '000000';
	const r0 = expectError(await checkin(reps[0], wrong), 403, 'forbidden', 'code');
	assert.equal(r0.reason, 'wrong_code');
	const r1 = expectError(await checkin(plain), 403, 'forbidden');
	assert.equal(r1.reason, 'not_invited', 'a resident is not invited to a representatives\' meeting');
	expectError(await checkin(resB), 404, 'not_found');
	const c1 = expectStatus(await checkin(reps[0]), 200, 'first check-in').meeting;
	assert.deepEqual([c1.attendee_count, c1.quorate], [1, false], '1 of 4 is below 0.5');
	await room.waitFor(ev(`community:${A.id}`, 'meeting.updated', (d) => d.id === m.id && d.attendee_count === 1));
	const c2 = expectStatus(await checkin(reps[1]), 200, 'second check-in').meeting;
	assert.deepEqual([c2.attendee_count, c2.quorate], [2, true], '2 of 4 reaches 0.5');
	const again = expectStatus(await checkin(reps[1]), 200, 'twice').meeting;
	assert.equal(again.attendee_count, 2, 'checking in twice counts once');
	const ev2 = await room.waitFor(ev(`community:${A.id}`, 'meeting.updated', (d) => d.id === m.id && d.quorate));
	assert.equal(ev2.data.checkin_code, undefined, 'the event carries no code');
	assert.deepEqual(c2.attendees.map((a) => a.id), [reps[0].id, reps[1].id]);

	// Offline votes: 代表3 votes at the meeting; 代表1 has voted online already.
	await vote(gw, reps[0].access, co.id, 0);
	const off = (body, s = staff) => gw.request('POST', `/v1/threads/${co.id}/offline-votes`, { token: s.access, body });
	expectError(await off({ user_id: reps[2].id, option: 7 }), 400, 'bad_request', 'option');
	expectError(await off({ option: 1 }), 400, 'bad_request', 'user_id');
	expectError(await off({ user_id: resB.id, option: 1 }), 404, 'not_found', 'user_id');
	expectError(await off({ user_id: reps[2].id, option: 1 }, reps[3]), 403, 'forbidden');
	const v = expectStatus(await off({ user_id: reps[2].id, option: 1, reason: '担心噪音' }), 200, 'offline vote').vote;
	assert.deepEqual([v.user_id, v.option, v.source, v.entered_by], [reps[2].id, 1, 'offline', staff.id]);
	const online = expectError(await off({ user_id: reps[0].id, option: 1 }), 409, 'conflict');
	assert.equal(online.reason, 'voted_online');
	let t = await getThread(gw, reps[2].access, co.id);
	assert.deepEqual([t.tally, t.votes, t.offline_votes, t.my_vote.source, t.my_vote.option], [[1, 1, 0], 2, 1, 'offline', 1]);
	// The audit log names who entered it.
	const audit = expectStatus(await gw.request('GET', `/v1/communities/${A.id}/audit`, { token: staff.access }), 200).items;
	const row = audit.find((x) => x.action === 'vote.offline');
	assert.ok(row, JSON.stringify(audit));
	assert.deepEqual([row.actor_id, row.target_user, row.detail.thread_id, row.detail.option], [staff.id, reps[2].id, co.id, 1]);

	// 代表3 later votes online: their own vote wins, and no offline entry replaces it.
	await vote(gw, reps[2].access, co.id, 0);
	t = await getThread(gw, reps[2].access, co.id);
	assert.deepEqual([t.tally, t.offline_votes, t.my_vote.source, t.my_vote.option], [[2, 0, 0], 0, undefined, 0]);
	expectError(await off({ user_id: reps[2].id, option: 1 }), 409, 'conflict');

	// Minutes.
	const min = (s, text = '会议纪要：同意加装电梯 2 票') => gw.request('POST', `/v1/meetings/${m.id}/minutes`, { token: s.access, body: { text } });
	expectError(await min(reps[0]), 403, 'forbidden');
	expectError(await min(staff, ''), 400, 'bad_request', 'text');
	expectStatus(await min(staff), 200, 'minutes');
	const read = expectStatus(await gw.request('GET', `/v1/meetings/${m.id}`, { token: plain.access }), 200).meeting;
	assert.equal(read.minutes, '会议纪要：同意加装电梯 2 票');
	const listed = expectStatus(await gw.request('GET', `/v1/communities/${A.id}/meetings`, { token: plain.access }), 200).items;
	assert.deepEqual(listed.map((x) => [x.id, x.checkin_code]), [[m.id, undefined]]);

	// A members' meeting: every member is invited.
	const all = expectStatus(await call({ ...MEETING, invitees: 'members', quorum: 0.34 }), 201).meeting;
	assert.equal(all.invited, 6, 'staff, the resident and four representatives');
	expectStatus(await gw.request('POST', `/v1/meetings/${all.id}/checkin`, { token: plain.access, body: { code: all.checkin_code } }), 200);
});
