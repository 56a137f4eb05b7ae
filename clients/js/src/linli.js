// Linli JS SDK core: one WebSocket to the gateway, channel subscriptions with
// resume (`since`) and per-channel dedup by `seq`, app-level heartbeat, and
// automatic reconnection with jittered exponential backoff.
// 鄰里 SDK 核心：斷線自動重連、按 seq 去重、以 since 續傳。
//
// No runtime dependencies: the socket comes from a transport adapter
// (./adapters/browser.js, ./adapters/node.js, ./adapters/wx.js).

/**
 * A transport turns a URL into a socket with a uniform interface.
 * @typedef {object} Transport
 * @property {(url: string, headers: Record<string,string>) => TransportSocket} open
 */

/**
 * The socket a transport returns. The client assigns the four callbacks right
 * after `open()` returns; adapters must call them asynchronously.
 * @typedef {object} TransportSocket
 * @property {(data: string) => void} send
 * @property {(code?: number, reason?: string) => void} close
 * @property {() => void} [terminate] drop the connection at once, without a close handshake
 * @property {() => void} onopen
 * @property {(data: string) => void} onmessage
 * @property {(code: number, reason: string) => void} onclose
 * @property {(err: any) => void} onerror
 */

/**
 * Persists the last seq seen per channel. Methods may return promises.
 * `set(ch, undefined)` means "forget this channel".
 * @typedef {object} SeqStore
 * @property {(ch: string) => (number|undefined|Promise<number|undefined>)} get
 * @property {(ch: string, seq: number|undefined) => (void|Promise<void>)} set
 */

/**
 * One event as delivered to handlers.
 * @typedef {object} LinliEvent
 * @property {string} ch
 * @property {number} seq
 * @property {string} type
 * @property {any} data
 * @property {number} at
 */

/**
 * Error with a machine-readable `code`.
 * Codes from the server (`forbidden`, `bad_request`, `unauthorized`,
 * `rate_limited`, ...) plus client-side ones: `timeout`, `disconnected`,
 * `closed`, `token_error`, `bad_frame`, `handler_error`, `store_error`.
 */
export class LinliError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   * @param {object} [extra] e.g. `{ref, ch, op, closeCode, frame, cause}`
   */
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = 'LinliError';
    /** @type {string} */
    this.code = code;
    for (const k of Object.keys(extra)) if (extra[k] !== undefined) this[k] = extra[k];
  }
}

/** Default in-memory {@link SeqStore}. */
export class MemoryStore {
  constructor() { this.map = new Map(); }
  get(ch) { return this.map.get(ch); }
  set(ch, seq) { if (seq === undefined || seq === null) this.map.delete(ch); else this.map.set(ch, seq); }
}

/**
 * Full-jitter exponential backoff: uniform in [0, min(maxMs, minMs * 2^(attempt-1))].
 * @param {number} attempt 1 for the first retry
 * @param {{minMs: number, maxMs: number}} backoff
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, { minMs, maxMs }, random = Math.random) {
  const cap = Math.min(maxMs, minMs * Math.pow(2, Math.max(0, attempt - 1)));
  return Math.floor(random() * cap);
}

const DEFAULTS = {
  backoff: { minMs: 500, maxMs: 30000 },
  rateLimitedMs: 10000,
  requestTimeoutMs: 10000,
  connectTimeoutMs: 15000,
  defaultHeartbeatMs: 25000,
};

// Errors answering a `sub` after which retrying on reconnect is pointless.
const FATAL_SUB_CODES = new Set(['forbidden', 'not_found', 'bad_request', 'unauthorized']);

const CLOSE_UNAUTHORIZED = 4001;
const CLOSE_RATE_LIMITED = 4029;
const CLOSE_CLIENT_ABANDON = 4000; // our own code when we give up on a dead socket

const noop = () => {};
const isSeq = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isThenable = (v) => v != null && typeof v.then === 'function';

/** Promise plus its settle functions; marked handled so that nobody gets an
 *  unhandled rejection for a promise they never looked at. */
function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(noop);
  const d = { promise, settled: false };
  d.resolve = (v) => { if (!d.settled) { d.settled = true; resolve(v); } };
  d.reject = (e) => { if (!d.settled) { d.settled = true; reject(e); } };
  return d;
}

/**
 * Real-time client for the Linli gateway (`GET /v1/ws`).
 *
 * Events (`client.on(name, fn)`):
 * - `state` `({state, attempt, delayMs?, closeCode?, reason?})` — state is
 *   `'idle' | 'connecting' | 'live' | 'reconnecting' | 'closed'`
 * - `event` `(LinliEvent)` — every delivered event, after dedup
 * - `reset` `(ch, info)` — the server can no longer replay `ch`: refetch over REST
 * - `error` `(LinliError)`
 */
export class LinliClient {
  /**
   * @param {object} options
   * @param {string} options.url WebSocket URL, e.g. `ws://127.0.0.1:8080/v1/ws`
   * @param {string | (() => string | Promise<string>)} options.token access token, or a
   *   function called on every (re)connect so the app can refresh it
   * @param {Transport} options.transport adapter from ./adapters/*
   * @param {number} [options.heartbeatMs] ping interval; overrides the server's `heartbeat_ms`
   * @param {{minMs?: number, maxMs?: number}} [options.backoff] reconnect backoff (full jitter)
   * @param {number} [options.rateLimitedMs] extra wait after close code 4029 (default 10 s)
   * @param {SeqStore} [options.store] persists last seq per channel (default in-memory)
   * @param {number} [options.requestTimeoutMs] timeout of `request()` (default 10 s)
   * @param {number} [options.connectTimeoutMs] socket open + auth must finish within this (default 15 s)
   * @param {Record<string,string>} [options.headers] extra upgrade headers (Node / wx only)
   * @param {(ch: string) => void} [options.onReset] called when a channel is reset
   */
  constructor(options) {
    if (!options || typeof options.url !== 'string') throw new TypeError('LinliClient: options.url is required');
    if (!options.transport || typeof options.transport.open !== 'function') {
      throw new TypeError('LinliClient: options.transport is required (see adapters/)');
    }
    if (options.token === undefined) throw new TypeError('LinliClient: options.token is required');
    this.url = options.url;
    this._token = options.token;
    this._transport = options.transport;
    this._store = options.store || new MemoryStore();
    this._heartbeatOverride = options.heartbeatMs;
    this._backoff = { ...DEFAULTS.backoff, ...(options.backoff || {}) };
    this._rateLimitedMs = options.rateLimitedMs ?? DEFAULTS.rateLimitedMs;
    this._requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this._connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    this._headers = options.headers || {};
    this._onResetOpt = options.onReset;

    /** Current state. @type {'idle'|'connecting'|'live'|'reconnecting'|'closed'} */
    this.state = 'idle';
    /** Consecutive failed connection attempts since the client was last live. */
    this.attempt = 0;
    /** User id from the last `authed` frame. @type {number|null} */
    this.userId = null;
    /** Heartbeat interval in use (ms). */
    this.heartbeatMs = this._heartbeatOverride || DEFAULTS.defaultHeartbeatMs;
    /** Counters, handy for diagnostics and tests. */
    this.stats = { connects: 0, duplicates: 0, pingsSent: 0, pongs: 0, framesIn: 0 };

    this._listeners = new Map();
    this._subs = new Map(); // ch -> subscription record
    this._pending = new Map(); // String(ref) -> pending request
    this._refSeq = 0;
    this._gen = 0; // connection generation; callbacks of older sockets are ignored
    this._sock = null;
    this._authed = false;
    this._authToken = null;
    this._unauthorized = false;
    this._refreshRetried = false;
    this._stopped = true; // not started yet
    this._liveWaiters = [];
    this._reconnectTimer = null;
    this._connectTimer = null;
    this._hbTimer = null;
    this._lastRx = 0;
    this._hbTick = 0;
    this._lastTransportError = null;
  }

  // ---------------------------------------------------------------- events

  /**
   * Add a listener. Returns a function that removes it.
   * @param {'state'|'event'|'reset'|'error'} event
   * @param {Function} fn
   * @returns {() => void}
   */
  on(event, fn) {
    let set = this._listeners.get(event);
    if (!set) this._listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => this.off(event, fn);
  }

  /** Remove a listener added with {@link LinliClient#on}. */
  off(event, fn) {
    const set = this._listeners.get(event);
    if (set) set.delete(fn);
  }

  /** Like `on`, but the listener runs once. */
  once(event, fn) {
    const off = this.on(event, (...args) => { off(); fn(...args); });
    return off;
  }

  _emit(event, ...args) {
    const set = this._listeners.get(event);
    if (!set || set.size === 0) {
      if (event === 'error' && typeof console !== 'undefined') console.warn('[linli]', args[0]);
      return;
    }
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (e) {
        if (event === 'error') {
          if (typeof console !== 'undefined') console.error('[linli] error listener threw', e);
        } else {
          this._emit('error', new LinliError('handler_error', `'${event}' listener threw: ${e && e.message}`, { cause: e }));
        }
      }
    }
  }

  _setState(state, extra = {}) {
    this.state = state;
    this._emit('state', { state, attempt: this.attempt, ...extra });
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * Start (or restart after `close()` or an `unauthorized` stop) connecting.
   * Reconnects by itself afterwards. The promise resolves when the client is
   * live (authenticated) and rejects if it is stopped first; you need not
   * await it.
   * @returns {Promise<void>}
   */
  connect() {
    if (this._stopped) {
      this._stopped = false;
      this._unauthorized = false;
      this.attempt = 0;
      this._open();
    } else if (this._reconnectTimer) {
      // waiting for backoff: try now
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = null;
      this._open();
    }
    return this._waitLive();
  }

  /**
   * Replace the token (string or function). If the client was stopped
   * because the server rejected the old token, it reconnects.
   * @param {string | (() => string | Promise<string>)} token
   */
  setToken(token) {
    this._token = token;
    if (this._stopped && this.state === 'closed' && this._stopReason === 'unauthorized') this.connect();
  }

  /**
   * Call when the app returns to the foreground (e.g. `wx.onAppShow`):
   * reconnects at once if waiting for backoff, else pings to check the link.
   */
  wake() {
    if (this._stopped) return;
    if (this._reconnectTimer) {
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = null;
      this._open();
    } else if (this._authed) {
      this._sendPing();
    }
  }

  /**
   * Stop everything: close the socket, cancel timers, reject pending requests.
   * Subscriptions and stored seqs are kept; `connect()` resumes them.
   */
  close() {
    this._stop('closed', new LinliError('closed', 'client closed'));
  }

  _waitLive() {
    if (this.state === 'live') return Promise.resolve();
    if (this._stopped) return Promise.reject(new LinliError(this._stopReason || 'closed', 'client is not connecting'));
    const d = deferred();
    this._liveWaiters.push(d);
    return d.promise;
  }

  async _open() {
    const gen = ++this._gen;
    this._teardownSocket({ code: 1000, reason: 'reconnecting' });
    this._setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let token;
    try {
      token = typeof this._token === 'function' ? await this._token() : this._token;
    } catch (e) {
      if (gen !== this._gen) return;
      this._emit('error', new LinliError('token_error', `token function failed: ${e && e.message}`, { cause: e }));
      this._scheduleReconnect(undefined, 'token_error');
      return;
    }
    if (gen !== this._gen) return; // closed or superseded while waiting for the token
    if (!token) {
      this._stop('unauthorized', new LinliError('unauthorized', 'no token'));
      return;
    }
    this._authToken = token;
    this._unauthorized = false;
    this._lastTransportError = null;
    let sock;
    try {
      sock = this._transport.open(this.url, { ...this._headers });
    } catch (e) {
      this._lastTransportError = e;
      this._scheduleReconnect(undefined, `transport open failed: ${e && e.message}`);
      return;
    }
    this._sock = sock;
    this.stats.connects++;
    sock.onopen = () => { if (gen === this._gen) this._lastRx = Date.now(); };
    sock.onmessage = (data) => { if (gen === this._gen) this._onFrame(data); };
    sock.onclose = (code, reason) => { if (gen === this._gen) this._onClose(code, reason); };
    sock.onerror = (err) => { if (gen === this._gen) this._lastTransportError = err; };
    this._connectTimer = setTimeout(() => {
      this._connectTimer = null;
      if (gen === this._gen && !this._authed) this._abandon('connect timeout');
    }, this._connectTimeoutMs);
  }

  /** Clear per-connection state; `sock` (if given) is detached and closed. */
  _teardownSocket(closeReason) {
    const sock = this._sock;
    this._sock = null;
    this._authed = false;
    if (this._connectTimer) { clearTimeout(this._connectTimer); this._connectTimer = null; }
    if (this._hbTimer) { clearInterval(this._hbTimer); this._hbTimer = null; }
    if (sock) {
      sock.onopen = noop; sock.onmessage = noop; sock.onclose = noop; sock.onerror = noop;
      if (closeReason) {
        try {
          if (closeReason.terminate && typeof sock.terminate === 'function') sock.terminate();
          else sock.close(closeReason.code, closeReason.reason);
        } catch { /* already closed */ }
      }
    }
    // requests already on the wire will not be answered on a new socket
    for (const [ref, p] of this._pending) {
      if (p.sent) {
        this._pending.delete(ref);
        clearTimeout(p.timer);
        p.reject(new LinliError('disconnected', 'connection lost before the answer', { ref: p.ref, op: p.op }));
      }
    }
  }

  /** Give up on a socket we consider dead and reconnect. */
  _abandon(reason) {
    this._gen++;
    this._teardownSocket({ terminate: true, code: CLOSE_CLIENT_ABANDON, reason });
    this._scheduleReconnect(undefined, reason);
  }

  _onClose(code, reason) {
    const wasLive = this._authed;
    this._gen++;
    this._teardownSocket(null);
    if (code === CLOSE_UNAUTHORIZED || this._unauthorized) {
      if (wasLive && typeof this._token === 'function' && !this._refreshRetried) {
        // the token expired during a session: fetch a fresh one and try once more
        this._refreshRetried = true;
        this._scheduleReconnect(code, reason);
        return;
      }
      this._stop('unauthorized', new LinliError('unauthorized', reason || 'token rejected', { closeCode: code }));
      return;
    }
    this._scheduleReconnect(code, reason);
  }

  _scheduleReconnect(closeCode, reason) {
    if (this._stopped) return;
    this.attempt++;
    let delayMs = backoffDelay(this.attempt, this._backoff);
    if (closeCode === CLOSE_RATE_LIMITED) delayMs += this._rateLimitedMs + Math.floor(Math.random() * this._rateLimitedMs);
    const extra = { delayMs };
    if (closeCode !== undefined) extra.closeCode = closeCode;
    if (reason) extra.reason = reason;
    if (this._lastTransportError) extra.error = this._lastTransportError;
    this._setState('reconnecting', extra);
    if (this._reconnectTimer) clearTimeout(this._reconnectTimer);
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      if (!this._stopped) this._open();
    }, delayMs);
  }

  _stop(reason, err) {
    const wasStopped = this._stopped && this.state === 'closed';
    this._stopped = true;
    this._stopReason = reason;
    this._gen++;
    if (this._reconnectTimer) { clearTimeout(this._reconnectTimer); this._reconnectTimer = null; }
    this._teardownSocket({ code: 1000, reason: reason === 'closed' ? 'client closing' : reason });
    for (const [ref, p] of this._pending) {
      this._pending.delete(ref);
      clearTimeout(p.timer);
      p.reject(new LinliError(err.code, err.message, { ref: p.ref, op: p.op }));
    }
    const waiters = this._liveWaiters;
    this._liveWaiters = [];
    for (const w of waiters) w.reject(err);
    if (!wasStopped) {
      this._setState('closed', { reason });
      if (reason !== 'closed') this._emit('error', err);
    }
  }

  // --------------------------------------------------------------- frames

  _send(obj) {
    if (!this._sock) return false;
    try {
      this._sock.send(JSON.stringify(obj));
      return true;
    } catch (e) {
      this._lastTransportError = e;
      return false;
    }
  }

  _onFrame(data) {
    this._lastRx = Date.now();
    this.stats.framesIn++;
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      this._emit('error', new LinliError('bad_frame', 'frame is not JSON', { frame: data }));
      return;
    }
    if (!m || typeof m !== 'object') return;
    switch (m.op) {
      case 'hello': this._onHello(m); break;
      case 'authed': this._onAuthed(m); break;
      case 'event': this._onEvent(m); break;
      case 'subbed': this._onSubbed(m); break;
      case 'reset': this._onReset(m); break;
      case 'pong': this.stats.pongs++; break;
      case 'error': this._onErrorFrame(m); return;
      default: break;
    }
    if (m.ref !== undefined && m.ref !== null) this._settle(m.ref, m, null);
  }

  _onHello(m) {
    const hb = this._heartbeatOverride || (m.heartbeat_ms > 0 ? m.heartbeat_ms : DEFAULTS.defaultHeartbeatMs);
    this.heartbeatMs = hb;
    this._startHeartbeat(hb);
    this._send({ op: 'auth', token: this._authToken });
  }

  _onAuthed(m) {
    if (this._authed) {
      // a second `authed` on the same socket (header auth plus auth frame, or a
      // re-auth): nothing to resubscribe
      this.userId = m.user_id ?? this.userId;
      return;
    }
    if (this._connectTimer) { clearTimeout(this._connectTimer); this._connectTimer = null; }
    if (!this._hbTimer) this._startHeartbeat(this.heartbeatMs);
    this._authed = true;
    this._refreshRetried = false;
    this.userId = m.user_id ?? null;
    this.attempt = 0;
    this._setState('live', { userId: this.userId });
    for (const sub of this._subs.values()) this._sendSub(sub);
    // requests made while offline go out now, in order
    for (const p of this._pending.values()) {
      if (!p.sent) { p.sent = true; this._send(p.frame); }
    }
    const waiters = this._liveWaiters;
    this._liveWaiters = [];
    for (const w of waiters) w.resolve();
  }

  _onErrorFrame(m) {
    const err = new LinliError(m.code || 'error', m.message, { ref: m.ref, ch: m.ch, frame: m });
    if (err.code === 'unauthorized' && !this._authed) this._unauthorized = true;
    if (m.ref !== undefined && m.ref !== null && this._settle(m.ref, null, err)) return;
    this._emit('error', err);
    if (this._unauthorized && this._sock) {
      // the server should follow with close 4001; do not wait for it
      this._stop('unauthorized', new LinliError('unauthorized', m.message || 'token rejected', { frame: m }));
    }
  }

  _settle(ref, value, err) {
    const key = String(ref);
    const p = this._pending.get(key);
    if (!p) return false;
    this._pending.delete(key);
    clearTimeout(p.timer);
    if (err) { err.op = err.op || p.op; p.reject(err); } else p.resolve(value);
    return true;
  }

  // ------------------------------------------------------------- heartbeat

  _startHeartbeat(hb) {
    if (this._hbTimer) clearInterval(this._hbTimer);
    const tick = Math.max(10, Math.floor(hb / 2));
    this._hbTick = 0;
    this._lastRx = Date.now();
    this._hbTimer = setInterval(() => {
      if (Date.now() - this._lastRx > 2 * hb) {
        this._abandon('heartbeat timeout');
        return;
      }
      if (++this._hbTick % 2 === 0 && this._authed) this._sendPing();
    }, tick);
  }

  _sendPing() {
    if (this._send({ op: 'ping' })) this.stats.pingsSent++;
  }

  // -------------------------------------------------------------- requests

  /**
   * Send an op with a fresh `ref` and wait for the server's answer carrying
   * the same `ref` (`subbed`, `pong`, ...). An `error` answer rejects with a
   * {@link LinliError}. Sent at once when live, otherwise when next live.
   * @param {string} op
   * @param {object} [fields]
   * @param {{timeoutMs?: number}} [opts]
   * @returns {Promise<object>} the answer frame
   */
  request(op, fields = {}, opts = {}) {
    if (this._stopped && this.state === 'closed') {
      return Promise.reject(new LinliError(this._stopReason || 'closed', 'client is closed', { op }));
    }
    const ref = 'r' + (++this._refSeq);
    const frame = { ...fields, op, ref };
    const timeoutMs = opts.timeoutMs ?? this._requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const p = { ref, op, frame, resolve, reject, sent: false, timer: null };
      p.timer = setTimeout(() => {
        if (this._pending.get(ref) === p) {
          this._pending.delete(ref);
          reject(new LinliError('timeout', `no answer to '${op}' within ${timeoutMs} ms`, { ref, op }));
        }
      }, timeoutMs);
      this._pending.set(ref, p);
      if (this._authed) { p.sent = true; this._send(frame); }
    });
  }

  /**
   * Round-trip a `ping` now.
   * @returns {Promise<object>} the `pong` frame
   */
  ping(opts) {
    return this.request('ping', {}, opts);
  }

  // ---------------------------------------------------------- subscriptions

  /**
   * Subscribe to a channel. `handler` receives every event exactly once, in
   * seq order, across reconnects (resume with `since`; duplicates dropped).
   *
   * @param {string} ch channel name, e.g. `thread:42`
   * @param {(ev: LinliEvent) => void} handler
   * @param {object} [opts]
   * @param {number|null} [opts.since] resume after this seq; `null` = live only;
   *   default: the value in the store
   * @param {(ch: string) => void} [opts.onReset] called when the channel is reset
   * @returns {(() => void) & {subscribed: Promise<object>}} unsubscribe function;
   *   `.subscribed` resolves with the first `subbed` frame or rejects with a
   *   LinliError (e.g. code `forbidden`)
   */
  subscribe(ch, handler, opts = {}) {
    if (typeof ch !== 'string' || !ch) throw new TypeError('subscribe: channel name required');
    if (typeof handler !== 'function') throw new TypeError('subscribe: handler must be a function');
    let sub = this._subs.get(ch);
    const entry = { handler, onReset: opts.onReset };
    if (!sub) {
      sub = { ch, entries: new Set(), lastSeen: undefined, head: undefined, sentSince: undefined, loading: null, inflight: null, ready: deferred() };
      this._subs.set(ch, sub);
      if (opts.since === undefined) {
        this._loadSeq(sub);
      } else if (isSeq(opts.since)) {
        sub.lastSeen = opts.since;
      }
      sub.entries.add(entry);
      if (this._authed) this._sendSub(sub);
    } else {
      sub.entries.add(entry);
    }
    const unsubscribe = () => {
      if (!sub.entries.delete(entry)) return;
      if (sub.entries.size === 0 && this._subs.get(ch) === sub) {
        this._subs.delete(ch);
        sub.ready.reject(new LinliError('unsubscribed', 'unsubscribed before the server answered', { ch }));
        if (this._authed) this.request('unsub', { ch }).catch(noop);
      }
    };
    unsubscribe.subscribed = sub.ready.promise;
    return unsubscribe;
  }

  /** Last seq delivered on `ch` (what the next resume will use as `since`). */
  lastSeq(ch) {
    const sub = this._subs.get(ch);
    return sub ? sub.lastSeen : undefined;
  }

  _loadSeq(sub) {
    let v;
    try {
      v = this._store.get(sub.ch);
    } catch (e) {
      this._emit('error', new LinliError('store_error', `store.get failed: ${e && e.message}`, { ch: sub.ch, cause: e }));
      return;
    }
    if (!isThenable(v)) {
      if (isSeq(v)) sub.lastSeen = v;
      return;
    }
    const loading = Promise.resolve(v).then(
      (x) => { if (isSeq(x) && sub.lastSeen === undefined) sub.lastSeen = x; },
      (e) => this._emit('error', new LinliError('store_error', `store.get failed: ${e && e.message}`, { ch: sub.ch, cause: e })),
    ).then(() => {
      if (sub.loading !== loading) return;
      sub.loading = null;
      if (this._authed && this._subs.get(sub.ch) === sub) this._sendSub(sub);
    });
    sub.loading = loading;
  }

  _persist(ch, seq) {
    try {
      const r = this._store.set(ch, seq);
      if (isThenable(r)) r.then(undefined, (e) => this._emit('error', new LinliError('store_error', `store.set failed: ${e && e.message}`, { ch, cause: e })));
    } catch (e) {
      this._emit('error', new LinliError('store_error', `store.set failed: ${e && e.message}`, { ch, cause: e }));
    }
  }

  _sendSub(sub) {
    if (sub.loading) return; // sent once the stored seq is loaded
    const fields = { ch: sub.ch };
    if (sub.lastSeen !== undefined) fields.since = sub.lastSeen;
    sub.sentSince = sub.lastSeen;
    const req = this.request('sub', fields);
    sub.inflight = req;
    const current = () => this._subs.get(sub.ch) === sub;
    req.then(
      (answer) => {
        if (sub.inflight === req) sub.inflight = null;
        if (!answer) return;
        if (answer.op === 'subbed') {
          sub.ready.resolve(answer);
        } else if (answer.op === 'reset' && this._authed && current()) {
          // the server answered our sub with `reset` and nothing else: go live
          this._sendSub(sub);
        }
      },
      (err) => {
        if (sub.inflight === req) sub.inflight = null;
        if (err.code === 'disconnected' || err.code === 'closed' || !current()) return;
        err.ch = sub.ch;
        if (FATAL_SUB_CODES.has(err.code)) {
          this._subs.delete(sub.ch);
          sub.ready.reject(err);
        }
        this._emit('error', err);
        // no answer: state unknown; subscribing again is safe (it replaces)
        if (err.code === 'timeout' && this._authed) this._sendSub(sub);
      },
    );
  }

  _onSubbed(m) {
    const sub = this._subs.get(m.ch);
    if (!sub) return;
    if (!isSeq(m.seq)) return;
    sub.head = m.seq;
    if (sub.lastSeen === undefined) {
      // live from the head on: a later resume must not miss what follows it
      sub.lastSeen = m.seq;
      this._persist(sub.ch, m.seq);
    } else if (sub.sentSince !== undefined && m.seq < sub.sentSince) {
      // the server's log is behind what we already saw (restored database?):
      // our seqs mean nothing any more, treat like a reset
      sub.lastSeen = m.seq;
      this._persist(sub.ch, m.seq);
      this._notifyReset(sub, { reason: 'head_behind', head: m.seq, since: sub.sentSince });
    }
  }

  _onEvent(m) {
    const sub = this._subs.get(m.ch);
    if (!sub) return;
    if (!isSeq(m.seq)) {
      this._emit('error', new LinliError('bad_frame', 'event without a numeric seq', { ch: m.ch, frame: m }));
      return;
    }
    if (sub.lastSeen !== undefined && m.seq <= sub.lastSeen) {
      this.stats.duplicates++;
      return;
    }
    sub.lastSeen = m.seq;
    this._persist(sub.ch, m.seq);
    const ev = { ch: m.ch, seq: m.seq, type: m.type, data: m.data, at: m.at };
    for (const entry of [...sub.entries]) {
      try {
        entry.handler(ev);
      } catch (e) {
        this._emit('error', new LinliError('handler_error', `handler for ${m.ch} threw: ${e && e.message}`, { ch: m.ch, cause: e }));
      }
    }
    this._emit('event', ev);
  }

  _onReset(m) {
    const sub = this._subs.get(m.ch);
    if (!sub) return;
    sub.lastSeen = undefined;
    this._persist(sub.ch, undefined);
    this._notifyReset(sub, { reason: 'retention' });
    // Resubscribe live; the app refetches the current state over REST. If the
    // reset answers a `sub` still in flight, its answer (`subbed`: the gateway
    // went live by itself) settles it; see _sendSub.
    if (!sub.inflight && this._authed && this._subs.get(sub.ch) === sub) this._sendSub(sub);
  }

  _notifyReset(sub, info) {
    const call = (fn) => {
      try { fn(sub.ch, info); } catch (e) {
        this._emit('error', new LinliError('handler_error', `onReset for ${sub.ch} threw: ${e && e.message}`, { ch: sub.ch, cause: e }));
      }
    };
    if (typeof this._onResetOpt === 'function') call(this._onResetOpt);
    for (const entry of [...sub.entries]) if (typeof entry.onReset === 'function') call(entry.onReset);
    this._emit('reset', sub.ch, info);
  }
}
