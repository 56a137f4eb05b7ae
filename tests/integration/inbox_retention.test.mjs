// Inbox rows older than notification_retention_days are deleted by the
// retention pass; newer ones stay, and the unread count follows.
import assert from 'node:assert/strict';
import { itest, poll, sql } from './lib/harness.mjs';
import { me } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { createHelp, inbox, volunteer } from './lib/help.mjs';

const DAY = 86400000;

itest('notifications past notification_retention_days are deleted, newer ones kept', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, notification_retention_days: 30, retention_interval_s: 1 } });
	const { A, residents: [asker, vol] } = await forumWorld(gw, { residents: 2, other: false });
	await volunteer(gw, vol, A.id);
	const old = await createHelp(gw, asker, A.id, { title: '很久以前' });
	const recent = await createHelp(gw, asker, A.id, { title: '最近' });
	assert.equal((await inbox(gw, vol)).items.length, 2);
	// The older request's row is the volunteer's first notification.
	await sql(gw, `UPDATE notifications SET created_at = created_at - ${31 * DAY}
		WHERE id = (SELECT min(id) FROM notifications WHERE user_id = ${vol.id})`);
	await poll(async () => (await inbox(gw, vol)).items.length === 1, { what: 'the old row trimmed', timeoutMs: 5000 });
	const box = await inbox(gw, vol);
	assert.equal(box.items[0].data.id, recent.id);
	assert.equal(box.unread, 1);
	assert.equal((await me(gw, vol.access)).unread_notifications, 1);
});
