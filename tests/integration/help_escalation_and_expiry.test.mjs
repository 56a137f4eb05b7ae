// Nobody answered: an urgent request still open after help_escalate_minutes
// goes to every staff member; a request open past its window expires. Both
// timers are read from the database by a once-a-second tick, so the test
// moves a request's clock back in the SQLite file (as time passing would)
// instead of waiting 15 minutes; and a timer set before a restart fires
// after it.
import assert from 'node:assert/strict';
import { itest, sql } from './lib/harness.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { createHelp, getHelp, helpAction, inbox, note, ev, volunteer } from './lib/help.mjs';

const MIN = 60000;

itest('urgent and unclaimed: staff are told once; claimed or normal requests are not escalated', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, help_escalate_minutes: 15 } });
	const { A, staff, residents: [asker, vol] } = await forumWorld(gw, { residents: 2, other: false });
	await volunteer(gw, vol, A.id);
	const staffSock = await h.subscriber(gw, staff.access, `user:${staff.id}`, { label: 'staff inbox' });
	const board = await h.subscriber(gw, staff.access, `help:${A.id}`, { label: 'help board' });

	const urgent = await createHelp(gw, asker, A.id, { urgency: 'urgent', title: '老人摔倒了' });
	const claimed = await createHelp(gw, asker, A.id, { urgency: 'urgent', title: '已经有人接了' });
	await helpAction(gw, vol, claimed.id, 'claim');
	const normal = await createHelp(gw, asker, A.id, { title: '不急的事' });
	// 16 minutes ago, as far as the gateway can tell.
	await sql(gw, `UPDATE help_requests SET created_at = created_at - ${16 * MIN}`);

	const n = await staffSock.waitFor(note(staff.id, 'help.escalated'), 5000);
	assert.equal(n.data.data.id, urgent.id);
	assert.equal(n.data.data.escalated, true);
	assert.equal(n.data.data.contact, undefined, 'no contact in the notification');
	await board.waitFor(ev(`help:${A.id}`, 'help.updated', (d) => d.id === urgent.id && d.escalated));
	assert.equal((await getHelp(gw, staff, urgent.id)).escalated, true);
	assert.equal((await getHelp(gw, staff, claimed.id)).escalated, false, 'claimed: nobody to chase');
	assert.equal((await getHelp(gw, staff, normal.id)).escalated, false, 'normal urgency: not escalated');

	// Once only: a later event on the same socket arrives with no second escalation before it.
	const later = await createHelp(gw, asker, A.id, { title: '之后的请求' });
	await board.waitFor(ev(`help:${A.id}`, 'help.created', (d) => d.id === later.id));
	const box = await inbox(gw, staff);
	assert.equal(box.items.filter((i) => i.type === 'help.escalated').length, 1);
	// Still open and claimable after escalation.
	await helpAction(gw, vol, urgent.id, 'claim');
});

itest('an escalation timer set before a restart fires after it', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, help_escalate_minutes: 15 } });
	const { A, staff, residents: [asker] } = await forumWorld(gw, { residents: 1, other: false });
	const urgent = await createHelp(gw, asker, A.id, { urgency: 'urgent' });
	await gw.stop();
	// Due 2 s after the restart: the deadline comes from the stored row.
	await sql(gw, `UPDATE help_requests SET created_at = ${Date.now() - 15 * MIN + 2000} WHERE id = ${urgent.id}`);
	await gw.start();
	const s = await h.subscriber(gw, staff.access, `user:${staff.id}`, { since: 0 });
	assert.equal((await getHelp(gw, staff, urgent.id)).escalated, false, 'not yet due');
	const n = await s.waitFor(note(staff.id, 'help.escalated', (d) => d.data.id === urgent.id), 8000);
	assert.ok(n.data.created_at >= Number(await sql(gw, `SELECT created_at FROM help_requests WHERE id = ${urgent.id}`)) + 15 * MIN);
	assert.equal((await getHelp(gw, staff, urgent.id)).escalated, true);
});

itest('a request open past its window expires; the requester is told; it can no longer be claimed', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, residents: [asker, vol] } = await forumWorld(gw, { residents: 2, other: false });
	await volunteer(gw, vol, A.id);
	const mine = await h.subscriber(gw, asker.access, `user:${asker.id}`);
	const req = await createHelp(gw, asker, A.id, { window_minutes: 30 });
	const kept = await createHelp(gw, asker, A.id, { window_minutes: 30, title: '还在时间内' });
	assert.ok(req.window_end > Date.now() + 29 * MIN);
	await sql(gw, `UPDATE help_requests SET window_end = ${Date.now() - 1000} WHERE id = ${req.id}`);
	const n = await mine.waitFor(note(asker.id, 'help.expired'), 5000);
	assert.equal(n.data.data.id, req.id);
	assert.equal(n.data.data.status, 'expired');
	const r = await gw.request('POST', `/v1/help/${req.id}/claim`, { token: vol.access });
	assert.equal(r.status, 409, r.text);
	assert.equal((await getHelp(gw, asker, req.id)).status, 'expired');
	assert.equal((await getHelp(gw, asker, kept.id)).status, 'open', 'a request inside its window stays open');
});
