// Node.js transport on top of the `ws` package. The SDK does not depend on
// `ws`: pass its WebSocket class in.
//
//   import WebSocket from 'ws';
//   import { nodeTransport } from '@linli/sdk/adapters/node.js';
//   const transport = nodeTransport(WebSocket);

const noop = () => {};

/**
 * @param {any} WebSocket the `ws` package's WebSocket class
 * @param {object} [wsOptions] extra options for `new WebSocket(url, options)`
 *   (e.g. `{ handshakeTimeout: 10000 }`)
 * @returns {import('../linli.js').Transport}
 */
export function nodeTransport(WebSocket, wsOptions = {}) {
  if (typeof WebSocket !== 'function') throw new TypeError('nodeTransport: pass the ws package WebSocket class');
  return {
    name: 'node',
    open(url, headers = {}) {
      const ws = new WebSocket(url, { ...wsOptions, headers: { ...(wsOptions.headers || {}), ...headers } });
      let closed = false;
      const sock = {
        onopen: noop,
        onmessage: noop,
        onclose: noop,
        onerror: noop,
        send(data) { ws.send(data); },
        close(code, reason) {
          try { ws.close(code, reason); } catch { ws.terminate(); }
        },
        terminate() { ws.terminate(); },
        /** the underlying ws WebSocket */
        raw: ws,
      };
      ws.on('open', () => sock.onopen());
      ws.on('message', (data, isBinary) => {
        const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8')
          : Buffer.isBuffer(data) ? data.toString('utf8')
            : Buffer.from(data).toString('utf8');
        if (!isBinary || text) sock.onmessage(text);
      });
      ws.on('close', (code, reason) => {
        if (closed) return;
        closed = true;
        sock.onclose(code, reason ? reason.toString('utf8') : '');
      });
      ws.on('error', (err) => sock.onerror(err)); // 'close' follows
      return sock;
    },
  };
}
