// 我的账号: name, phone (verify, change), the privacy policy, a copy of
// one's data (下载我的数据) and 注销账号 with its grace period.
import { h, field, formValues, replace } from '../dom.js';
import { t, fmtTime } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, codeField, toast } from '../ui.js';
import { loadMe } from '../state.js';
import { authPolicy } from './auth.js';

function section(id, title, ...body) {
  const hid = `${id}-h`;
  return h('section', { class: 'card stack', id, 'aria-labelledby': hid }, h('h2', { id: hid }, title), ...body);
}

export async function accountView() {
  const [me, p] = await Promise.all([loadMe(), authPolicy()]);
  const u = me.user;
  const resendS = p.sms_resend_s;

  const nameForm = h('form', { class: 'stack', id: 'name-form' },
    field(t('display_name'), { name: 'display_name', required: true, maxlength: 32, value: u.display_name, autocomplete: 'nickname' }),
    h('button', { type: 'submit', class: 'primary' }, t('save')));
  handleForm(nameForm, async () => {
    const r = await api.patch('/v1/me', { display_name: formValues(nameForm).display_name });
    api.setUser(r.user);
    toast(t('saved'));
  });

  const verifyForm = !u.phone_verified && h('form', { class: 'stack', id: 'verify-form' },
    codeField({ purpose: 'verify', resendS }),
    h('button', { type: 'submit', class: 'primary' }, t('verify_phone')));
  if (verifyForm) handleForm(verifyForm, async () => {
    await api.post('/v1/me/verify', { code: formValues(verifyForm).code });
    toast(t('phone_verified_ok'));
    location.hash = '#/me';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });

  const phoneForm = h('form', { class: 'stack', id: 'phone-form' });
  phoneForm.append(
    field(t('new_phone'), { name: 'phone', type: 'tel', required: true, inputmode: 'tel', autocomplete: 'tel' }),
    codeField({ purpose: 'change_phone', phone: () => phoneForm.querySelector('input[name=phone]').value, resendS }),
    h('button', { type: 'submit', class: 'primary' }, t('change_phone')));
  handleForm(phoneForm, async () => {
    const v = formValues(phoneForm);
    try {
      await api.post('/v1/me/phone', { phone: v.phone, code: v.code });
    } catch (e) {
      if (e.status === 409) e.code = 'phone_taken';
      throw e;
    }
    toast(t('phone_changed'));
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });

  const consent = me.consent;
  const consentPart = p.privacy_policy_version ? [
    h('p', { id: 'consent-state' }, me.consent_required
      ? t('consent_needed', { v: p.privacy_policy_version })
      : t('consent_given', { v: consent?.version || '', at: fmtTime(consent?.at) })),
    me.consent_required && h('button', { type: 'button', class: 'primary', id: 'consent-agree', onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        await api.post('/v1/me/consent', { version: p.privacy_policy_version });
        toast(t('consent_thanks'));
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (e) { ev.target.disabled = false; toast(t('error', { msg: e.message }), 'error'); }
    } }, t('consent_agree', { v: p.privacy_policy_version })),
  ] : [h('p', { class: 'muted' }, t('consent_none'))];

  // 下载我的数据: the export as a file the browser saves.
  const exportStatus = h('p', { role: 'status', class: 'muted' });
  const exportBtn = h('button', { type: 'button', id: 'export-button', onclick: async () => {
    exportBtn.disabled = true;
    replace(exportStatus, t('loading'));
    try {
      const doc = await api.get('/v1/me/export');
      const blob = new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' });
      const a = h('a', { href: URL.createObjectURL(blob), download: `linli-${u.id}-${new Date().toISOString().slice(0, 10)}.json`, id: 'export-link' },
        t('export_ready'));
      replace(exportStatus, a);
      a.click();
    } catch (e) {
      replace(exportStatus, t('error', { msg: e.status === 429 ? t('err_rate_limited') : e.message }));
    } finally { exportBtn.disabled = false; }
  } }, t('export_data'));

  // 注销账号: password or code, then the date it takes effect, cancellable.
  let deletePart;
  if (me.deletes_at) {
    deletePart = [
      h('p', { class: 'notice', id: 'deletion-pending', role: 'note' }, t('deletion_pending', { at: fmtTime(me.deletes_at) })),
      h('button', { type: 'button', class: 'primary', id: 'cancel-deletion', onclick: async () => {
        await api.post('/v1/me/cancel-deletion');
        toast(t('deletion_cancelled'));
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } }, t('cancel_deletion')),
    ];
  } else {
    const delForm = h('form', { class: 'stack', id: 'delete-form' },
      h('p', null, t('deletion_explain', { n: p.account_deletion_grace_days })),
      field(t('password'), { name: 'password', type: 'password', autocomplete: 'current-password', hint: t('deletion_or_code') }),
      codeField({ purpose: 'cancel', resendS, required: false }),
      h('button', { type: 'submit', class: 'danger' }, t('delete_account')));
    handleForm(delForm, async () => {
      const v = formValues(delForm);
      if (!window.confirm(t('delete_confirm'))) return;
      try {
        await api.del('/v1/me', v.code ? { code: v.code } : { password: v.password });
      } catch (e) {
        if (e.status === 403 && e.field === 'password') e.code = 'bad_password';
        throw e;
      }
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    deletePart = [delForm];
  }

  return {
    el: h('div', { class: 'stack' },
      h('h1', null, t('account_title')),
      section('account-profile', t('profile'),
        h('p', null, t('phone'), t('colon'), h('span', { id: 'my-phone' }, u.phone || ''), ' ',
          h('span', { class: u.phone_verified ? 'badge-ok' : 'badge-warn', id: 'verified-state' },
            u.phone_verified ? t('phone_is_verified') : t('phone_not_verified'))),
        u.ip_region && h('p', { class: 'muted' }, t('ip_region', { r: u.ip_region })),
        nameForm),
      verifyForm && section('account-verify', t('verify_phone'), verifyForm),
      section('account-phone', t('change_phone'), phoneForm),
      section('account-privacy', t('privacy'), ...consentPart),
      section('account-data', t('my_data'), h('p', null, t('export_explain')), exportBtn, exportStatus),
      section('account-delete', t('delete_account'), ...deletePart)),
  };
}
