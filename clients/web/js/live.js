// The real-time link: one LinliClient for the page, its state shown in the
// header as it is ("连接中…", "实时", "重新连接中…（n）"). The SDK resumes every
// channel from the last seq it delivered, so nothing is missed.
import { LinliClient, browserTransport } from '/sdk/index.js';
import { accessToken, expiring, refresh, setSession, getSession } from './api.js';

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
  let rescued = false; // one refresh per unauthorized stop, reset once live
  client.on('state', (s) => {
    current = { state: s.state, attempt: s.attempt };
    if (s.state === 'live') rescued = false;
    for (const fn of stateFns) fn(current);
    // The gateway refused the token (expired, or the session was revoked):
    // refresh once and reconnect; if that fails too, the session is over and
    // the app goes to the login page (setSession(null)).
    if (s.state === 'closed' && s.reason === 'unauthorized' && client) {
      const c = client;
      if (rescued || !getSession()) { if (getSession()) setSession(null); return; }
      rescued = true;
      refresh().then(() => { if (client === c) c.setToken(async () => (authedWith = await accessToken())); },
        (e) => { if (e.status !== 0 && getSession()) setSession(null); });
    }
  });
  client.on('error', (e) => { if (e.code !== 'disconnected') console.warn('linli:', e.code, e.message); });
  client.connect().catch(() => { /* shown by state */ });
  // Before the socket's token expires (the gateway would close it with
  // 4001), refresh and re-authenticate the open socket: no reconnect.
  renewTimer = setInterval(async () => {
    // expiring: refresh (under the cross-tab lock); or another tab already
    // rotated the session: re-authenticate with its newer token
    if (!client || client.state !== 'live' || (!expiring() && getSession()?.access === authedWith)) return;
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

// subscribe(ch, handler, {onReset}) → unsubscribe. Live from the `subbed`
// frame on: use liveLoad() to load the current state after that.
export function subscribe(ch, handler, { onReset } = {}) {
  const c = startLive();
  const off = c.subscribe(ch, (ev) => handler(ev), { since: c.lastSeq(ch) ?? null, onReset });
  off.subscribed.catch(() => { /* forbidden etc.: the view shows REST errors */ });
  return off;
}

const SUB_WAIT_MS = 4000;

// Subscribes to ch, waits (at most SUB_WAIT_MS: offline, the page still
// loads) until the gateway confirms live delivery, then calls load() (the
// REST snapshot). Events arriving meanwhile are held and applied after the
// snapshot, in order, so nothing falls between the two and the latest state
// wins; views keep items by id, so one in both is shown once. On a reset
// (events lost) the same: reload, then apply what came meanwhile.
// Resolves with the unsubscribe function.
export async function liveLoad(ch, onEvent, load, { onReset } = {}) {
  let held = [];
  const reload = onReset || load;
  const flush = () => { const evs = held; held = null; for (const ev of evs || []) onEvent(ev); };
  const off = subscribe(ch, (ev) => { if (held) held.push(ev); else onEvent(ev); }, {
    onReset: () => {
      held = held || [];
      Promise.resolve().then(reload).catch((e) => console.warn('linli: reload failed', e.code || e.message)).finally(flush);
    },
  });
  let timer, confirmed = false;
  const ok = off.subscribed.then(() => { confirmed = true; }, () => {});
  // no link at the moment (reconnecting, stopped): show the snapshot now
  // rather than after the time-out; it is loaded again once live
  const linked = current.state === 'live' || current.state === 'connecting';
  await Promise.race([ok, new Promise((r) => { timer = setTimeout(r, linked ? SUB_WAIT_MS : 0); })]);
  clearTimeout(timer);
  try { await load(); } catch (e) { off(); throw e; }
  flush();
  // Loaded without a confirmed subscription (slow or no link): what changed
  // before it went live may be missing, so load again once it is.
  if (!confirmed) {
    off.subscribed.then(() => {
      held = held || [];
      return Promise.resolve().then(reload).catch((e) => console.warn('linli: reload failed', e.code || e.message)).finally(flush);
    }, () => {});
  }
  return off;
}
