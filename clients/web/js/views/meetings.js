// 议事会议: meetings of the residents or their representatives. Staff call
// one (agenda, place, quorum, the consultations it takes up), put the
// check-in code on the room's screen, watch check-ins reach the quorum
// live, enter the votes given at the meeting by those who did not vote
// online, and keep the minutes. Invitees check in with the code on the
// screen; every member can read the meeting and its minutes.
import { h, replace, field, formValues, choices, patchList } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, errNode } from '../ui.js';
import { community, isStaff, me, membership } from '../state.js';
import { liveLoad } from '../live.js';

const attendanceText = (m) => t('attendance', { n: m.attendee_count, m: m.invited });

function quorumTag(m) {
  return h('span', { class: `tag ${m.quorate ? 'tag-blue' : 'tag-grey'}`, 'data-quorate': String(m.quorate) },
    t(m.quorate ? 'quorate' : 'not_quorate'));
}

function meetingItem(m) {
  return h('li', { class: 'card meeting-item', 'data-meeting-id': m.id },
    h('h3', null, h('a', { href: `#/m/${m.id}` }, m.title)),
    h('p', { class: 'tags' }, h('span', { class: 'tag' }, t('inv_' + m.invitees)), quorumTag(m)),
    h('p', { class: 'muted' }, h('time', null, fmtTime(m.starts_at)), ` · ${m.place} · `, attendanceText(m)));
}

// A datetime-local value for ms (the browser's time zone).
const localInput = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 16);

export async function meetingsView(cid) {
  await me();
  const c = await community(cid);
  const staff = isStaff(cid);
  const meetings = new Map();
  const list = h('ul', { class: 'cards', id: 'meeting-list', 'aria-live': 'polite' });
  const draw = () => patchList(list, [...meetings.values()].sort((a, b) => b.id - a.id),
    { key: (m) => m.id, render: meetingItem, empty: () => h('li', { class: 'muted' }, t('no_meetings')) });
  const off = await liveLoad(`community:${cid}`, (ev) => {
    if (ev.type === 'meeting.updated') { meetings.set(ev.data.id, ev.data); draw(); }
  }, async () => {
    const r = await api.get(`/v1/communities/${cid}/meetings?limit=50`);
    for (const m of r.items) meetings.set(m.id, m);
    draw();
  });

  let form = null;
  if (staff) {
    // The consultations still open: those a meeting can vote on.
    const open = (await api.get(`/v1/communities/${cid}/threads?limit=50`)).items
      .filter((th) => th.kind === 'consultation' && th.status !== 'closed');
    form = h('form', { class: 'card stack', id: 'meeting-form' },
      h('h2', null, t('new_meeting')),
      field(t('title'), { name: 'title', required: true, maxlength: 100 }),
      field(t('agenda'), { name: 'agenda', type: 'textarea', required: true, rows: 4, maxlength: 4000 }),
      field(t('place'), { name: 'place', required: true, maxlength: 100 }),
      field(t('starts_at'), { name: 'starts_at', type: 'datetime-local', required: true, value: localInput(Date.now() + 86400000) }),
      field(t('invitees'), { name: 'invitees', type: 'select', options: [['representatives', t('inv_representatives')], ['members', t('inv_members')]] }),
      field(t('quorum_pct'), { name: 'quorum', type: 'number', min: 0, max: 100, value: '50', required: true }),
      open.length ? choices(t('meeting_threads'), { name: 'threads', options: open.map((th) => [th.id, th.title]) }) : null,
      h('button', { type: 'submit', class: 'primary' }, t('create')));
    handleForm(form, async () => {
      const v = formValues(form);
      const r = await api.post(`/v1/communities/${cid}/meetings`, {
        title: v.title.trim(), agenda: v.agenda.trim(), place: v.place.trim(), starts_at: new Date(v.starts_at).getTime(),
        invitees: v.invitees, quorum: Number(v.quorum) / 100, thread_ids: (v.threads || []).map(Number),
      });
      toast(t('meeting_created'));
      location.hash = `#/m/${r.meeting.id}`;
    });
  }
  return {
    el: h('section', null,
      h('p', { class: 'crumbs' }, h('a', { href: `#/c/${cid}` }, c.name)),
      h('h1', null, `${c.name} · ${t('meetings')}`), list, form),
    cleanup: off,
  };
}

export async function meetingView(id) {
  const my = await me();
  let m = (await api.get(`/v1/meetings/${id}`)).meeting;
  const cid = m.community_id;
  const c = await community(cid).catch(() => ({ name: '#' + cid }));
  const staff = isStaff(cid);
  const role = membership(cid)?.role;
  const invited = m.invitees === 'members' ? !!role : role === 'representative';
  const code = m.checkin_code; // staff only; events do not carry it
  const attendance = h('section', { class: 'card', id: 'attendance', 'aria-live': 'polite', 'aria-labelledby': 'attendance-h' });
  const checkinBox = h('div', null);
  const minutesBox = h('section', { class: 'card', 'aria-labelledby': 'minutes-h' });
  const screenAttendance = h('p', { class: 'big-attendance' }); // on the room's screen (the card above is the live region)

  function drawAttendance() {
    replace(attendance, h('h2', { id: 'attendance-h' }, attendanceText(m), ' ', quorumTag(m)),
      h('p', { class: 'muted' }, m.attendees.map((a) => a.display_name).join(t('list_sep'))));
    replace(screenAttendance, attendanceText(m), ' ', quorumTag(m));
  }
  function drawCheckin() {
    if (!invited) { replace(checkinBox); return; }
    if (m.attendees.some((a) => a.id === my.user.id)) { replace(checkinBox, h('p', { class: 'notice', id: 'checked-in' }, t('checked_in'))); return; }
    const f = h('form', { class: 'card stack', id: 'checkin-form' },
      field(t('code_on_screen'), { name: 'code', required: true, inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]{6}' }),
      h('button', { type: 'submit', class: 'primary' }, t('checkin')));
    handleForm(f, async () => {
      m = (await api.post(`/v1/meetings/${id}/checkin`, { code: formValues(f).code.trim() })).meeting;
      toast(t('checkin_ok'));
      drawAll();
    });
    replace(checkinBox, f);
  }
  function drawMinutes() {
    const kids = [h('h2', { id: 'minutes-h' }, t('minutes_title')),
      m.minutes ? h('p', { class: 'post-body', id: 'minutes' }, m.minutes) : h('p', { class: 'muted', id: 'minutes' }, t('no_minutes'))];
    if (staff) {
      const f = h('form', { class: 'stack', id: 'minutes-form' },
        field(t('minutes_title'), { name: 'text', type: 'textarea', required: true, rows: 5, maxlength: 20000, value: m.minutes || '' }),
        h('button', { type: 'submit', class: 'primary' }, t('save_minutes')));
      handleForm(f, async () => {
        m = (await api.post(`/v1/meetings/${id}/minutes`, { text: formValues(f).text.trim() })).meeting;
        toast(t('minutes_saved'));
        drawMinutes();
      });
      kids.push(f);
    }
    replace(minutesBox, kids);
  }
  const drawAll = () => { drawAttendance(); drawCheckin(); drawMinutes(); };

  // The code for the room's screen: large, and full screen on request.
  let codeBox = null;
  if (staff && code) {
    const big = h('p', { class: 'big-code', id: 'checkin-code', 'aria-label': `${t('checkin_code')} ${code.split('').join(' ')}` }, code);
    codeBox = h('section', { class: 'card code-screen', id: 'code-screen', 'aria-labelledby': 'code-h' },
      h('h2', { id: 'code-h' }, m.title, ' · ', t('checkin_code')), big, screenAttendance,
      h('button', { type: 'button', id: 'show-code', 'aria-pressed': 'false', onclick: (e) => {
        const on = codeBox.classList.toggle('projector');
        e.target.textContent = t(on ? 'exit_screen' : 'show_code');
        e.target.setAttribute('aria-pressed', String(on));
        if (on && codeBox.requestFullscreen) codeBox.requestFullscreen().catch(() => { /* the class alone fills the window */ });
        else if (!on && document.fullscreenElement) document.exitFullscreen().catch(() => {});
      } }, t('show_code')));
    codeBox.addEventListener('fullscreenchange', () => {
      if (document.fullscreenElement) return;
      codeBox.classList.remove('projector'); // Esc left full screen
      const btn = codeBox.querySelector('#show-code');
      btn.textContent = t('show_code');
      btn.setAttribute('aria-pressed', 'false');
    });
  }

  // 线下投票: for each open consultation of the meeting, a member who did
  // not vote online, and what they chose.
  const offline = [];
  if (staff) {
    const open = [];
    for (const th of m.threads) {
      const full = (await api.get(`/v1/threads/${th.id}`)).thread;
      if (full.kind === 'consultation' && full.status !== 'closed') open.push(full);
    }
    if (open.length) {
      const members = (await api.get(`/v1/communities/${cid}/members?limit=200`)).items
        .filter((x) => m.invitees === 'members' || x.role === 'representative');
      for (const th of open) {
        const count = h('p', { class: 'muted', 'data-offline-count': th.id }, t('offline_n', { n: th.offline_votes || 0 }));
        const f = h('form', { class: 'stack offline-form', 'data-thread-id': th.id },
          h('h3', null, h('a', { href: `#/t/${th.id}` }, th.title)),
          field(t('offline_member'), { name: 'user_id', type: 'select', required: true,
            options: members.map((x) => [x.user_id, x.user?.display_name || `#${x.user_id}`]) }),
          field(t('offline_option'), { name: 'option', type: 'select', options: th.options.map((o, i) => [i, o]) }),
          field(t('reason_optional'), { name: 'reason', maxlength: 500 }),
          h('button', { type: 'submit', class: 'primary' }, t('submit')), count);
        handleForm(f, async () => {
          const v = formValues(f);
          await api.post(`/v1/threads/${th.id}/offline-votes`,
            { user_id: Number(v.user_id), option: Number(v.option), ...(v.reason.trim() ? { reason: v.reason.trim() } : {}) });
          const again = (await api.get(`/v1/threads/${th.id}`)).thread;
          replace(count, t('offline_n', { n: again.offline_votes || 0 }));
          f.reason.value = '';
          toast(t('offline_saved'));
        });
        offline.push(f);
      }
    }
  }

  drawAll();
  const off = await liveLoad(`community:${cid}`, (ev) => {
    if (ev.type === 'meeting.updated' && ev.data.id === id) { m = { ...ev.data }; drawAll(); }
  }, async () => { m = (await api.get(`/v1/meetings/${id}`)).meeting; drawAll(); });

  return {
    el: h('article', { class: 'meeting' },
      h('p', { class: 'crumbs' }, h('a', { href: `#/c/${cid}` }, c.name), ' › ', h('a', { href: `#/c/${cid}/meetings` }, t('meetings'))),
      h('h1', null, m.title),
      h('p', { class: 'muted' }, h('time', null, fmtTime(m.starts_at)), ` · ${m.place} · `, t('inv_' + m.invitees)),
      h('h2', null, t('agenda')), h('p', { class: 'post-body', id: 'agenda' }, m.agenda),
      m.threads.length ? h('ul', null, m.threads.map((th) => h('li', null, h('a', { href: `#/t/${th.id}` }, th.title)))) : null,
      codeBox, attendance, checkinBox,
      offline.length ? h('section', { class: 'card', id: 'offline-votes', 'aria-labelledby': 'offline-h' },
        h('h2', { id: 'offline-h' }, t('offline_votes')), offline) : null,
      minutesBox),
    cleanup: () => { off(); if (document.fullscreenElement) document.exitFullscreen().catch(() => {}); },
  };
}
