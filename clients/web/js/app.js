// Linli web app: shell, hash router, session, and what stays live on every
// page (connection state, unread badge, volunteers' banner, offline outbox).
import { h, replace } from './dom.js';
import { t, setLang, getLang, fmtTime } from './i18n.js';
import * as api from './api.js';
import { startLive, stopLive, onConnState, connState, subscribe, liveLoad } from './live.js';
import { toast, noteText, errText, errNode } from './ui.js';
import { store, loadMe, setUnread, rememberRoute, takeRoute } from './state.js';
import { authView } from './views/auth.js';
import { homeView } from './views/home.js';
import { adminView } from './views/admin.js';
import { communityView } from './views/community.js';
import { threadView } from './views/thread.js';
import { helpView } from './views/help.js';
import { volunteerView } from './views/volunteer.js';
import { inboxView } from './views/inbox.js';
import { staffView } from './views/staff.js';
import { accountView } from './views/account.js';
import { requestsView, ticketView } from './views/requests.js';
import { meetingsView, meetingView } from './views/meetings.js';
import { progressView } from './views/progress.js';

const main = document.getElementById('main');
const $ = (id) => document.getElementById(id);

const routes = [
  [/^#\/login$/, () => authView('login')],
  [/^#\/register$/, () => authView('register')],
  [/^#\/reset$/, () => authView('reset')],
  [/^#\/me$/, () => accountView()],
  [/^#\/join\/(\d+)\/([\w-]+)$/, (m) => homeView({ code: m[2] })], // links made before codes stood alone
  [/^#\/join\/([\w-]+)$/, (m) => homeView({ code: m[1] })],
  [/^#\/c\/(\d+)$/, (m) => communityView(Number(m[1]))],
  [/^#\/c\/(\d+)\/help$/, (m) => helpView(Number(m[1]))],
  [/^#\/c\/(\d+)\/volunteer$/, (m) => volunteerView(Number(m[1]))],
  [/^#\/c\/(\d+)\/mod$/, (m) => staffView(Number(m[1]))],
  [/^#\/c\/(\d+)\/requests$/, (m) => requestsView(Number(m[1]))],
  [/^#\/c\/(\d+)\/meetings$/, (m) => meetingsView(Number(m[1]))],
  [/^#\/c\/(\d+)\/progress$/, (m) => progressView(Number(m[1]))],
  [/^#\/r\/(\d+)$/, (m) => ticketView(Number(m[1]))],
  [/^#\/m\/(\d+)$/, (m) => meetingView(Number(m[1]))],
  [/^#\/t\/(\d+)$/, (m) => threadView(Number(m[1]))],
  [/^#\/inbox$/, () => inboxView()],
  [/^#\/admin$/, () => adminView()],
  [/^#?\/?$/, () => homeView({})],
];

let cleanup = null;
let renderSeq = 0;

async function render() {
  const seq = ++renderSeq;
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
  const hash = location.hash || '#/';
  const loggedIn = !!api.getSession();
  if (!loggedIn && !/^#\/(login|register|reset)$/.test(hash)) {
    // come back here (an invite link, say) after logging in or registering
    if (/^#\/./.test(hash)) rememberRoute(hash);
    location.replace('#/login');
    return;
  }
  if (loggedIn && /^#\/(login|register|reset)$/.test(hash)) { location.replace(takeRoute()); return; }
  renderShell();
  const moveFocus = focusMain;
  focusMain = false;
  replace(main, h('p', { class: 'muted' }, t('loading')));
  let view = null;
  for (const [re, fn] of routes) {
    const m = re.exec(hash);
    if (m) { view = fn(m); break; }
  }
  if (!view) { replace(main, h('p', null, t('not_found'))); return; }
  try {
    const v = await view;
    if (seq !== renderSeq) { if (v.cleanup) v.cleanup(); return; }
    replace(main, v.el);
    cleanup = v.cleanup || null;
    accountNotice(store.me);
    const heading = main.querySelector('h1');
    document.title = heading ? `${heading.textContent} · ${t('app_name')}` : t('app_name');
    // a new page: keyboard and screen-reader users start at its content
    if (moveFocus && !main.contains(document.activeElement)) main.focus();
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e.status === 401) { api.setSession(null); return; }
    replace(main, h('div', { class: 'card error', role: 'alert' },
      h('p', null, e.status === 403 ? t('forbidden') : e.status === 404 ? t('not_found') : errNode(e, { read: true })),
      h('button', { type: 'button', onclick: () => render() }, t('retry'))));
  }
}

let focusMain = false; // set by a route change, used by the next render
let navKey = null;     // what the nav was built for (language, user)

// 长辈模式 (大字模式): larger text and touch targets, stronger contrast, each
// page trimmed to its main action; the choice is kept on this device.
const ELDER = 'linli.elder';
function elderOn() { try { return localStorage.getItem(ELDER) === '1'; } catch { return false; } }
function applyElder() {
  document.documentElement.classList.toggle('elder', elderOn());
  const b = $('elder-switch');
  b.textContent = t(elderOn() ? 'elder_off' : 'elder_on');
  b.setAttribute('aria-pressed', String(elderOn()));
}

function renderShell() {
  document.documentElement.lang = getLang() === 'en' ? 'en' : 'zh-CN';
  applyElder();
  $('brand').textContent = t('app_name');
  $('skip-link').textContent = t('skip');
  const sw = $('lang-switch');
  sw.textContent = t('switch_lang');
  sw.setAttribute('lang', getLang() === 'en' ? 'zh-CN' : 'en');
  const nav = $('topnav');
  nav.setAttribute('aria-label', t('nav'));
  const s = api.getSession();
  const key = s ? `${getLang()}:${s.user?.id}` : '';
  if (key === navKey) { showUnread(); return; } // keep the nav (and focus in it)
  navKey = key;
  if (!s) { replace(nav); return; }
  replace(nav,
    h('a', { href: '#/' }, t('nav_home')),
    h('a', { href: '#/inbox', id: 'inbox-link' }, t('nav_inbox'), h('span', { class: 'badge', id: 'unread-badge', 'aria-hidden': 'true', hidden: true }),
      h('span', { class: 'sr-only', id: 'unread-said' })),
    h('a', { href: '#/me', id: 'account-link' }, t('nav_account')),
    h('button', { type: 'button', class: 'link', onclick: async () => { await api.logout(); } }, t('nav_logout')));
  showUnread();
}

// The unread count, changed in place (the nav is not rebuilt, so a
// keyboard user on a nav link keeps their place).
function showUnread() {
  const link = $('inbox-link');
  const badge = $('unread-badge');
  if (!link || !badge) return;
  const unread = store.unread || 0;
  // The name is the visible word plus, for screen readers, the count in
  // words (no aria-label: a name must contain what is seen).
  $('unread-said').textContent = unread ? `${t('list_sep')}${t('unread', { n: unread })}` : '';
  badge.textContent = unread ? String(unread) : '';
  badge.hidden = !unread;
}


function showConn({ state, attempt }) {
  const el = $('conn');
  const key = { idle: 'conn_idle', connecting: 'conn_connecting', live: 'conn_live', reconnecting: 'conn_reconnecting', closed: 'conn_closed' }[state] || 'conn_idle';
  el.textContent = t(key, { n: attempt });
  el.className = `conn conn-${state}`;
  el.dataset.state = state;
  if (state === 'live') api.flushOutbox();
}

// --- what stays live on every page ------------------------------------------
let userOff = null;
const helpOffs = new Map(); // cid -> unsubscribe

const bannerFor = (hid) => $('banner').querySelector(`[data-help-id="${Number(hid)}"]`);
function dropBanner(hid) { const b = bannerFor(hid); if (b) b.remove(); }

// A help.request notification, live or replayed after a reconnect: shown
// as a banner only while it is unread and the request is still open (the
// unread count is taken from the server at the same time, so a replayed
// notification that was read elsewhere does not count twice).
async function onHelpNote(n) {
  const d = n.data || {};
  const [list, req] = await Promise.all([
    api.get('/v1/notifications?unread=1&limit=200').catch(() => null),
    api.get(`/v1/help/${Number(d.id)}`).catch(() => null),
  ]);
  if (list && typeof list.unread === 'number') setUnread(list.unread);
  const unread = list ? list.items.some((x) => x.id === n.id) : !n.read;
  if (unread && req?.request?.status === 'open' && !bannerFor(d.id)) showBanner(n);
}

function showBanner(note) {
  const d = note.data || {};
  const area = $('banner');
  const close = () => box.remove();
  const claimBtn = h('button', { type: 'button', class: 'primary', onclick: async () => {
    claimBtn.disabled = true;
    try { await api.post(`/v1/help/${d.id}/claim`); toast(t('claimed_ok')); close(); }
    catch (e) {
      if (e.status === 409) { toast(t('claim_taken'), 'error'); close(); return; } // someone was first
      toast(errNode(e), 'error'); claimBtn.disabled = false;
    }
  } }, t('claim'));
  const box = h('section', { class: 'banner', role: 'alert', 'data-help-id': d.id },
    h('p', null, h('strong', null, t('banner_new', { title: d.title || '' })),
      ' ', h('span', { class: 'muted' }, [t('cat_' + d.category), d.grid, d.urgency === 'urgent' ? t('urgent') : null].filter(Boolean).join(' · '))),
    h('div', { class: 'actions' },
      claimBtn,
      h('a', { class: 'button', href: `#/c/${d.community_id}/help`, onclick: close }, t('banner_view')),
      h('button', { type: 'button', onclick: close }, t('dismiss'))));
  area.prepend(box);
}

// What the member must know on every page: the privacy policy changed
// (writes are refused until they agree), or the account is to be deleted.
function accountNotice(me) {
  const area = $('account-notice');
  if (!area) return;
  const onAccount = location.hash === '#/me';
  if (!me || onAccount || (!me.consent_required && !me.deletes_at)) { replace(area); area.hidden = true; return; }
  area.hidden = false;
  replace(area, h('p', null, me.consent_required ? t('notice_consent', { v: me.privacy_policy_version || '' })
    : t('deletion_pending', { at: fmtTime(me.deletes_at) }), ' ',
  h('a', { href: '#/me' }, t('notice_go_account'))));
}

async function onLogin() {
  const me = await loadMe().catch(() => null);
  if (!me) return;
  accountNotice(me);
  store.unread = me.unread_notifications || 0;
  renderShell();
  showUnread();
  startLive();
  if (userOff) userOff();
  followHelp(me);
  // The count above predates the subscription: it is taken again once the
  // channel is live, and a notification the new count already includes
  // (it came while the count was loading) is not added twice.
  let counted = new Set();
  const recount = async () => {
    const list = await api.get('/v1/notifications?unread=1&limit=200').catch(() => null);
    if (!list || typeof list.unread !== 'number') return; // offline: keep the count from /me
    counted = new Set(list.items.map((x) => x.id));
    setUnread(list.unread);
  };
  const off = liveLoad(`user:${me.user.id}`, (ev) => {
    // Read on another device or tab: the badge follows the server's count.
    if (ev.type === 'notifications.read') { setUnread(ev.data?.unread ?? 0); return; }
    if (ev.type !== 'notification') return;
    const n = ev.data || {};
    for (const fn of store.noteListeners) fn(n);
    if (n.type === 'help.request') { onHelpNote(n); return; }
    if (!n.read && !counted.has(n.id)) setUnread((store.unread || 0) + 1);
    toast(noteText(n));
  }, recount);
  userOff = () => { off.then((fn) => fn(), () => {}); };
}

// A banner goes once its request is no longer open (claimed, cancelled,
// expired): follow help:{cid} of every community the user is in (again
// after joining one).
function followHelp(me) {
  const want = new Set((me?.memberships || []).map((m) => m.community_id));
  for (const [cid, off] of helpOffs) if (!want.has(cid)) { off(); helpOffs.delete(cid); }
  for (const cid of want) {
    if (helpOffs.has(cid)) continue;
    helpOffs.set(cid, subscribe(`help:${cid}`, (ev) => {
      if (ev.type === 'help.updated' && ev.data?.status !== 'open') dropBanner(ev.data.id);
    }));
  }
}

api.onSession((s) => {
  if (!s) {
    if (userOff) { userOff(); userOff = null; }
    for (const off of helpOffs.values()) off();
    helpOffs.clear();
    stopLive();
    store.me = null;
    replace($('banner'));
    location.hash = '#/login';
    render();
  }
});

api.onOutbox((info) => {
  const el = $('outbox');
  if (info.failed) toast(t('queued_failed', { msg: errText(info.failed) }), 'error');
  if (info.sent) toast(t('queued_sent'));
  if (info.queued) { el.hidden = false; el.textContent = t('queued', { n: info.queued }); }
  else { el.hidden = true; el.textContent = ''; }
});

$('elder-switch').addEventListener('click', () => {
  try { localStorage.setItem(ELDER, elderOn() ? '0' : '1'); } catch { /* private mode: this page only */ }
  applyElder();
});
applyElder();

$('lang-switch').addEventListener('click', () => {
  setLang(getLang() === 'en' ? 'zh' : 'en');
  showConn(connState());
  render();
});

window.addEventListener('hashchange', () => { focusMain = true; render(); });
window.addEventListener('online', () => api.flushOutbox());
onConnState(showConn);
store.onLogin = onLogin;
store.onMemberships = followHelp;
store.onUnread = () => showUnread();
if (api.getSession()) onLogin();
if (api.outboxSize()) { $('outbox').hidden = false; $('outbox').textContent = t('queued', { n: api.outboxSize() }); }
render();
