// The notification inbox, live, with "mark all read".
import { h, patchList } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { noteText, toast, errText, errNode, reasonAction } from '../ui.js';
import { store, setUnread } from '../state.js';

// Decisions the member may appeal (申诉): a hidden reply, a mute, a warning.
const APPEALABLE = new Set(['moderation.action', 'member.mute', 'member.warning']);
const appealed = new Set(); // action ids appealed from this page

function appealButton(n) {
  const d = n.data || {};
  const actionId = d.action_id;
  if (!APPEALABLE.has(n.type) || !actionId || (n.type === 'moderation.action' && d.action !== 'post.hide')) return null;
  if (appealed.has(actionId)) return h('p', { class: 'tag tag-blue', role: 'status' }, t('appeal_sent'));
  return reasonAction(t('appeal'), { fieldLabel: t('appeal_reason'), onsubmit: async (reason) => {
    try {
      await api.post(`/v1/moderation/actions/${actionId}/appeal`, { reason });
      appealed.add(actionId);
      toast(t('appeal_sent'));
      return true;
    } catch (e) {
      if (e.status === 409) { appealed.add(actionId); toast(t('appeal_closed'), 'error'); return true; }
      toast(errNode(e), 'error');
      return false;
    }
  } });
}

// Where a notification leads: its thread, its community's help page or
// board, or the member's account (an appeal decided, a warning).
export function noteLink(n) {
  const d = n.data || {};
  const type = String(n.type || '');
  if (type.startsWith('help.') && d.community_id) return `#/c/${d.community_id}/help`;
  if (type.startsWith('ticket.') && d.ticket_id) return `#/r/${d.ticket_id}`;
  if (d.thread_id) return `#/t/${d.thread_id}`;
  if (d.post?.thread_id) return `#/t/${d.post.thread_id}`;
  if (d.community_id) return `#/c/${d.community_id}`;
  return '#/inbox';
}

export async function inboxView() {
  const notes = new Map();
  const list = h('ul', { class: 'cards', id: 'inbox-list', 'aria-live': 'polite' });
  const draw = () => {
    const items = [...notes.values()].sort((a, b) => b.id - a.id);
    patchList(list, items, { key: (n) => n.id, empty: () => h('li', { class: 'muted' }, t('no_notes')), render: (n) => {
      const href = noteLink(n);
      const text = noteText(n);
      return h('li', { class: `card note${n.read ? '' : ' unread'}`, 'data-note-id': n.id },
        !n.read && h('span', { class: 'tag tag-blue' }, t('new_badge')), ' ',
        href ? h('a', { href }, text) : text,
        h('p', { class: 'muted' }, h('time', null, fmtTime(n.created_at))),
        appealButton(n));
    } });
  };
  const onNote = (n) => { notes.set(n.id, n); draw(); };
  store.noteListeners.add(onNote);
  // Pages of 50, newest first; "more" follows the server's cursor.
  let cursor = null;
  const moreBtn = h('button', { type: 'button', id: 'more-notes', hidden: true }, t('more'));
  const load = async () => {
    const { items, unread, next_cursor: next } = await api.get(`/v1/notifications?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    for (const n of items) if (!notes.has(n.id)) notes.set(n.id, n);
    if (typeof unread === 'number') setUnread(unread);
    cursor = next;
    moreBtn.hidden = !cursor;
    draw();
  };
  moreBtn.addEventListener('click', async () => {
    moreBtn.disabled = true;
    try { await load(); } catch (e) { toast(errNode(e, { read: true }), 'error'); } finally { moreBtn.disabled = false; }
  });
  await load();
  const markBtn = h('button', { type: 'button', id: 'mark-read', onclick: async () => {
    const top = Math.max(0, ...notes.keys());
    try {
      const r = await api.post('/v1/notifications/read', { up_to: top });
      for (const n of notes.values()) if (n.id <= top) n.read = true;
      setUnread(r.unread ?? 0);
      draw();
    } catch (e) { toast(errNode(e), 'error'); }
  } }, t('mark_read'));
  return {
    el: h('section', null, h('h1', null, t('inbox')), h('div', { class: 'actions' }, markBtn), list, moreBtn),
    cleanup: () => store.noteListeners.delete(onNote),
  };
}
