// Shared bits of UI: toasts, status labels, a reason form for staff actions.
import { h } from './dom.js';
import { t } from './i18n.js';

export function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  const el = h('p', { class: `toast toast-${kind}` }, text);
  box.append(el);
  setTimeout(() => el.remove(), 6000);
}

export function errText(e) {
  if (e && e.code === 'offline') return t('offline_refused');
  return t('error', { msg: e && e.message ? e.message : String(e) });
}

export function noteText(n) {
  const d = n.data || {};
  const key = 'n_' + String(n.type || '').replace(/\./g, '_');
  const action = d.action ? t('act_' + d.action.replace(/\./g, '_')) : '';
  return t(key, { title: d.title || '', reason: d.reason || '', action });
}

export const statusLabel = (st) => t('st_' + st);

// A button that opens a small inline form asking for a reason, then calls
// submit(reason). Used for report / hide / lock.
export function reasonAction(label, { onsubmit, fieldLabel = t('reason'), cls = '' }) {
  const wrap = h('span', { class: 'reason-action' });
  const btn = h('button', { type: 'button', class: cls, 'aria-expanded': 'false' }, label);
  btn.addEventListener('click', () => {
    if (wrap.querySelector('form')) return;
    btn.setAttribute('aria-expanded', 'true');
    const input = h('input', { type: 'text', name: 'reason', required: true, maxlength: 500 });
    const id = 'r' + Math.random().toString(36).slice(2);
    input.id = id;
    const form = h('form', { class: 'inline-form' },
      h('label', { for: id }, fieldLabel), input,
      h('button', { type: 'submit', class: 'primary' }, t('submit')),
      h('button', { type: 'button', onclick: () => { form.remove(); btn.setAttribute('aria-expanded', 'false'); btn.focus(); } }, t('cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const ok = await onsubmit(input.value.trim());
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
    try { await fn(form); } catch (err) { alert.textContent = errText(err); } finally { if (btn) btn.disabled = false; }
  });
  return form;
}
