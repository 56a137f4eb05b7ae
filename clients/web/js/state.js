// What the app knows about the signed-in user, shared by the views.
import * as api from './api.js';

export const store = {
  me: null,            // GET /v1/me
  unread: 0,           // unread notifications (badge)
  communities: new Map(), // cid -> community
  noteListeners: new Set(), // fn(notification) for views that show the inbox
  onLogin: null,       // set by app.js
  onMemberships: null, // set by app.js: fn(me) after memberships change
};

export async function loadMe() {
  store.me = await api.get('/v1/me');
  return store.me;
}

export async function me() {
  return store.me || loadMe();
}

export function membership(cid) {
  return store.me?.memberships?.find((m) => m.community_id === cid) || null;
}

export const isStaff = (cid) => membership(cid)?.role === 'staff' || !!store.me?.is_admin;

export async function community(cid) {
  if (!store.communities.has(cid)) {
    const { community: c } = await api.get(`/v1/communities/${cid}`);
    store.communities.set(cid, c);
  }
  return store.communities.get(cid);
}

// Where a signed-out visitor was going (e.g. an invite link), kept for this
// tab until they have logged in or registered.
const AFTER_LOGIN = 'linli.afterLogin';
export function rememberRoute(hash) {
  try { sessionStorage.setItem(AFTER_LOGIN, hash); } catch { /* private mode */ }
}
export function pendingRoute() {
  try { return sessionStorage.getItem(AFTER_LOGIN); } catch { return null; }
}
export function takeRoute() {
  const h = pendingRoute();
  try { sessionStorage.removeItem(AFTER_LOGIN); } catch { /* ignore */ }
  return h && h.startsWith('#/') && !/^#\/(login|register|reset)$/.test(h) ? h : '#/';
}

export function setUnread(n) {
  store.unread = Math.max(0, n);
  if (store.onUnread) store.onUnread(store.unread);
}
