// My communities, and joining one with an invite code.
import { h, field, formValues } from '../dom.js';
import { t } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast } from '../ui.js';
import { loadMe, community, store } from '../state.js';

export async function homeView({ code }) {
  const me = await loadMe();
  const list = h('ul', { class: 'cards', id: 'community-list' });
  for (const m of me.memberships) {
    const c = await community(m.community_id).catch(() => ({ id: m.community_id, name: '#' + m.community_id }));
    list.append(h('li', { class: 'card' },
      h('h2', null, h('a', { href: `#/c/${c.id}` }, c.name)),
      h('p', { class: 'muted' }, [t('role_' + m.role), m.volunteer ? t('volunteer_on') : null].filter(Boolean).join(' · ')),
      h('nav', { class: 'actions', 'aria-label': c.name },
        h('a', { class: 'button', href: `#/c/${c.id}` }, t('open_forum')),
        h('a', { class: 'button', href: `#/c/${c.id}/help` }, t('open_help')),
        h('a', { class: 'button', href: `#/c/${c.id}/volunteer` }, t('open_volunteer')),
        m.role === 'staff' && h('a', { class: 'button', href: `#/c/${c.id}/mod` }, t('open_mod')))));
  }
  // The invite code alone names its community (an invite link also
  // carries the community, which the code makes redundant).
  const form = h('form', { class: 'card stack', id: 'join-form' },
    h('h2', null, t('join_title')),
    field(t('invite_code'), { name: 'code', required: true, value: code || '', autocomplete: 'off',
      hint: t('invite_code_hint') }),
    h('button', { type: 'submit', class: 'primary' }, t('join')));
  handleForm(form, async () => {
    const v = formValues(form);
    const r = await api.post('/v1/join', { code: v.code }); // a wrong or used code: said by errText
    const joinedCid = r.membership.community_id;
    const c = await community(joinedCid);
    await loadMe(); // the new membership (and a staff role's tools) everywhere
    if (store.onMemberships) store.onMemberships(store.me);
    toast(t('joined', { name: c.name }));
    location.hash = `#/c/${c.id}`;
  });
  return {
    el: h('section', null,
      h('h1', null, t('my_communities')),
      me.is_admin && h('p', { class: 'actions' }, h('a', { class: 'button primary', href: '#/admin', id: 'admin-link' }, t('admin_console'))),
      me.memberships.length ? list : h('p', { class: 'muted' }, t('no_communities')),
      form),
  };
}
