// Neighbour help: ask for help, follow requests live; volunteers claim and
// mark done; requesters cancel or confirm.
import { h, field, formValues, patchList } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, errText, errNode, statusLabel, goTo, contactNode, starsField, userError } from '../ui.js';
import { community, me, membership, isStaff } from '../state.js';
import { liveLoad } from '../live.js';
import { photoPicker, photoStrip } from '../photos.js';

export const CATEGORIES = ['errand', 'elderly_care', 'repair', 'medical_escort', 'childcare', 'other'];
// The server decides the categories (help_categories in its config).
export const categories = (c) => (c?.help_categories?.length ? c.help_categories : CATEGORIES);
export const catLabel = (k) => (t('cat_' + k) === 'cat_' + k ? k : t('cat_' + k));

export async function helpView(cid) {
  const my = await me();
  const c = await community(cid);
  const m = membership(cid);
  const staff = isStaff(cid);
  const reqs = new Map();
  const list = h('ul', { class: 'cards', id: 'help-list', 'aria-live': 'polite' });

  const action = (hr, what, label, cls = '', body) => h('button', { type: 'button', class: cls, 'data-action': what, onclick: async (e) => {
    e.target.disabled = true;
    try {
      const r = await api.post(`/v1/help/${hr.id}/${what}`, body);
      if (r.request) upsert(r.request);
      if (what === 'claim') toast(t('claimed_ok'));
    } catch (err) { toast(errNode(err), 'error'); e.target.disabled = false; }
  } }, label);

  function item(hr) {
    const mineReq = hr.requester_id === my.user.id;
    const mineClaim = hr.volunteer_id === my.user.id;
    const acts = [];
    if (hr.status === 'open' && !mineReq && m?.volunteer) acts.push(action(hr, 'claim', t('claim'), 'primary'));
    if (hr.status === 'claimed' && mineClaim) acts.push(action(hr, 'done', t('done'), 'primary'), action(hr, 'unclaim', t('unclaim')));
    if ((hr.status === 'open' || hr.status === 'claimed') && mineReq) acts.push(action(hr, 'cancel', t('cancel_request'), 'danger'));
    if (hr.status === 'done' && mineReq) acts.push(confirmForm(hr));
    return h('li', { class: 'card help-item', 'data-help-id': hr.id },
      h('h3', null, hr.title),
      h('p', { class: 'tags' },
        h('span', { class: `tag status status-${hr.status}`, 'data-status': hr.status }, statusLabel(hr.status)),
        h('span', { class: 'tag' }, catLabel(hr.category)),
        hr.urgency === 'urgent' && h('span', { class: 'tag tag-red' }, t('urgent')),
        hr.escalated && h('span', { class: 'tag tag-amber' }, t('escalated')),
        hr.held && h('span', { class: 'tag tag-amber' }, t('held_item')),
        mineReq && h('span', { class: 'tag tag-blue' }, t('requested_by_me'))),
      h('p', { class: 'muted' }, [hr.grid || t('any_grid'), fmtTime(hr.created_at),
        hr.ip_region ? t('ip_region', { r: hr.ip_region }) : null].filter(Boolean).join(' · ')),
      hr.details && h('p', null, hr.details),
      photoStrip(hr.attachments, hr.title),
      hr.details_hidden && !hr.details && h('p', { class: 'muted' }, t('details_hidden')),
      hr.volunteer && h('p', { class: 'coming' }, t(mineReq ? 'volunteer_coming' : 'volunteer_is', { name: hr.volunteer.display_name })),
      hr.contact && h('p', null, t('contact'), t('colon'), contactNode(hr.contact)),
      acts.length ? h('div', { class: 'actions' }, acts) : null);
  }

  // 确认完成 with the rating (stars) and a thanks note, both optional.
  function confirmForm(hr) {
    const form = h('form', { class: 'inline-form confirm-form', 'data-help-id': hr.id },
      starsField(t('rating'), 'rating'),
      field(t('thanks'), { name: 'thanks', type: 'textarea', rows: 2, maxlength: 500 }),
      h('button', { type: 'submit', class: 'primary' }, t('confirm')));
    handleForm(form, async () => {
      const v = formValues(form);
      const body = {};
      if (v.rating) body.rating = Number(v.rating);
      if (v.thanks.trim()) body.thanks = v.thanks.trim();
      const r = await api.post(`/v1/help/${hr.id}/confirm`, body);
      toast(t('confirmed_ok'));
      if (r.request) upsert(r.request);
    });
    return form;
  }

  function draw() {
    const items = [...reqs.values()].sort((a, b) => b.id - a.id);
    patchList(list, items, { key: (x) => x.id, render: item, empty: () => h('li', { class: 'muted' }, t('no_help')) });
  }

  function upsert(hr) {
    const old = reqs.get(hr.id) || {};
    // help:{cid} events carry no contact or details: keep what we had
    reqs.set(hr.id, { ...old, ...hr,
      contact: 'contact' in hr ? hr.contact : (hr.status === 'open' ? undefined : old.contact),
      details: hr.details_hidden && old.details ? old.details : (hr.details ?? old.details),
      details_hidden: hr.details_hidden && old.details ? false : hr.details_hidden,
      volunteer: 'volunteer' in hr ? hr.volunteer : (hr.status === 'open' ? undefined : old.volunteer) });
    draw();
  }

  // Pages of 50, newest first; "more" follows the server's cursor.
  let cursor = null;
  const moreBtn = h('button', { type: 'button', id: 'more-help', hidden: true }, t('more'));
  const load = async (next = null) => {
    const page = await api.get(`/v1/communities/${cid}/help?limit=50${next ? `&cursor=${next}` : ''}`);
    for (const hr of page.items) reqs.set(hr.id, hr); // by id: one entry per request
    cursor = page.next_cursor;
    moreBtn.hidden = !cursor;
    draw();
  };
  moreBtn.addEventListener('click', async () => {
    moreBtn.disabled = true;
    try { await load(cursor); } catch (e) { toast(errNode(e, { read: true }), 'error'); } finally { moreBtn.disabled = false; }
  });
  // subscribed (confirmed) first, then loaded: nothing falls between the two
  const off = await liveLoad(`help:${cid}`, (ev) => {
    if (ev.type === 'help.created' || ev.type === 'help.updated') {
      upsert(ev.data);
      // a claimer gets the contact only over REST
      if (ev.data.volunteer_id === my.user.id || ev.data.requester_id === my.user.id || staff) {
        api.get(`/v1/help/${ev.data.id}`).then((r) => upsert(r.request), () => {});
      }
    }
  }, () => load(), { onReset: () => { reqs.clear(); return load(); } });

  const picker = photoPicker(); // 照片: what the errand is
  const form = h('form', { class: 'card stack', id: 'help-form' },
    h('h2', null, t('ask_help')),
    field(t('category'), { name: 'category', type: 'select', options: categories(c).map((k) => [k, catLabel(k)]) }),
    field(t('title'), { name: 'title', required: true, maxlength: 100 }),
    field(t('details'), { name: 'details', type: 'textarea', rows: 2, maxlength: 2000 }),
    field(t('grid'), { name: 'grid', type: 'select', options: [['', t('any_grid')], ...(c.grids || []).map((g) => [g, g])] }),
    field(t('urgency'), { name: 'urgency', type: 'select', options: [['normal', t('normal')], ['urgent', t('urgent')]] }),
    field(t('contact'), { name: 'contact', required: true, maxlength: 100, autocomplete: 'tel' }),
    picker.el,
    h('button', { type: 'submit', class: 'primary' }, t('ask')));
  handleForm(form, async () => {
    const v = formValues(form);
    if (picker.pending()) throw userError(t('photos_pending'));
    const body = { category: v.category, title: v.title, details: v.details, urgency: v.urgency, contact: v.contact };
    if (v.grid) body.grid = v.grid;
    if (picker.ids().length) body.attachments = picker.ids();
    const r = await api.post(`/v1/communities/${cid}/help`, body, { queue: true });
    form.reset();
    picker.reset();
    if (r.queued) { toast(t('queued_one')); return; }
    toast(t('help_created', { n: r.request.notified ?? 0 }));
    upsert(r.request);
  });

  return {
    el: h('section', null,
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, t('my_communities')), ' › ', h('a', { href: `#/c/${cid}` }, c.name)),
      h('h1', null, `${c.name} · ${t('help')}`),
      h('div', { class: 'actions top-actions' },
        h('button', { type: 'button', class: 'primary', id: 'go-ask', onclick: () => goTo(form) }, t('ask_help'))),
      list, moreBtn, form),
    cleanup: off,
  };
}
