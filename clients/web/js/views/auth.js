// Log in / sign up.
import { h, field, formValues } from '../dom.js';
import { t } from '../i18n.js';
import * as api from '../api.js';
import { handleForm } from '../ui.js';
import { store, pendingRoute, takeRoute } from '../state.js';

export function authView(mode) {
  const isLogin = mode === 'login';
  const form = h('form', { class: 'card stack', id: isLogin ? 'login-form' : 'register-form' },
    field(t('phone'), { name: 'phone', type: 'tel', required: true, autocomplete: 'username', inputmode: 'tel' }),
    !isLogin && field(t('display_name'), { name: 'display_name', required: true, maxlength: 32, autocomplete: 'nickname' }),
    field(t('password'), { name: 'password', type: 'password', required: true, minlength: 8,
      autocomplete: isLogin ? 'current-password' : 'new-password', hint: isLogin ? null : t('password_hint') }),
    h('button', { type: 'submit', class: 'primary' }, isLogin ? t('login') : t('register')));
  handleForm(form, async () => {
    const v = formValues(form);
    let j;
    try {
      j = isLogin
        ? await api.post('/v1/auth/login', { phone: v.phone, password: v.password })
        : await api.post('/v1/auth/register', { phone: v.phone, password: v.password, display_name: v.display_name });
    } catch (e) {
      if (isLogin && e.status === 401) e.code = 'bad_login'; // not "session ended"
      throw e;
    }
    api.setSession(j);
    await store.onLogin();
    location.hash = takeRoute(); // where they were going, e.g. an invite link
  });
  const invited = /^#\/join\//.test(pendingRoute() || '');
  return {
    el: h('section', { class: 'narrow' },
      h('h1', null, isLogin ? t('login_title') : t('register_title')),
      h('p', { class: 'muted' }, t('welcome')),
      invited && h('p', { class: 'notice', role: 'note', id: 'invite-note' }, t('invite_login_note')),
      form,
      h('p', null, h('a', { href: isLogin ? '#/register' : '#/login' }, isLogin ? t('no_account') : t('have_account')))),
  };
}
