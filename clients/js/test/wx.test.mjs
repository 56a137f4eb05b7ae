// The WeChat mini-program adapter, driven through a small `wx` stand-in whose
// connectSocket() is built on the real `ws` package talking to the real gateway.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { LinliClient, wxTransport } from '../src/index.js';
import { startGateway, collector, waitFor, waitState, within } from './helpers.mjs';

const T = { timeout: 60000 };

/** wx.connectSocket stand-in: SocketTask with send/close/onOpen/onMessage/onClose/onError. */
function makeWx() {
  const wx = {
    calls: [], // connectSocket arguments
    open: 0, // sockets not yet closed
    maxOpen: 0,
    sent: [],
    connectSocket(opts) {
      const { url, header, success } = opts;
      wx.calls.push(opts);
      const ws = new WebSocket(url, { headers: header || {} });
      const h = { open: [], message: [], close: [], error: [] };
      wx.open++;
      wx.maxOpen = Math.max(wx.maxOpen, wx.open);
      let closed = false;
      ws.on('open', () => { h.open.forEach((f) => f({ header: {} })); });
      ws.on('message', (data, isBinary) => {
        // deliver text as string and binary as ArrayBuffer, as the real SocketTask does
        const d = isBinary ? new Uint8Array(data).buffer : data.toString('utf8');
        h.message.forEach((f) => f({ data: d }));
      });
      ws.on('close', (code, reason) => {
        if (closed) return;
        closed = true;
        wx.open--;
        h.close.forEach((f) => f({ code, reason: reason.toString() }));
      });
      ws.on('error', (e) => h.error.forEach((f) => f({ errMsg: e.message })));
      setTimeout(() => success && success({ errMsg: 'connectSocket:ok' }), 0);
      return {
        send({ data, success: ok, fail: ko }) {
          try { wx.sent.push(JSON.parse(data)); } catch { wx.sent.push(data); }
          ws.send(data, (err) => (err ? ko && ko({ errMsg: err.message }) : ok && ok({ errMsg: 'sendSocketMessage:ok' })));
        },
        close({ code = 1000, reason = '', success: ok } = {}) {
          ws.close(code, reason);
          if (ok) setTimeout(() => ok({ errMsg: 'closeSocket:ok' }), 0);
        },
        onOpen(f) { h.open.push(f); },
        onMessage(f) { h.message.push(f); },
        onClose(f) { h.close.push(f); },
        onError(f) { h.error.push(f); },
      };
    },
  };
  return wx;
}

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
