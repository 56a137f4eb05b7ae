// Shared bits of UI: toasts, status labels, a reason form for staff actions.
import { h, replace, uid } from './dom.js';
import { t, fmtTime, getLang } from './i18n.js';
import * as api from './api.js';

export function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  const el = h('p', { class: `toast toast-${kind}` }, text);
  box.append(el);
  setTimeout(() => el.remove(), 6000);
}

const ERR_CODES = new Set(['bad_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'rate_limited',
  'payload_too_large', 'unavailable', 'internal', 'bad_login', 'bad_code', 'phone_taken',
  'invite_unknown', 'invite_used_up', 'invite_expired', 'no_category']);
// The contract's reasons with a meaning of their own (error.reason).
const REASONS = new Set(['phone_unverified', 'consent_required', 'muted', 'locked', 'suspended', 'blacklisted', 'content_rejected']);

// What went wrong, in the UI's language, from the error's code (the
// server's English message is only a secondary detail: errNode).
// opts.read: a failed load (offline means "cannot reach", not "not sent").
export function errText(e, { read = false } = {}) {
  if (e?.userMessage) return e.userMessage; // the page's own refusal (userError)
  const code = e && e.code;
  // api.js turns a failed fetch into code 'offline'; any other exception is
  // a fault of the page, not of the network, and must not read as one.
  if (code === 'offline') return read ? t('err_network') : t('offline_refused');
  if (!(e instanceof Error && 'status' in e)) return t('err_page');
  if (code === 'conflict' && e.field === 'phone') return t('err_phone_taken');
  if (code === 'not_found' && e.field === 'phone') return t('err_phone_unknown');
  const reason = e?.body?.error?.reason;
  if (reason?.startsWith('invite_') && ERR_CODES.has(reason)) return t('err_' + reason); // wrong, used, expired
  if (code === 'forbidden' && e.body?.error?.muted_until) return t('err_muted', { until: fmtTime(e.body.error.muted_until) });
  if (REASONS.has(reason) && t('reason_' + reason) !== 'reason_' + reason) return t('reason_' + reason);
  if (code === 'bad_request' && e.field === 'code') return t('err_bad_code');
  if (code === 'bad_request' && e.field && t(e.field) !== e.field) return t('err_field', { field: t(e.field) });
  if (ERR_CODES.has(code)) return t('err_' + code);
  if (e && e.status >= 500) return t('err_internal');
  if (e && e.status) return t('err_http', { status: e.status });
  return t('err_internal');
}

// An error a form handler throws to refuse with its own words.
export const userError = (message) => Object.assign(new Error(message), { userMessage: message });

// errText plus, in the English UI only, the server's own message (it is in
// English) in small print, for whoever needs to report the problem. Under a
// Chinese message it would only confuse: the meaning is in errText.
export function errNode(e, opts) {
  const detail = getLang() === 'en' && e && !e.userMessage && e.message && e.code !== 'offline' && e.message !== e.code ? e.message : '';
  return h('span', { class: 'err' }, errText(e, opts),
    detail ? h('small', { class: 'err-detail', lang: 'en' }, ` (${t('err_detail')}${t('colon')}${detail})`) : null);
}

// Why a post is held for review, in the UI's language.
export function holdText(reason) {
  if (!reason) return '';
  if (reason === 'reported') return t('hold_reported');
  const m = /^contains a sensitive word \((.*)\)/.exec(reason);
  if (m) return t('hold_word', { word: m[1] });
  if (/^held by the content check/.test(reason)) return t('hold_check');
  return reason;
}

export function noteText(n) {
  const d = n.data || {};
  const key = 'n_' + String(n.type || '').replace(/\./g, '_');
  const act = typeof d.action === 'string' ? d.action : d.action?.action; // appeal.decided: the appealed action
  const action = act ? t('act_' + act.replace(/\./g, '_')) : '';
  const outcome = d.outcome ? t('outcome_' + d.outcome)
    : n.type === 'appeal.decided' && d.status ? t('decision_' + d.status) : '';
  const text = t(key, { title: d.title || '', reason: d.reason || '', action, outcome });
  return text === key ? t('n_fallback', { type: n.type }) : text; // a type this page does not know yet
}

export const statusLabel = (st) => t('st_' + st);

// A button that opens a small inline form asking for a reason, then calls
// submit(reason). Used for report / hide / lock.
// A button that opens an inline reason form. optional: the reason may be
// left empty (restore, unlock); onsubmit then gets ''.
// confirmText: asked before an irreversible action is sent. extra(): more
// fields for the form (onsubmit gets the form as its second argument).
export function reasonAction(label, { onsubmit, fieldLabel, cls = '', optional = false, confirmText = '', extra = null }) {
  fieldLabel = fieldLabel || t(optional ? 'reason_optional' : 'reason');
  const wrap = h('span', { class: 'reason-action' });
  const btn = h('button', { type: 'button', class: cls, 'aria-expanded': 'false' }, label);
  btn.addEventListener('click', () => {
    if (wrap.querySelector('form')) return;
    btn.setAttribute('aria-expanded', 'true');
    const input = h('input', { type: 'text', name: 'reason', required: !optional, maxlength: 500 });
    const id = 'r' + Math.random().toString(36).slice(2);
    input.id = id;
    const form = h('form', { class: 'inline-form' },
      extra && extra(),
      h('label', { for: id }, fieldLabel), input,
      h('button', { type: 'submit', class: 'primary' }, t('submit')),
      h('button', { type: 'button', onclick: () => { form.remove(); btn.setAttribute('aria-expanded', 'false'); btn.focus(); } }, t('cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (confirmText && !window.confirm(confirmText)) return;
      const ok = await onsubmit(input.value.trim(), form);
      if (ok !== false) { form.remove(); btn.setAttribute('aria-expanded', 'false'); }
    });
    wrap.append(form);
    input.focus();
  });
  wrap.prepend(btn);
  return wrap;
}

// Wraps an async form handler: disables the submit button meanwhile and
// shows errors in the form's alert area.
export function handleForm(form, fn) {
  const alert = h('p', { class: 'form-error', role: 'alert' });
  form.append(alert);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    alert.textContent = '';
    const btn = form.querySelector('[type=submit]');
    if (btn) btn.disabled = true;
    try { await fn(form); } catch (err) { replace(alert, errNode(err)); } finally { if (btn) btn.disabled = false; }
  });
  return form;
}

// An SMS code field with its 获取验证码 button: asks POST /v1/auth/sms for
// purpose (and the number phone() gives, when it gives one), then counts
// down until a new code may be asked (resend_after_ms of the answer).
export function codeField({ purpose, phone = () => '', resendS = 60, required = true, hint = null }) {
  const id = uid('code');
  const hintId = uid('hint');
  const input = h('input', { id, name: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code',
    pattern: '[0-9]{6}', maxlength: 6, required, 'aria-describedby': hintId });
  const btn = h('button', { type: 'button', class: 'code-send', 'data-purpose': purpose }, t('send_code'));
  const note = h('small', { id: hintId, class: 'hint', role: 'status' }, hint || '');
  const countdown = (left) => {
    if (!btn.isConnected && left < resendS) return; // the form is gone
    if (left <= 0) { btn.disabled = false; btn.textContent = t('resend_code'); return; }
    btn.disabled = true;
    btn.textContent = t('resend_in', { n: left });
    setTimeout(() => countdown(left - 1), 1000);
  };
  btn.addEventListener('click', async () => {
    const number = phone().trim();
    if (!number && ['register', 'login', 'reset', 'change_phone'].includes(purpose)) {
      replace(note, t('phone_first'));
      return;
    }
    btn.disabled = true;
    try {
      const r = await api.post('/v1/auth/sms', number ? { phone: number, purpose } : { purpose });
      replace(note, t('code_sent'));
      countdown(Math.ceil((r.resend_after_ms || resendS * 1000) / 1000));
      input.focus();
    } catch (e) {
      btn.disabled = false;
      replace(note, errNode(e));
    }
  });
  return h('div', { class: 'field code-field' }, h('label', { for: id }, t('sms_code')),
    h('div', { class: 'code-row' }, input, btn), note);
}

// The page's main action sits below long lists: a button at the top
// brings its form into view and puts the cursor in it.
export function goTo(form) {
  form.scrollIntoView({ block: 'start' });
  form.querySelector('input, textarea, select')?.focus();
}

// Contact text with each phone number in it as a tap-to-call link.
export function contactNode(text) {
  const parts = String(text).split(/(\+?\d[\d -]{5,}\d)/);
  return parts.map((x, i) => (i % 2 ? h('a', { href: 'tel:' + x.replace(/[ -]/g, ''), class: 'tel' }, x) : x));
}

// One to five stars as radios (name), each read out as "n 星"; the
// labels show the stars. required: one must be chosen.
export function starsField(legend, name, { required = false } = {}) {
  const id = uid('stars');
  return h('fieldset', { class: 'stars' }, h('legend', null, legend),
    [1, 2, 3, 4, 5].map((n) => h('span', { class: 'star' },
      h('input', { type: 'radio', name, value: String(n), id: `${id}-${n}`, required, 'aria-label': t('stars_n', { n }) }),
      h('label', { for: `${id}-${n}`, title: t('stars_n', { n }), 'aria-hidden': 'true' }, '★'.repeat(n)))));
}
