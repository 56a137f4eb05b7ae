// The mini-program's App(): one LinliClient for the whole program over the
// SDK's wx adapter. The SDK sends the app-level heartbeat ({"op":"ping"}
// every heartbeat_ms, as WeChat has no WebSocket ping) and resumes every
// channel from its last seq, kept in wx storage across cold starts. In the
// background WeChat cuts the network after ~5 s: onShow wakes the client,
// which reconnects at once and replays what was missed.
import { createApi } from './api.js';

// opts (tests): heartbeatMs, backoff, to override the SDK's.
export function createApp({ wx, sdk, baseUrl, heartbeatMs, backoff }) {
  const seqKey = (ch) => 'linli.seq.' + ch;
  return {
    globalData: { baseUrl },
    api: null,
    linli: null,
    onLaunch() {
      this.api = createApi({ wx, baseUrl });
      this.linli = new sdk.LinliClient({
        url: baseUrl.replace(/^http/, 'ws') + '/v1/ws',
        token: () => this.api.accessToken(),
        transport: sdk.wxTransport(wx),
        backoff: backoff || { minMs: 250, maxMs: 10000 },
        heartbeatMs,
        store: {
          get: (ch) => wx.getStorageSync(seqKey(ch)) || undefined,
          set: (ch, seq) => (seq === undefined ? wx.removeStorageSync(seqKey(ch)) : wx.setStorageSync(seqKey(ch), seq)),
        },
      });
      this.linli.on('error', () => { /* states are shown on the page */ });
      if (this.api.session()) this.startLive();
    },
    onShow() {
      if (this.linli) this.linli.wake();
    },
    startLive() {
      this.linli.connect().catch(() => { /* shown by state */ });
    },
  };
}
