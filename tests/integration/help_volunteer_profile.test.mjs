// Volunteer profiles: read back what was saved; paused volunteers and
// volunteers in their quiet hours are not notified, except of urgent
// requests, which ignore quiet hours.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { createHelp, inbox, volunteer } from './lib/help.mjs';

// "HH:MM" in China time (UTC+8), offset by minutes from now.
const chinaTime = (offsetMin) => {
	const m = Math.floor((Date.now() / 60000 + 8 * 60 + offsetMin) % 1440 + 1440) % 1440;
	return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

itest('volunteer profile: saved and read back; paused and quiet volunteers skipped, urgent ignores quiet hours', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, B, residents: [asker, awake, sleepy, paused], resB } = await forumWorld(gw, { residents: 4 });

	const none = await gw.request('GET', `/v1/communities/${A.id}/volunteer`, { token: awake.access });
	expectStatus(none, 200);
	assert.equal(none.json.volunteer, null, 'no profile yet');
	const quiet = { start: chinaTime(-60), end: chinaTime(60) }; // now is inside
	await volunteer(gw, awake, A.id, { categories: ['errand', 'repair'], grids: ['一网格'] });
	const saved = await volunteer(gw, sleepy, A.id, { quiet_hours: quiet });
	assert.deepEqual(saved.quiet_hours, quiet);
	await volunteer(gw, paused, A.id, { active: false });
	const got = await gw.request('GET', `/v1/communities/${A.id}/volunteer`, { token: sleepy.access });
	expectStatus(got, 200);
	assert.deepEqual(got.json.volunteer.categories, ['errand']);
	assert.deepEqual(got.json.volunteer.grids, []);
	assert.equal(got.json.volunteer.active, true);
	assert.deepEqual(got.json.volunteer.quiet_hours, quiet);
	assert.equal((await gw.request('GET', `/v1/communities/${A.id}/volunteer`, { token: paused.access })).json.volunteer.active, false);
	assert.equal((await gw.request('GET', `/v1/communities/${A.id}/volunteer`, { token: resB.access })).status, 403, 'not a member of A');
	assert.equal((await gw.request('GET', `/v1/communities/${B.id}/volunteer`)).status, 401);

	for (const bad of [{ start: '25:00', end: '07:00' }, { start: '22:00' }, '22:00-07:00', { start: '08:00', end: '08:00' }]) {
		const r = await gw.request('PUT', `/v1/communities/${A.id}/volunteer`,
			{ token: sleepy.access, body: { categories: ['errand'], grids: [], quiet_hours: bad } });
		assert.equal(r.status, 400, JSON.stringify(bad));
		assert.equal(r.json.error.field, 'quiet_hours');
	}
	assert.deepEqual((await gw.request('GET', `/v1/communities/${A.id}/volunteer`, { token: sleepy.access })).json.volunteer.quiet_hours,
		quiet, 'a refused update changed nothing');

	const normal = await createHelp(gw, asker, A.id, { grid: '一网格' });
	assert.equal(normal.notified, 1, 'only the awake, active volunteer');
	const urgent = await createHelp(gw, asker, A.id, { grid: '一网格', urgency: 'urgent' });
	assert.equal(urgent.notified, 2, 'urgent: quiet hours ignored, paused still skipped');
	assert.deepEqual((await inbox(gw, awake)).items.map((n) => n.data.id), [urgent.id, normal.id]);
	assert.deepEqual((await inbox(gw, sleepy)).items.map((n) => n.data.id), [urgent.id]);
	assert.equal((await inbox(gw, paused)).items.length, 0);

	// Quiet hours cleared with null: normal requests reach them again.
	const cleared = await volunteer(gw, sleepy, A.id, { quiet_hours: null });
	assert.equal(cleared.quiet_hours, null);
	assert.equal((await createHelp(gw, asker, A.id)).notified, 2);
});
