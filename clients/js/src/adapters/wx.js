// WeChat mini-program transport (微信小程序): wx.connectSocket → SocketTask.
// Mini-programs allow at most 5 sockets, wss only, and have no ping API;
// the client closes a socket before it opens the next one and sends the
// app-level `ping` op. Call `client.wake()` from `wx.onAppShow` / App.onShow.
//
//   import { wxTransport } from './linli/adapters/wx.js';
//   const transport = wxTransport(wx);

const noop = () => {};

/** UTF-8 decode for ArrayBuffer frames on base libraries without TextDecoder. */
function utf8Decode(buf) {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf.buffer ? buf.buffer : buf);
  if (typeof TextDecoder !== 'undefined') return new TextDecoder('utf-8').decode(bytes);
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i++];
    let cp;
    if (b < 0x80) cp = b;
    else if (b >= 0xf0) cp = ((b & 0x07) << 18) | ((bytes[i++] & 0x3f) << 12) | ((bytes[i++] & 0x3f) << 6) | (bytes[i++] & 0x3f);
    else if (b >= 0xe0) cp = ((b & 0x0f) << 12) | ((bytes[i++] & 0x3f) << 6) | (bytes[i++] & 0x3f);
    else cp = ((b & 0x1f) << 6) | (bytes[i++] & 0x3f);
    out += String.fromCodePoint(cp);
  }
  return out;
}

/**
 * @param {any} wx the mini-program `wx` object
 * @param {object} [connectOptions] extra `wx.connectSocket` options (e.g. `{tcpNoDelay: true}`)
 * @returns {import('../linli.js').Transport}
 */
export function wxTransport(wx, connectOptions = {}) {
  if (!wx || typeof wx.connectSocket !== 'function') throw new TypeError('wxTransport: pass the wx object');
  return {
    name: 'wx',
    open(url, header = {}) {
      let closed = false;
      const sock = {
        onopen: noop,
        onmessage: noop,
        onclose: noop,
        onerror: noop,
        send(data) {
          task.send({ data, fail: (e) => sock.onerror(e) });
        },
        close(code, reason) {
          task.close({ code, reason, fail: noop });
        },
      };
      const fireClose = (code, reason) => {
        if (closed) return;
        closed = true;
        sock.onclose(code || 1006, reason || '');
      };
      const task = sock.raw = wx.connectSocket({
        ...connectOptions,
        url,
        header: { ...(connectOptions.header || {}), ...header },
        fail: (e) => {
          // some base libraries report a failed connect here and never call onClose
          sock.onerror(e);
          setTimeout(() => fireClose(1006, (e && e.errMsg) || 'connectSocket failed'), 0);
        },
      });
      task.onOpen(() => sock.onopen());
      task.onMessage((res) => {
        const d = res && res.data;
        sock.onmessage(typeof d === 'string' ? d : utf8Decode(d));
      });
      task.onClose((res) => fireClose(res && res.code, res && res.reason));
      task.onError((e) => sock.onerror(e));
      return sock;
    },
  };
}
