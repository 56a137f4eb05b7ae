// 公示 (issue 17, "From consultation to action"): a consultation closes,
// staff publish the outcome with a 3-day publicity period, a member
// objects, staff answer; after the period objections are refused; the
// thread's events carry each step. Objections and answers are public to
// the community's members and nobody else's.
import assert from 'node:assert/strict';
import { itest, sql } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, createConsultation, createThread, forumWorld, vote } from './lib/forums.mjs';
import { ev, inbox, note } from './lib/help.mjs';

itest('公示: outcome with a publicity period, an objection, the answer, then the period ends', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [r1, r2], resB } = await forumWorld(gw, { residents: 2 });
	const co = await createConsultation(gw, staff.access, A.id, { title: '小区东门改造方案' });
	await vote(gw, r1.access, co.id, 0);
	await vote(gw, r2.access, co.id, 1, '太吵');
	expectStatus(await gw.request('POST', `/v1/threads/${co.id}/close`, { token: staff.access }), 200, 'close');
	const obj = (s, reason) => gw.request('POST', `/v1/threads/${co.id}/objections`, { token: s.access, body: { reason } });
	expectError(await obj(r2, '还没公示'), 409, 'conflict');

	const live = await h.subscriber(gw, r1.access, `thread:${co.id}`);
	expectError(await gw.request('POST', `/v1/threads/${co.id}/outcome`,
		{ token: staff.access, body: { summary: '通过', publicity_days: 0 } }), 400, 'bad_request', 'publicity_days');
	const t0 = Date.now();
	const out = await gw.request('POST', `/v1/threads/${co.id}/outcome`,
		{ token: staff.access, body: { summary: '按方案一施工，公示三天', publicity_days: 3 } });
	expectStatus(out, 200, 'outcome with publicity');
	const until = out.json.thread.publicity_until;
	assert.ok(until >= t0 + 3 * 86400000 && until <= Date.now() + 3 * 86400000, `publicity_until ${until}`);
	await live.waitFor(ev(`thread:${co.id}`, 'thread.updated', (d) => d.publicity_until === until));

	expectError(await obj(r2, ''), 400, 'bad_request', 'reason');
	expectError(await obj(resB, '别的社区'), 403, 'forbidden');
	const o = await obj(r2, '施工时间太早，影响休息');
	expectStatus(o, 201, 'object');
	const oid = o.json.objection.id;
	assert.deepEqual([o.json.objection.user.id, o.json.objection.reason, o.json.objection.answer], [r2.id, '施工时间太早，影响休息', null]);
	await live.waitFor(ev(`thread:${co.id}`, 'objection.created', (d) => d.id === oid));

	const answer = (s, text) => gw.request('POST', `/v1/objections/${oid}/answer`, { token: s.access, body: { answer: text } });
	expectError(await answer(r1, '我来答'), 403, 'forbidden');
	expectError(await answer(resB, '我来答'), 404, 'not_found');
	const inboxLive = await h.subscriber(gw, r2.access, `user:${r2.id}`);
	const a = await answer(staff, '施工改在上午九点以后');
	expectStatus(a, 200, 'answer');
	assert.deepEqual([a.json.objection.answer, a.json.objection.answered_by.id], ['施工改在上午九点以后', staff.id]);
	await live.waitFor(ev(`thread:${co.id}`, 'objection.answered', (d) => d.id === oid && d.answer === '施工改在上午九点以后'));
	await inboxLive.waitFor(note(r2.id, 'objection.answered', (d) => d.data.thread_id === co.id && d.data.title === '小区东门改造方案'));
	expectError(await answer(staff, '再答一次'), 409, 'conflict');

	// Public to members, with the answer; another community's member may not read it.
	const list = await gw.request('GET', `/v1/threads/${co.id}/objections`, { token: r1.access });
	expectStatus(list, 200, 'list');
	assert.deepEqual(list.json.items.map((x) => [x.id, x.reason, x.answer]), [[oid, '施工时间太早，影响休息', '施工改在上午九点以后']]);
	assert.equal(list.json.publicity_until, until);
	expectError(await gw.request('GET', `/v1/threads/${co.id}/objections`, { token: resB.access }), 403, 'forbidden');

	// The period ends (moved into the past: three days are not waited for).
	await sql(gw, `UPDATE threads SET publicity_until = ${Date.now() - 1} WHERE id = ${co.id}`);
	const late = await obj(r1, '我也有意见');
	expectError(late, 409, 'conflict');
	assert.match(late.json.error.message, /over/);
	assert.equal((await gw.request('GET', `/v1/threads/${co.id}/objections`, { token: r1.access })).json.items.length, 1, 'nothing stored');

	// A discussion has no publicity period.
	const th = await createThread(gw, r1.access, A.id);
	expectError(await gw.request('POST', `/v1/threads/${th.id}/objections`, { token: r2.access, body: { reason: 'x' } }), 409, 'conflict');
	assert.ok((await inbox(gw, r2)).items.some((n) => n.type === 'objection.answered'));
});
