// A stand-in for the WeChat mini-program `wx` object, enough for the SDK's
// wx adapter: connectSocket() returns a SocketTask built on the real `ws`
// package, so it talks to a real gateway. Shared by the SDK's adapter test
// and the mini-program sample's page tests.
import WebSocket from 'ws';

/** wx.connectSocket stand-in: SocketTask with send/close/onOpen/onMessage/onClose/onError. */
export function makeWx() {
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
