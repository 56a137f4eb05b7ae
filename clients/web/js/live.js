// The real-time link: one LinliClient for the page, its state shown in the
// header as it is ("连接中…", "实时", "重新连接中…（n）"). The SDK resumes every
// channel from the last seq it delivered, so nothing is missed.
import { LinliClient, browserTransport } from '/sdk/index.js';
import { accessToken, expiring } from './api.js';

let client = null;
let authedWith = null; // the access token the open socket authenticated with
let renewTimer = null;
const stateFns = new Set();
let current = { state: 'idle', attempt: 0 };

export function onConnState(fn) { stateFns.add(fn); fn(current); return () => stateFns.delete(fn); }
export const connState = () => current;

export function startLive() {
  if (client) return client;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  client = new LinliClient({
    url: `${proto}//${location.host}/v1/ws`,
    token: async () => (authedWith = await accessToken()),
    transport: browserTransport(),
    backoff: { minMs: 250, maxMs: 8000 },
  });
  client.on('state', (s) => {
    current = { state: s.state, attempt: s.attempt };
    for (const fn of stateFns) fn(current);
  });
  client.on('error', (e) => { if (e.code !== 'disconnected') console.warn('linli:', e.code, e.message); });
  client.connect().catch(() => { /* shown by state */ });
  // Before the socket's token expires (the gateway would close it with
  // 4001), refresh and re-authenticate the open socket: no reconnect.
  renewTimer = setInterval(async () => {
    if (!client || client.state !== 'live' || !expiring()) return;
    try {
      const tok = await accessToken();
      if (tok && tok !== authedWith && client && client.state === 'live') {
        await client.request('auth', { token: tok });
        authedWith = tok;
      }
    } catch (e) { console.warn('linli: token renewal failed', e.code || e.message); }
  }, 2000);
  return client;
}

// A phone back from sleep or a changed network: try at once.
window.addEventListener('online', () => client && client.wake());
document.addEventListener('visibilitychange', () => { if (!document.hidden && client) client.wake(); });

export function stopLive() {
  if (client) client.close();
  client = null;
  clearInterval(renewTimer);
  renewTimer = null;
  current = { state: 'idle', attempt: 0 };
  for (const fn of stateFns) fn(current);
}

// subscribe(ch, handler, {onReset}) → unsubscribe. Live from now on: views
// load the current state over REST after subscribing and merge by id.
export function subscribe(ch, handler, { onReset } = {}) {
  const c = startLive();
  const off = c.subscribe(ch, (ev) => handler(ev), { since: c.lastSeq(ch) ?? null, onReset });
  off.subscribed.catch(() => { /* forbidden etc.: the view shows REST errors */ });
  return off;
}
