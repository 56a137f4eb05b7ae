// The WeChat mini-program adapter, driven through a small `wx` stand-in whose
// connectSocket() is built on the real `ws` package talking to the real gateway.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { LinliClient, wxTransport } from '../src/index.js';
import { startGateway, collector, waitFor, waitState, within } from './helpers.mjs';
import { makeWx } from './wx-standin.mjs';

const T = { timeout: 60000 };

describe('wx adapter (mini-program SocketTask)', () => {
  const cleanups = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f();
  });

  it('connects, receives in order, pings, and resumes after a gateway crash', T, async () => {
    const gw = await startGateway();
    cleanups.push(() => gw.cleanup());
    const adminToken = await gw.mintToken(1, { admin: true });
    const userToken = await gw.mintToken(2);
    const wx = makeWx();
    const client = new LinliClient({
      url: gw.wsUrl,
      token: userToken,
      transport: wxTransport(wx),
      heartbeatMs: 100,
      backoff: { minMs: 20, maxMs: 250 },
      connectTimeoutMs: 2000,
    });
    cleanups.push(() => client.close());
    const c = collector();
    const unsub = client.subscribe('user:2', c.handler);
    await within(client.connect(), 10000, 'connect');
    await unsub.subscribed;
    assert.equal(wx.calls[0].url, gw.wsUrl);
    assert.deepEqual(wx.sent[0], { op: 'auth', token: userToken });

    const published = [];
    for (let i = 0; i < 5; i++) published.push(await gw.publish(adminToken, 'user:2', { wx: i, 中文: '互助' }));
    await c.waitCount(5);
    assert.equal(c.events[0].data['中文'], '互助');
    await waitFor(() => wx.sent.filter((f) => f.op === 'ping').length >= 2, { timeoutMs: 3000, message: 'app-level pings' });

    await gw.kill('SIGKILL');
    await waitState(client, 'reconnecting', 5000);
    await gw.start();
    for (let i = 0; i < 5; i++) published.push(await gw.publish(adminToken, 'user:2', { wx: 'away', i }));
    await waitState(client, 'live', 15000);
    published.push(await gw.publish(adminToken, 'user:2', { wx: 'live' }));
    await c.waitCount(published.length);
    await client.ping();
    assert.deepEqual(c.seqs(), published);
    assert.equal(wx.maxOpen, 1, 'never more than one SocketTask open (mini-programs allow 5)');

    client.close();
    await waitFor(() => wx.open === 0, { timeoutMs: 5000, message: 'SocketTask closed' });
  });

  it('stops on 4001 through the SocketTask onClose code', T, async () => {
    const gw = await startGateway();
    cleanups.push(() => gw.cleanup());
    const wx = makeWx();
    const client = new LinliClient({ url: gw.wsUrl, token: 'bad', transport: wxTransport(wx), backoff: { minMs: 10, maxMs: 50 } });
    cleanups.push(() => client.close());
    client.on('error', () => {});
    await assert.rejects(within(client.connect(), 10000, 'connect'), (e) => e.code === 'unauthorized');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(wx.calls.length, 1, 'no reconnect after 4001');
    await waitFor(() => wx.open === 0, { timeoutMs: 5000, message: 'SocketTask closed' });
  });
});
