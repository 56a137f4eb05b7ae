// Two gateways on one database and one Redis: the one that writes a
// notification only knows its own sockets. Before sending a push, the
// worker asks Redis whether any gateway holds the member's user:{uid}
// channel (every gateway subscribes there while it has a subscriber): a
// member live on the other gateway gets no push; an offline one gets
// exactly one, from whichever gateway claimed the row first.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { itest, poll, parseMetrics, sql } from './lib/harness.mjs';
import { expectStatus } from './lib/accounts.mjs';
import { FORUM_CONFIG, forumWorld } from './lib/forums.mjs';
import { createHelp, note, volunteer } from './lib/help.mjs';
import { Relay, RELAY_SECRET, signatureValid } from './lib/relay.mjs';

const execFileP = promisify(execFile);
const numsub = async (redis, ch) => {
	const { stdout } = await execFileP('redis-cli', ['-p', String(redis.port), 'PUBSUB', 'NUMSUB', `linli:${ch}`]);
	return Number(stdout.trim().split('\n')[1]);
};

itest('push across gateways: live on the other gateway means no push; offline means one', async (h) => {
	const redis = await h.redis();
	const relay = await new Relay().start(h);
	const config = { ...FORUM_CONFIG, push_relay_url: relay.url, push_relay_secret: RELAY_SECRET };
	const gw1 = await h.gateway({ name: 'gw1', redis, config });
	const gw2 = await h.gateway({ name: 'gw2', redis, config, db: gw1.db });
	const { A, residents: [asker, online, offline] } = await forumWorld(gw1, { residents: 3, other: false });
	for (const [s, tok] of [[online, 'token-of-the-online-volunteer'], [offline, 'token-of-the-offline-volunteer']]) {
		await volunteer(gw1, s, A.id);
		expectStatus(await gw1.request('POST', '/v1/devices', { token: s.access, body: { platform: 'android', token: tok } }), 201);
	}
	// Online on gw2 only; wait until gw2's Redis subscription is in place.
	const sock = await h.subscriber(gw2, online.access, `user:${online.id}`, { label: 'online on gw2' });
	await poll(async () => (await numsub(redis, `user:${online.id}`)) === 1, { what: 'gw2 subscribed in Redis' });
	assert.equal(await numsub(redis, `user:${offline.id}`), 0);

	const req = await createHelp(gw1, asker, A.id, { title: '跨网关推送' });
	await sock.waitFor(note(online.id, 'help.request', (d) => d.data.id === req.id));
	// gw1 saw no socket for either: both rows were written.
	assert.equal(await sql(gw1, 'SELECT count(*) FROM push_outbox'), '2');
	await relay.waitFor((ps) => ps.some((p) => p.body?.user_id === offline.id), 'the offline volunteer\'s push');
	await poll(async () => await sql(gw1, `SELECT state || '|' || last_error FROM push_outbox WHERE user_id = ${online.id}`)
		=== 'dropped|the member was live on a gateway', { what: 'the online member\'s row dropped' });
	assert.equal(relay.posts.length, 1, 'one POST in all');
	assert.equal(relay.posts[0].body.user_id, offline.id);
	assert.ok(signatureValid(relay.posts[0]));
	assert.equal(await sql(gw1, `SELECT state || ' ' || attempts FROM push_outbox WHERE user_id = ${offline.id}`), 'delivered 1');
	const skipped = (gw) => gw.request('GET', '/metrics').then((r) => parseMetrics(r.text).get('linli_push_skipped_live_total'));
	assert.equal((await skipped(gw1)) + (await skipped(gw2)), 1);
});
