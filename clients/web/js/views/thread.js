// A thread: live posts and replies; for a consultation the options, the
// countdown, voting with a reason, then the tally, the outcome and the
// minority's reasons. Staff tools: hide / restore, lock, pin, close, outcome.
import { h, append, field, formValues, replace, replaceKeepingInput, patchList, uid } from '../dom.js';
import { t, fmtTime, fmtDuration } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, reasonAction, errNode, holdText, goTo, userError } from '../ui.js';
import { isStaff, me, community } from '../state.js';
import { liveLoad } from '../live.js';
import { actionsBox } from './progress.js';
import { photoPicker, photoStrip } from '../photos.js';

export async function threadView(tid) {
  const my = await me();
  let th = null; // set by the first load, after the subscription is live
  let actions = null; // 落实进展, once the page knows its community
  let cid = null, c = null, staff = false;
  const posts = new Map();
  let replyTo = null;
  let timer = null;

  const head = h('div', { id: 'thread-head' });
  const consultBox = h('section', { id: 'consultation', class: 'card', 'aria-labelledby': 'consult-h' });
  const staffBox = h('section', { class: 'card staff-tools', id: 'thread-staff' });
  const list = h('ol', { class: 'posts', id: 'post-list', 'aria-live': 'polite' });
  const composeBox = h('div', { id: 'compose' });

  // Residents see visible posts and their own held ones; staff see all.
  const shown = (p) => staff || p.status === 'visible' || p.author?.id === my.user.id;

  function postItem(p) {
    const mine = p.author?.id === my.user.id;
    const li = h('li', { class: `post post-${p.status}`, id: `post-${p.id}`, 'data-post-id': p.id });
    const quoted = p.reply_to && posts.get(p.reply_to);
    append(li, [
      h('p', { class: 'post-meta' }, h('strong', null, p.author?.display_name || ''), ' · ',
        h('time', null, fmtTime(p.created_at)), ` · #${p.id}`, p.edited_at ? ` · ${t('edited')}` : '',
        p.ip_region ? h('span', { class: 'ip-region' }, ` · ${t('ip_region', { r: p.ip_region })}`) : ''),
      p.reply_to && h('p', { class: 'quote' },
        quoted?.author?.display_name ? t('replying_to_name', { name: quoted.author.display_name, id: p.reply_to }) : t('replying_to', { id: p.reply_to }),
        quoted && quoted.status === 'visible' && quoted.body ? [t('colon'), quoted.body.slice(0, 60)] : ''),
      h('p', { class: 'post-body' }, p.status === 'hidden' && !staff ? t('hidden_post') : p.body),
      (p.status !== 'hidden' || staff || mine) && photoStrip(p.attachments),
      p.status === 'hidden' && staff && h('p', { class: 'tag tag-grey' }, t('hidden_post')),
      p.status === 'hidden' && mine && p.hide_action_id && reasonAction(t('appeal'), { fieldLabel: t('appeal_reason'),
        onsubmit: async (reason) => {
          try {
            await api.post(`/v1/moderation/actions/${p.hide_action_id}/appeal`, { reason });
            toast(t('appeal_sent'));
            return true;
          } catch (e) {
            toast(e.status === 409 ? t('appeal_closed') : errNode(e), 'error');
            return e.status === 409;
          }
        } }),
      p.status === 'pending' && h('p', { class: 'tag tag-amber' }, t('pending_post'), p.hold_reason ? ` ${holdText(p.hold_reason)}` : '')]);
    const acts = h('div', { class: 'actions' });
    // The author's own post, while the edit window lasts (the server says
    // until when; it refuses later edits either way).
    if (mine && p.status !== 'hidden' && !th.locked && p.editable_until > Date.now()) acts.append(editAction(p));
    if (p.status === 'visible' && !th.locked) {
      acts.append(h('button', { type: 'button', onclick: () => { replyTo = p.id; drawCompose(); composeBox.querySelector('textarea')?.focus(); } }, t('reply')));
    }
    if (!mine && p.status === 'visible') {
      acts.append(reasonAction(t('report'), { fieldLabel: t('report_reason'), onsubmit: async (reason) => {
        try { await api.post(`/v1/posts/${p.id}/report`, { reason }); toast(t('reported')); return true; }
        catch (e) { toast(errNode(e), 'error'); return false; }
      } }));
    }
    if (staff && p.status !== 'hidden') {
      acts.append(reasonAction(t('hide'), { cls: 'danger', confirmText: t('confirm_hide'), onsubmit: async (reason) => {
        try { const r = await api.post(`/v1/posts/${p.id}/hide`, { reason }); upsert(r.post); return true; }
        catch (e) { toast(errNode(e), 'error'); return false; }
      } }));
    }
    if (staff && p.status !== 'visible') {
      acts.append(reasonAction(t('restore'), { optional: true, onsubmit: async (reason) => {
        try { const r = await api.post(`/v1/posts/${p.id}/restore`, reason ? { reason } : undefined); upsert(r.post); return true; }
        catch (e) { toast(errNode(e), 'error'); return false; }
      } }));
    }
    li.append(acts);
    return li;
  }

  function editAction(p) {
    const wrap = h('span', { class: 'edit-action' });
    const btn = h('button', { type: 'button', 'aria-expanded': 'false' }, t('edit'));
    btn.addEventListener('click', () => {
      if (wrap.querySelector('form')) return;
      btn.setAttribute('aria-expanded', 'true');
      const form = h('form', { class: 'stack edit-form' },
        field(t('edit_post'), { name: 'body', type: 'textarea', rows: 3, required: true, maxlength: 5000, value: p.body }),
        h('p', { class: 'hint' }, t('edit_until', { at: fmtTime(p.editable_until) })),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('save')),
          h('button', { type: 'button', onclick: () => { form.remove(); btn.setAttribute('aria-expanded', 'false'); btn.focus(); } }, t('cancel'))));
      handleForm(form, async () => {
        const r = await api.patch(`/v1/posts/${p.id}`, { body: formValues(form).body });
        toast(r.post.status === 'pending' ? t('post_pending_note') : t('saved'));
        upsert(r.post);
      });
      wrap.append(form);
      form.querySelector('textarea').focus();
    });
    wrap.prepend(btn);
    return wrap;
  }

  function upsert(p) {
    const old = posts.get(p.id);
    // events for posts others may not see carry an empty body: keep ours
    if (old && !p.body && old.body) p = { ...p, body: old.body };
    posts.set(p.id, { ...old, ...p });
    drawPosts();
  }

  function drawPosts() {
    const items = [...posts.values()].filter(shown).sort((a, b) => a.id - b.id);
    patchList(list, items, {
      key: (p) => p.id,
      sig: (p) => JSON.stringify([p, th.status, posts.get(p.reply_to)?.status]),
      render: postItem,
      empty: () => h('li', { class: 'muted' }, t('no_posts')),
    });
  }

  function drawHead() {
    replace(head,
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, t('my_communities')), ' › ', h('a', { href: `#/c/${cid}` }, c.name)),
      h('h1', null, th.title),
      h('p', { class: 'muted' }, t('by', { name: th.author?.display_name || '' }), ' · ', h('time', null, fmtTime(th.created_at)),
        th.pinned ? ` · ${t('pinned')}` : '', th.ip_region ? h('span', { class: 'ip-region' }, ` · ${t('ip_region', { r: th.ip_region })}`) : ''),
      th.locked && h('p', { class: 'notice', role: 'note' }, t('thread_locked', { reason: th.lock_reason || '' })),
      h('div', { class: 'thread-body' }, th.body),
      headPhotos());
  }
  // The thread's photos, fetched once (the head is drawn again on every update).
  let photosKey = null, photosEl = null;
  function headPhotos() {
    const key = (th.attachments || []).map((u) => u.id).join(',');
    if (key !== photosKey) { photosKey = key; photosEl = photoStrip(th.attachments, th.title); }
    return photosEl;
  }

  function drawCountdown(el) {
    const left = th.closes_at - Date.now();
    el.textContent = th.closed_at || left <= 0 ? t('deadline_passed') : t('countdown', { t: fmtDuration(left) });
  }

  // The consultation box is built once per state (open, locked, closed). While open,
  // live updates (vote.tally, thread.updated) change the count, the chart
  // and "you voted" in place, so a half-filled vote form (the chosen option,
  // a typed reason, keyboard focus) is never wiped.
  let consultState = null;
  let voteCount = null, myVoteEl = null, tallySlot = null;

  function drawConsultation() {
    if (th.kind !== 'consultation') { consultBox.hidden = true; return; }
    const closed = !!th.closed_at;
    const state = closed ? 'closed' : th.locked ? 'locked' : 'open';
    if (state === 'open' && consultState === 'open') {
      voteCount.textContent = t('votes_n', { n: th.votes ?? 0 });
      myVoteEl.textContent = th.my_vote ? t('voted', { opt: th.options[th.my_vote.option] }) : '';
      myVoteEl.hidden = !th.my_vote;
      replace(tallySlot, th.tally ? tallyChart(th) : null);
      return;
    }
    consultState = state;
    voteCount = h('p', { class: 'muted', id: 'vote-count' }, t('votes_n', { n: th.votes ?? 0 }));
    tallySlot = h('div', { id: 'tally-slot' }, th.tally ? tallyChart(th) : null);
    const parts = [h('h2', { id: 'consult-h' }, t('consultation')),
      h('p', { class: 'countdown', id: 'countdown', role: 'timer', 'aria-live': 'off' }),
      voteCount];
    if (state === 'open') {
      const name = uid('opt');
      myVoteEl = h('p', { class: 'muted', id: 'my-vote', role: 'status', hidden: !th.my_vote },
        th.my_vote ? t('voted', { opt: th.options[th.my_vote.option] }) : '');
      const form = h('form', { class: 'stack', id: 'vote-form' },
        h('fieldset', { class: 'choices' }, h('legend', null, t('vote')),
          th.options.map((o, i) => {
            const id = `${name}-${i}`;
            return h('div', { class: 'choice' }, h('input', { type: 'radio', name: 'option', id, value: String(i), required: true,
              checked: th.my_vote?.option === i }), h('label', { for: id }, o));
          })),
        field(t('vote_reason'), { name: 'reason', maxlength: 500, value: th.my_vote?.reason || '' }),
        myVoteEl,
        h('button', { type: 'submit', class: 'primary' }, t('vote')));
      handleForm(form, async () => {
        const v = formValues(form);
        const body = { option: Number(v.option) };
        if (v.reason.trim()) body.reason = v.reason.trim();
        const r = await api.post(`/v1/threads/${tid}/vote`, body, { queue: true });
        if (r.queued) { toast(t('queued_one')); return; }
        th.my_vote = { option: body.option, reason: body.reason };
        toast(t('vote_saved'));
        drawConsultation();
      });
      parts.push(form);
    }
    parts.push(tallySlot);
    if (closed) {
      parts.push(h('h3', null, t('outcome')),
        th.outcome ? h('p', { class: 'outcome', id: 'outcome' }, th.outcome.summary) : h('p', { class: 'muted', id: 'outcome' }, t('no_outcome')),
        // A tie has no minority: every side's reasons, alike.
        h('h3', null, th.tie ? t('all_reasons') : t('minority')),
        (th.tie ? th.reasons : th.minority_reasons)?.length
          ? h('ul', { class: th.tie ? 'reasons-all' : 'minority' }, (th.tie ? th.reasons : th.minority_reasons)
            .map((m) => h('li', null, h('strong', null, th.options[m.option]), t('colon'), m.reason)))
          : h('p', { class: 'muted' }, th.tie ? t('no_reasons') : t('no_minority')));
    }
    replace(consultBox, parts);
    drawCountdown(consultBox.querySelector('#countdown'));
  }

  function tallyChart(x) {
    const total = x.tally.reduce((a, b) => a + b, 0) || 1;
    const max = Math.max(...x.tally);
    return h('figure', { class: 'tally', id: 'tally' },
      h('figcaption', null, t('tally')),
      h('ul', null, x.options.map((o, i) => {
        const bar = h('span', { class: 'bar-fill' + (x.tally[i] === max && max > 0 ? ' bar-top' : '') });
        bar.style.width = `${Math.round((x.tally[i] / total) * 100)}%`; // CSSOM: allowed under style-src 'self'
        return h('li', { class: 'bar-row' }, h('span', { class: 'bar-label' }, t('tally_row', { opt: o, n: x.tally[i] })),
          h('span', { class: 'bar', 'aria-hidden': 'true' }, bar));
      })));
  }

  function drawStaff() {
    if (!staff) { staffBox.hidden = true; return; }
    const tools = [];
    if (th.locked) {
      tools.push(reasonAction(t('unlock'), { optional: true, onsubmit: (reason) => act('unlock', reason ? { reason } : undefined) }));
    } else {
      tools.push(reasonAction(t('lock'), { fieldLabel: t('lock_reason'), confirmText: t('confirm_lock'), onsubmit: (reason) => act('lock', { reason }) }));
    }
    tools.push(h('button', { type: 'button', onclick: () => act(th.pinned ? 'unpin' : 'pin') }, th.pinned ? t('unpin') : t('pin')));
    if (th.kind === 'consultation' && !th.closed_at) {
      tools.push(h('button', { type: 'button', class: 'danger', id: 'close-vote', onclick: () => {
        if (window.confirm(t('confirm_close'))) act('close'); // closed for good: no more votes
      } }, t('close_vote')));
    }
    const kids = [h('h2', null, t('moderation')), h('div', { class: 'actions' }, tools)];
    if (th.kind === 'consultation' && th.closed_at) {
      const form = h('form', { class: 'stack', id: 'outcome-form' },
        field(t('outcome_summary'), { name: 'summary', type: 'textarea', required: true, rows: 2, value: th.outcome?.summary || '' }),
        field(t('publicity_days'), { name: 'publicity_days', type: 'number', min: 1, max: 90, hint: t('publicity_hint') }),
        h('button', { type: 'submit', class: 'primary' }, t('publish_outcome')));
      handleForm(form, async () => {
        if (!window.confirm(t('confirm_outcome'))) return; // every voter is told
        const v = formValues(form);
        const r = await api.post(`/v1/threads/${tid}/outcome`, { summary: v.summary, ...(v.publicity_days ? { publicity_days: Number(v.publicity_days) } : {}) });
        setThread(r.thread);
      });
      kids.push(form);
    }
    replaceKeepingInput(staffBox, kids); // a live update keeps a half-written outcome
  }

  async function act(what, body) {
    try {
      const r = await api.post(`/v1/threads/${tid}/${what}`, body);
      if (r.thread) setThread(r.thread);
      return true;
    } catch (e) { toast(errNode(e), 'error'); return false; }
  }

  // The reply form is built once (and again only when the thread is
  // unlocked); choosing "Reply" or cancelling it changes the note above the
  // text in place, so typed text is never lost.
  let composeForm = null, replyNote = null;

  function drawReplyNote() {
    const q = replyTo && posts.get(replyTo);
    replace(replyNote, replyTo ? [
      q?.author?.display_name ? t('replying_to_name', { name: q.author.display_name, id: replyTo }) : t('replying_to', { id: replyTo }), ' ',
      h('button', { type: 'button', class: 'link', onclick: () => { replyTo = null; drawReplyNote(); composeForm.querySelector('textarea').focus(); } }, t('cancel'))] : null);
    replyNote.hidden = !replyTo;
  }

  function drawCompose() {
    if (th.locked) { composeForm = null; replace(composeBox); return; }
    if (composeForm) { drawReplyNote(); return; }
    replyNote = h('p', { class: 'quote', id: 'reply-note' });
    const picker = photoPicker();
    const form = h('form', { class: 'card stack', id: 'post-form' },
      h('h2', null, t('write_post')),
      replyNote,
      field(t('body'), { name: 'body', type: 'textarea', required: true, maxlength: 5000, rows: 3 }),
      picker.el,
      h('button', { type: 'submit', class: 'primary' }, t('send')));
    handleForm(form, async () => {
      if (picker.pending()) throw userError(t('photos_pending'));
      const body = { body: formValues(form).body };
      if (replyTo) body.reply_to = replyTo;
      if (picker.ids().length) body.attachments = picker.ids();
      const r = await api.post(`/v1/threads/${tid}/posts`, body, { queue: true });
      form.reset();
      picker.reset();
      replyTo = null;
      drawReplyNote();
      if (r.queued) { toast(t('queued_one')); return; }
      if (r.post.status === 'pending') toast(t('post_pending_note'));
      upsert(r.post);
    });
    composeForm = form;
    drawReplyNote();
    replace(composeBox, form);
  }

  // 公示: the outcome's publicity period, the objections raised in it and
  // staff's answers, public to members; 提出异议 while the period lasts.
  const publicityBox = h('section', { id: 'publicity', class: 'card', 'aria-labelledby': 'publicity-h', hidden: true });
  const objections = new Map();
  async function loadObjections() {
    if (!th.publicity_until) return;
    let cursor = null;
    do {
      const r = await api.get(`/v1/threads/${tid}/objections?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      for (const o of r.items) objections.set(o.id, o);
      cursor = r.next_cursor;
    } while (cursor);
    drawPublicity();
  }
  // The objection form is made once and kept across redraws (a live
  // update, the objections loading): what the resident is typing stays,
  // and so does the focus.
  let objectionForm = null;
  function drawPublicity() {
    if (!th.publicity_until) { publicityBox.hidden = true; return; }
    publicityBox.hidden = false;
    const open = Date.now() < th.publicity_until;
    const items = [...objections.values()].sort((a, b) => a.id - b.id);
    if (!open) objectionForm = null;
    if (open && !objectionForm) {
      const form = objectionForm = h('form', { class: 'stack', id: 'objection-form' },
        field(t('objection_reason'), { name: 'reason', type: 'textarea', rows: 2, required: true, maxlength: 1000 }),
        h('button', { type: 'submit', class: 'primary' }, t('object')));
      handleForm(form, async () => {
        const r = await api.post(`/v1/threads/${tid}/objections`, { reason: formValues(form).reason.trim() });
        objections.set(r.objection.id, r.objection);
        toast(t('objection_sent'));
        form.reset();
        drawPublicity();
      });
    }
    const form = objectionForm;
    const focused = form && form.contains(document.activeElement) ? document.activeElement : null;
    replace(publicityBox, h('h2', { id: 'publicity-h' }, t('publicity')),
      h('p', { class: open ? 'notice' : 'muted', id: 'publicity-until' },
        open ? t('publicity_open', { at: fmtTime(th.publicity_until) }) : t('publicity_over', { at: fmtTime(th.publicity_until) })),
      h('ul', { class: 'cards', id: 'objection-list' }, items.length ? items.map((o) => h('li', { class: 'card', 'data-objection-id': o.id },
        h('p', { class: 'post-meta' }, h('strong', null, o.user?.display_name || ''), ' · ', h('time', null, fmtTime(o.created_at))),
        h('p', { class: 'post-body' }, o.reason),
        o.answer ? h('p', { class: 'outcome' }, t('objection_answer', { name: o.answered_by?.display_name || '' }), o.answer)
          : staff ? reasonAction(t('answer'), { fieldLabel: t('answer_text'), onsubmit: async (text) => {
            try { const r = await api.post(`/v1/objections/${o.id}/answer`, { answer: text }); objections.set(o.id, r.objection); drawPublicity(); return true; }
            catch (e) { toast(errNode(e), 'error'); return false; }
          } }) : h('p', { class: 'muted' }, t('objection_waiting')))) : h('li', { class: 'muted' }, t('no_objections'))),
      form);
    if (focused && document.activeElement !== focused) focused.focus();
  }

  function setThread(next) {
    const myVote = next.my_vote ?? th.my_vote;
    const wasLocked = th.locked;
    const hadPublicity = th.publicity_until;
    th = { ...th, ...next, my_vote: myVote };
    if (th.publicity_until && !hadPublicity) loadObjections().catch(() => {});
    if (actions && th.kind === 'consultation' && th.closed_at && actions.el.hidden) actions.show(true).catch(() => {});
    drawPublicity();
    drawHead(); drawConsultation(); drawStaff();
    if (wasLocked !== th.locked) { drawCompose(); drawPosts(); }
  }

  // Every post, page by page (oldest first; a long thread has more than one
  // page of 200), up to a bound.
  async function loadPosts() {
    let cursor = null;
    for (let page = 0; page < 25; page++) {
      const { items, next_cursor: next } = await api.get(`/v1/threads/${tid}/posts?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const p of items) posts.set(p.id, p); // by id: one entry per post
      if (!next) break;
      cursor = next;
    }
    if (th) drawPosts();
  }

  async function loadAll() {
    const first = (await api.get(`/v1/threads/${tid}`)).thread;
    if (!th) {
      th = first;
      cid = th.community_id;
      c = await community(cid).catch(() => ({ name: '#' + cid }));
      staff = isStaff(cid);
    } else setThread(first);
    await loadPosts();
  }

  // subscribed (confirmed) first, then loaded: nothing falls between the two
  const off = await liveLoad(`thread:${tid}`, (ev) => {
    if (ev.type === 'post.created' || ev.type === 'post.updated') upsert(ev.data);
    else if (ev.type === 'thread.updated') setThread(ev.data);
    else if (ev.type === 'objection.created' || ev.type === 'objection.answered') { objections.set(ev.data.id, ev.data); drawPublicity(); }
    else if (ev.type === 'action.updated') actions?.onEvent(ev.data);
    else if (ev.type === 'vote.tally') {
      th.votes = ev.data.votes;
      if (ev.data.tally) th.tally = ev.data.tally;
      drawConsultation();
    }
  }, loadAll, { onReset: async () => { posts.clear(); await loadAll(); } });
  drawHead(); drawConsultation(); drawStaff(); drawCompose();
  actions = actionsBox(tid, cid, staff);
  await Promise.all([loadObjections(), actions.show(th.kind === 'consultation' && !!th.closed_at)]).catch((e) => toast(errNode(e, { read: true }), 'error'));
  if (th.kind === 'consultation') {
    timer = setInterval(() => { const el = consultBox.querySelector('#countdown'); if (el) drawCountdown(el); }, 1000);
  }

  return {
    el: h('article', { class: 'thread' }, head,
      h('div', { class: 'actions top-actions' }, h('button', { type: 'button', class: 'primary', id: 'go-reply',
        onclick: () => (composeForm ? goTo(composeForm) : toast(t('thread_locked', { reason: th.lock_reason || '' }))) }, t('write_post'))),
      consultBox, publicityBox, actions.el, staffBox,
      h('section', { 'aria-labelledby': 'posts-h' }, h('h2', { id: 'posts-h' }, t('posts')), list), composeBox),
    cleanup: () => { off(); if (timer) clearInterval(timer); },
  };
}
