// A refresh whose answer is lost on the network: the app retries with the
// token it still has. Within refresh_reuse_grace_s that token is rotated
// once more instead of revoking the session; any other reuse still revokes.
import assert from 'node:assert/strict';
import { itest, sql } from './lib/harness.mjs';
import { FAST, register, expectError, expectStatus, me } from './lib/accounts.mjs';

const refresh = (gw, token) => gw.request('POST', '/v1/auth/refresh', { body: { refresh_token: token } });
const alive = async (gw, access) => (await gw.request('GET', '/v1/me', { token: access })).status === 200;

itest('a lost refresh answer can be retried once; other reuse still revokes', async (h, t) => {
	const gw = await h.gateway({ config: FAST });
	const step = (name, fn) => h.sub(t, name, fn);

	await step('retry of the last refresh rotates again; the lost token is spent', async () => {
		const u = await register(gw);
		const lost = await refresh(gw, u.refresh); // its answer never reaches the app
		expectStatus(lost, 200);
		const retry = await refresh(gw, u.refresh);
		expectStatus(retry, 200, 'the retry within the grace period');
		assert.notEqual(retry.json.refresh_token, lost.json.refresh_token);
		assert.ok(await alive(gw, retry.json.access_token));
		const next = await refresh(gw, retry.json.refresh_token);
		expectStatus(next, 200, 'the retried pair works');
		// The token the app never received is spent now: a copy of it is theft.
		expectError(await refresh(gw, lost.json.refresh_token), 401, 'unauthorized', 'refresh_token');
		assert.equal(await alive(gw, next.json.access_token), false, 'session revoked');
	});

	await step('only once: the same old token a second time revokes', async () => {
		const u = await register(gw);
		expectStatus(await refresh(gw, u.refresh), 200);
		const retry = await refresh(gw, u.refresh);
		expectStatus(retry, 200);
		expectError(await refresh(gw, u.refresh), 401, 'unauthorized', 'refresh_token');
		assert.equal(await alive(gw, retry.json.access_token), false, 'session revoked');
	});

	await step('only the last one: a token two rotations old revokes', async () => {
		const u = await register(gw);
		const a = await refresh(gw, u.refresh);
		const b = await refresh(gw, a.json.refresh_token);
		expectStatus(b, 200);
		expectError(await refresh(gw, u.refresh), 401, 'unauthorized', 'refresh_token');
		assert.equal(await alive(gw, b.json.access_token), false);
	});

	await step('past the grace period a retry revokes', async () => {
		const u = await register(gw);
		const a = await refresh(gw, u.refresh);
		expectStatus(a, 200);
		// 31 s ago, for both the spent token and the rotation it made.
		await sql(gw, `UPDATE refresh_spent SET spent_at = spent_at - 31000 WHERE session_id = (SELECT id FROM sessions WHERE user_id = ${u.id});
			UPDATE sessions SET refreshed_at = refreshed_at - 31000 WHERE user_id = ${u.id}`);
		expectError(await refresh(gw, u.refresh), 401, 'unauthorized', 'refresh_token');
		assert.equal(await alive(gw, a.json.access_token), false);
	});
});

itest('refresh_reuse_grace_s = 0: any reuse revokes', async (h) => {
	const gw = await h.gateway({ config: { ...FAST, refresh_reuse_grace_s: 0 } });
	const u = await register(gw);
	const a = await refresh(gw, u.refresh);
	expectStatus(a, 200);
	expectError(await refresh(gw, u.refresh), 401, 'unauthorized', 'refresh_token');
	assert.equal(await alive(gw, a.json.access_token), false);
	assert.equal((await me(gw, a.json.access_token).catch(() => null)), null);
});
