// Behind HAProxy every connection comes from the proxy. With the proxy in
// trusted_proxies, lock-outs (and rate limits) follow each client's own
// address from X-Forwarded-For; a client writing its own X-Forwarded-For,
// through the proxy or straight to the gateway, gains nothing. Without the
// setting, one proxy's address shares everyone's lock-out. Clients here
// connect from their own loopback addresses (127.0.0.5, .6, .7: machines).
import assert from 'node:assert/strict';
import { itest } from './lib/harness.mjs';
import { FAST, PASSWORD, register } from './lib/accounts.mjs';

const LOCK = { ...FAST, login_max_failures_ip: 3, login_max_failures: 1000, login_lockout_s: 300 };

async function attempt(via, phone, password, from, headers = {}) {
	return (await via.request('POST', '/v1/auth/login', { body: { phone, password }, from, headers })).status;
}

itest('behind HAProxy with trusted_proxies: lock-outs follow the client; a forged X-Forwarded-For gains nothing', async (h, t) => {
	const gw = await h.gateway({ host: '127.0.0.2', config: { ...LOCK, trusted_proxies: '127.0.0.1' } });
	const proxy = await h.haproxy([gw]);
	const user = await register(gw);
	const step = (name, fn) => h.sub(t, name, fn);

	await step('three failures from 127.0.0.5 lock that client, right password included', async () => {
		for (let i = 0; i < 3; i++) assert.equal(await attempt(proxy, user.phone, 'wrong-password', '127.0.0.5'), 401);
		assert.equal(await attempt(proxy, user.phone, PASSWORD, '127.0.0.5'), 429);
	});
	await step('another client behind the same proxy is not locked', async () => {
		assert.equal(await attempt(proxy, user.phone, PASSWORD, '127.0.0.6'), 200);
	});
	await step('the locked client forging X-Forwarded-For through the proxy stays locked', async () => {
		for (const xff of ['198.51.100.77', '127.0.0.6', '127.0.0.1, 127.0.0.6'])
			assert.equal(await attempt(proxy, user.phone, PASSWORD, '127.0.0.5', { 'X-Forwarded-For': xff }), 429, xff);
	});
	await step('straight to the gateway, not through a trusted proxy, the header is ignored', async () => {
		assert.equal(await attempt(gw, user.phone, PASSWORD, '127.0.0.5', { 'X-Forwarded-For': '198.51.100.77' }), 429,
			'still 127.0.0.5');
		// Failures from .7 claiming to be .6 lock .7, not .6.
		for (let i = 0; i < 3; i++)
			assert.equal(await attempt(gw, user.phone, 'wrong-password', '127.0.0.7', { 'X-Forwarded-For': '127.0.0.6' }), 401);
		assert.equal(await attempt(gw, user.phone, PASSWORD, '127.0.0.7'), 429);
		assert.equal(await attempt(proxy, user.phone, PASSWORD, '127.0.0.6'), 200, '.6 untouched');
	});
});

itest('behind HAProxy without trusted_proxies: one client locks everyone out (what the setting is for)', async (h) => {
	const gw = await h.gateway({ host: '127.0.0.3', config: LOCK });
	const proxy = await h.haproxy([gw]);
	const user = await register(gw);
	for (let i = 0; i < 3; i++) assert.equal(await attempt(proxy, user.phone, 'wrong-password', '127.0.0.5'), 401);
	assert.equal(await attempt(proxy, user.phone, PASSWORD, '127.0.0.6'), 429, 'all clients share the proxy\'s address');
});
