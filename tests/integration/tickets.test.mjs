// 居民诉求 (issue 17, "Resident requests to the community"): a resident's
// request has one staff owner from acceptance (首问负责): a second accept
// is 409; replies for the resident or public; the owner resolves; the
// resident rates, reopens once, and the owner resolves again; the monthly
// summary counts it. A request left unaccepted past ticket_accept_hours
// notifies every staff member once, across a restart and with two
// gateways: the deadlines are read from the database (the test moves a
// request's clock back, as time passing would).
import assert from 'node:assert/strict';
import { itest, poll, sql } from './lib/harness.mjs';
import { appoint, expectError, expectStatus, register } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { ev, inbox, note } from './lib/help.mjs';

const HOUR = 3600000, DAY = 24 * HOUR;
const REQ = { category: 'repair', title: '三单元电梯坏了', body: '电梯停在五楼，按钮没反应' };

// "YYYY-MM" in China Standard Time, as the summary counts months.
const month = (ms) => new Date(ms + 8 * HOUR).toISOString().slice(0, 7);

async function ticketWorld(gw) {
	const w = await forumWorld(gw, { residents: 2 });
	w.staff2 = await register(gw, { display_name: '社工小李' });
	await appoint(gw, w.admin.access, w.A.id, w.staff2.id);
	return w;
}

const make = async (gw, s, cid, body = REQ) =>
	expectStatus(await gw.request('POST', `/v1/communities/${cid}/requests`, { token: s.access, body }), 201, 'request').ticket;
const act = (gw, s, id, what, body) => gw.request(what ? 'POST' : 'GET', `/v1/tickets/${id}${what ? `/${what}` : ''}`,
	{ token: s.access, body });
const list = async (gw, s, cid, q = '') =>
	expectStatus(await gw.request('GET', `/v1/communities/${cid}/requests${q}`, { token: s.access }), 200, `list ${q}`).items;

itest('诉求: accepted once (首问负责), replied, resolved, rated 2, reopened, resolved again; the summary counts it', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, staff2, residents: [asker, neighbour], resB } = await ticketWorld(gw);
	const queue = await h.subscriber(gw, staff2.access, `mod:${A.id}`, { label: 'staff queue' });
	const askerBox = await h.subscriber(gw, asker.access, `user:${asker.id}`, { label: "asker's inbox" });

	// Bad input names the problem; other communities' residents are refused.
	const post = (body, s = asker, cid = A.id) => gw.request('POST', `/v1/communities/${cid}/requests`, { token: s.access, body });
	expectError(await post({ ...REQ, category: 'praise' }), 400, 'bad_request', 'category');
	expectError(await post({ category: 'repair', body: 'x' }), 400, 'bad_request', 'title');
	expectError(await post({ category: 'repair', title: 'x' }), 400, 'bad_request', 'body');
	expectError(await post({ ...REQ, grid: '九网格' }), 400, 'bad_request', 'grid');
	expectError(await post({ ...REQ, attachments: [12345] }), 400, 'bad_request', 'attachments');
	expectError(await post(REQ, resB), 403, 'forbidden');

	const t = await make(gw, asker, A.id, { ...REQ, grid: '一网格' });
	assert.deepEqual([t.status, t.owner, t.author.id, t.grid, t.escalated, t.reopened], ['open', null, asker.id, '一网格', false, false]);
	assert.equal(t.accept_due_at, t.created_at + 24 * HOUR, 'ticket_accept_hours (default 24)');
	assert.equal(t.resolve_due_at, t.created_at + 120 * HOUR, 'ticket_resolve_hours (default 120)');
	await queue.waitFor(ev(`mod:${A.id}`, 'ticket.created', (d) => d.id === t.id && d.title === REQ.title));
	// Another member does not see it; another community does not either.
	expectError(await act(gw, neighbour, t.id), 404, 'not_found');
	expectError(await act(gw, resB, t.id), 404, 'not_found');
	expectError(await act(gw, asker, t.id, 'accept'), 403, 'forbidden');

	// 首问负责: the first accept owns it; the second is 409.
	const acc = expectStatus(await act(gw, staff, t.id, 'accept'), 200, 'accept').ticket;
	assert.deepEqual([acc.status, acc.owner.id], ['accepted', staff.id]);
	expectError(await act(gw, staff2, t.id, 'accept'), 409, 'conflict');
	await askerBox.waitFor(note(asker.id, 'ticket.updated', (d) => d.data.ticket_id === t.id && d.data.status === 'accepted'));
	await queue.waitFor(ev(`mod:${A.id}`, 'ticket.updated', (d) => d.id === t.id && d.owner?.id === staff.id));

	// Replies: for the resident, then one public (the neighbour may then read it, the resident unnamed).
	expectError(await act(gw, staff, t.id, 'reply', {}), 400, 'bad_request', 'body');
	expectError(await act(gw, staff, t.id, 'reply', { body: 'x', public: 'yes' }), 400, 'bad_request', 'public');
	expectError(await act(gw, asker, t.id, 'reply', { body: '我公开', public: true }), 403, 'forbidden');
	expectStatus(await act(gw, staff, t.id, 'reply', { body: '已联系物业，明天上午维修' }), 201, 'private reply');
	expectStatus(await act(gw, asker, t.id, 'reply', { body: '好的，谢谢' }), 201, "the resident's reply");
	expectError(await act(gw, neighbour, t.id), 404, 'not_found');
	expectStatus(await act(gw, staff2, t.id, 'reply', { body: '电梯维保单位已到场', public: true }), 201, 'public reply');
	const seen = expectStatus(await act(gw, neighbour, t.id), 200, 'public now').ticket;
	assert.equal(seen.author, undefined, 'the resident is not named to other members');
	assert.deepEqual(seen.replies.map((r) => r.body), ['电梯维保单位已到场'], 'public replies only');
	const own = expectStatus(await act(gw, asker, t.id), 200).ticket;
	assert.deepEqual(own.replies.map((r) => [r.body, r.public]),
		[['已联系物业，明天上午维修', false], ['好的，谢谢', false], ['电梯维保单位已到场', true]]);

	// Only the owner resolves.
	expectError(await act(gw, staff2, t.id, 'resolve', { summary: '修好了' }), 403, 'forbidden');
	expectError(await act(gw, staff, t.id, 'resolve', {}), 400, 'bad_request', 'summary');
	expectError(await act(gw, asker, t.id, 'rate', { satisfaction: 5 }), 409, 'conflict');
	const res1 = expectStatus(await act(gw, staff, t.id, 'resolve', { summary: '已更换控制板' }), 200, 'resolve').ticket;
	assert.deepEqual([res1.status, res1.summary], ['resolved', '已更换控制板']);
	await askerBox.waitFor(note(asker.id, 'ticket.updated', (d) => d.data.ticket_id === t.id && d.data.status === 'resolved'));

	// Rated 2: closed; the resident may still reopen (once, within 7 days).
	expectError(await act(gw, asker, t.id, 'rate', { satisfaction: 6 }), 400, 'bad_request', 'satisfaction');
	expectError(await act(gw, staff, t.id, 'rate', { satisfaction: 5 }), 403, 'forbidden');
	expectError(await act(gw, neighbour, t.id, 'rate', { satisfaction: 5 }), 403, 'forbidden');
	const rated = expectStatus(await act(gw, asker, t.id, 'rate', { satisfaction: 2, comment: '修得太慢' }), 200, 'rate').ticket;
	assert.deepEqual([rated.status, rated.satisfaction, rated.rating_comment], ['closed', 2, '修得太慢']);
	expectError(await act(gw, asker, t.id, 'rate', { satisfaction: 3 }), 409, 'conflict');
	const staffBox = await inbox(gw, staff);
	assert.ok(staffBox.items.some((n) => n.type === 'ticket.updated' && n.data.ticket_id === t.id && n.data.status === 'closed'),
		'the owner hears of the rating');
	expectError(await act(gw, asker, t.id, 'reopen', {}), 400, 'bad_request', 'reason');
	expectError(await act(gw, staff, t.id, 'reopen', { reason: 'x' }), 403, 'forbidden');
	const re = expectStatus(await act(gw, asker, t.id, 'reopen', { reason: '第二天又停了' }), 200, 'reopen').ticket;
	assert.deepEqual([re.status, re.owner.id, re.reopened, re.reopen_reason], ['accepted', staff.id, true, '第二天又停了']);
	await queue.waitFor(ev(`mod:${A.id}`, 'ticket.updated', (d) => d.id === t.id && d.status === 'accepted' && d.reopened));
	expectStatus(await act(gw, staff, t.id, 'resolve', { summary: '更换了曳引机' }), 200, 'resolved again');
	expectError(await act(gw, asker, t.id, 'reopen', { reason: '还是坏' }), 409, 'conflict');

	// A second request, never accepted; a third from a month before.
	const t2 = await make(gw, neighbour, A.id, { category: 'suggestion', title: '增加垃圾分类指导', body: '每周一次' });
	const t3 = await make(gw, neighbour, A.id, { category: 'question', title: '老年证怎么办', body: '需要带什么' });
	await act(gw, staff2, t3.id, 'accept');
	await sql(gw, `UPDATE tickets SET created_at = created_at - ${40 * DAY}, accepted_at = accepted_at - ${40 * DAY} WHERE id = ${t3.id}`);

	// Lists: a member their own; public=1 those with a public reply, nobody named; staff all.
	assert.deepEqual((await list(gw, asker, A.id)).map((x) => x.id), [t.id]);
	assert.deepEqual((await list(gw, neighbour, A.id)).map((x) => x.id), [t3.id, t2.id]);
	const pub = await list(gw, neighbour, A.id, '?public=1');
	assert.deepEqual(pub.map((x) => [x.id, x.author]), [[t.id, undefined]]);
	assert.deepEqual((await list(gw, staff, A.id)).map((x) => x.id), [t3.id, t2.id, t.id]);
	assert.deepEqual((await list(gw, staff, A.id, '?owned=1')).map((x) => x.id), [t.id]);
	assert.deepEqual((await list(gw, staff, A.id, '?status=open')).map((x) => x.id), [t2.id]);
	expectError(await gw.request('GET', `/v1/communities/${A.id}/requests?status=lost`, { token: staff.access }), 400, 'bad_request', 'status');
	expectError(await gw.request('GET', `/v1/communities/${A.id}/requests`, { token: resB.access }), 403, 'forbidden');

	// 评价结果公开: per month of receipt; any member reads it.
	const r = expectStatus(await gw.request('GET', `/v1/communities/${A.id}/requests/summary`, { token: neighbour.access }), 200, 'summary');
	const now = month(Date.now()), before = month(Date.now() - 40 * DAY);
	assert.deepEqual(r.months, [
		{ month: now, received: 2, answered_in_time: 1, resolved: 1, average_satisfaction: 2 },
		{ month: before, received: 1, answered_in_time: 1, resolved: 0, average_satisfaction: null },
	]);
	expectError(await gw.request('GET', `/v1/communities/${A.id}/requests/summary?months=0`, { token: staff.access }), 400, 'bad_request', 'months');
	const one = expectStatus(await gw.request('GET', `/v1/communities/${A.id}/requests/summary?months=1`, { token: staff.access }), 200);
	assert.deepEqual(one.months.map((m) => m.month), [now]);
});

itest('诉求: unaccepted past ticket_accept_hours, every staff member is told once — across a restart, with two gateways', async (h) => {
	const redis = await h.redis();
	const config = { ...FORUM_CONFIG, ticket_accept_hours: 1 };
	const a = await h.gateway({ name: 'A', redis, config });
	const b = await h.gateway({ name: 'B', redis, config, db: a.db, dir: a.dir });
	const { A, staff, staff2, residents: [asker] } = await ticketWorld(a);
	const t = await make(a, asker, A.id);
	await a.stop();
	await b.stop();
	// Due 2 s after the restart: the deadline comes from the stored row.
	await sql(a, `UPDATE tickets SET created_at = ${Date.now() - HOUR + 2000} WHERE id = ${t.id}`);
	await a.start();
	await b.start();
	const socks = [await h.subscriber(a, staff.access, `user:${staff.id}`, { since: 0 }),
		await h.subscriber(b, staff2.access, `user:${staff2.id}`, { since: 0 })];
	assert.equal(expectStatus(await act(a, staff, t.id), 200).ticket.escalated, false, 'not yet due');
	for (const [i, s] of [staff, staff2].entries()) {
		const n = await socks[i].waitFor(note(s.id, 'ticket.escalated', (d) => d.data.ticket_id === t.id), 10000);
		assert.deepEqual([n.data.data.community_id, n.data.data.title, n.data.data.deadline], [A.id, REQ.title, 'accept']);
	}
	// Both gateways tick again after the escalation: still one notification each.
	const ticks = async () => Promise.all([a.metric('linli_ticks_total'), b.metric('linli_ticks_total')]);
	const t0 = await ticks();
	await poll(async () => (await ticks()).every((v, i) => v >= t0[i] + 2), { what: 'two more ticks on each gateway' });
	for (const s of [staff, staff2])
		assert.equal((await inbox(a, s)).items.filter((n) => n.type === 'ticket.escalated').length, 1, s.display_name);
	assert.equal((await inbox(a, asker)).items.filter((n) => n.type === 'ticket.escalated').length, 0, 'staff only');
	assert.equal(expectStatus(await act(b, staff2, t.id), 200).ticket.escalated, true);
	// Accepting it still works; the escalation stays on record.
	const acc = expectStatus(await act(b, staff2, t.id, 'accept'), 200).ticket;
	assert.deepEqual([acc.status, acc.escalated], ['accepted', true]);
	// The summary counts it received, not accepted in time.
	const sum = expectStatus(await a.request('GET', `/v1/communities/${A.id}/requests/summary`, { token: asker.access }), 200);
	assert.deepEqual(sum.months, [{ month: month(Date.now() - HOUR), received: 1, answered_in_time: 0, resolved: 0, average_satisfaction: null }]);
});

itest('诉求: the resolve deadline escalates; a resolved request closes after 7 days and can no longer be reopened', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, ticket_resolve_hours: 2 } });
	const { A, staff, staff2, residents: [asker] } = await ticketWorld(gw);
	const sock = await h.subscriber(gw, staff2.access, `user:${staff2.id}`);
	const t = await make(gw, asker, A.id);
	await act(gw, staff, t.id, 'accept');
	await sql(gw, `UPDATE tickets SET created_at = created_at - ${3 * HOUR} WHERE id = ${t.id}`);
	const n = await sock.waitFor(note(staff2.id, 'ticket.escalated', (d) => d.data.ticket_id === t.id), 10000);
	assert.equal(n.data.data.deadline, 'resolve');
	expectStatus(await act(gw, staff, t.id, 'resolve', { summary: '已处理' }), 200, 'resolve');
	const box = await h.subscriber(gw, asker.access, `user:${asker.id}`);
	await sql(gw, `UPDATE tickets SET resolved_at = resolved_at - ${8 * DAY} WHERE id = ${t.id}`);
	await box.waitFor(note(asker.id, 'ticket.updated', (d) => d.data.ticket_id === t.id && d.data.status === 'closed'), 10000);
	const closed = expectStatus(await act(gw, asker, t.id), 200).ticket;
	assert.equal(closed.status, 'closed');
	assert.equal(closed.satisfaction, null, 'closed unrated');
	expectError(await act(gw, asker, t.id, 'reopen', { reason: '又坏了' }), 409, 'conflict');
	expectError(await act(gw, staff, t.id, 'reply', { body: '补充' }), 409, 'conflict');
	// Rated late: the rating still counts.
	expectStatus(await act(gw, asker, t.id, 'rate', { satisfaction: 4 }), 200, 'late rating');
});
