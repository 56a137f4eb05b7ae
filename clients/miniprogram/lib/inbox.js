// 志愿者收件箱: the volunteer's inbox page. Open requests of the community and
// the ones this volunteer claimed, live over help:{cid}; a new matching
// request (a `help.request` notification on user:{uid}) shows as a banner;
// claim and mark done. Pure page logic: wx and getApp are passed in, so
// Node tests drive it with a stand-in.

import { errText } from './api.js';

const STATUS = { open: '待认领', claimed: '已认领', done: '已完成', confirmed: '已确认', cancelled: '已取消', expired: '已过期' };
const STATE = { idle: '未连接', connecting: '连接中…', live: '实时', reconnecting: '重新连接中…', closed: '已断开' };

// How long to wait for the subscription before loading anyway.
const SUB_WAIT_MS = 4000;

// WeChat makes every page instance from this one object, so per-page state
// (subscriptions, the requests shown) lives on the instance (this._offs,
// this._byId), set up in onLoad and dropped in onUnload.
export function inboxPage(wx, getApp) {
  return {
    data: { cid: 0, items: [], banner: null, state: '', error: '' },

    onLoad(query) {
      const app = getApp();
      const cid = Number(query.cid);
      const me = app.api.session();
      if (!me) { wx.redirectTo({ url: '/pages/login/login' }); return; }
      this.setData({ cid });
      this._offs = [];
      this._byId = new Map();
      const offs = this._offs;
      const showState = ({ state, attempt }) =>
        this.setData({ state: state === 'reconnecting' ? `${STATE.reconnecting}（${attempt}）` : STATE[state] || state, live: state === 'live' });
      showState({ state: app.linli.state, attempt: app.linli.attempt });
      offs.push(app.linli.on('state', showState));
      // events lost (the channel was reset): start again from REST
      const help = app.linli.subscribe(`help:${cid}`, (ev) => this.upsert(ev.data), {
        onReset: () => { if (this._byId) this._byId.clear(); return this.load(); },
      });
      const user = app.linli.subscribe(`user:${me.user.id}`, (ev) => {
        const n = ev.data || {};
        if (ev.type === 'notification' && n.type === 'help.request' && n.data?.community_id === cid) {
          this.setData({ banner: { id: n.data.id, title: n.data.title, grid: n.data.grid || '' } });
          if (wx.vibrateShort) wx.vibrateShort({ type: 'medium' });
        }
      });
      offs.push(help, user);
      app.startLive();
      // live first, then the snapshot: nothing falls between the two
      let timer;
      const wait = new Promise((r) => { timer = setTimeout(r, SUB_WAIT_MS); });
      return Promise.race([help.subscribed.catch(() => {}), wait])
        .then(() => { clearTimeout(timer); return this.load(); });
    },

    onShow() { getApp().linli?.wake(); },

    onUnload() {
      for (const off of this._offs || []) off();
      this._offs = [];
      this._byId = null; // a load still in flight finds nothing to fill
    },

    onPullDownRefresh() { return this.load().finally(() => wx.stopPullDownRefresh && wx.stopPullDownRefresh()); },

    async load() {
      try {
        const { items } = await getApp().api.get(`/v1/communities/${this.data.cid}/help?limit=100`);
        if (!this._byId) return; // unloaded meanwhile
        for (const r of items) this._byId.set(r.id, { ...this._byId.get(r.id), ...r });
        this.render();
      } catch (e) { this.setData({ error: errText(e) }); }
    },

    upsert(r) {
      if (!this._byId) return;
      const old = this._byId.get(r.id) || {};
      // help:{cid} events carry no contact and hide details: keep what REST gave
      this._byId.set(r.id, { ...old, ...r, contact: 'contact' in r ? r.contact : (r.status === 'open' ? undefined : old.contact),
        details: r.details_hidden ? old.details : (r.details ?? old.details) });
      this.render();
    },

    render() {
      const me = getApp().api.session()?.user?.id;
      const items = [...(this._byId || new Map()).values()]
        .filter((r) => r.status === 'open' || r.volunteer_id === me)
        .sort((a, b) => b.id - a.id)
        .map((r) => ({ id: r.id, title: r.title, grid: r.grid || '不限', urgent: r.urgency === 'urgent', status: r.status,
          statusText: STATUS[r.status] || r.status, canClaim: r.status === 'open' && r.requester_id !== me,
          canDone: r.status === 'claimed' && r.volunteer_id === me, contact: r.contact || '' }));
      this.setData({ items });
    },

    async act(id, what) {
      try {
        const r = await getApp().api.post(`/v1/help/${id}/${what}`);
        if (r.request) this.upsert(r.request);
        if (this.data.banner && this.data.banner.id === id) this.setData({ banner: null });
        wx.showToast({ title: what === 'claim' ? '已认领' : '已完成', icon: 'success' });
      } catch (e) {
        wx.showToast({ title: e.status === 409 ? '已被他人认领' : (e.code === 'offline' ? '离线，未发送' : errText(e)), icon: 'none' });
      }
    },

    claim(e) { return this.act(Number(e.currentTarget.dataset.id), 'claim'); },
    done(e) { return this.act(Number(e.currentTarget.dataset.id), 'done'); },
    dismiss() { this.setData({ banner: null }); },
  };
}
