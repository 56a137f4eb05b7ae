// The Idempotency-Key is marked used inside the handler's own transaction.
// If the process dies after the commit but before the answer is recorded,
// a retry must not apply the change again: it gets 409, and nothing new
// is created. Simulated by leaving the mark as a crash would.
import assert from 'node:assert/strict';
import { itest, sql } from './lib/harness.mjs';
import { FAST, makeAdmin, createCommunity, expectStatus } from './lib/accounts.mjs';


itest('a retry after a crash between commit and answer changes nothing', async (h) => {
	const gw = await h.gateway({ config: FAST });
	const admin = await makeAdmin(gw);
	const headers = { 'idempotency-key': 'invite-1' };
	const c = await createCommunity(gw, admin.access, '试点社区');
	const first = await gw.request('POST', `/v1/communities/${c.id}/invites`,
		{ token: admin.access, headers, body: { role: 'resident' } });
	expectStatus(first, 201, 'first');
	const again = await gw.request('POST', `/v1/communities/${c.id}/invites`,
		{ token: admin.access, headers, body: { role: 'resident' } });
	expectStatus(again, 201, 'replay');
	assert.equal(again.json.code, first.json.code, 'the replay returns the first answer');
	assert.equal(again.headers['idempotent-replayed'], 'true');

	// What a crash after COMMIT leaves: the mark written in the handler's
	// transaction, without the answer.
	await sql(gw, "UPDATE idempotency SET status = -1, body = '' WHERE key = 'invite-1'");
	const retry = await gw.request('POST', `/v1/communities/${c.id}/invites`,
		{ token: admin.access, headers, body: { role: 'resident' } });
	expectStatus(retry, 409, 'retry after the crash window');
	assert.match(retry.json.error.message, /already applied/);
	assert.equal(await sql(gw, 'SELECT count(*) FROM invites'), '1', 'still one invite');
});
