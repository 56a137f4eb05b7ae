// A volunteer offline when the request is made finds it later: in the inbox
// and by replaying user:{uid} from since:0.
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { me } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { note, volunteer, createHelp } from './lib/help.mjs';

itest('offline volunteer finds the request in the inbox and in a since:0 replay', async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, residents: [asker, vol] } = await forumWorld(gw, { residents: 2, other: false });
	await volunteer(gw, vol, A.id, { categories: ['repair', 'errand'] });
	const req = await createHelp(gw, asker, A.id, { category: 'repair', title: '灯泡坏了', urgency: 'urgent' });
	assert.equal(req.notified, 1);

	const box = await gw.request('GET', '/v1/notifications', { token: vol.access });
	assert.equal(box.status, 200, box.text);
	assert.equal(box.json.items.length, 1, box.text);
	const n = box.json.items[0];
	assert.equal(n.type, 'help.request');
	assert.equal(n.read, false);
	assert.equal(n.data.id, req.id);
	assert.equal(n.data.urgency, 'urgent');
	assert.equal(n.data.contact, undefined);
	assert.equal(box.json.unread, 1);
	assert.equal((await me(gw, vol.access)).unread_notifications, 1);

	const ch = `user:${vol.id}`;
	const s = await h.subscriber(gw, vol.access, ch, { since: 0, label: 'late volunteer' });
	const replay = await s.waitFor(note(vol.id, 'help.request', (d) => d.data.id === req.id));
	assert.equal(replay.data.id, n.id, 'the replayed event is the inbox row');
	assert.equal(replay.data.read, false);
	assert.equal(replay.data.created_at, n.created_at);
});

itest("marking the inbox read on one device tells the member's other devices", async (h) => {
	const gw = await h.gateway({ config: FORUM_CONFIG });
	const { A, residents: [asker, vol] } = await forumWorld(gw, { residents: 2, other: false });
	await volunteer(gw, vol, A.id);
	const ch = `user:${vol.id}`;
	const tablet = await h.subscriber(gw, vol.access, ch, { label: 'the other device' });
	const first = await createHelp(gw, asker, A.id, { title: '第一件' });
	const second = await createHelp(gw, asker, A.id, { title: '第二件' });
	await tablet.waitFor(note(vol.id, 'help.request', (d) => d.data.id === second.id));
	const box = await gw.request('GET', '/v1/notifications', { token: vol.access });
	assert.equal(box.json.unread, 2);
	const older = box.json.items.find((n) => n.data.id === first.id).id;
	const r = await gw.request('POST', '/v1/notifications/read', { token: vol.access, body: { up_to: older } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.unread, 1);
	const ev = await tablet.waitFor((f) => f.op === 'event' && f.ch === ch && f.type === 'notifications.read');
	assert.deepEqual(ev.data, { up_to: older, unread: 1 });
	// Nothing left to mark below that id: no event for a no-op.
	const again = await gw.request('POST', '/v1/notifications/read', { token: vol.access, body: { up_to: older } });
	assert.equal(again.json.unread, 1);
	const all = await gw.request('POST', '/v1/notifications/read', { token: vol.access, body: { up_to: Number.MAX_SAFE_INTEGER } });
	assert.equal(all.json.unread, 0);
	const ev2 = await tablet.waitFor((f) => f.op === 'event' && f.ch === ch && f.type === 'notifications.read' && f.data.unread === 0);
	assert.equal(ev2.seq, ev.seq + 1, 'the no-op wrote no event in between');
});
