// A community's forum: the live thread list, new discussions, and (staff)
// new consultations.
import { h, field, formValues, patchList } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, errNode, goTo, userError } from '../ui.js';
import { community, isStaff, me } from '../state.js';
import { liveLoad } from '../live.js';
import { photoPicker } from '../photos.js';

function threadItem(th) {
  const tags = [
    th.held && h('span', { class: 'tag tag-amber' }, t('held_item')),
    th.pinned && h('span', { class: 'tag' }, t('pinned')),
    th.kind === 'consultation' && h('span', { class: 'tag tag-blue' }, t('kind_consultation')),
    th.locked && h('span', { class: 'tag tag-grey' }, t('locked')),
    th.status === 'closed' && h('span', { class: 'tag tag-grey' }, t('closed')),
  ];
  return h('li', { class: 'card thread-item', 'data-thread-id': th.id },
    h('h3', null, h('a', { href: `#/t/${th.id}` }, th.title)), h('p', { class: 'tags' }, tags),
    h('p', { class: 'muted' }, t('by', { name: th.author?.display_name || '' }), ' · ', h('time', null, fmtTime(th.created_at)),
      th.kind === 'consultation' && th.votes !== undefined ? ` · ${t('votes_n', { n: th.votes })}` : ''),
    h('p', { class: 'muted thread-activity' },
      th.reply_count !== undefined ? t('replies_n', { n: th.reply_count }) : '',
      th.last_activity_at ? [' · ', t('last_activity', { at: fmtTime(th.last_activity_at) })] : '',
      th.kind === 'consultation' && th.status !== 'closed' && th.closes_at ? [' · ', t('closes_on', { at: fmtTime(th.closes_at) })] : '',
      th.my_vote ? [' · ', h('span', { class: 'tag tag-blue' }, t('you_voted'))] : ''));
}

// The notice board (通知公告): pinned first, then newest. What a member
// sees here counts as read; staff see how many of the members have.
function noticeItem(a, staff, fresh) {
  return h('li', { class: 'card notice-item', 'data-announcement-id': a.id },
    h('h3', null, a.pinned && h('span', { class: 'tag' }, t('pinned')), ' ', a.title,
      fresh && h('span', { class: 'tag tag-blue' }, ' ', t('new_badge'))),
    h('p', { class: 'post-body' }, a.body),
    h('p', { class: 'muted' }, t('by', { name: a.author?.display_name || '' }), ' · ', h('time', null, fmtTime(a.created_at)),
      staff && a.member_count !== undefined ? ` · ${t('read_n', { r: a.read_count, m: a.member_count })}` : '',
      a.status === 'pending' ? ` · ${t('held_item')}` : ''));
}

function noticeBoard(cid, staff) {
  const items = new Map();
  const fresh = new Set(); // unread when this page first showed them
  const list = h('ul', { class: 'cards', id: 'notice-list', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', id: 'more-notices', hidden: true }, t('more'));
  let cursor = null;
  const draw = () => patchList(list, [...items.values()].sort((a, b) => (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0) || b.id - a.id),
    { key: (a) => `${a.id}:${a.read_count ?? ''}`, render: (a) => noticeItem(a, staff, fresh.has(a.id)),
      empty: () => h('li', { class: 'muted' }, t('no_notices')) });
  const markRead = (a) => {
    if (a.read || a.status === 'pending') return;
    fresh.add(a.id);
    a.read = true;
    api.post(`/v1/announcements/${a.id}/read`).catch(() => { a.read = false; }); // next visit tries again
  };
  const add = (list1) => { for (const a of list1) { items.set(a.id, a); markRead(a); } draw(); };
  const page = async (cur) => {
    const r = await api.get(`/v1/communities/${cid}/announcements?limit=5${cur ? `&cursor=${encodeURIComponent(cur)}` : ''}`);
    cursor = r.next_cursor || null;
    more.hidden = !cursor;
    add(r.items);
  };
  more.addEventListener('click', () => page(cursor).catch((e) => toast(errNode(e, { read: true }), 'error')));
  return {
    el: h('section', { class: 'board', 'aria-labelledby': 'board-h' }, h('h2', { id: 'board-h' }, t('notice_board')), list, more),
    load: () => page(null),
    onEvent: (a) => add([a]),
  };
}

export async function communityView(cid) {
  await me();
  const c = await community(cid);
  const staff = isStaff(cid);
  const threads = new Map();
  const news = h('div', { id: 'announcements', 'aria-live': 'polite' });
  const board = noticeBoard(cid, staff);
  const list = h('ul', { class: 'cards', id: 'thread-list', 'aria-live': 'polite' });
  let query = '';
  const draw = () => {
    const items = [...threads.values()].filter((x) => !query || x.title.includes(query) || (x.body || '').includes(query))
      .sort((a, b) => (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0) || b.id - a.id);
    patchList(list, items, { key: (x) => x.id, render: threadItem, empty: () => h('li', { class: 'muted' }, t('no_threads')) });
  };
  // Pages of PAGE threads; "more" follows the server's cursor.
  const PAGE = 20;
  let cursor = null;
  const moreBtn = h('button', { type: 'button', id: 'more-threads', hidden: true }, t('more'));
  const url = (cur) => `/v1/communities/${cid}/threads?limit=${PAGE}${query ? `&q=${encodeURIComponent(query)}` : ''}${cur ? `&cursor=${encodeURIComponent(cur)}` : ''}`;
  const load = async () => {
    const { items, next_cursor: next } = await api.get(url(null));
    if (query) threads.clear();
    for (const th of items) threads.set(th.id, th); // by id: one entry per thread
    cursor = next || null;
    moreBtn.hidden = !cursor;
    draw();
  };
  moreBtn.addEventListener('click', async () => {
    if (!cursor) return;
    moreBtn.disabled = true;
    try {
      const { items, next_cursor: next } = await api.get(url(cursor));
      for (const th of items) if (!threads.has(th.id)) threads.set(th.id, th);
      cursor = next || null;
      draw();
      // the button goes with the last page: keep keyboard users in the list
      if (!cursor && items.length) list.querySelector(`[data-thread-id="${items[0].id}"] a`)?.focus();
      moreBtn.hidden = !cursor;
    } catch (e) { toast(errNode(e, { read: true }), 'error'); } finally { moreBtn.disabled = false; }
  });
  // subscribed (confirmed) first, then loaded: nothing falls between the two
  const off = await liveLoad(`community:${cid}`, (ev) => {
    // events carry no viewer's own vote: keep what the list said
    if (ev.type === 'thread.created' || ev.type === 'thread.updated') { threads.set(ev.data.id, { ...threads.get(ev.data.id), ...ev.data }); draw(); }
    else if (ev.type === 'announcement' && ev.data?.id && ev.data?.title) board.onEvent(ev.data); // kept on the board
    else if (ev.type === 'announcement') { // the channel publish: this visit only
      const text = typeof ev.data === 'string' ? ev.data : ev.data?.text || ev.data?.title || '';
      if (text) news.prepend(h('p', { class: 'notice' }, h('strong', null, t('announcement')), t('colon'), text));
    }
  }, () => Promise.all([load(), board.load()]));

  const search = h('form', { class: 'search secondary', role: 'search' },
    field(t('search_label'), { name: 'q', type: 'search' }), h('button', { type: 'submit' }, t('search')));
  search.addEventListener('submit', (e) => { e.preventDefault(); query = formValues(search).q.trim(); load().catch((err) => toast(errNode(err, { read: true }), 'error')); });

  const picker = photoPicker();
  const newThread = h('form', { class: 'card stack', id: 'new-thread' },
    h('h2', null, t('new_thread')),
    field(t('title'), { name: 'title', required: true, maxlength: 100 }),
    field(t('body'), { name: 'body', type: 'textarea', required: true, maxlength: 5000, rows: 3 }),
    picker.el,
    h('button', { type: 'submit', class: 'primary' }, t('create')));
  handleForm(newThread, async () => {
    const v = formValues(newThread);
    if (picker.pending()) throw userError(t('photos_pending'));
    const r = await api.post(`/v1/communities/${cid}/threads`, { title: v.title, body: v.body, kind: 'discussion',
      ...(picker.ids().length ? { attachments: picker.ids() } : {}) });
    newThread.reset();
    picker.reset();
    location.hash = `#/t/${r.thread.id}`;
  });

  let consult = null;
  if (staff) {
    const soon = new Date(Date.now() + 7 * 86400000);
    const local = new Date(soon.getTime() - soon.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    consult = h('form', { class: 'card stack', id: 'new-consultation' },
      h('h2', null, t('new_consultation')),
      field(t('title'), { name: 'title', required: true, maxlength: 100 }),
      field(t('body'), { name: 'body', type: 'textarea', required: true, maxlength: 5000, rows: 3 }),
      field(t('options'), { name: 'options', type: 'textarea', required: true, rows: 3 }),
      field(t('closes_at'), { name: 'closes_at', type: 'datetime-local', required: true, value: local }),
      h('div', { class: 'choice' }, h('input', { type: 'checkbox', id: 'live-tally', name: 'live_tally', value: '1' }),
        h('label', { for: 'live-tally' }, t('live_tally'))),
      h('button', { type: 'submit', class: 'primary' }, t('create')));
    handleForm(consult, async () => {
      const v = formValues(consult);
      const options = v.options.split('\n').map((s) => s.trim()).filter(Boolean);
      const r = await api.post(`/v1/communities/${cid}/threads`, {
        title: v.title, body: v.body, kind: 'consultation', options,
        closes_at: new Date(v.closes_at).getTime(), live_tally: v.live_tally.length > 0,
      });
      location.hash = `#/t/${r.thread.id}`;
    });
  }

  return {
    el: h('section', null,
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, t('my_communities'))),
      h('h1', null, `${c.name} · ${t('threads')}`),
      h('nav', { class: 'actions', 'aria-label': c.name },
        h('a', { class: 'button', href: `#/c/${cid}/help` }, t('open_help')),
        h('a', { class: 'button', href: `#/c/${cid}/volunteer` }, t('open_volunteer')),
        h('a', { class: 'button', href: `#/c/${cid}/requests` }, t('open_requests')),
        h('a', { class: 'button', href: `#/c/${cid}/meetings` }, t('open_meetings')),
        h('a', { class: 'button', href: `#/c/${cid}/progress` }, t('open_progress')),
        staff && h('a', { class: 'button', href: `#/c/${cid}/mod` }, t('open_mod'))),
      h('div', { class: 'actions top-actions' },
        h('button', { type: 'button', class: 'primary', id: 'go-new-thread', onclick: () => goTo(newThread) }, t('new_thread')),
        consult && h('button', { type: 'button', id: 'go-new-consultation', onclick: () => goTo(consult) }, t('new_consultation'))),
      board.el, news, search, list, moreBtn, newThread, consult),
    cleanup: off,
  };
}
