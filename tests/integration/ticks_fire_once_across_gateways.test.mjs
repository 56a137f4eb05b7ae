// Every gateway of a deployment runs the once-a-second ticks against the
// same database. Each deadline still fires once: a consultation closes
// once, an urgent request is escalated to each staff member once, an
// expired request is told once, a deleted account is anonymised once. The rows are made due together, so the
// three gateways' ticks find them at the same time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ENGINE, itest, poll, sql } from './lib/harness.mjs';
import { register, appoint, addMember } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld, createConsultation } from './lib/forums.mjs';
import { createHelp } from './lib/help.mjs';

const MIN = 60000;

itest('three gateways on one database: every deadline fires once', async (h) => {
	const redis = await h.redis();
	const config = { ...FORUM_CONFIG, help_escalate_minutes: 15, rate_writes_per_user: 100000 };
	const a = await h.gateway({ name: 'A', redis, config });
	const b = await h.gateway({ name: 'B', redis, config, db: a.db, dir: a.dir });
	const c = await h.gateway({ name: 'C', redis, config, db: a.db, dir: a.dir });
	const { A, admin, staff, residents: [asker] } = await forumWorld(a, { residents: 1, other: false });
	const staff2 = await register(b, { display_name: '社工小李' });
	await appoint(b, admin.access, A.id, staff2.id);

	const URGENT = 12, EXPIRING = 12, CONSULTATIONS = 6;
	const urgent = [], expiring = [], consultations = [];
	for (let i = 0; i < URGENT; i++) urgent.push(await createHelp(a, asker, A.id, { urgency: 'urgent', title: `急事${i}` }));
	for (let i = 0; i < EXPIRING; i++) expiring.push(await createHelp(b, asker, A.id, { window_minutes: 30, title: `限时${i}` }));
	for (let i = 0; i < CONSULTATIONS; i++)
		consultations.push(await createConsultation(c, staff.access, A.id, { title: `议题${i}`, closes_at: Date.now() + 3600000 }));
	const LEAVERS = 4, leavers = [];
	for (let i = 0; i < LEAVERS; i++) {
		const s = await register(c, { display_name: `要走的${i}` });
		await addMember(c, admin.access, A.id, s);
		await createHelp(c, s, A.id, { title: `走前求助${i}` });
		leavers.push(s.id);
	}
	// All due at once, as far as any gateway can tell.
	const now = Date.now();
	await sql(a, `UPDATE help_requests SET created_at = created_at - ${16 * MIN} WHERE urgency = 'urgent';
		UPDATE help_requests SET window_end = ${now - 1000} WHERE window_end IS NOT NULL;
		UPDATE threads SET closes_at = ${now - 1000} WHERE kind = 'consultation';
		UPDATE users SET deletes_at = ${now - 1000} WHERE id IN (${leavers.join(',')})`);

	await poll(async () => await sql(a, `SELECT count(*) FROM threads WHERE kind = 'consultation' AND closed_at IS NULL`) === '0'
		&& await sql(a, `SELECT count(*) FROM help_requests WHERE status = 'open' AND window_end IS NOT NULL`) === '0'
		&& await sql(a, `SELECT count(*) FROM help_requests WHERE urgency = 'urgent' AND escalated_at IS NULL`) === '0'
		&& await sql(a, `SELECT count(*) FROM users WHERE deleted_at IS NULL AND deletes_at IS NOT NULL`) === '0',
	{ what: 'every deadline handled', timeoutMs: 15000 });
	// Two more rounds of every gateway's ticks: a late duplicate would show.
	const mark = await sql(a, 'SELECT max(id) FROM notifications');
	const gws = [a, b, c];
	const ticked = await Promise.all(gws.map((g) => g.metric('linli_ticks_total')));
	await poll(async () => (await Promise.all(gws.map((g) => g.metric('linli_ticks_total'))))
		.every((n, i) => n >= ticked[i] + 2 * 2), { what: 'two more tick rounds on every gateway', timeoutMs: 10000 });
	assert.equal(await sql(a, 'SELECT max(id) FROM notifications'), mark, 'no notification after the deadlines were handled');

	const count = (q) => sql(a, q).then(Number);
	for (const s of [staff, staff2])
		assert.equal(await count(`SELECT count(*) FROM notifications WHERE user_id = ${s.id} AND type = 'help.escalated'`),
			URGENT, `each urgent request escalated to staff ${s.id} once`);
	assert.equal(await count(`SELECT count(*) FROM notifications WHERE user_id = ${asker.id} AND type = 'help.expired'`),
		EXPIRING, 'each expiry told once');
	for (const t of consultations)
		assert.equal(await count(`SELECT count(*) FROM events WHERE channel = 'thread:${t.id}' AND type = 'thread.updated'`),
			1, `consultation ${t.id} closed once`);
	assert.equal(await count(`SELECT count(*) FROM events WHERE channel = 'help:${A.id}' AND type = 'help.updated'`),
		URGENT + EXPIRING + LEAVERS, 'one help.updated per deadline and per cancelled request of a deleted account');
	assert.equal(await count(`SELECT count(*) FROM help_requests WHERE requester_id IN (${leavers.join(',')}) AND status = 'cancelled'`),
		LEAVERS);
});

// The same race made certain (PostgreSQL, where ticks run in parallel): a
// test session holds the help channel's head row, so the first gateway's
// tick blocks at its commit holding the requests it escalated, and the
// others' ticks, having seen the same requests due, queue behind it. When
// the session lets go, the first commits and the rest must find nothing
// left to escalate.
itest('escalations raced by ticks blocked on each other fire once', { skip: ENGINE !== 'postgres' }, async (h) => {
	const redis = await h.redis();
	const config = { ...FORUM_CONFIG, help_escalate_minutes: 15 };
	const gws = [await h.gateway({ name: 'A', redis, config })];
	for (const name of ['B', 'C'])
		gws.push(await h.gateway({ name, redis, config, db: gws[0].db, dir: gws[0].dir }));
	const [a] = gws;
	const { A, staff, residents: [asker] } = await forumWorld(a, { residents: 1, other: false });
	const URGENT = 5;
	for (let i = 0; i < URGENT; i++) await createHelp(a, asker, A.id, { urgency: 'urgent', title: `急事${i}` });

	const holder = spawn('psql', ['-X', '-q', '-d', a.db, '-c',
		`BEGIN; UPDATE channels SET head = head WHERE name = 'help:${A.id}'; SELECT pg_sleep(60);`],
	{ env: { ...process.env, PGAPPNAME: 'linli-test-holder' }, stdio: 'ignore' });
	h.onCleanup(() => holder.kill('SIGKILL'));
	const waiting = () => sql(a, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND wait_event_type = 'Lock' AND application_name = 'linli-gateway'`).then(Number);
	await poll(async () => await sql(a, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'linli-test-holder'
		AND state = 'active'`) === '1', { what: 'the holder to hold the channel row' });
	await sql(a, `UPDATE help_requests SET created_at = created_at - ${16 * MIN}`);
	await poll(async () => await waiting() >= 2, { what: 'two ticks waiting on each other', timeoutMs: 10000 });
	await sql(a, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'linli-test-holder'`);
	await poll(async () => await sql(a, `SELECT count(*) FROM help_requests WHERE escalated_at IS NULL`) === '0'
		&& await waiting() === 0, { what: 'the escalations committed' });
	const ticked = await Promise.all(gws.map((g) => g.metric('linli_ticks_total')));
	await poll(async () => (await Promise.all(gws.map((g) => g.metric('linli_ticks_total'))))
		.every((n, i) => n >= ticked[i] + 2 * 2), { what: 'two more tick rounds on every gateway', timeoutMs: 10000 });
	assert.equal(Number(await sql(a, `SELECT count(*) FROM notifications WHERE user_id = ${staff.id}
		AND type = 'help.escalated'`)), URGENT, 'each urgent request escalated once');
});
