// LinliClient against the real gateway: delivery order, dedup, ref echo,
// typed errors, heartbeat, 4001 handling, and the browser adapter.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { LinliClient, LinliError, MemoryStore, backoffDelay, nodeTransport, browserTransport } from '../src/index.js';
import {
  startGateway, spyTransport, collector, waitFor, waitState, within, sleep, isStrictlyIncreasing,
} from './helpers.mjs';

const T = { timeout: 30000 };

describe('LinliClient against linli-gateway', () => {
  let gw;
  let adminToken;
  let userToken; // user 2
  const clients = [];

  /** A client for user 2 on a spied node transport; closed after each test. */
  function makeClient(opts = {}, spyOpts = {}) {
    const spy = spyTransport(opts.transport || nodeTransport(WebSocket), spyOpts);
    const client = new LinliClient({
      url: gw.wsUrl,
      token: userToken,
      backoff: { minMs: 20, maxMs: 200 },
      requestTimeoutMs: 5000,
      connectTimeoutMs: 5000,
      ...opts,
      transport: spy,
    });
    const errors = [];
    client.on('error', (e) => errors.push(e));
    clients.push(client);
    return { client, spy, errors };
  }

  before(async () => {
    gw = await startGateway();
    adminToken = await gw.mintToken(1, { admin: true });
    userToken = await gw.mintToken(2);
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  after(async () => {
    for (const c of clients.splice(0)) c.close();
    if (gw) await gw.cleanup();
  });

  it('subscribes and receives events in seq order, each once', T, async () => {
    const { client, spy, errors } = makeClient();
    const c = collector();
    const viaEmitter = [];
    client.on('event', (ev) => viaEmitter.push(ev.seq));
    const states = [];
    client.on('state', (s) => states.push(s.state));
    const unsub = client.subscribe('user:2', c.handler);
    await within(client.connect(), 10000, 'connect');
    assert.equal(client.state, 'live');
    assert.equal(client.userId, 2);
    const subbed = await within(unsub.subscribed, 5000, 'subbed');
    assert.equal(subbed.op, 'subbed');
    assert.equal(subbed.ch, 'user:2');
    assert.equal(typeof subbed.seq, 'number');

    // the wire: hello → auth → authed → sub (no since on a fresh channel)
    assert.equal(spy.received[0].op, 'hello');
    assert.equal(typeof spy.received[0].heartbeat_ms, 'number');
    assert.deepEqual(spy.sent[0], { op: 'auth', token: userToken });
    const sub = spy.sent.find((f) => f.op === 'sub');
    assert.equal(sub.ch, 'user:2');
    assert.equal('since' in sub, false);
    assert.ok(sub.ref, 'sub carries a ref');

    const published = [];
    for (let i = 0; i < 10; i++) published.push(await gw.publish(adminToken, 'user:2', { i, text: '鄰里 ' + i }));
    assert.ok(isStrictlyIncreasing(published), `server seqs increase: ${published}`);
    await c.waitCount(10);
    await client.ping(); // anything in flight has arrived by now
    assert.deepEqual(c.seqs(), published);
    assert.deepEqual(c.events.map((e) => e.data.i), [...Array(10).keys()]);
    assert.equal(c.events[3].data.text, '鄰里 3');
    for (const ev of c.events) {
      assert.equal(ev.ch, 'user:2');
      assert.equal(ev.type, 'test');
      assert.equal(typeof ev.at, 'number');
    }
    assert.deepEqual(viaEmitter, published);
    assert.equal(client.lastSeq('user:2'), published.at(-1));
    assert.deepEqual(states.slice(0, 2), ['connecting', 'live']);
    assert.deepEqual(errors, []);

    // unsubscribe: no more deliveries
    unsub();
    await waitFor(() => spy.sent.some((f) => f.op === 'unsub' && f.ch === 'user:2'), { timeoutMs: 2000, message: 'unsub sent' });
    await gw.publish(adminToken, 'user:2', { after: 'unsub' });
    await client.ping();
    assert.equal(c.events.length, 10);
  });

  it('resumes from a stored seq with since (replay, then live)', T, async () => {
    const store = new MemoryStore();
    const seqs = [];
    for (let i = 0; i < 4; i++) seqs.push(await gw.publish(adminToken, 'user:2', { phase: 'before', i }));
    store.set('user:2', seqs[1]); // app saw up to the second one
    const { client, spy } = makeClient({ store });
    const c = collector();
    client.subscribe('user:2', c.handler);
    client.connect();
    await c.waitCount(2);
    const sub = spy.sent.find((f) => f.op === 'sub');
    assert.equal(sub.since, seqs[1]);
    const live = await gw.publish(adminToken, 'user:2', { phase: 'live' });
    await c.waitCount(3);
    await client.ping();
    assert.deepEqual(c.seqs(), [seqs[2], seqs[3], live]);
    assert.equal(store.get('user:2'), live, 'store follows the last delivered seq');
  });

  it('works with an async store, and queues requests made before connect', T, async () => {
    const map = new Map();
    const store = {
      get: async (ch) => { await sleep(20); return map.get(ch); },
      set: async (ch, seq) => { await sleep(5); if (seq === undefined) map.delete(ch); else map.set(ch, seq); },
    };
    const s0 = await gw.publish(adminToken, 'user:2', { async: 0 });
    const s1 = await gw.publish(adminToken, 'user:2', { async: 1 });
    map.set('user:2', s0);
    const { client, spy } = makeClient({ store });
    const early = client.ping(); // before connect: sent once live
    const c = collector();
    client.subscribe('user:2', c.handler);
    client.connect();
    assert.equal((await within(early, 5000, 'early ping')).op, 'pong');
    await c.waitCount(1);
    assert.equal(spy.sent.find((f) => f.op === 'sub').since, s0);
    assert.deepEqual(c.seqs(), [s1]);
    await waitFor(() => map.get('user:2') === s1, { timeoutMs: 2000, message: 'store updated' });
  });

  it('drops duplicate and stale seqs delivered on the wire', T, async () => {
    // every event frame reaches the client twice, and each one is followed by
    // a copy of the previous event (older seq): only fresh seqs get through
    let prev = null;
    const { client } = makeClient({}, {
      onReceive(frame, deliver, raw) {
        deliver(raw);
        if (frame && frame.op === 'event') {
          deliver(raw);
          if (prev) deliver(prev);
          prev = raw;
        }
      },
    });
    const c = collector();
    const unsub = client.subscribe('user:2', c.handler, { since: null });
    client.connect();
    await unsub.subscribed;
    const published = [];
    for (let i = 0; i < 5; i++) published.push(await gw.publish(adminToken, 'user:2', { dup: i }));
    await c.waitCount(5);
    await client.ping();
    assert.deepEqual(c.seqs(), published);
    assert.equal(client.stats.duplicates, 5 + 4);
  });

  it('drops seqs the server replays again (second sub with since 0)', T, async () => {
    const { client, spy } = makeClient();
    const c = collector();
    const unsub = client.subscribe('user:2', c.handler, { since: null });
    client.connect();
    await unsub.subscribed;
    const published = [];
    for (let i = 0; i < 3; i++) published.push(await gw.publish(adminToken, 'user:2', { replay: i }));
    await c.waitCount(3);
    const dupBefore = client.stats.duplicates;
    // ask the server to replay the whole channel on the same socket
    let answer;
    try {
      answer = await client.request('sub', { ch: 'user:2', since: 0 });
    } catch (e) {
      answer = e;
    }
    await client.ping();
    const replayed = spy.received.filter((f) => f.op === 'event' && f.ch === 'user:2' && f.seq <= published.at(-1)).length;
    assert.ok(!(answer instanceof Error), `second sub answered ${answer && answer.code}: ${answer && answer.message}`);
    assert.ok(replayed > 3, `server replayed already-seen events (saw ${replayed} event frames)`);
    assert.ok(client.stats.duplicates > dupBefore, 'duplicates were counted and dropped');
    const live = await gw.publish(adminToken, 'user:2', { replay: 'live' });
    await c.waitCount(4);
    await client.ping();
    assert.deepEqual(c.seqs(), [...published, live]);
  });

  it('echoes ref and types errors (forbidden channel)', T, async () => {
    const { client, spy, errors } = makeClient();
    await within(client.connect(), 10000, 'connect');

    const pong = await client.request('ping');
    assert.equal(pong.op, 'pong');
    const sentPing = spy.sent.find((f) => f.op === 'ping' && f.ref !== undefined);
    assert.equal(String(pong.ref), String(sentPing.ref));

    // raw request: the error answer carries our ref
    await assert.rejects(client.request('sub', { ch: 'user:3' }), (e) => {
      assert.ok(e instanceof LinliError);
      assert.equal(e.code, 'forbidden');
      const sent = spy.sent.findLast((f) => f.op === 'sub' && f.ch === 'user:3');
      assert.equal(String(e.ref), String(sent.ref));
      assert.equal(e.op, 'sub');
      return true;
    });

    // subscribe(): .subscribed rejects, 'error' is emitted, the channel is dropped
    const handler = () => assert.fail('no events on a forbidden channel');
    const unsub = client.subscribe('user:3', handler);
    await assert.rejects(within(unsub.subscribed, 5000, 'forbidden answer'), (e) => e instanceof LinliError && e.code === 'forbidden' && e.ch === 'user:3');
    await waitFor(() => errors.some((e) => e.code === 'forbidden' && e.ch === 'user:3'), { timeoutMs: 2000, message: "'error' event" });
    assert.equal(client.lastSeq('user:3'), undefined);
    assert.equal(client.state, 'live', 'a forbidden sub does not drop the connection');

    // a request to a closed client rejects at once
    client.close();
    await assert.rejects(client.request('ping'), (e) => e.code === 'closed');
  });

  it('sends the app-level ping every heartbeat and gets pongs', T, async () => {
    const { client, spy } = makeClient({ heartbeatMs: 100 });
    await within(client.connect(), 10000, 'connect');
    assert.equal(client.heartbeatMs, 100);
    await waitFor(() => spy.sent.filter((f) => f.op === 'ping').length >= 3, { timeoutMs: 3000, message: '3 pings' });
    await waitFor(() => spy.received.filter((f) => f.op === 'pong').length >= 2, { timeoutMs: 3000, message: '2 pongs' });
    assert.equal(client.state, 'live');
    assert.equal(spy.opens, 1, 'pongs keep the connection alive (no watchdog reconnect)');
  });

  it('uses heartbeat_ms from hello when not overridden', T, async () => {
    const { client, spy } = makeClient();
    await within(client.connect(), 10000, 'connect');
    const hello = spy.received.find((f) => f.op === 'hello');
    assert.ok(hello.heartbeat_ms > 0);
    assert.equal(client.heartbeatMs, hello.heartbeat_ms);
  });

  it('stops reconnecting after 4001 and resumes after setToken()', T, async () => {
    const { client, spy, errors } = makeClient({ token: 'not-a-valid-token' });
    const states = [];
    client.on('state', (s) => states.push(s));
    await assert.rejects(within(client.connect(), 10000, 'connect'), (e) => e instanceof LinliError && e.code === 'unauthorized');
    assert.equal(client.state, 'closed');
    assert.ok(errors.some((e) => e.code === 'unauthorized'), "'error' with code unauthorized");
    const closeFrames = spy.received.filter((f) => f.op === 'error');
    const opens = spy.opens;
    assert.equal(opens, 1);
    await sleep(400); // with 20–200 ms backoff, several attempts would have happened
    assert.equal(spy.opens, opens, 'no reconnect after 4001');
    assert.equal(states.at(-1).state, 'closed');
    assert.equal(states.at(-1).reason, 'unauthorized');
    assert.ok(!states.some((s) => s.state === 'reconnecting'), `no reconnecting state: ${JSON.stringify(states)} ${JSON.stringify(closeFrames)}`);

    client.setToken(async () => userToken);
    await waitState(client, 'live', 10000);
    assert.equal(client.userId, 2);
    assert.equal(spy.opens, opens + 1);
  });

  it('a token expiring mid-session: a token function is asked again, a fixed string stops', T, async () => {
    // token function: first a 2-second token, then a good one
    const short = await gw.mintToken(2, { ttl: 2 });
    let calls = 0;
    const { client, spy } = makeClient({ token: async () => (calls++ === 0 ? short : userToken) });
    const c = collector();
    client.subscribe('user:2', c.handler);
    await within(client.connect(), 10000, 'connect');
    const expired = await waitState(client, 'reconnecting', 8000, (s) => s.closeCode === 4001);
    assert.match(expired.reason, /expired/);
    await waitState(client, 'live', 5000);
    assert.equal(calls, 2);
    assert.equal(spy.opens, 2);
    const s1 = await gw.publish(adminToken, 'user:2', { after: 'refresh' });
    await c.waitCount(1);
    assert.equal(c.seqs().at(-1), s1);

    // fixed string token: stop with 'unauthorized' until setToken()
    const short2 = await gw.mintToken(2, { ttl: 2 });
    const { client: fixed, spy: spy2, errors } = makeClient({ token: short2 });
    await within(fixed.connect(), 10000, 'connect');
    await waitState(fixed, 'closed', 8000);
    assert.ok(errors.some((e) => e.code === 'unauthorized' && e.closeCode === 4001));
    assert.equal(spy2.opens, 1);
  });

  it('a throwing token function is reported and retried', T, async () => {
    let calls = 0;
    const { client, errors } = makeClient({
      token: async () => { if (calls++ === 0) throw new Error('refresh endpoint down'); return userToken; },
    });
    await within(client.connect(), 10000, 'connect');
    assert.equal(calls, 2);
    assert.ok(errors.some((e) => e.code === 'token_error' && /refresh endpoint down/.test(e.message)));
  });

  it('reports the close code 4001 from the server for a bad token', T, async () => {
    // observe the raw socket: the contract says 4001 unauthorized
    const ws = new WebSocket(gw.wsUrl);
    const frames = [];
    const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      frames.push(f);
      if (f.op === 'hello') ws.send(JSON.stringify({ op: 'auth', token: 'garbage' }));
    });
    ws.on('error', () => {});
    const { code } = await within(closed, 10000, 'server close');
    assert.equal(code, 4001, `close code (frames: ${JSON.stringify(frames)})`);
  });

  it('works with the browser adapter (ws as a stand-in for window.WebSocket)', T, async () => {
    const { client, spy } = makeClient({ transport: browserTransport(WebSocket), heartbeatMs: 100 });
    const c = collector();
    const unsub = client.subscribe('user:2', c.handler, { since: null });
    await within(client.connect(), 10000, 'connect');
    await unsub.subscribed;
    const s1 = await gw.publish(adminToken, 'user:2', { via: 'browser' });
    await c.waitCount(1);
    assert.deepEqual(c.seqs(), [s1]);
    await waitFor(() => spy.sent.some((f) => f.op === 'ping'), { timeoutMs: 2000, message: 'ping' });
  });
});

describe('backoff', () => {
  it('is full jitter, capped, growing with the attempt', () => {
    const b = { minMs: 100, maxMs: 1000 };
    assert.equal(backoffDelay(1, b, () => 0.999999), 99);
    assert.equal(backoffDelay(3, b, () => 0.999999), 399);
    assert.equal(backoffDelay(10, b, () => 0.999999), 999);
    assert.equal(backoffDelay(10, b, () => 0), 0);
  });
});
