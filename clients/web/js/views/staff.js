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
      notice: [t('announcement'), x.title, x.body, `/v1/announcements/${x.id}/release`],
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
    ...(q.notices || []).map((x) => ({ ...x, heldKind: 'notice' })),
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
        reasonAction(t('hide'), { cls: 'danger', confirmText: t('confirm_hide'), onsubmit: async (reason) => {
          try { await api.post(`/v1/posts/${p.id}/hide`, { reason }); await refresh(); return true; } catch (e) { toast(errNode(e), 'error'); return false; }
        } }),
        // A reported reply still shown: restoring it means keeping it.
        reasonAction(p.status === 'visible' ? t('keep') : t('restore'), { optional: true, onsubmit: async (reason) => {
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
    // "隐藏回复：「excerpt」": the action names the kind of target; the
    // target is shown by its words (a reply's start, a title, a name).
    replace(log, l.items.length ? l.items.map((x) => h('li', null,
      h('time', null, fmtTime(x.at)), ' · ', t('act_' + x.action.replace(/\./g, '_')), t('colon'),
      x.target?.kind === 'user' ? x.target.excerpt || names.get(x.target.id) || `#${x.target.id}`
        : x.target?.excerpt ? t('quoted', { text: x.target.excerpt }) : `#${x.target?.id ?? ''}`,
      x.target?.kind === 'post' || x.target?.kind === 'thread' ? [' ', h('span', { class: 'muted' }, `#${x.target.id}`)] : '',
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

  // 成员: each member with their role and any mute, and the staff actions on
  // them — mute (with until when), end a mute, warn, make staff / resident.
  const members = h('ul', { class: 'cards', id: 'member-list' });
  const memberRows = new Map();
  const memberOut = h('p', { role: 'status', class: 'muted' });
  const moreMembers = h('button', { type: 'button', id: 'more-members', hidden: true }, t('more'));
  let memberCursor = null;
  const drawMembers = () => patchList(members, [...memberRows.values()], {
    key: (m) => `${m.user_id}:${m.role}:${m.muted_until || 0}`, render: memberItem,
    empty: () => h('li', { class: 'muted' }, t('no_members')) });
  // Pages of 200, "more" for the next; an action updates its member's row.
  async function loadMembers(next = null) {
    const r = await api.get(`/v1/communities/${cid}/members?limit=200${next ? `&cursor=${next}` : ''}`);
    if (!next) memberRows.clear();
    for (const m of r.items) memberRows.set(m.user_id, m);
    memberCursor = r.next_cursor;
    moreMembers.hidden = !memberCursor;
    drawMembers();
  }
  moreMembers.addEventListener('click', () => loadMembers(memberCursor).catch((e) => toast(errNode(e, { read: true }), 'error')));
  const updateMember = (uid, change) => { const m = memberRows.get(uid); if (m) { memberRows.set(uid, { ...m, ...change }); drawMembers(); } };
  function memberItem(m) {
    const name = m.user?.display_name || `#${m.user_id}`;
    const self = m.user_id === store.me?.user?.id;
    const acts = h('div', { class: 'actions' });
    if (!self) {
      acts.append(reasonAction(t('mute'), { cls: 'danger', confirmText: t('confirm_mute', { name }),
        extra: () => field(t('minutes_n'), { name: 'minutes', type: 'number', min: 1, value: '60', required: true }),
        onsubmit: async (reason, form) => {
          try {
            const r = await api.post(`/v1/communities/${cid}/mutes`, { user_id: m.user_id, minutes: Number(form.minutes.value), reason });
            toast(t('muted')); updateMember(m.user_id, { muted_until: r.muted_until, mute_reason: reason }); await refresh(); return true;
          } catch (e) { toast(errNode(e), 'error'); return false; }
        } }));
      if (m.muted_until) acts.append(h('button', { type: 'button', 'data-action': 'unmute', onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await api.del(`/v1/communities/${cid}/mutes/${m.user_id}`);
          toast(t('unmuted')); updateMember(m.user_id, { muted_until: undefined, mute_reason: undefined });
        }
        catch (e) { ev.target.disabled = false; toast(errNode(e), 'error'); }
      } }, t('unmute')));
      acts.append(reasonAction(t('warn'), { confirmText: t('confirm_warn'), onsubmit: async (reason) => {
        try { await api.post(`/v1/communities/${cid}/warnings`, { user_id: m.user_id, reason }); toast(t('warned')); await refresh(); return true; }
        catch (e) { toast(errNode(e), 'error'); return false; }
      } }));
      // Suspensions are an admin's (every community at once).
      if (store.me?.is_admin) acts.append(reasonAction(t('suspend'), { cls: 'danger',
        extra: () => field(t('suspend_days'), { name: 'days', type: 'number', min: 1, max: 3650, hint: t('suspend_days_hint') }),
        onsubmit: async (reason, form) => {
          const days = form.days.value;
          if (!window.confirm(days ? t('confirm_suspend', { n: days }) : t('confirm_suspend_forever'))) return false;
          try {
            await api.post('/v1/admin/suspensions', { user_id: m.user_id, reason, ...(days ? { days: Number(days) } : {}) });
            toast(t('suspended_ok')); return true;
          } catch (e) { toast(errNode(e), 'error'); return false; }
        } }));
      // A role button: label and confirmation by the role it gives.
      const roleButton = (action, to, label, ask) => h('button', { type: 'button', 'data-action': action, onclick: async (ev) => {
        if (!window.confirm(t(ask, { name }))) return;
        ev.target.disabled = true;
        try {
          const r = await api.put(`/v1/communities/${cid}/members/${m.user_id}`, { role: to });
          toast(t('saved')); updateMember(m.user_id, { role: r.membership.role });
        }
        catch (e) { ev.target.disabled = false; toast(errNode(e), 'error'); }
      } }, t(label));
      if (m.role === 'staff') acts.append(roleButton('role', 'resident', 'make_resident', 'confirm_make_resident'));
      else {
        acts.append(roleButton('role', 'staff', 'make_staff', 'confirm_make_staff'));
        // 居民代表: invited to representatives' meetings.
        acts.append(m.role === 'representative'
          ? roleButton('rep', 'resident', 'unmake_rep', 'confirm_unmake_rep')
          : roleButton('rep', 'representative', 'make_rep', 'confirm_make_rep'));
      }
    }
    return h('li', { class: 'card member-item', 'data-user-id': m.user_id },
      h('h3', null, name, ' ', h('span', { class: 'tag', 'data-role': m.role }, t('role_' + m.role)),
        m.volunteer && h('span', { class: 'tag tag-blue' }, ' ', t('volunteer_on'))),
      m.user?.phone && h('p', { class: 'muted' }, m.user.phone),
      m.muted_until && h('p', { class: 'tag tag-amber' }, t('muted_until', { until: fmtTime(m.muted_until), reason: m.mute_reason || '' })),
      acts);
  }
  const memberBox = h('section', { class: 'card', 'aria-labelledby': 'members-h', id: 'members' },
    h('h2', { id: 'members-h' }, t('members')), memberOut, members, moreMembers);
  await loadMembers().catch((e) => replace(memberOut, errNode(e, { read: true })));

  // 通知公告: kept on the community's board and sent to every member's inbox.
  const announce = h('form', { class: 'card stack', id: 'announce-form' },
    h('h2', null, t('announce')),
    field(t('title'), { name: 'title', required: true, maxlength: 100 }),
    field(t('body'), { name: 'body', type: 'textarea', required: true, rows: 3, maxlength: 5000 }),
    h('div', { class: 'choice' }, h('input', { type: 'checkbox', id: 'announce-pinned', name: 'pinned', value: '1' }),
      h('label', { for: 'announce-pinned' }, t('pin_notice'))),
    h('button', { type: 'submit', class: 'primary' }, t('publish')));
  handleForm(announce, async () => {
    const v = formValues(announce);
    const r = await api.post(`/v1/communities/${cid}/announcements`, { title: v.title, body: v.body, pinned: v.pinned.length > 0 });
    announce.reset();
    const held = r.announcement.status === 'pending';
    toast(held ? t('held_announcement') : t('published_to', { n: r.announcement.notified ?? 0 }));
    if (held) await refresh();
  });

  const inviteOut = h('p', { id: 'invite-out', role: 'status' });
  const inv = h('form', { class: 'card stack', id: 'invite-form' },
    h('h2', null, t('invites')),
    field(t('invite_role'), { name: 'role', type: 'select', options: [['resident', t('role_resident')], ['representative', t('role_representative')], ['staff', t('role_staff')]] }),
    field(t('max_uses'), { name: 'max_uses', type: 'number', min: 1, max: 10000, value: '1' }),
    h('button', { type: 'submit', class: 'primary' }, t('make_invite')), inviteOut);
  // The invites made: code, role, uses and until when.
  const invList = h('ul', { class: 'log', id: 'invite-list' });
  const invRows = [];
  const moreInv = h('button', { type: 'button', id: 'more-invites', hidden: true }, t('more'));
  let invCursor = null;
  async function loadInvites(next = null) {
    const r = await api.get(`/v1/communities/${cid}/invites?limit=20${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
    if (!next) invRows.length = 0;
    invRows.push(...r.items);
    invCursor = r.next_cursor;
    moreInv.hidden = !invCursor;
    patchList(invList, invRows, { key: (x) => `${x.code}:${x.uses}:${x.state}`, empty: () => h('li', { class: 'muted' }, t('no_invites')),
      render: (x) => h('li', { 'data-code': x.code }, h('strong', null, x.code), ' · ', t('role_' + x.role),
        ' · ', t('invite_uses', { u: x.uses, m: x.max_uses }), ' · ',
        x.state === 'open' ? t('invite_until', { until: fmtTime(x.expires_at) }) : t('invite_' + x.state)) });
  }
  moreInv.addEventListener('click', () => loadInvites(invCursor).catch((e) => toast(errNode(e, { read: true }), 'error')));
  inv.append(h('h3', null, t('invites_made')), invList, moreInv);
  await loadInvites().catch((e) => replace(invList, h('li', null, errNode(e, { read: true }))));
  handleForm(inv, async () => {
    const v = formValues(inv);
    const r = await api.post(`/v1/communities/${cid}/invites`, { role: v.role, max_uses: Number(v.max_uses) || 1 });
    await loadInvites();
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
        h('div', null, announce, memberBox, inv))),
    cleanup: off,
  };
}
