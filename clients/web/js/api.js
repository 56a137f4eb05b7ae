// REST access: the session (tokens in localStorage, refreshed before expiry
// and on 401), Idempotency-Key on every POST, and the offline outbox.
//
// Writes made while the network is down are never silently lost: those the
// caller marks `queue` (posts, votes, help requests) are kept in the outbox
// with their Idempotency-Key and sent again when the connection is back (the
// gateway answers a repeat with the first answer, so a retry never doubles);
// every other write is refused with an 'offline' error the UI shows.

const SESSION_KEY = 'linli.session';
const OUTBOX_KEY = 'linli.outbox';
const REFRESH_MARGIN_MS = 60000;

export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message || code);
    this.status = status;
    this.code = code;
    Object.assign(this, extra);
  }
}

const listeners = { session: new Set(), outbox: new Set() };
export function onSession(fn) { listeners.session.add(fn); return () => listeners.session.delete(fn); }
export function onOutbox(fn) { listeners.outbox.add(fn); return () => listeners.outbox.delete(fn); }

function readJson(key, dflt) {
  try { const v = localStorage.getItem(key); return v ? JSON.parse(v) : dflt; } catch { return dflt; }
}
function writeJson(key, v) {
  try { if (v === null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(v)); } catch { /* full */ }
}

let session = readJson(SESSION_KEY, null);
export const getSession = () => session;

export function setSession(json) {
  session = json ? {
    user: json.user ?? session?.user,
    access: json.access_token,
    refresh: json.refresh_token,
    expiresAt: json.access_expires_at || Date.now() + 15 * 60000,
    obtainedAt: Date.now(),
  } : null;
  writeJson(SESSION_KEY, session);
  for (const fn of listeners.session) fn(session);
}

// The signed-in user changed (a new display name): the same tokens.
export function setUser(user) {
  if (!session) return;
  session = { ...session, user };
  writeJson(SESSION_KEY, session);
  for (const fn of listeners.session) fn(session);
}

// Another tab refreshed or logged out: follow it.
window.addEventListener('storage', (e) => {
  if (e.key === SESSION_KEY) {
    session = readJson(SESSION_KEY, null);
    for (const fn of listeners.session) fn(session);
  }
});

export function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

let refreshing = null;
// Rotates the refresh token. Every tab of the app shares one session (in
// localStorage) and a refresh token is single-use: the gateway treats a
// second use as theft and revokes the whole session. So refreshes are
// serialised across tabs with a Web Lock, and inside the lock the session is
// read again: if another tab rotated it meanwhile, its tokens are used.
export function refresh() {
  if (!session?.refresh) return Promise.reject(new ApiError(401, 'unauthorized', 'not logged in'));
  if (!refreshing) {
    const spent = session.refresh;
    const run = () => rotate(spent);
    const locks = typeof navigator !== 'undefined' && navigator.locks;
    refreshing = (locks ? locks.request('linli-refresh', run) : run()).finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function rotate(spent) {
  const now = readJson(SESSION_KEY, null);
  if (!now) { if (session) setSession(null); throw new ApiError(401, 'unauthorized', 'logged out'); }
  if (now.refresh !== spent) { adopt(now); return; } // another tab already rotated it
  let r;
  try {
    r = await fetch('/v1/auth/refresh', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: spent }),
    });
  } catch (e) {
    throw new ApiError(0, 'offline', e.message);
  }
  const j = await r.json().catch(() => ({}));
  if (r.ok) { setSession(j); return; }
  if (r.status === 401) setSession(null);
  throw new ApiError(r.status, j.error?.code || 'unauthorized', j.error?.message || 'refresh failed');
}

function adopt(s) {
  session = s;
  for (const fn of listeners.session) fn(session);
}

// True when the access token is close to expiry: within a minute, or within
// the last third of its life for short-lived tokens.
export function expiring() {
  if (!session) return false;
  const life = session.expiresAt - (session.obtainedAt || session.expiresAt - 15 * 60000);
  return session.expiresAt - Date.now() < Math.min(REFRESH_MARGIN_MS, life / 3);
}

// An access token that is not about to expire (refreshing first if needed).
export async function accessToken() {
  if (!session) return null;
  if (expiring()) await refresh();
  return session?.access ?? null;
}

async function send(method, path, body, key, retried = false) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (key) headers['Idempotency-Key'] = key;
  // Sign-in calls go without a token; logout and codes asked while signed
  // in (verify, change_phone, cancel) carry it.
  const auth = !path.startsWith('/v1/auth/') || path === '/v1/auth/logout' || (path === '/v1/auth/sms' && !!session);
  if (auth) {
    const tok = await accessToken();
    if (tok) headers.Authorization = `Bearer ${tok}`;
  }
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'offline', e.message);
  }
  if (r.status === 401 && auth && session && !retried) {
    await refresh();
    return send(method, path, body, key, true);
  }
  if (r.status === 204) return {};
  const j = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = j.error || {};
    throw new ApiError(r.status, e.code || 'http_' + r.status, e.message || r.statusText, { field: e.field, body: j });
  }
  return j;
}

export const get = (path) => send('GET', path);
export const put = (path, body) => send('PUT', path, body);
export const patch = (path, body) => send('PATCH', path, body);
export const del = (path, body) => send('DELETE', path, body);

// POST with an Idempotency-Key. opts.queue: keep it in the outbox when the
// network or the server is down, and resolve with {queued: true}.
export async function post(path, body, { queue = false, label = '' } = {}) {
  const key = newKey();
  try {
    return await send('POST', path, body, key);
  } catch (e) {
    const transient = e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504;
    if (!queue || !transient) throw e;
    const box = readJson(OUTBOX_KEY, []);
    box.push({ path, body, key, label, at: Date.now(), uid: session?.user?.id });
    writeJson(OUTBOX_KEY, box);
    emitOutbox({ queued: mine(box).length });
    return { queued: true };
  }
}

function emitOutbox(info) { for (const fn of listeners.outbox) fn(info); }
// Queued writes are sent only with the session of the user who made them.
const mine = (box) => box.filter((x) => x.uid === session?.user?.id);
export const outboxSize = () => mine(readJson(OUTBOX_KEY, [])).length;

let flushing = false;
// Sends what is waiting, oldest first, each with its original key. Stops at
// the first transient failure (to try again later); a refused one is dropped
// and reported.
export async function flushOutbox() {
  if (flushing || !session) return;
  flushing = true;
  let sent = 0;
  try {
    for (;;) {
      const box = mine(readJson(OUTBOX_KEY, []));
      if (!box.length || !session) break;
      const item = box[0];
      try {
        await send('POST', item.path, item.body, item.key);
        sent++;
      } catch (e) {
        const transient = e.status === 0 || e.status === 429 || e.status >= 500;
        if (transient) { emitOutbox({ queued: box.length }); return; }
        emitOutbox({ failed: e, item });
      }
      const now = readJson(OUTBOX_KEY, []);
      writeJson(OUTBOX_KEY, now.filter((x) => x.key !== item.key));
    }
    if (sent) emitOutbox({ queued: 0, sent });
  } finally {
    flushing = false;
  }
}

export async function logout() {
  try { await send('POST', '/v1/auth/logout'); } catch { /* already gone */ }
  setSession(null);
}
