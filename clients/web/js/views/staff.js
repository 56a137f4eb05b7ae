// Staff: the live moderation queue, hide / restore with a reason, muting,
// the moderation log, and invites for residents and staff.
import { h, field, formValues, replace, patchList } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, reasonAction, errNode, holdText } from '../ui.js';
import { community, me, isStaff, store } from '../state.js';
import { liveLoad } from '../live.js';

export async function staffView(cid) {
  await me();
  const c = await community(cid);
  if (!isStaff(cid)) return { el: h('section', null, h('h1', null, t('moderation')), h('p', null, t('staff_only'))) };

  const queue = h('ul', { class: 'cards', id: 'mod-queue', 'aria-live': 'polite' });
  const log = h('ol', { class: 'log', id: 'mod-log' });
  const appeals = h('ul', { class: 'cards', id: 'appeals-list', 'aria-live': 'polite' });
  const held = h('ul', { class: 'cards', id: 'held-list', 'aria-live': 'polite' });

  // What the content check holds (threads, help requests, outcomes,
  // announcements): read, then release.
  function heldItem(x) {
    const kinds = {
      thread: [t('target_thread'), x.title, x.body, `/v1/threads/${x.id}/release`],
      help: [t('help'), x.title, x.details, `/v1/help/${x.id}/release`],
      outcome: [t('outcome'), x.title, x.outcome?.summary, `/v1/threads/${x.id}/outcome/release`],
      announcement: [t('announcement'), '', typeof x.data === 'string' ? x.data
        : Object.values(x.data || {}).filter((v) => typeof v === 'string').join('\n'), `/v1/held-events/${x.id}/release`],
    };
    const [label, title, text, path] = kinds[x.heldKind];
    return h('li', { class: 'card' },
      h('p', { class: 'tags' }, h('span', { class: 'tag tag-amber' }, label),
        ' ', h('span', { class: 'tag' }, holdText(x.hold_reason || x.outcome?.hold_reason))),
      title && h('h3', null, x.heldKind === 'thread' || x.heldKind === 'outcome' ? h('a', { href: `#/t/${x.id}` }, title) : title),
      h('p', { class: 'post-body' }, text || ''),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: async (ev) => {
        ev.target.disabled = true;
        try { await api.post(path); toast(t('released')); await refresh(); }
        catch (e) { ev.target.disabled = false; toast(errNode(e), 'error'); }
      } }, t('release'))));
  }
  const heldOf = (q) => [
    ...(q.threads || []).map((x) => ({ ...x, heldKind: 'thread' })),
    ...(q.help_requests || []).map((x) => ({ ...x, heldKind: 'help' })),
    ...(q.outcomes || []).map((x) => ({ ...x, heldKind: 'outcome' })),
    ...(q.announcements || []).map((x) => ({ ...x, heldKind: 'announcement' })),
  ];

  // 申诉: the original decision beside the appeal; another staff member
  // decides (the server refuses the one who acted).
  function appealItem(a) {
    const act = a.action || {};
    const form = h('form', { class: 'stack', 'data-appeal-id': a.id });
    const id = `dec-${a.id}`;
    form.append(
      h('fieldset', { class: 'choices' }, h('legend', null, t('decide')),
        ['upheld', 'overturned'].map((v) => h('div', { class: 'choice' },
          h('input', { type: 'radio', id: `${id}-${v}`, name: 'decision', value: v, required: true }),
          h('label', { for: `${id}-${v}` }, t('decision_' + v))))),
      field(t('decision_reason'), { name: 'reason', required: true, maxlength: 500 }),
      h('button', { type: 'submit', class: 'primary' }, t('submit')));
    handleForm(form, async () => {
      const v = formValues(form);
      if (v.decision === 'overturned' && !window.confirm(t('confirm_overturn'))) return;
      await api.post(`/v1/appeals/${a.id}/decide`, { decision: v.decision, reason: v.reason });
      toast(t('appeal_decided'));
      await refresh();
    });
    return h('li', { class: 'card appeal' },
      h('div', { class: 'grid2 appeal-sides' },
        h('div', null, h('h3', null, t('appeal_original')),
          h('p', null, t('act_' + String(act.action || '').replace(/\./g, '_')), ' · ', t('target_' + (act.target_kind || 'post')), ` #${act.target_id ?? ''}`),
          h('p', null, t('reason'), t('colon'), act.reason || ''),
          h('p', { class: 'muted' }, t('by_user', { name: names.get(act.actor_id) || `#${act.actor_id}` }), ' · ', h('time', null, fmtTime(act.at)))),
        h('div', null, h('h3', null, t('appeal_by', { name: names.get(a.appellant_id) || `#${a.appellant_id}` })),
          h('p', null, a.reason), h('p', { class: 'muted' }, h('time', null, fmtTime(a.created_at))))),
      form);
  }

  function queueItem(p) {
    const reports = Array.isArray(p.reports) ? p.reports : [];
    return h('li', { class: 'card', 'data-post-id': p.id },
      h('p', { class: 'post-meta' }, h('strong', null, p.author?.display_name || ''), ` (#${p.author?.id}) · `, h('time', null, fmtTime(p.created_at)),
        ' · ', h('a', { href: `#/t/${p.thread_id}` }, t('go_thread'))),
      h('p', { class: 'post-body' }, p.body),
      h('p', { class: 'tags' },
        h('span', { class: 'tag tag-amber' }, p.status === 'pending' ? t('pending_post') : p.status === 'hidden' ? t('hidden_post') : t('post_visible')),
        reports.length > 0 && h('span', { class: 'tag tag-red' }, t('reports_n', { n: reports.length })),
        p.hold_reason && h('span', { class: 'tag' }, holdText(p.hold_reason))),
      reports.length > 0 && h('ul', { class: 'reasons' }, reports.map((r) => h('li', null, r.reason || ''))),
      h('div', { class: 'actions' },
        reasonAction(t('hide'), { cls: 'danger', onsubmit: async (reason) => {
          try { await api.post(`/v1/posts/${p.id}/hide`, { reason }); await refresh(); return true; } catch (e) { toast(errNode(e), 'error'); return false; }
        } }),
        reasonAction(t('restore'), { optional: true, onsubmit: async (reason) => {
          try { await api.post(`/v1/posts/${p.id}/restore`, reason ? { reason } : undefined); await refresh(); return true; }
          catch (e) { toast(errNode(e), 'error'); return false; }
        } })));
  }

  // member names for muted users in the log (actors come with their name)
  const names = new Map();
  try {
    const { items } = await api.get(`/v1/communities/${cid}/members?limit=200`);
    for (const m of items) if (m.user) names.set(m.user_id, m.user.display_name);
  } catch { /* ids then */ }

  async function refresh() {
    const [q, l, ap] = await Promise.all([
      api.get(`/v1/communities/${cid}/moderation/queue?limit=100`),
      api.get(`/v1/communities/${cid}/moderation/log?limit=50`),
      api.get(`/v1/communities/${cid}/appeals?status=open&limit=50`),
    ]);
    patchList(held, heldOf(q), { key: (x) => `${x.heldKind}${x.id}`,
      render: heldItem, empty: () => h('li', { class: 'muted' }, t('held_empty')) });
    patchList(appeals, ap.items, { key: (a) => a.id, render: appealItem, empty: () => h('li', { class: 'muted' }, t('appeals_empty')) });
    patchList(queue, q.items, { key: (p) => p.id, render: queueItem, empty: () => h('li', { class: 'muted' }, t('queue_empty')) });
    replace(log, l.items.length ? l.items.map((x) => h('li', null,
      h('time', null, fmtTime(x.at)), ' · ', t('act_' + x.action.replace(/\./g, '_')), ` ${x.target?.kind ? t('target_' + x.target.kind) : ''} `,
      x.target?.kind === 'user' && names.has(x.target.id) ? names.get(x.target.id) : `#${x.target?.id ?? ''}`,
      x.reason ? [' · ', x.reason] : '', ' · ', t('by_user', { name: x.actor?.display_name || names.get(x.actor_id) || `#${x.actor_id}` }))) : h('li', { class: 'muted' }, t('no_log')));
  }

  // Any change on mod:{cid} (a report, a held post, an action) refreshes
  // both. One refresh at a time; an event during one marks the view dirty
  // and it refreshes again when that one is done (its answer may predate
  // the event).
  let running = false, dirty = false;
  async function refreshSoon() {
    dirty = true;
    if (running) return;
    running = true;
    try {
      while (dirty) {
        dirty = false;
        try { await refresh(); } catch (e) { toast(errNode(e), 'error'); }
      }
    } finally { running = false; }
  }
  const off = await liveLoad(`mod:${cid}`, () => { refreshSoon(); }, refresh);

  const mute = h('form', { class: 'card stack', id: 'mute-form' },
    h('h2', null, t('mute_user')),
    field(t('user_id'), { name: 'user_id', type: 'number', min: 1, required: true, inputmode: 'numeric' }),
    field(t('minutes_n'), { name: 'minutes', type: 'number', min: 1, value: '60', required: true }),
    field(t('reason'), { name: 'reason', required: true, maxlength: 500 }),
    h('button', { type: 'submit', class: 'danger' }, t('mute')));
  handleForm(mute, async () => {
    const v = formValues(mute);
    await api.post(`/v1/communities/${cid}/mutes`, { user_id: Number(v.user_id), minutes: Number(v.minutes), reason: v.reason });
    toast(t('muted'));
    mute.reset();
    await refresh();
  });

  const warn = h('form', { class: 'card stack', id: 'warn-form' },
    h('h2', null, t('warn_user')),
    field(t('user_id'), { name: 'user_id', type: 'number', min: 1, required: true, inputmode: 'numeric' }),
    field(t('reason'), { name: 'reason', required: true, maxlength: 500 }),
    h('button', { type: 'submit', class: 'danger' }, t('warn')));
  handleForm(warn, async () => {
    const v = formValues(warn);
    if (!window.confirm(t('confirm_warn'))) return;
    await api.post(`/v1/communities/${cid}/warnings`, { user_id: Number(v.user_id), reason: v.reason });
    toast(t('warned'));
    warn.reset();
    await refresh();
  });

  // Suspensions are an admin's (every community at once).
  const suspend = store.me?.is_admin && h('form', { class: 'card stack', id: 'suspend-form' },
    h('h2', null, t('suspend_user')),
    field(t('user_id'), { name: 'user_id', type: 'number', min: 1, required: true, inputmode: 'numeric' }),
    field(t('suspend_days'), { name: 'days', type: 'number', min: 1, max: 3650, hint: t('suspend_days_hint') }),
    field(t('reason'), { name: 'reason', required: true, maxlength: 500 }),
    h('button', { type: 'submit', class: 'danger' }, t('suspend')));
  if (suspend) handleForm(suspend, async () => {
    const v = formValues(suspend);
    if (!window.confirm(v.days ? t('confirm_suspend', { n: v.days }) : t('confirm_suspend_forever'))) return;
    const body = { user_id: Number(v.user_id), reason: v.reason };
    if (v.days) body.days = Number(v.days);
    await api.post('/v1/admin/suspensions', body);
    toast(t('suspended_ok'));
    suspend.reset();
    await refresh();
  });

  const announce = h('form', { class: 'card stack', id: 'announce-form' },
    h('h2', null, t('announce')),
    field(t('body'), { name: 'text', type: 'textarea', required: true, rows: 2, maxlength: 1000 }),
    h('button', { type: 'submit', class: 'primary' }, t('publish')));
  handleForm(announce, async () => {
    const r = await api.post(`/v1/channels/${encodeURIComponent(`community:${cid}`)}/events`, { type: 'announcement', data: { text: formValues(announce).text } });
    announce.reset();
    toast(r.held ? t('held_announcement') : t('published'));
    if (r.held) await refresh();
  });

  const inviteOut = h('p', { id: 'invite-out', role: 'status' });
  const inv = h('form', { class: 'card stack', id: 'invite-form' },
    h('h2', null, t('invites')),
    field(t('invite_role'), { name: 'role', type: 'select', options: [['resident', t('role_resident')], ['staff', t('role_staff')]] }),
    field(t('max_uses'), { name: 'max_uses', type: 'number', min: 1, max: 10000, value: '1' }),
    h('button', { type: 'submit', class: 'primary' }, t('make_invite')), inviteOut);
  handleForm(inv, async () => {
    const v = formValues(inv);
    const r = await api.post(`/v1/communities/${cid}/invites`, { role: v.role, max_uses: Number(v.max_uses) || 1 });
    const link = `${location.origin}/#/join/${cid}/${r.code}`; // works for someone not yet logged in too
    replace(inviteOut, t('invite_made', { code: r.code, cid, until: fmtTime(r.expires_at) }), ' ',
      h('a', { href: link }, link));
  });

  return {
    el: h('section', null,
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, t('my_communities')), ' › ', h('a', { href: `#/c/${cid}` }, c.name)),
      h('h1', null, `${c.name} · ${t('moderation')}`),
      h('div', { class: 'grid2' },
        h('div', null,
          h('section', { 'aria-labelledby': 'q-h' }, h('h2', { id: 'q-h' }, t('mod_queue')), queue),
          h('section', { 'aria-labelledby': 'held-h' }, h('h2', { id: 'held-h' }, t('held_title')), held),
          h('section', { 'aria-labelledby': 'ap-h' }, h('h2', { id: 'ap-h' }, t('appeals')), appeals),
          h('section', { class: 'card', 'aria-labelledby': 'l-h' }, h('h2', { id: 'l-h' }, t('mod_log')), log)),
        h('div', null, announce, mute, warn, suspend, inv))),
    cleanup: off,
  };
}
