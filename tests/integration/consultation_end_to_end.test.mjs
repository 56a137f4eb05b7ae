// A consultation from start to finish: three residents vote over HTTP (one
// changes their mind), everyone watches over WebSocket, the deadline passes
// and the once-a-second tick closes it; everyone sees the same tally and
// the minority's reasons; staff publish the outcome; late votes get 409.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createConsultation, vote, getThread } from './lib/forums.mjs';

const isEvent = (ch, type, pred = () => true) => (f) => f.op === 'event' && f.ch === ch && f.type === type && pred(f.data);

itest('consultation: votes, a changed vote, close at the deadline, tally, outcome, late vote', async (h, t) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [r1, r2, r3] } = await forumWorld(gw, { residents: 3, other: false });
	const step = (name, fn) => h.sub(t, name, fn);

	// Sockets are connected and authenticated before the clock starts.
	const sockets = {};
	for (const [name, s] of Object.entries({ r1, r2, r3, staff })) {
		const c = await h.ws(gw, { token: s.access, label: name });
		await c.next({ op: 'hello' });
		await c.next({ op: 'authed' });
		sockets[name] = c;
	}
	await sockets.staff.subscribe(`community:${A.id}`);

	const closesAt = Date.now() + 1500;
	const th = await createConsultation(gw, r1.access, A.id, {
		title: '3号楼是否加装电梯', body: '费用按楼层分摊', options: ['同意', '反对', '弃权'], closes_at: closesAt,
	});
	const tch = `thread:${th.id}`;
	for (const c of Object.values(sockets)) await c.subscribe(tch);

	await step('the new consultation shows options, deadline and no tally', async () => {
		assert.equal(th.kind, 'consultation');
		assert.deepEqual(th.options, ['同意', '反对', '弃权']);
		assert.equal(th.closes_at, closesAt);
		assert.equal(th.live_tally, false);
		assert.equal(th.status, 'open');
		assert.equal(th.votes, 0);
		assert.ok(!('tally' in th), `no tally on an open consultation: ${JSON.stringify(th)}`);
		const created = await sockets.staff.waitFor(isEvent(`community:${A.id}`, 'thread.created', (d) => d.id === th.id));
		assert.deepEqual(created.data.options, th.options);
		assert.ok(!('tally' in created.data));
	});

	await step('three votes and one change; vote.tally carries only the count', async () => {
		await vote(gw, r1.access, th.id, 0);
		await vote(gw, r2.access, th.id, 1, '加装后一楼采光受影响');
		const v3 = await vote(gw, r3.access, th.id, 1);
		assert.equal(v3.vote.thread_id, th.id);
		assert.equal(v3.vote.option, 1);
		assert.ok(v3.vote.reason == null, 'no reason given');
		const changed = await vote(gw, r3.access, th.id, 0, '想通了，老人上下楼方便');
		assert.deepEqual(changed.vote, { thread_id: th.id, option: 0, reason: '想通了，老人上下楼方便' });
		for (const [name, c] of Object.entries(sockets)) {
			const evs = await c.collect(isEvent(tch, 'vote.tally'), 4);
			assert.deepEqual(evs.map((e) => e.data.votes), [1, 2, 3, 3], `${name}: running vote counts`);
			for (const e of evs) {
				assert.equal(e.data.thread_id, th.id);
				assert.ok(!('tally' in e.data), `${name}: hidden tally leaked in vote.tally: ${JSON.stringify(e.data)}`);
			}
		}
	});

	await step('before the deadline GET has the vote count and my vote, not the tally', async () => {
		assert.ok(Date.now() < closesAt, 'still before the deadline (setup too slow?)');
		const g = await getThread(gw, r3.access, th.id);
		assert.ok(!('tally' in g), `tally must stay hidden before close: ${JSON.stringify(g)}`);
		assert.ok(!('minority_reasons' in g), JSON.stringify(g));
		assert.equal(g.status, 'open');
		assert.equal(g.votes, 3);
		assert.deepEqual(g.my_vote, { option: 0, reason: '想通了，老人上下楼方便' });
		const gs = await getThread(gw, staff.access, th.id);
		assert.ok(!('tally' in gs), 'hidden from staff too');
		assert.ok(!('my_vote' in gs), 'staff did not vote');
	});

	const wantTally = [2, 1, 0];
	const wantMinority = [{ option: 1, reason: '加装后一楼采光受影响' }];
	await step('at the deadline everyone sees thread.updated with the tally and minority reasons', async () => {
		for (const [name, c] of Object.entries(sockets)) {
			const ev = await c.waitFor(isEvent(tch, 'thread.updated', (d) => d.status === 'closed'), 5000);
			assert.deepEqual(ev.data.tally, wantTally, `${name}: tally`);
			assert.deepEqual(ev.data.minority_reasons, wantMinority, `${name}: minority reasons`);
			assert.equal(ev.data.votes, 3);
			assert.ok(ev.data.closed_at >= closesAt, `${name}: closed_at ${ev.data.closed_at} >= closes_at ${closesAt}`);
			assert.ok(ev.data.closed_at <= closesAt + 3000, `${name}: closed within the tick (${ev.data.closed_at - closesAt} ms late)`);
		}
		const cev = await sockets.staff.waitFor(isEvent(`community:${A.id}`, 'thread.updated', (d) => d.id === th.id && d.status === 'closed'));
		assert.deepEqual(cev.data.tally, wantTally, 'community channel: tally');
		assert.deepEqual(cev.data.minority_reasons, wantMinority, 'community channel: minority reasons');
		// Closed exactly once.
		await new Promise((r) => setTimeout(r, 1200));
		const closes = sockets.r1.events(tch).filter((e) => e.type === 'thread.updated' && e.data.status === 'closed');
		assert.equal(closes.length, 1, 'one close event');
	});

	await step('GET after close shows the tally; a late vote gets 409 and changes nothing', async () => {
		const g = await getThread(gw, r2.access, th.id);
		assert.equal(g.status, 'closed');
		assert.deepEqual(g.tally, wantTally);
		assert.deepEqual(g.minority_reasons, wantMinority);
		assert.deepEqual(g.my_vote, { option: 1, reason: '加装后一楼采光受影响' });
		expectError(await gw.request('POST', `/v1/threads/${th.id}/vote`, { token: r2.access, body: { option: 0 } }),
			409, 'conflict', undefined, 'vote after close');
		expectError(await gw.request('POST', `/v1/threads/${th.id}/close`, { token: staff.access }),
			409, 'conflict', undefined, 'close twice');
		assert.deepEqual((await getThread(gw, r2.access, th.id)).tally, wantTally, 'tally unchanged');
	});

	await step('staff publish the outcome; thread.updated carries it everywhere', async () => {
		const summary = '多数同意加装，下月召开业主大会确定分摊方案；反对意见已记录。';
		const r = await gw.request('POST', `/v1/threads/${th.id}/outcome`, { token: staff.access, body: { summary } });
		expectStatus(r, 200, 'outcome');
		assert.equal(r.json.thread.outcome.summary, summary);
		assert.ok(Number.isInteger(r.json.thread.outcome.published_at));
		assert.deepEqual(r.json.thread.tally, wantTally);
		for (const [name, c] of Object.entries(sockets)) {
			const ev = await c.waitFor(isEvent(tch, 'thread.updated', (d) => d.outcome && d.outcome.summary === summary));
			assert.deepEqual(ev.data.tally, wantTally, `${name}: tally on the outcome event`);
			assert.deepEqual(ev.data.minority_reasons, wantMinority, `${name}: minority reasons on the outcome event`);
		}
		await sockets.staff.waitFor(isEvent(`community:${A.id}`, 'thread.updated', (d) => d.outcome && d.outcome.summary === summary));
		const g = await getThread(gw, r1.access, th.id);
		assert.equal(g.outcome.summary, summary);
		const log = await gw.request('GET', `/v1/communities/${A.id}/moderation/log`, { token: staff.access });
		expectStatus(log, 200);
		assert.ok(log.json.items.some((e) => e.action === 'consultation.outcome' && e.target.kind === 'thread' && e.target.id === th.id),
			`outcome in the moderation log: ${log.text}`);
	});
});

itest('consultation with a live tally (staff): vote.tally carries per-option counts; staff close early', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, staff, residents: [r1, r2] } = await forumWorld(gw, { residents: 2, other: false });
	const th = await createConsultation(gw, staff.access, A.id, { options: ['周六', '周日'], live_tally: true });
	assert.equal(th.live_tally, true);
	assert.deepEqual(th.tally, [0, 0], 'a live tally is shown from the start');
	const c = await h.subscriber(gw, r1.access, `thread:${th.id}`);
	await vote(gw, r1.access, th.id, 1);
	await vote(gw, r2.access, th.id, 1, '周日有空');
	const evs = await c.collect((f) => f.op === 'event' && f.type === 'vote.tally', 2);
	assert.deepEqual(evs.map((e) => e.data.tally), [[0, 1], [0, 2]]);
	const r = await gw.request('POST', `/v1/threads/${th.id}/close`, { token: staff.access });
	expectStatus(r, 200, 'close early');
	assert.equal(r.json.thread.status, 'closed');
	assert.deepEqual(r.json.thread.tally, [0, 2]);
	assert.deepEqual(r.json.thread.minority_reasons, []);
	const ev = await c.waitFor((f) => f.op === 'event' && f.type === 'thread.updated' && f.data.status === 'closed');
	assert.deepEqual(ev.data.tally, [0, 2]);
	expectError(await gw.request('POST', `/v1/threads/${th.id}/vote`, { token: r1.access, body: { option: 0 } }), 409, 'conflict');
	// A resident may not ask for a live tally.
	expectError(await gw.request('POST', `/v1/communities/${A.id}/threads`, {
		token: r1.access,
		body: { title: 't', body: 'b', kind: 'consultation', options: ['a', 'b'], closes_at: Date.now() + 60000, live_tally: true },
	}), 403, 'forbidden', 'live_tally');
});
