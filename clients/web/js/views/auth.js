// Log in (password or SMS code), sign up (with a code and the privacy
// policy when the gateway asks for them), and 忘记密码 (reset by code).
import { h, field, formValues } from '../dom.js';
import { t } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, codeField } from '../ui.js';
import { store, pendingRoute, takeRoute } from '../state.js';

// What the sign-up form must ask (GET /v1/auth/policy), fetched once.
let policy = null;
export async function authPolicy() {
  if (!policy) policy = await api.get('/v1/auth/policy').catch(() => ({ privacy_policy_version: null, require_verified_phone: false, sms_resend_s: 60 }));
  return policy;
}

async function signedIn(j) {
  api.setSession(j);
  await store.onLogin();
  location.hash = takeRoute(); // where they were going, e.g. an invite link
}

function phoneField() {
  return field(t('phone'), { name: 'phone', type: 'tel', required: true, autocomplete: 'username', inputmode: 'tel' });
}

// The form's phone input, for a code button to read.
const phoneOf = (form) => () => form.querySelector('input[name=phone]').value;

export async function authView(mode) {
  const p = await authPolicy();
  if (mode === 'reset') return resetView(p);
  const isLogin = mode === 'login';
  const byCode = isLogin && loginBy() === 'code';
  const form = h('form', { class: 'card stack', id: isLogin ? 'login-form' : 'register-form', novalidate: false });
  const phone = phoneField();
  form.append(phone);
  if (isLogin && byCode) {
    form.append(codeField({ purpose: 'login', phone: phoneOf(form), resendS: p.sms_resend_s }));
  } else if (isLogin) {
    form.append(field(t('password'), { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'current-password' }));
  } else {
    form.append(
      codeField({ purpose: 'register', phone: phoneOf(form), resendS: p.sms_resend_s, required: p.require_verified_phone,
        hint: p.require_verified_phone ? null : t('code_optional') }),
      field(t('display_name'), { name: 'display_name', required: true, maxlength: 32, autocomplete: 'nickname' }),
      field(t('password'), { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password', hint: t('password_hint') }));
    if (p.privacy_policy_version) {
      const id = 'consent-box';
      form.append(h('div', { class: 'choice consent' },
        h('input', { type: 'checkbox', id, name: 'consent', value: p.privacy_policy_version, required: true }),
        h('label', { for: id }, t('consent_label', { v: p.privacy_policy_version }))));
    }
  }
  form.append(h('button', { type: 'submit', class: 'primary' }, isLogin ? t('login') : t('register')));
  handleForm(form, async () => {
    const v = formValues(form);
    let j;
    try {
      if (isLogin && byCode) j = await api.post('/v1/auth/login', { phone: v.phone, code: v.code });
      else if (isLogin) j = await api.post('/v1/auth/login', { phone: v.phone, password: v.password });
      else {
        const body = { phone: v.phone, password: v.password, display_name: v.display_name };
        if (v.code) body.code = v.code;
        if (p.privacy_policy_version) body.consent_version = (v.consent || [])[0];
        j = await api.post('/v1/auth/register', body);
      }
    } catch (e) {
      if (isLogin && e.status === 401) e.code = byCode ? 'bad_code' : 'bad_login'; // not "session ended"
      if (!isLogin && e.status === 409 && e.field === 'phone') e.code = 'phone_taken';
      throw e;
    }
    await signedIn(j);
  });
  const invited = /^#\/join\//.test(pendingRoute() || '');
  // 密码登录 / 验证码登录: the other form in place, the switch keeping focus.
  const switchBy = async () => {
    try { sessionStorage.setItem('linli.loginBy', byCode ? 'password' : 'code'); } catch { /* private mode */ }
    const next = await authView('login');
    section.replaceWith(next.el);
    next.el.querySelector('#login-by').focus();
  };
  const section = h('section', { class: 'narrow' },
      h('h1', null, isLogin ? t('login_title') : t('register_title')),
      h('p', { class: 'muted' }, t('welcome')),
      invited && h('p', { class: 'notice', role: 'note', id: 'invite-note' }, t('invite_login_note')),
      isLogin && h('p', null, h('button', { type: 'button', class: 'link', id: 'login-by', onclick: switchBy },
        byCode ? t('login_by_password') : t('login_by_code'))),
      form,
      h('p', null, h('a', { href: isLogin ? '#/register' : '#/login' }, isLogin ? t('no_account') : t('have_account'))),
      isLogin && h('p', null, h('a', { href: '#/reset', id: 'forgot-link' }, t('forgot_password'))));
  return { el: section };
}

function loginBy() {
  try { return sessionStorage.getItem('linli.loginBy'); } catch { return null; }
}

function resetView(p) {
  const form = h('form', { class: 'card stack', id: 'reset-form' });
  form.append(phoneField(),
    codeField({ purpose: 'reset', phone: phoneOf(form), resendS: p.sms_resend_s, required: true }),
    field(t('new_password'), { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password', hint: t('password_hint') }),
    h('button', { type: 'submit', class: 'primary' }, t('reset_submit')));
  handleForm(form, async () => {
    const v = formValues(form);
    let j;
    try {
      j = await api.post('/v1/auth/reset', { phone: v.phone, code: v.code, password: v.password });
    } catch (e) {
      if (e.status === 401) e.code = 'bad_code';
      throw e;
    }
    await signedIn(j);
  });
  return {
    el: h('section', { class: 'narrow' },
      h('h1', null, t('reset_title')),
      h('p', { class: 'muted' }, t('reset_note')),
      form,
      h('p', null, h('a', { href: '#/login' }, t('back_to_login')))),
  };
}
