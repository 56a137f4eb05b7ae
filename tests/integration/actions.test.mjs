// 落实 (issue 17, "From consultation to action"): implementation items of
// a decided consultation. An item moves planned → in_progress (40%) →
// done; every participant of the thread (who voted or posted) gets each
// notification and the thread's events carry each step; an item past its
// due date and not done is listed as overdue; the list is public to
// members, the changes are staff's.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, createConsultation, createPost, forumWorld, vote } from './lib/forums.mjs';
import { ev, inbox } from './lib/help.mjs';

itest('落实: an item planned → in progress (40%) → done, told to every participant; overdue ones flagged', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [voter, poster, bystander], resB } = await forumWorld(gw, { residents: 3 });
	const co = await createConsultation(gw, staff.access, A.id, { title: '楼顶加装太阳能' });
	const add = (body) => gw.request('POST', `/v1/threads/${co.id}/actions`, { token: staff.access, body });
	expectError(await add({ title: '先别急' }), 409, 'conflict');
	await vote(gw, voter.access, co.id, 0);
	await createPost(gw, poster.access, co.id, '支持，顺便修一下防水');
	expectStatus(await gw.request('POST', `/v1/threads/${co.id}/close`, { token: staff.access }), 200, 'close');
	const live = await h.subscriber(gw, bystander.access, `thread:${co.id}`);

	expectError(await add({}), 400, 'bad_request', 'title');
	expectError(await add({ title: '采购', owner_id: resB.id }), 404, 'not_found', 'owner_id');
	expectError(await gw.request('POST', `/v1/threads/${co.id}/actions`, { token: voter.access, body: { title: '我来' } }), 403, 'forbidden');
	const due = Date.now() + 7 * 86400000;
	const r = await add({ title: '采购太阳能板', owner_id: staff.id, due_at: due });
	expectStatus(r, 201, 'add');
	const a = r.json.action;
	assert.deepEqual([a.status, a.progress, a.owner.id, a.due_at, a.overdue], ['planned', 0, staff.id, due, false]);
	await live.waitFor(ev(`thread:${co.id}`, 'action.updated', (d) => d.id === a.id && d.status === 'planned'));

	const patch = (body, s = staff) => gw.request('PATCH', `/v1/actions/${a.id}`, { token: s.access, body });
	expectError(await patch({}), 400, 'bad_request');
	expectError(await patch({ status: 'finished' }), 400, 'bad_request', 'status');
	expectError(await patch({ progress: 101 }), 400, 'bad_request', 'progress');
	expectError(await patch({ status: 'done' }, voter), 403, 'forbidden');
	expectError(await patch({ status: 'done' }, resB), 404, 'not_found');
	const p1 = await patch({ status: 'in_progress', progress: 40, note: '已签采购合同' });
	expectStatus(p1, 200, 'in progress');
	assert.deepEqual([p1.json.action.status, p1.json.action.progress, p1.json.action.note], ['in_progress', 40, '已签采购合同']);
	await live.waitFor(ev(`thread:${co.id}`, 'action.updated', (d) => d.id === a.id && d.progress === 40));
	expectStatus(await patch({ status: 'done', progress: 100 }), 200, 'done');
	await live.waitFor(ev(`thread:${co.id}`, 'action.updated', (d) => d.id === a.id && d.status === 'done'));

	// Each step told to each participant (voter and poster), not to others.
	for (const s of [voter, poster]) {
		const steps = (await inbox(gw, s)).items.filter((n) => n.type === 'action.updated').map((n) => [n.data.status, n.data.progress]).reverse();
		assert.deepEqual(steps, [['planned', 0], ['in_progress', 40], ['done', 100]], `${s.display_name}`);
		const d = (await inbox(gw, s)).items.find((n) => n.type === 'action.updated').data;
		assert.deepEqual([d.thread_id, d.community_id, d.title, d.action_title], [co.id, A.id, '楼顶加装太阳能', '采购太阳能板']);
	}
	assert.equal((await inbox(gw, bystander)).items.filter((n) => n.type === 'action.updated').length, 0, 'not a participant');
	assert.equal((await inbox(gw, staff)).items.filter((n) => n.type === 'action.updated').length, 0, 'not the one acting');

	// Overdue: past its due date and not done.
	const late = expectStatus(await add({ title: '验收', due_at: Date.now() - 60000 }), 201, 'late item').action;
	assert.equal(late.overdue, true);
	const list = await gw.request('GET', `/v1/communities/${A.id}/actions`, { token: bystander.access });
	expectStatus(list, 200, 'members read the list');
	assert.deepEqual(list.json.items.map((x) => [x.id, x.status, x.overdue]), [[late.id, 'planned', true], [a.id, 'done', false]]);
	const onlyDone = (await gw.request('GET', `/v1/communities/${A.id}/actions?status=done`, { token: voter.access })).json.items;
	assert.deepEqual(onlyDone.map((x) => x.id), [a.id]);
	// One consultation's items, for its page: ?thread_id=
	const other = await createConsultation(gw, staff.access, A.id, { title: '另一件事' });
	expectStatus(await gw.request('POST', `/v1/threads/${other.id}/close`, { token: staff.access }), 200, 'close the other');
	const item2 = expectStatus(await gw.request('POST', `/v1/threads/${other.id}/actions`,
		{ token: staff.access, body: { title: '另一项' } }), 201).action;
	const of = async (tid) => (await gw.request('GET', `/v1/communities/${A.id}/actions?thread_id=${tid}`, { token: voter.access })).json.items.map((x) => x.id);
	assert.deepEqual(await of(co.id), [late.id, a.id]);
	assert.deepEqual(await of(other.id), [item2.id]);
	expectError(await gw.request('GET', `/v1/communities/${A.id}/actions?thread_id=x`, { token: voter.access }), 400, 'bad_request', 'thread_id');
	expectError(await gw.request('GET', `/v1/communities/${A.id}/actions`, { token: resB.access }), 403, 'forbidden');
});
