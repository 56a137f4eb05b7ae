// Test helpers: run the real linli-gateway as a child process on a free
// loopback port with a throw-away SQLite file, mint tokens, publish events,
// and wait for conditions with bounded time-outs.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (clients/js/test/ → ../../../). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The gateway binary: $LINLI_GATEWAY (relative paths resolved against the repo) or build/linli-gateway. */
export const gatewayBin = process.env.LINLI_GATEWAY
  ? path.resolve(repoRoot, process.env.LINLI_GATEWAY)
  : path.join(repoRoot, 'build', 'linli-gateway');

export function requireGateway() {
  if (!fs.existsSync(gatewayBin)) {
    throw new Error(`linli-gateway not found at ${gatewayBin}: build it or set LINLI_GATEWAY`);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `fn` until it returns a truthy value; throw after `timeoutMs`.
 * @template T
 * @param {() => T | Promise<T>} fn
 * @param {{timeoutMs?: number, intervalMs?: number, message?: string | (() => string)}} [opts]
 * @returns {Promise<T>}
 */
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 20, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      const msg = typeof message === 'function' ? message() : message;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${msg}${lastErr ? ` (last error: ${lastErr.message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolve when `client` enters `state` (checks the current state first). */
export function waitState(client, state, timeoutMs = 10000, pred = () => true) {
  if (client.state === state && pred({ state, attempt: client.attempt })) return Promise.resolve({ state, attempt: client.attempt });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`timed out waiting for state '${state}' (now '${client.state}')`)); }, timeoutMs);
    const off = client.on('state', (s) => {
      if (s.state === state && pred(s)) { clearTimeout(timer); off(); resolve(s); }
    });
  });
}

/** Race a promise against a time-out. */
export function within(promise, timeoutMs, what = 'operation') {
  let timer;
  const t = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs); });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** A free TCP port on 127.0.0.1 (the OS picks it; tiny race until the gateway binds). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One HTTP request without keep-alive (no sockets left open).
 * @returns {Promise<{status: number, headers: object, body: any, text: string}>}
 */
export function httpJson(method, url, { headers = {}, body, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(url, {
      method,
      agent: false,
      headers: {
        ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
        ...headers,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: json, text });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

function execBin(args, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    execFile(gatewayBin, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\nstdout: ${stdout}\nstderr: ${stderr}`;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

// If this test process ends while gateways still run (a failed test, a time-out), take them down.
const liveChildren = new Set();
process.on('exit', () => {
  for (const p of liveChildren) { try { p.kill('SIGKILL'); } catch { /* gone */ } }
});

/** A gateway child process with its own temp directory and database. */
export class Gateway {
  /**
   * @param {string} dir temp directory (db, log, config)
   * @param {Record<string, string|number>} [config] config keys, written to a
   *   `key = value` file passed with --config (flags still win)
   */
  constructor(dir, config) {
    this.dir = dir;
    this.config = config;
    this.configPath = null;
    if (config && Object.keys(config).length) {
      this.configPath = path.join(dir, 'linli.conf');
      fs.writeFileSync(this.configPath, Object.entries(config).map(([k, v]) => `${k} = ${v}\n`).join(''));
    }
    this.db = path.join(dir, 'linli.db');
    this.logPath = path.join(dir, 'gateway.log');
    this.port = null;
    this.proc = null;
    this.exited = null;
    this.starts = 0;
  }

  get httpUrl() { return `http://127.0.0.1:${this.port}`; }
  get wsUrl() { return `ws://127.0.0.1:${this.port}/v1/ws`; }
  get pid() { return this.proc ? this.proc.pid : null; }

  /** Spawn and wait for /healthz. Without a fixed port, retries on another port if binding fails. */
  async start({ port, timeoutMs = 10000 } = {}) {
    requireGateway();
    const fixed = port ?? this.port;
    let lastErr;
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 20 && Date.now() < deadline; i++) {
      this.port = fixed ?? await freePort();
      try {
        await this._spawnOnce(Math.max(500, deadline - Date.now()));
        return this;
      } catch (e) {
        lastErr = e;
        await this.kill('SIGKILL');
        if (fixed != null) await sleep(100); // same port: wait for the old socket to go
      }
    }
    throw lastErr || new Error('gateway did not start');
  }

  async _spawnOnce(timeoutMs) {
    const fd = fs.openSync(this.logPath, 'a');
    fs.writeSync(fd, `\n=== start #${++this.starts} port ${this.port} ${new Date().toISOString()}\n`);
    let proc;
    try {
      const args = ['--port', String(this.port), '--db', this.db];
      if (this.configPath) args.unshift('--config', this.configPath);
      proc = spawn(gatewayBin, args, {
        stdio: ['ignore', fd, fd],
        cwd: this.dir,
      });
    } finally {
      fs.closeSync(fd);
    }
    this.proc = proc;
    liveChildren.add(proc);
    proc.once('exit', () => liveChildren.delete(proc));
    let exitInfo = null;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => { exitInfo = { code, signal }; resolve(exitInfo); });
      proc.once('error', (err) => { exitInfo = { code: null, signal: null, err }; resolve(exitInfo); });
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exitInfo) throw new Error(`gateway exited during start-up (${JSON.stringify(exitInfo)})\n${await this.logTail()}`);
      try {
        const r = await httpJson('GET', `${this.httpUrl}/healthz`, { timeoutMs: 500 });
        if (r.status === 200) return;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`gateway /healthz not 200 within ${timeoutMs} ms\n${await this.logTail()}`);
      await sleep(25);
    }
  }

  /** Send a signal and wait (bounded) for the process to exit. */
  async kill(signal = 'SIGKILL', timeoutMs = 5000) {
    const proc = this.proc;
    if (!proc) return;
    if (proc.exitCode === null && proc.signalCode === null) {
      try { proc.kill(signal); } catch { /* gone */ }
      const r = await within(this.exited, timeoutMs, `gateway exit after ${signal}`).catch(() => null);
      if (!r) {
        try { proc.kill('SIGKILL'); } catch { /* gone */ }
        await within(this.exited, 5000, 'gateway exit after SIGKILL');
      }
    }
    this.proc = null;
  }

  /** Send a signal without waiting (SIGSTOP / SIGCONT). */
  signal(sig) { if (this.proc) this.proc.kill(sig); }

  /** Restart on the same port and database. */
  async restart(opts = {}) {
    await this.kill('SIGKILL');
    return this.start({ port: this.port, ...opts });
  }

  /** Polite stop (SIGTERM, then SIGKILL after a grace period). */
  async stop() {
    if (this.proc) this.signal('SIGCONT');
    await this.kill('SIGTERM', 5000);
  }

  /** Stop and remove the temp directory. */
  async cleanup({ keep = false } = {}) {
    await this.stop();
    if (!keep && !process.env.LINLI_KEEP_TMP) await rm(this.dir, { recursive: true, force: true });
  }

  async logTail(n = 40) {
    try {
      const text = await readFile(this.logPath, 'utf8');
      return `--- gateway log (${this.logPath}) ---\n` + text.split('\n').slice(-n).join('\n');
    } catch {
      return '(no gateway log)';
    }
  }

  /** `linli-gateway --db DB mint-token --user UID [--admin] [--ttl S]` → token. */
  async mintToken(uid, { admin = false, ttl } = {}) {
    const args = ['--db', this.db, 'mint-token', '--user', String(uid)];
    if (admin) args.push('--admin');
    if (ttl !== undefined) args.push('--ttl', String(ttl));
    const { stdout } = await execBin(args);
    const token = stdout.trim().split('\n').pop().trim();
    if (!token) throw new Error(`mint-token printed nothing for user ${uid}`);
    return token;
  }

  /** Value of a Prometheus counter/gauge from GET /metrics (sum over label sets), or undefined. */
  async metric(name) {
    const r = await httpJson('GET', `${this.httpUrl}/metrics`);
    let sum;
    for (const line of r.text.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/);
      if (m && m[1] === name) sum = (sum || 0) + Number(m[3]);
    }
    return sum;
  }

  /** POST /v1/channels/{ch}/events as `token` → seq (throws unless 201). */
  async publish(token, ch, data = {}, type = 'test') {
    const r = await httpJson('POST', `${this.httpUrl}/v1/channels/${encodeURIComponent(ch)}/events`, {
      headers: { authorization: `Bearer ${token}` },
      body: { type, data },
    });
    if (r.status !== 201 || !r.body || typeof r.body.seq !== 'number') {
      throw new Error(`publish to ${ch}: expected 201 {seq}, got ${r.status} ${r.text}`);
    }
    return r.body.seq;
  }
}

/**
 * Make a temp dir and start a gateway in it.
 * @param {{config?: Record<string, string|number>, port?: number}} [opts]
 */
export async function startGateway({ config, ...opts } = {}) {
  requireGateway();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'linli-sdk-'));
  const gw = new Gateway(dir, config);
  try {
    await gw.start(opts);
  } catch (e) {
    await gw.cleanup({ keep: true });
    throw e;
  }
  return gw;
}

/**
 * Wrap a transport to observe it: counts opens, records sent frames (parsed)
 * and received frames; optional `onReceive(frame, deliver)` hook lets a test
 * alter what the client sees (e.g. deliver an event twice), and `gate` holds
 * back new connections until opened. The sockets stay real.
 */
export function spyTransport(inner, { onReceive } = {}) {
  const spy = {
    opens: 0,
    sent: [],
    received: [],
    sockets: [],
    _gateOpen: true,
    _waiting: [],
    closeGate() { spy._gateOpen = false; },
    openGate() {
      spy._gateOpen = true;
      const w = spy._waiting; spy._waiting = [];
      for (const f of w) f();
    },
    open(url, headers) {
      spy.opens++;
      // A socket whose real open is deferred while the gate is closed.
      const outer = {
        onopen() {}, onmessage() {}, onclose() {}, onerror() {},
        _real: null, _closed: false,
        send(data) {
          try { spy.sent.push(JSON.parse(data)); } catch { spy.sent.push(data); }
          outer._real.send(data);
        },
        close(code, reason) {
          outer._closed = true;
          if (outer._real) outer._real.close(code, reason);
          else setTimeout(() => outer.onclose(1006, 'closed before open'), 0);
        },
        terminate() {
          outer._closed = true;
          if (outer._real && outer._real.terminate) outer._real.terminate();
          else if (outer._real) outer._real.close(4000, 'terminate');
          else setTimeout(() => outer.onclose(1006, 'closed before open'), 0);
        },
      };
      const realOpen = () => {
        if (outer._closed) return;
        const real = inner.open(url, headers);
        outer._real = real;
        spy.sockets.push(real);
        real.onopen = () => outer.onopen();
        real.onerror = (e) => outer.onerror(e);
        real.onclose = (c, r) => outer.onclose(c, r);
        real.onmessage = (data) => {
          let f;
          try { f = JSON.parse(data); } catch { f = data; }
          spy.received.push(f);
          if (onReceive) onReceive(f, (d) => outer.onmessage(d), data);
          else outer.onmessage(data);
        };
      };
      if (spy._gateOpen) realOpen();
      else spy._waiting.push(realOpen);
      return outer;
    },
  };
  return spy;
}

/** Collect events delivered to a subscription handler. */
export function collector() {
  const c = {
    events: [],
    handler: (ev) => { c.events.push(ev); },
    seqs: () => c.events.map((e) => e.seq),
    waitCount: (n, timeoutMs = 10000) => waitFor(() => c.events.length >= n, {
      timeoutMs, message: () => `${n} events (have ${c.events.length}: ${c.seqs().join(',')})`,
    }),
  };
  return c;
}

/** Assert helper: strictly increasing numbers. */
export function isStrictlyIncreasing(a) {
  for (let i = 1; i < a.length; i++) if (!(a[i] > a[i - 1])) return false;
  return true;
}
