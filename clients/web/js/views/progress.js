// 落实进展: what a decided consultation is carrying out, item by item, with
// a progress bar each (owner, due date, overdue); public to every member
// (居务公开). On the thread page staff add items and move them on; the
// community's page lists them all.
import { h, replace, field, formValues, patchList } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, errNode } from '../ui.js';
import { community, me } from '../state.js';

const STATUSES = ['planned', 'in_progress', 'done', 'blocked'];

function progressBar(a) {
  const fill = h('span', { class: 'bar-fill' + (a.status === 'done' ? ' bar-top' : '') });
  fill.style.width = `${a.progress}%`; // CSSOM: allowed under style-src 'self'
  return h('span', { class: 'bar progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
    'aria-valuenow': String(a.progress), 'aria-label': `${a.title} ${a.progress}%` }, fill);
}

function actionItem(a, { staff, thread = null }) {
  const kids = [
    h('h3', null, a.title, ' ', h('span', { class: `tag status-${a.status}`, 'data-status': a.status }, t('ast_' + a.status)),
      a.overdue && h('span', { class: 'tag tag-red' }, ' ', t('overdue'))),
    thread && h('p', { class: 'muted' }, h('a', { href: `#/t/${a.thread_id}` }, t('from_thread', { title: thread }))),
    h('p', { class: 'bar-row' }, h('span', { class: 'bar-label' }, `${a.progress}%`), progressBar(a)),
    h('p', { class: 'muted' }, [a.owner ? t('owner_is', { name: a.owner.display_name }) : null,
      a.due_at ? t('due_on', { at: fmtTime(a.due_at) }) : null, t('last_activity', { at: fmtTime(a.updated_at) })].filter(Boolean).join(t('sep'))),
    a.note && h('p', { class: 'post-body' }, a.note),
  ];
  if (staff) {
    const f = h('form', { class: 'inline-form update-action', 'data-action-id': a.id },
      field(t('status'), { name: 'status', type: 'select', value: a.status, options: STATUSES.map((s) => [s, t('ast_' + s)]) }),
      field(t('progress_pct'), { name: 'progress', type: 'number', min: 0, max: 100, value: String(a.progress), required: true }),
      field(t('action_note'), { name: 'note', maxlength: 500 }),
      h('button', { type: 'submit' }, t('update_action')));
    handleForm(f, async () => {
      const v = formValues(f);
      await api.patch(`/v1/actions/${a.id}`, { status: v.status, progress: Number(v.progress), ...(v.note.trim() ? { note: v.note.trim() } : {}) });
      toast(t('action_saved')); // the thread's action.updated event redraws it
    });
    kids.push(f);
  }
  return h('li', { class: 'card action-item', 'data-action-id': a.id }, kids);
}

// The thread page's box: a closed consultation's items, live (the page
// hands it the thread's action.updated events).
export function actionsBox(tid, cid, staff) {
  const items = new Map();
  const list = h('ul', { class: 'cards', id: 'action-list', 'aria-live': 'polite' });
  const box = h('section', { class: 'card', id: 'actions', 'aria-labelledby': 'actions-h', hidden: true });
  const draw = () => patchList(list, [...items.values()].sort((a, b) => a.id - b.id),
    { key: (a) => a.id, render: (a) => actionItem(a, { staff }), empty: () => h('li', { class: 'muted' }, t('no_actions')) });
  let form = null;
  if (staff) {
    form = h('form', { class: 'stack', id: 'action-form' },
      h('h3', null, t('add_action')),
      field(t('action_title'), { name: 'title', required: true, maxlength: 100 }),
      field(t('due_at'), { name: 'due_at', type: 'date' }),
      h('button', { type: 'submit', class: 'primary' }, t('add_action')));
    handleForm(form, async () => {
      const v = formValues(form);
      // The end of the chosen day, in the browser's time zone.
      const due = v.due_at ? new Date(`${v.due_at}T23:59:59`).getTime() : null;
      const r = await api.post(`/v1/threads/${tid}/actions`, { title: v.title.trim(), ...(due ? { due_at: due } : {}) });
      items.set(r.action.id, r.action);
      form.reset();
      draw();
    });
  }
  return {
    el: box,
    // Shown once the consultation is decided (closed).
    show: async (closed) => {
      box.hidden = !closed;
      if (!closed) return;
      if (!box.firstChild) replace(box, h('h2', { id: 'actions-h' }, t('progress_title')), list, form);
      const r = await api.get(`/v1/communities/${cid}/actions?thread_id=${tid}&limit=200`);
      for (const a of r.items) items.set(a.id, a);
      draw();
    },
    onEvent: (a) => { items.set(a.id, a); draw(); },
  };
}

// #/c/{cid}/progress: every item of the community, newest first.
export async function progressView(cid) {
  await me();
  const c = await community(cid);
  const list = h('ul', { class: 'cards', id: 'all-actions' });
  const more = h('button', { type: 'button', id: 'more-actions', hidden: true }, t('more'));
  const titles = new Map();
  let cursor = null;
  const page = async () => {
    const r = await api.get(`/v1/communities/${cid}/actions?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    for (const a of r.items) {
      if (!titles.has(a.thread_id)) titles.set(a.thread_id, (await api.get(`/v1/threads/${a.thread_id}`)).thread.title);
      list.append(actionItem(a, { staff: false, thread: titles.get(a.thread_id) }));
    }
    if (!list.children.length) list.append(h('li', { class: 'muted' }, t('no_actions')));
    cursor = r.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => page().catch((e) => toast(errNode(e, { read: true }), 'error')));
  await page();
  return {
    el: h('section', null,
      h('p', { class: 'crumbs' }, h('a', { href: `#/c/${cid}` }, c.name)),
      h('h1', null, `${c.name} · ${t('progress_title')}`),
      h('p', { class: 'muted' }, t('progress_public')), list, more),
  };
}
