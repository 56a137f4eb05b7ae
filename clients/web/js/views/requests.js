// 我要反映: residents' requests to the community (居民诉求). A resident
// writes one and follows it (status, deadlines, replies), rates how it was
// handled and may reopen it once; staff work the queue (deadlines, who owns
// what), take a request on (首问负责), reply and resolve; every member sees
// the monthly figures (评价结果公开) as a chart.
import { h, replace, field, formValues, patchList } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, errNode, reasonAction, starsField, userError } from '../ui.js';
import { community, isStaff, me, store } from '../state.js';
import { liveLoad } from '../live.js';
import { photoPicker, photoStrip } from '../photos.js';

export const TICKET_CATS = ['question', 'complaint', 'suggestion', 'repair'];
const STATUSES = ['open', 'accepted', 'resolved', 'closed'];
const REOPEN_MS = 7 * 86400000;

// When it is due and whether that has passed: open ones to be taken on,
// accepted ones to be resolved.
function deadline(x) {
  const due = x.status === 'open' ? x.accept_due_at : x.status === 'accepted' ? x.resolve_due_at : null;
  if (!due) return null;
  const late = due < Date.now();
  return h('span', { class: late ? 'tag tag-red' : 'muted' },
    late ? t('overdue') : t(x.status === 'open' ? 'accept_by' : 'resolve_by', { at: fmtTime(due) }));
}

function ticketItem(x, staff) {
  return h('li', { class: 'card ticket-item', 'data-ticket-id': x.id },
    h('h3', null, h('a', { href: `#/r/${x.id}` }, x.title)),
    h('p', { class: 'tags' },
      h('span', { class: `tag status status-${x.status}`, 'data-status': x.status }, t('tst_' + x.status)),
      h('span', { class: 'tag' }, t('tcat_' + x.category)),
      x.escalated && h('span', { class: 'tag tag-amber' }, t('escalated')),
      x.reopened && h('span', { class: 'tag tag-grey' }, t('reopened'))),
    h('p', { class: 'muted' }, h('time', null, fmtTime(x.created_at)),
      staff && x.author ? ` · ${x.author.display_name}` : '',
      ' · ', x.owner ? t('owner_is', { name: x.owner.display_name }) : t('no_owner'), ' ', deadline(x)));
}

// The monthly figures as bars, with the numbers as text beside them (a
// screen reader reads the table; the bars are decoration).
export function summaryChart(months) {
  if (!months.length) return h('p', { class: 'muted', id: 'ticket-summary' }, t('no_summary'));
  const max = Math.max(1, ...months.map((m) => m.received));
  const bar = (n, cls = '') => {
    const fill = h('span', { class: 'bar-fill ' + cls });
    fill.style.width = `${Math.round((n / max) * 100)}%`; // CSSOM: allowed under style-src 'self'
    return h('span', { class: 'bar', 'aria-hidden': 'true' }, fill);
  };
  return h('table', { class: 'summary-chart', id: 'ticket-summary' },
    h('caption', { class: 'sr-only' }, t('summary_title')),
    h('thead', null, h('tr', null, ['summary_month', 'summary_received', 'summary_in_time', 'summary_resolved', 'summary_satisfaction']
      .map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, months.map((m) => h('tr', { 'data-month': m.month },
      h('th', { scope: 'row' }, m.month),
      h('td', null, String(m.received), bar(m.received)),
      h('td', null, String(m.answered_in_time), bar(m.answered_in_time, 'bar-top')),
      h('td', null, String(m.resolved), bar(m.resolved, 'bar-top')),
      h('td', null, m.average_satisfaction == null ? '—' : `${m.average_satisfaction.toFixed(1)} ★`)))));
}

export async function requestsView(cid) {
  const my = await me();
  const c = await community(cid);
  const staff = isStaff(cid);
  const tickets = new Map();
  const list = h('ul', { class: 'cards', id: 'ticket-list', 'aria-live': 'polite' });
  const publicList = h('ul', { class: 'cards', id: 'public-answers' });
  const summaryBox = h('div', null);
  let status = '', onlyMine = false;

  const draw = () => patchList(list, [...tickets.values()]
    .filter((x) => (!status || x.status === status) && (!onlyMine || x.owner?.id === my.user.id))
    .sort((a, b) => b.id - a.id), { key: (x) => x.id, render: (x) => ticketItem(x, staff), empty: () => h('li', { class: 'muted' }, t('no_requests')) });
  const load = async () => {
    const r = await api.get(`/v1/communities/${cid}/requests?limit=200`);
    tickets.clear();
    for (const x of r.items) tickets.set(x.id, x);
    draw();
  };
  const loadPublic = async () => {
    const r = await api.get(`/v1/communities/${cid}/requests?public=1&limit=20`);
    patchList(publicList, r.items, { key: (x) => x.id, render: (x) => ticketItem(x, false), empty: () => h('li', { class: 'muted' }, t('no_requests')) });
  };
  const loadSummary = async () => replace(summaryBox, summaryChart((await api.get(`/v1/communities/${cid}/requests/summary`)).months));

  // Staff hear every request on mod:{cid}; a resident hears of their own
  // through the inbox.
  let off = () => {};
  const onNote = (n) => { if (n.type === 'ticket.updated' && n.data?.community_id === cid) load().catch(() => {}); };
  if (staff) {
    off = await liveLoad(`mod:${cid}`, (ev) => {
      if (ev.type === 'ticket.created' || ev.type === 'ticket.updated') { tickets.set(ev.data.id, ev.data); draw(); }
    }, () => Promise.all([load(), loadPublic(), loadSummary()]));
  } else {
    store.noteListeners.add(onNote);
    await Promise.all([load(), loadPublic(), loadSummary()]);
  }

  const picker = photoPicker(); // a photo of the broken lift, the leaking pipe
  const form = h('form', { class: 'card stack', id: 'ticket-form' },
    h('h2', null, t('new_request')),
    field(t('request_cat'), { name: 'category', type: 'select', options: TICKET_CATS.map((k) => [k, t('tcat_' + k)]) }),
    field(t('title'), { name: 'title', required: true, maxlength: 100 }),
    field(t('body'), { name: 'body', type: 'textarea', required: true, rows: 4, maxlength: 2000 }),
    (c.grids || []).length ? field(t('grid'), { name: 'grid', type: 'select', options: [['', t('any_grid')], ...c.grids.map((g) => [g, g])] }) : null,
    picker.el,
    h('button', { type: 'submit', class: 'primary' }, t('submit')));
  handleForm(form, async () => {
    const v = formValues(form);
    if (picker.pending()) throw userError(t('photos_pending'));
    const r = await api.post(`/v1/communities/${cid}/requests`,
      { category: v.category, title: v.title.trim(), body: v.body.trim(), ...(v.grid ? { grid: v.grid } : {}),
        ...(picker.ids().length ? { attachments: picker.ids() } : {}) });
    toast(t('request_sent'));
    location.hash = `#/r/${r.ticket.id}`;
  });

  const filters = staff && h('form', { class: 'filters', id: 'ticket-filters', onsubmit: (e) => e.preventDefault() },
    field(t('filter_status'), { name: 'status', type: 'select', options: [['', t('all_status')], ...STATUSES.map((s) => [s, t('tst_' + s)])],
      onchange: (e) => { status = e.target.value; draw(); } }),
    h('div', { class: 'choice' }, h('input', { type: 'checkbox', id: 'only-mine', onchange: (e) => { onlyMine = e.target.checked; draw(); } }),
      h('label', { for: 'only-mine' }, t('only_mine'))));

  return {
    el: h('section', null,
      h('p', { class: 'crumbs' }, h('a', { href: `#/c/${cid}` }, c.name)),
      h('h1', null, `${c.name} · ${t('requests')}`),
      !staff && form,
      h('section', { 'aria-labelledby': 'tickets-h' }, h('h2', { id: 'tickets-h' }, t(staff ? 'request_queue' : 'my_requests')), filters, list),
      h('section', { class: 'card', 'aria-labelledby': 'summary-h' }, h('h2', { id: 'summary-h' }, t('summary_title')), summaryBox),
      h('section', { 'aria-labelledby': 'public-h' }, h('h2', { id: 'public-h' }, t('public_answers')), publicList),
      staff && form),
    cleanup: () => { off(); store.noteListeners.delete(onNote); },
  };
}

export async function ticketView(id) {
  const my = await me();
  let x = (await api.get(`/v1/tickets/${id}`)).ticket;
  const cid = x.community_id;
  const c = await community(cid).catch(() => ({ name: '#' + cid }));
  const staff = isStaff(cid);
  const box = h('div', null);
  const post = async (what, body, ok) => {
    const r = await api.post(`/v1/tickets/${id}/${what}`, body);
    x = r.ticket;
    if (ok) toast(ok);
    draw();
  };
  const tryPost = (what, body, ok) => post(what, body, ok).then(() => true, (e) => { toast(errNode(e), 'error'); return false; });

  function draw() {
    const mine = x.author?.id === my.user.id;
    const owner = x.owner?.id === my.user.id || (store.me?.is_admin && x.owner);
    const parts = [
      h('p', { class: 'tags' },
        h('span', { class: `tag status status-${x.status}`, id: 'ticket-status', 'data-status': x.status }, t('tst_' + x.status)),
        h('span', { class: 'tag' }, t('tcat_' + x.category)),
        x.escalated && h('span', { class: 'tag tag-amber' }, t('escalated')),
        x.reopened && h('span', { class: 'tag tag-grey' }, t('reopened'))),
      h('p', { class: 'muted' }, h('time', null, fmtTime(x.created_at)), x.grid ? ` · ${x.grid}` : '',
        x.author && staff ? ` · ${x.author.display_name}` : '', ' · ',
        h('span', { id: 'ticket-owner' }, x.owner ? t('owner_is', { name: x.owner.display_name }) : t('no_owner')), ' ', deadline(x)),
      h('p', { class: 'post-body' }, x.body),
      photoStrip(x.attachments, x.title),
      x.summary && h('div', { class: 'outcome', id: 'ticket-result' }, h('strong', null, t('result')), t('colon'), x.summary),
      x.satisfaction && h('p', { id: 'ticket-rating' }, t('your_rating', { n: x.satisfaction }), ' ', '★'.repeat(x.satisfaction),
        x.rating_comment ? ` · ${x.rating_comment}` : ''),
      h('h2', null, t('posts')),
      h('ul', { class: 'cards', id: 'ticket-replies' }, (x.replies || []).map((r) => h('li', { class: 'card', 'data-reply-id': r.id },
        h('p', { class: 'post-meta' }, h('strong', null, t('reply_by', { name: r.author?.display_name || '' })), ' · ',
          h('time', null, fmtTime(r.created_at)), r.public && h('span', { class: 'tag tag-blue' }, ' ', t('public_tag'))),
        h('p', { class: 'post-body' }, r.body)))),
    ];
    const acts = [];
    if (staff && x.status === 'open')
      acts.push(h('button', { type: 'button', class: 'primary', id: 'accept-ticket', onclick: async (e) => {
        e.target.disabled = true;
        if (!await tryPost('accept', undefined, t('accepted_ok'))) e.target.disabled = false; // drawn anew when it worked
      } }, t('accept_ticket')));
    if ((staff || mine) && x.status !== 'closed') {
      const reply = h('form', { class: 'card stack', id: 'reply-form' },
        field(t(staff ? 'reply_to_resident' : 'add_info'), { name: 'body', type: 'textarea', required: true, rows: 3, maxlength: 2000 }),
        staff && h('div', { class: 'choice' }, h('input', { type: 'checkbox', id: 'reply-public', name: 'public', value: '1' }),
          h('label', { for: 'reply-public' }, t('reply_public'))),
        h('button', { type: 'submit', class: 'primary' }, t('reply')));
      handleForm(reply, async () => {
        const v = formValues(reply);
        await post('reply', { body: v.body.trim(), ...(v.public?.length ? { public: true } : {}) }, t('reply_sent'));
      });
      acts.push(reply);
    }
    if (owner && x.status === 'accepted')
      acts.push(reasonAction(t('resolve'), { fieldLabel: t('resolve_summary'), cls: 'primary', confirmText: t('confirm_resolve'),
        onsubmit: (summary) => tryPost('resolve', { summary }, t('resolved_ok')) }));
    if (mine && (x.status === 'resolved' || (x.status === 'closed' && !x.satisfaction))) {
      const rate = h('form', { class: 'card stack', id: 'rate-form' },
        h('h2', null, t('rate_it')), starsField(t('satisfaction'), 'satisfaction', { required: true }),
        field(t('rate_comment'), { name: 'comment', type: 'textarea', rows: 2, maxlength: 500 }),
        h('button', { type: 'submit', class: 'primary' }, t('submit')));
      handleForm(rate, async () => {
        const v = formValues(rate);
        await post('rate', { satisfaction: Number(v.satisfaction), ...(v.comment.trim() ? { comment: v.comment.trim() } : {}) }, t('rated_ok'));
      });
      acts.push(rate);
    }
    if (mine && (x.status === 'resolved' || x.status === 'closed') && !x.reopened && x.resolved_at && Date.now() - x.resolved_at < REOPEN_MS)
      acts.push(h('p', { class: 'muted' }, t('reopen_note')),
        reasonAction(t('reopen'), { fieldLabel: t('reopen_reason'), onsubmit: (reason) => tryPost('reopen', { reason }, t('reopened_ok')) }));
    replace(box, parts, acts.length ? h('div', { class: 'stack', id: 'ticket-actions' }, acts) : null);
  }
  draw();

  const reload = async () => { x = (await api.get(`/v1/tickets/${id}`)).ticket; draw(); };
  let off = () => {};
  const onNote = (n) => { if (n.type === 'ticket.updated' && n.data?.ticket_id === id) reload().catch(() => {}); };
  if (staff) off = await liveLoad(`mod:${cid}`, (ev) => { if (ev.type === 'ticket.updated' && ev.data.id === id) reload().catch(() => {}); }, reload);
  else store.noteListeners.add(onNote);

  return {
    el: h('article', { class: 'ticket' },
      h('p', { class: 'crumbs' }, h('a', { href: `#/c/${cid}` }, c.name), ' › ', h('a', { href: `#/c/${cid}/requests` }, t('requests'))),
      h('h1', null, x.title), box),
    cleanup: () => { off(); store.noteListeners.delete(onNote); },
  };
}
