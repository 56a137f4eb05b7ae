// The push relay: a member with a registered device and no live socket gets
// one signed POST per notification at the operator's relay; failures are
// retried until one succeeds, across restarts, and given up when too old.
// The relay is a real HTTP server on loopback (lib/relay.mjs).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { GATEWAY_BIN, itest, parseMetrics, poll, sql } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { createHelp, inbox, note, volunteer } from './lib/help.mjs';
import { Relay, RELAY_SECRET, signatureValid } from './lib/relay.mjs';

const execFileP = promisify(execFile);

const pushConfig = (relay, extra = {}) => ({
	...FORUM_CONFIG, push_relay_url: relay.url, push_relay_secret: RELAY_SECRET,
	push_retry_min_ms: 50, push_retry_max_ms: 200, ...extra,
});

async function device(gw, s, platform = 'ios', token = `apns-${s.id}-0123456789abcdef`) {
	const r = await gw.request('POST', '/v1/devices', { token: s.access, body: { platform, token } });
	expectStatus(r, 201, `register device of ${s.id}`);
	return r.json.device;
}

const forRequest = (hid) => (p) => p.body?.notification?.data?.id === hid;

itest('offline volunteer: one signed push, inbox on return; a failing relay is retried and delivered once', async (h) => {
	const relay = await new Relay().start(h);
	const gw = await h.gateway({ config: pushConfig(relay) });
	const { A, residents: [asker, vol, online] } = await forumWorld(gw, { residents: 3, other: false });
	await volunteer(gw, vol, A.id);
	await volunteer(gw, online, A.id);
	await device(gw, vol, 'ios', 'apns-token-of-the-volunteer-0001');
	await device(gw, online, 'android', 'vendor-token-of-the-online-one-02');
	const live = await h.subscriber(gw, online.access, `user:${online.id}`);

	// 1. Offline volunteer: exactly one POST, signed, without contact.
	const first = await createHelp(gw, asker, A.id, { title: '帮忙买药' });
	await relay.waitFor((ps) => ps.some(forRequest(first.id)), 'the first push');
	await live.waitFor(note(online.id, 'help.request', (d) => d.data.id === first.id));
	const p1 = relay.posts.filter(forRequest(first.id));
	assert.equal(p1.length, 1, 'one POST for the offline volunteer only');
	const [post] = p1;
	assert.ok(signatureValid(post), `signature verifies: ${post.headers['x-linli-signature']}`);
	assert.equal(signatureValid({ ...post, raw: post.raw.replace('帮忙买药', '帮忙买菜') }), false,
		'a changed body does not verify');
	assert.equal(post.headers['content-type'], 'application/json');
	assert.equal(post.headers['x-linli-attempt'], '1');
	assert.equal(Number(post.headers['x-linli-delivery']), post.body.delivery);
	assert.equal(post.body.user_id, vol.id);
	assert.deepEqual(post.body.devices, [{ platform: 'ios', token: 'apns-token-of-the-volunteer-0001' }]);
	assert.equal(post.body.notification.type, 'help.request');
	assert.equal(post.body.notification.data.title, '帮忙买药');
	assert.doesNotMatch(post.raw, /13900001111/, 'no contact details in a push');
	// The online volunteer got it on the socket, so no outbox row for them.
	assert.equal(await sql(gw, `SELECT count(*) FROM push_outbox WHERE user_id = ${online.id}`), '0');

	// Back online: the inbox has it, unread, with the same id as the push.
	const box = await inbox(gw, vol);
	assert.equal(box.items[0].id, post.body.notification.id);
	assert.equal(box.items[0].read, false);

	// 2. The relay fails twice (500, 503), then accepts: three attempts of
	// one delivery, accepted once, never sent again.
	relay.script.push(500, 503);
	const second = await createHelp(gw, asker, A.id, { title: '修水管' });
	await relay.waitFor((ps) => ps.filter(forRequest(second.id)).length >= 3, 'three attempts');
	const p2 = relay.posts.filter(forRequest(second.id));
	assert.deepEqual(p2.map((p) => p.status), [500, 503, 200]);
	assert.deepEqual(p2.map((p) => p.headers['x-linli-attempt']), ['1', '2', '3']);
	assert.equal(new Set(p2.map((p) => p.headers['x-linli-delivery'])).size, 1, 'one delivery id');
	assert.ok(p2.every((p) => signatureValid(p)));
	await poll(async () => await sql(gw, `SELECT state || ' ' || attempts FROM push_outbox WHERE id = ${p2[0].body.delivery}`) === 'delivered 3',
		{ what: 'outbox row delivered after 3 attempts' });
	// A later push goes through; the delivered one is not repeated.
	const third = await createHelp(gw, asker, A.id, { title: '搬桌子' });
	await relay.waitFor((ps) => ps.some(forRequest(third.id)), 'the third push');
	assert.equal(relay.posts.filter(forRequest(second.id)).length, 3);
	// The outcome is recorded after the relay answered: poll for it.
	const m = await poll(async () => {
		const x = parseMetrics((await gw.request('GET', '/metrics')).text);
		return x.get('linli_push_delivered_total') === 3 && x;
	}, { what: 'three deliveries recorded' });
	assert.equal(m.get('linli_push_failures_total'), 2);
});

itest('the push outbox survives a restart, and gives up after push_max_age_s', async (h) => {
	const relay = await new Relay().start(h);
	const gw = await h.gateway({ config: pushConfig(relay, { push_retry_min_ms: 5000, push_retry_max_ms: 5000 }) });
	const { A, residents: [asker, vol] } = await forumWorld(gw, { residents: 2, other: false });
	await volunteer(gw, vol, A.id);
	await device(gw, vol);
	relay.script.push(503);
	const req = await createHelp(gw, asker, A.id);
	await relay.waitFor((ps) => ps.some(forRequest(req.id)), 'the failed first attempt');
	// Killed while the retry waits: the row is in the database, so the new
	// process sends it (the retry delay is 5 s; the restart resets nothing).
	await gw.kill();
	await sql(gw, 'UPDATE push_outbox SET next_at = 0');
	await gw.start();
	await relay.waitFor((ps) => ps.filter(forRequest(req.id)).length === 2, 'the retry after the restart');
	assert.deepEqual(relay.posts.map((p) => p.status), [503, 200]);
	await poll(async () => await sql(gw, 'SELECT state FROM push_outbox') === 'delivered', { what: 'delivered' });

	// A relay that never answers 2xx: the push is given up at its age limit.
	await gw.stop();
	const gw2 = await h.gateway({ db: gw.db, config: pushConfig(relay, { push_max_age_s: 1 }) });
	relay.script.push(...Array(100).fill(500));
	const stale = await createHelp(gw2, asker, A.id, { title: '过期的推送' });
	// Its outbox row is the newest: the first one was delivered above.
	await poll(async () => await sql(gw2, 'SELECT state FROM push_outbox ORDER BY id DESC LIMIT 1') === 'expired',
		{ what: 'push given up', timeoutMs: 10000 });
	const attempts = relay.posts.filter(forRequest(stale.id)).length;
	assert.ok(attempts >= 1, 'it was tried');
	const m = parseMetrics((await gw2.request('GET', '/metrics')).text);
	assert.equal(m.get('linli_push_expired_total'), 1);
	// The inbox still has it.
	assert.ok((await inbox(gw2, vol)).items.some((n) => n.data.id === stale.id));
});

itest('devices: register, move, cap, list, delete; bad input named; no relay means no outbox', async (h) => {
	const gw = await h.gateway({ config: { ...FORUM_CONFIG, max_devices_per_user: 2 } });
	const { A, residents: [a, b] } = await forumWorld(gw, { residents: 2, other: false });
	const post = (s, body) => gw.request('POST', '/v1/devices', { token: s?.access, body });
	const bad = [
		[{ token: 'abcdefgh1234' }, 'platform', /required/],
		[{ platform: 'nokia', token: 'abcdefgh1234' }, 'platform', /one of ios, android/],
		[{ platform: 'ios' }, 'token', /required/],
		[{ platform: 'ios', token: 'short' }, 'token', /8 to 512/],
		[{ platform: 'ios', token: 'has spaces in it' }, 'token', /printable ASCII/],
		[{ platform: 'ios', token: 'x'.repeat(513) }, 'token', /8 to 512/],
		[{ platform: 'ios', token: 12345678 }, 'token', /string/],
	];
	for (const [body, field, msg] of bad) {
		const r = await post(a, body);
		assert.equal(r.status, 400, JSON.stringify(body));
		assert.equal(r.json.error.field, field, r.text);
		assert.match(r.json.error.message, msg, r.text);
	}
	assert.equal((await post(null, { platform: 'ios', token: 'abcdefgh1234' })).status, 401);
	assert.equal(await sql(gw, 'SELECT count(*) FROM devices'), '0', 'nothing stored by bad input');

	const d1 = await post(a, { platform: 'ios', token: 'token-number-one' });
	expectStatus(d1, 201);
	assert.equal(d1.json.device.token_tail, '…er-one');
	assert.equal(d1.json.device.token, undefined, 'the token is not echoed');
	const again = await post(a, { platform: 'ios', token: 'token-number-one' });
	expectStatus(again, 200, 'the same token again');
	assert.equal(again.json.device.id, d1.json.device.id);
	// The phone changes hands: the token moves to b.
	const moved = await post(b, { platform: 'ios', token: 'token-number-one' });
	expectStatus(moved, 200);
	assert.equal((await gw.request('GET', '/v1/devices', { token: a.access })).json.items.length, 0);
	// Cap of 2: the least recently registered is forgotten.
	for (const t of ['token-number-two', 'token-number-three'])
		expectStatus(await post(b, { platform: 'android', token: t }), 201);
	const list = await gw.request('GET', '/v1/devices', { token: b.access });
	assert.deepEqual(list.json.items.map((d) => d.token_tail), ['…-three', '…er-two']);
	// Deleting someone else's device is answered as missing.
	const theirs = list.json.items[0].id;
	expectStatus(await gw.request('DELETE', `/v1/devices/${theirs}`, { token: a.access }), 404);
	expectStatus(await gw.request('DELETE', `/v1/devices/${theirs}`, { token: b.access }), 200);
	expectStatus(await gw.request('DELETE', `/v1/devices/${theirs}`, { token: b.access }), 404);
	assert.equal((await gw.request('GET', '/v1/devices', { token: b.access })).json.items.length, 1);

	// No relay configured: notifications never touch the outbox.
	await volunteer(gw, b, A.id);
	await createHelp(gw, a, A.id);
	assert.equal(await sql(gw, 'SELECT count(*) FROM notifications'), '1');
	assert.equal(await sql(gw, 'SELECT count(*) FROM push_outbox'), '0');
});

itest('a relay URL without a secret is refused at start-up', async (h) => {
	const dir = await h.tmpdir('linli-push-');
	const conf = path.join(dir, 'x.conf');
	fs.writeFileSync(conf, 'push_relay_url = "http://127.0.0.1:9/push"\n');
	await assert.rejects(execFileP(GATEWAY_BIN, ['--config', conf, '--db', path.join(dir, 'x.db'), '--port', '0'], { timeout: 10000 }),
		(e) => /push_relay_secret: at least 16 characters/.test(e.stderr));
});
