// The mini-program sample's page logic in Node: the SDK's wx adapter over
// the shared `wx` stand-in (a SocketTask on the real `ws` package), plus
// wx.request and storage stand-ins, against a real gateway. A volunteer's
// inbox starts from a stale stored seq (the channel is reset and the page
// reloads), gets a matching request live as a banner, claims it and marks
// it done; the SDK pings by itself; two inbox pages keep their own state
// and an unloaded one lets go; the gateway restarts while the program is
// in the background, and (with a reconnect backoff far longer than the
// test) only onShow's wake brings it back, resuming the channels so a
// request made meanwhile appears.
import assert from 'node:assert/strict';
import * as sdk from '../../js/src/index.js';
import { makeWx } from '../../js/test/wx-standin.mjs';
import { withRuntime } from './wx-runtime.mjs';
import { itest, poll } from '../../../tests/integration/lib/harness.mjs';
import { FAST, PASSWORD } from '../../../tests/integration/lib/accounts.mjs';
import { forumWorld } from '../../../tests/integration/lib/forums.mjs';
import { volunteer, createHelp, getHelp } from '../../../tests/integration/lib/help.mjs';
import { createApp } from '../lib/app.js';
import { inboxPage } from '../lib/inbox.js';
import { loginPage } from '../lib/login.js';

// wx: the shared SocketTask stand-in plus request, storage and UI no-ops.
function miniWx() {
  const wx = withRuntime(makeWx());
  Object.assign(wx, {
    toasts: [], redirects: [],
    showToast: (o) => wx.toasts.push(o.title),
    redirectTo: (o) => wx.redirects.push(o.url),
    vibrateShort: () => {},
    stopPullDownRefresh: () => {},
  });
  return wx;
}

// Page(cfg) stand-in: an instance with its own data and setData.
function mount(cfg) {
  const p = { ...cfg, data: structuredClone(cfg.data) };
  p.setData = function setData(d) { Object.assign(this.data, d); };
  return p;
}

const until = (fn, what, timeoutMs = 10000) => poll(fn, { timeoutMs, intervalMs: 20, what });

itest('mini-program: volunteer inbox gets a request live, claims it, and resumes on onShow', async (h) => {
  const gw = await h.gateway({ config: FAST });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [asker, vol] = w.residents;
  await volunteer(gw, vol, w.A.id, { categories: ['errand'], grids: [] });

  const wx = miniWx();
  // a stored seq far ahead of the channel (a database reset): the gateway
  // answers the help subscription with reset, and the page reloads
  const helpSeqKey = `linli.seq.help:${w.A.id}`;
  wx.setStorageSync(helpSeqKey, 999999);
  const BACKOFF_MS = 60000;
  const app = createApp({ wx, sdk, baseUrl: gw.url, heartbeatMs: 200, backoff: { minMs: BACKOFF_MS, maxMs: BACKOFF_MS } });
  app.onLaunch();
  h.onCleanup(() => app.linli.close());
  const getApp = () => app;

  // log in on the login page; it sends the volunteer to the inbox
  const login = mount(loginPage(wx, getApp));
  login.onPhone({ detail: { value: vol.phone } });
  login.onPassword({ detail: { value: PASSWORD } });
  await login.submit();
  assert.deepEqual(wx.redirects, [`/pages/inbox/inbox?cid=${w.A.id}`]);

  const page = mount(inboxPage(wx, getApp));
  let loads = 0;
  const load = page.load;
  page.load = function countedLoad() { loads++; return load.call(this); };
  await page.onLoad({ cid: String(w.A.id) });
  h.onCleanup(() => page.onUnload());
  await until(() => page.data.state === '实时', 'live');
  await until(() => loads >= 2, 'onReset reloads the page');
  await until(() => wx.getStorageSync(helpSeqKey) !== 999999, 'the stale seq is dropped');

  const r1 = await createHelp(gw, asker, w.A.id, { title: '帮忙搬米' });
  await until(() => page.data.banner?.id === r1.id, 'banner');
  assert.equal(page.data.banner.title, '帮忙搬米');
  await until(() => page.data.items.some((i) => i.id === r1.id && i.canClaim), 'claimable item');

  await page.claim({ currentTarget: { dataset: { id: String(r1.id) } } });
  assert.equal(page.data.banner, null, 'the banner goes once claimed');
  let item = page.data.items.find((i) => i.id === r1.id);
  assert.equal(item.statusText, '已认领');
  assert.match(item.contact, /13900001111/, 'the claimer sees the contact');
  assert.equal((await getHelp(gw, asker, r1.id)).status, 'claimed');

  await page.done({ currentTarget: { dataset: { id: String(r1.id) } } });
  item = page.data.items.find((i) => i.id === r1.id);
  assert.equal(item.statusText, '已完成');

  // app-level heartbeat: the SDK pings by itself every heartbeatMs (WeChat
  // has no WebSocket ping), and the gateway answers
  const mark = wx.sent.length;
  const pongs = app.linli.stats.pongs;
  await until(() => wx.sent.slice(mark).filter((f) => f.op === 'ping').length >= 2 && app.linli.stats.pongs >= pongs + 2,
    'two automatic pings answered', 5000);

  // a second inbox page: its own state; the first, unloaded, lets go
  const page2 = mount(inboxPage(wx, getApp));
  await page2.onLoad({ cid: String(w.A.id) });
  h.onCleanup(() => page2.onUnload());
  assert.ok(page2.data.items.some((i) => i.id === r1.id), 'the second page loaded for itself');
  page.onUnload();
  const shownBefore = page.data.items.length;
  const r1b = await createHelp(gw, asker, w.A.id, { title: '帮忙取报纸' });
  await until(() => page2.data.items.some((i) => i.id === r1b.id), 'live on the second page');
  assert.equal(page.data.items.length, shownBefore, 'the unloaded page gets nothing');
  assert.equal(page.data.items.some((i) => i.id === r1b.id), false);
  // errors are told in Chinese from their code: "done" on a request this
  // volunteer has not claimed is 403
  await page2.act(r1b.id, 'done');
  assert.equal(wx.toasts.at(-1), '没有权限');

  // background: the gateway restarts; a request is made meanwhile through
  // a second gateway on the same database. The reconnect backoff is a
  // minute (jitter pinned to its top), so only onShow's wake can reconnect
  // within this test's bounds.
  const random = Math.random;
  Math.random = () => 0.999;
  h.onCleanup(() => { Math.random = random; });
  await gw.stop();
  await until(() => page2.data.state.startsWith('重新连接中'), 'reconnecting');
  const gw2 = await h.gateway({ config: FAST, db: gw.db, name: 'gw2' });
  const r2 = await createHelp(gw2, asker, w.A.id, { title: '帮忙修水龙头' });
  await gw2.stop();
  await gw.start();
  Math.random = random;
  assert.equal(app.linli.state, 'reconnecting', 'still waiting out the backoff');
  const woken = Date.now();
  app.onShow();
  page2.onShow();
  await until(() => page2.data.state === '实时', 'live again', 10000);
  assert.ok(Date.now() - woken < BACKOFF_MS / 2, 'reconnected by the wake, not the backoff timer');
  await until(() => page2.data.items.some((i) => i.id === r2.id && i.status === 'open'), 'the request made while away');
  await until(() => page2.data.banner?.id === r2.id, 'its banner, from the resumed user channel');
  assert.equal(wx.maxOpen, 1, 'one SocketTask at a time');
});
