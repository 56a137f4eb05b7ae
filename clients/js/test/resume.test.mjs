// Resume across gateway crashes: kill -9, restart on the same db and port,
// events published meanwhile — every event exactly once, in order. Also the
// heartbeat watchdog against a frozen (SIGSTOP) gateway.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { LinliClient, nodeTransport } from '../src/index.js';
import { startGateway, spyTransport, collector, waitFor, waitState, within, isStrictlyIncreasing } from './helpers.mjs';

const T = { timeout: 60000 };

describe('resume after gateway restarts', () => {
  const cleanups = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f();
  });

  async function setup(clientOpts = {}, gwOpts = {}) {
    const gw = await startGateway(gwOpts);
    cleanups.push(() => gw.cleanup());
    const adminToken = await gw.mintToken(1, { admin: true });
    const userToken = await gw.mintToken(2);
    let tokenCalls = 0;
    const spy = spyTransport(nodeTransport(WebSocket));
    const client = new LinliClient({
      url: gw.wsUrl,
      token: async () => { tokenCalls++; return userToken; },
      transport: spy,
      backoff: { minMs: 20, maxMs: 250 },
      connectTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      ...clientOpts,
    });
    const states = [];
    client.on('state', (s) => states.push(s));
    const errors = [];
    client.on('error', (e) => errors.push(e));
    cleanups.push(() => client.close());
    return { gw, adminToken, userToken, spy, client, states, errors, tokenCalls: () => tokenCalls };
  }

  it('kill -9 and restart on the same db and port: every event exactly once, in order', T, async () => {
    const { gw, adminToken, spy, client, states, errors, tokenCalls } = await setup();
    const c = collector();
    const published = [];
    const pub = async (tag) => { const s = await gw.publish(adminToken, 'user:2', { tag, n: published.length }); published.push(s); return s; };

    const unsub = client.subscribe('user:2', c.handler);
    await within(client.connect(), 10000, 'connect');
    await unsub.subscribed;
    for (let i = 0; i < 5; i++) await pub('first');
    await c.waitCount(5);

    // 1) crash; hold the client back until events were written to the restarted gateway
    spy.closeGate();
    await gw.kill('SIGKILL');
    await waitState(client, 'reconnecting', 5000);
    await gw.start(); // same port, same db
    for (let i = 0; i < 5; i++) await pub('while-away');
    spy.openGate();
    // publish concurrently with the reconnect + replay, so the replay → live switch is exercised
    const during = (async () => { for (let i = 0; i < 30; i++) await pub('during-resume'); })();
    await waitState(client, 'live', 10000);
    await within(during, 20000, 'publishing during resume');
    for (let i = 0; i < 3; i++) await pub('after');

    await c.waitCount(published.length, 15000);
    await client.ping();
    const resumeSub = spy.sent.filter((f) => f.op === 'sub').at(1);
    assert.equal(resumeSub.since, published[4], 'resubscribed with since = last seq seen');
    assert.ok(isStrictlyIncreasing(published));
    assert.deepEqual(c.seqs(), published, 'each acknowledged event exactly once, in order');

    // 2) crash again with no gate: the client finds the gateway by itself
    const states0 = states.length;
    await gw.kill('SIGKILL');
    await waitState(client, 'reconnecting', 5000);
    await gw.start();
    for (let i = 0; i < 5; i++) await pub('second-crash');
    await waitState(client, 'live', 15000);
    for (let i = 0; i < 3; i++) await pub('after-second');
    await c.waitCount(published.length, 15000);
    await client.ping();
    assert.deepEqual(c.seqs(), published);
    assert.ok(states.slice(states0).some((s) => s.state === 'reconnecting' && s.attempt >= 1));
    assert.ok(tokenCalls() >= 3, `token function called on every connect (${tokenCalls()})`);
    assert.deepEqual(errors.filter((e) => e.code !== 'disconnected'), []);
  });

  it('several channels (admin): each resumes with its own since after kill -9', T, async () => {
    const { gw, adminToken, spy } = await setup();
    const admin = new LinliClient({
      url: gw.wsUrl, token: adminToken, transport: spy, backoff: { minMs: 20, maxMs: 250 }, connectTimeoutMs: 2000,
    });
    cleanups.push(() => admin.close());
    const chans = ['user:2', 'community:1', 'thread:7', 'help:1'];
    const got = Object.fromEntries(chans.map((ch) => [ch, collector()]));
    const pub = Object.fromEntries(chans.map((ch) => [ch, []]));
    const subs = chans.map((ch) => admin.subscribe(ch, got[ch].handler));
    await within(admin.connect(), 10000, 'connect');
    await within(Promise.all(subs.map((u) => u.subscribed)), 5000, 'all subbed');
    const round = async (tag) => {
      for (let i = 0; i < 3; i++) for (const ch of chans) pub[ch].push(await gw.publish(adminToken, ch, { tag, i }));
    };
    await round('before');
    await waitFor(() => chans.every((ch) => got[ch].events.length === pub[ch].length), { message: 'round 1' });
    await gw.kill('SIGKILL');
    await waitState(admin, 'reconnecting', 5000);
    await gw.start();
    await round('while-away');
    await waitState(admin, 'live', 15000);
    await round('after');
    await waitFor(() => chans.every((ch) => got[ch].events.length >= pub[ch].length), { timeoutMs: 10000, message: 'all rounds' });
    await admin.ping();
    for (const ch of chans) assert.deepEqual(got[ch].seqs(), pub[ch], ch);
    const resubs = spy.sent.filter((f) => f.op === 'sub').slice(chans.length);
    for (const ch of chans) {
      const f = resubs.find((x) => x.ch === ch);
      assert.equal(f.since, pub[ch][2], `${ch} resumed with its own since`);
    }
  });

  it('graceful restart (SIGTERM → close 1001): resumes without loss', T, async () => {
    const { gw, adminToken, client } = await setup();
    const c = collector();
    client.subscribe('user:2', c.handler);
    await within(client.connect(), 10000, 'connect');
    const published = [await gw.publish(adminToken, 'user:2', { n: 0 })];
    await c.waitCount(1);
    const down = waitState(client, 'reconnecting', 10000, (s) => s.closeCode !== undefined);
    await gw.kill('SIGTERM', 10000);
    const s = await down;
    assert.equal(s.closeCode, 1001, `close code on shutdown (reason ${s.reason})`);
    await gw.start();
    for (let i = 1; i < 4; i++) published.push(await gw.publish(adminToken, 'user:2', { n: i }));
    await waitState(client, 'live', 15000);
    await c.waitCount(published.length);
    await client.ping();
    assert.deepEqual(c.seqs(), published);
  });

  it('reconnects when the gateway stops answering (heartbeat watchdog, SIGSTOP)', T, async () => {
    const { gw, adminToken, spy, client } = await setup({ heartbeatMs: 150, connectTimeoutMs: 1000 });
    const c = collector();
    client.subscribe('user:2', c.handler);
    await within(client.connect(), 10000, 'connect');
    const s1 = await gw.publish(adminToken, 'user:2', { n: 1 });
    await c.waitCount(1);
    const opens = spy.opens;

    gw.signal('SIGSTOP');
    const t0 = Date.now();
    try {
      await waitState(client, 'reconnecting', 5000);
    } finally {
      gw.signal('SIGCONT');
    }
    const took = Date.now() - t0;
    assert.ok(took >= 200 && took < 1500, `watchdog fired after ${took} ms (heartbeat 150 ms)`);

    await waitState(client, 'live', 15000);
    assert.ok(spy.opens > opens);
    const s2 = await gw.publish(adminToken, 'user:2', { n: 2 });
    await c.waitCount(2);
    await client.ping();
    assert.deepEqual(c.seqs(), [s1, s2]);
  });

  it('a reader too slow for the gateway is dropped and resumes without loss', { timeout: 120000 }, async (t) => {
    // a small send queue so that overflow comes soon after the kernel buffers fill
    const { gw, adminToken, spy, client, states } = await setup({}, { config: { ws_send_queue_bytes: 65536 } });
    const c = collector();
    client.subscribe('user:2', c.handler);
    await within(client.connect(), 10000, 'connect');
    const published = [await gw.publish(adminToken, 'user:2', { n: 0 })];
    await c.waitCount(1);

    // stop reading: kernel buffers fill, then the gateway's bounded send queue
    const raw = spy.sockets.at(-1).raw;
    raw._socket.pause();
    const blob = 'x'.repeat(16000);
    const total = 1500;
    let next = 1;
    const worker = async () => {
      while (next <= total) {
        const n = next++;
        published.push(await gw.publish(adminToken, 'user:2', { n, blob }));
      }
    };
    await within(Promise.all([worker(), worker(), worker(), worker()]), 90000, 'publishing');
    raw._socket.resume();

    await c.waitCount(published.length, 60000);
    await client.ping();
    published.sort((a, b) => a - b);
    assert.deepEqual(c.seqs(), published, 'every event once, in seq order');
    const drops = states.filter((s) => s.state === 'reconnecting' && s.delayMs !== undefined);
    t.diagnostic(`disconnects while slow: ${JSON.stringify(drops.map((s) => ({ closeCode: s.closeCode, reason: s.reason })))}`);
    assert.ok(drops.length >= 1, 'the gateway dropped the slow reader (queue bound), and the client resumed');
    const overflows = await gw.metric('linli_send_queue_overflows_total');
    t.diagnostic(`linli_send_queue_overflows_total = ${overflows}`);
  });

  it('reset: since older than retention → onReset, then live from the head', T, async () => {
    const { gw, adminToken, userToken, spy, client } = await setup({}, {
      config: { retention_max_events: 10, retention_interval_s: 1 },
    });
    const published = [];
    for (let i = 0; i < 30; i++) published.push(await gw.publish(adminToken, 'user:2', { old: i }));
    // the trimmer runs every second and keeps 10 events per channel
    await waitFor(async () => {
      const r = await gw.metric('linli_retention_deleted_total');
      return r !== undefined && r >= 20;
    }, { timeoutMs: 10000, message: 'retention to trim user:2' });

    const resets = [];
    const onResetOpt = [];
    client.on('reset', (ch, info) => resets.push({ ch, info }));
    const store = client._store;
    store.set('user:2', published[0]); // the app last saw the first event, long trimmed
    const c = collector();
    const unsub = client.subscribe('user:2', c.handler, { onReset: (ch) => onResetOpt.push(ch) });
    await within(client.connect(), 10000, 'connect');
    const subbed = await within(unsub.subscribed, 5000, 'subbed after reset');
    assert.deepEqual(resets.map((r) => r.ch), ['user:2']);
    assert.deepEqual(onResetOpt, ['user:2']);
    assert.equal(subbed.seq, published.at(-1), 'live from the head');
    assert.equal(client.lastSeq('user:2'), published.at(-1));
    assert.equal(store.get('user:2'), published.at(-1));
    const live = await gw.publish(adminToken, 'user:2', { after: 'reset' });
    await c.waitCount(1);
    await client.ping();
    assert.deepEqual(c.seqs(), [live], 'nothing replayed after a reset, then live');
    const resetFrames = spy.received.filter((f) => f.op === 'reset');
    assert.equal(resetFrames.length, 1);

    // a stored seq from another database (ahead of this channel's head) resets too
    const spy2 = spyTransport(nodeTransport(WebSocket));
    const client2 = new LinliClient({ url: gw.wsUrl, token: userToken, transport: spy2, backoff: { minMs: 20, maxMs: 200 } });
    cleanups.push(() => client2.close());
    const resets2 = [];
    client2.on('reset', (ch) => resets2.push(ch));
    const c2 = collector();
    const unsub2 = client2.subscribe('user:2', c2.handler, { since: live + 1000 });
    await within(client2.connect(), 10000, 'connect');
    await within(unsub2.subscribed, 5000, 'subbed');
    assert.deepEqual(resets2, ['user:2']);
    const live2 = await gw.publish(adminToken, 'user:2', { after: 'reset2' });
    await c2.waitCount(1);
    assert.deepEqual(c2.seqs(), [live2]);
  });

  it('close() leaves no timers or sockets behind', T, async () => {
    const { gw, client } = await setup({ heartbeatMs: 50 });
    client.subscribe('user:2', () => {});
    await within(client.connect(), 10000, 'connect');
    client.close();
    assert.equal(client.state, 'closed');
    assert.equal(client._hbTimer, null);
    assert.equal(client._reconnectTimer, null);
    assert.equal(client._connectTimer, null);
    assert.equal(client._pending.size, 0);
    // while reconnecting, too
    client.connect();
    await waitState(client, 'live', 10000);
    await gw.kill('SIGKILL');
    await waitState(client, 'reconnecting', 5000);
    client.close();
    assert.equal(client._reconnectTimer, null);
    assert.equal(client._hbTimer, null);
    await waitFor(() => client.state === 'closed', { timeoutMs: 1000 });
  });
});
