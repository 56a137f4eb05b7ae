// Browser transport: the global WebSocket (or any class with the same API).
// Browsers cannot set upgrade headers; the client authenticates with the
// first frame (`{"op":"auth"}`), so `headers` are ignored here.

const noop = () => {};

/**
 * @param {any} [WebSocketImpl] defaults to `globalThis.WebSocket`
 * @returns {import('../linli.js').Transport}
 */
export function browserTransport(WebSocketImpl = globalThis.WebSocket) {
  if (typeof WebSocketImpl !== 'function') throw new TypeError('browserTransport: no WebSocket available');
  return {
    name: 'browser',
    open(url /* , headers: not settable in browsers */) {
      const ws = new WebSocketImpl(url);
      try { ws.binaryType = 'arraybuffer'; } catch { /* ignore */ }
      let closed = false;
      const sock = {
        onopen: noop,
        onmessage: noop,
        onclose: noop,
        onerror: noop,
        send(data) { ws.send(data); },
        close(code, reason) {
          try { ws.close(code, reason); } catch { try { ws.close(); } catch { /* ignore */ } }
        },
        /** the underlying WebSocket */
        raw: ws,
      };
      ws.onopen = () => sock.onopen();
      ws.onmessage = (e) => {
        const d = e.data;
        if (typeof d === 'string') sock.onmessage(d);
        else if (d instanceof ArrayBuffer || ArrayBuffer.isView(d)) sock.onmessage(new TextDecoder().decode(d));
      };
      ws.onclose = (e) => {
        if (closed) return;
        closed = true;
        sock.onclose(e.code, e.reason || '');
      };
      ws.onerror = (e) => sock.onerror(e);
      return sock;
    },
  };
}
