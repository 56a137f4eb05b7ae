// Staff: the live moderation queue, hide / restore with a reason, muting,
// the moderation log, and invites for residents and staff.
import { h, field, formValues, replace, patchList } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, reasonAction, errNode, holdText } from '../ui.js';
import { community, me, isStaff } from '../state.js';
import { liveLoad } from '../live.js';

export async function staffView(cid) {
  await me();
  const c = await community(cid);
  if (!isStaff(cid)) return { el: h('section', null, h('h1', null, t('moderation')), h('p', null, t('staff_only'))) };

  const queue = h('ul', { class: 'cards', id: 'mod-queue', 'aria-live': 'polite' });
  const log = h('ol', { class: 'log', id: 'mod-log' });

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
    const [q, l] = await Promise.all([
      api.get(`/v1/communities/${cid}/moderation/queue?limit=100`),
      api.get(`/v1/communities/${cid}/moderation/log?limit=50`),
    ]);
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

  const announce = h('form', { class: 'card stack', id: 'announce-form' },
    h('h2', null, t('announce')),
    field(t('body'), { name: 'text', type: 'textarea', required: true, rows: 2, maxlength: 1000 }),
    h('button', { type: 'submit', class: 'primary' }, t('publish')));
  handleForm(announce, async () => {
    await api.post(`/v1/channels/${encodeURIComponent(`community:${cid}`)}/events`, { type: 'announcement', data: { text: formValues(announce).text } });
    announce.reset();
    toast(t('published'));
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
          h('section', { class: 'card', 'aria-labelledby': 'l-h' }, h('h2', { id: 'l-h' }, t('mod_log')), log)),
        h('div', null, announce, mute, inv))),
    cleanup: off,
  };
}
