// 管理后台 (admins): every community with its members and staff counts,
// creating a community with its grids, appointing staff by the phone number
// they registered with. Removing staff, members, mutes, warnings, suspensions
// and invites are on each community's manage page. Nothing here needs curl.
import { h, field, formValues, patchList } from '../dom.js';
import { t } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, errNode } from '../ui.js';
import { loadMe, store } from '../state.js';

export async function adminView() {
  const me = await loadMe();
  if (!me.is_admin) return { el: h('section', null, h('h1', null, t('admin_console')), h('p', null, t('forbidden'))) };
  const list = h('ul', { class: 'cards', id: 'admin-communities' });

  function item(c) {
    const appoint = h('form', { class: 'inline-form appoint-form', 'data-community-id': c.id },
      field(t('staff_phone'), { name: 'phone', type: 'tel', required: true, inputmode: 'numeric', autocomplete: 'off',
        hint: t('staff_phone_hint') }),
      h('button', { type: 'submit', class: 'primary' }, t('appoint')));
    handleForm(appoint, async () => {
      const v = formValues(appoint);
      await api.post(`/v1/communities/${c.id}/staff`, { phone: v.phone });
      store.communities.delete(c.id);
      toast(t('appointed'));
      appoint.reset();
      await load();
    });
    return h('li', { class: 'card', 'data-community-id': c.id },
      h('h2', null, c.name),
      h('p', { class: 'muted' }, t('grids_list', { g: (c.grids || []).join(t('list_sep')) || '—' })),
      h('p', { class: 'muted' }, t('counts', { m: c.member_count ?? 0, s: c.staff_count ?? 0 })),
      h('nav', { class: 'actions', 'aria-label': c.name },
        h('a', { class: 'button', href: `#/c/${c.id}/mod` }, t('open_mod')),
        h('a', { class: 'button', href: `#/c/${c.id}` }, t('open_forum'))),
      appoint);
  }

  async function load() {
    const items = [];
    let cursor = null;
    for (let i = 0; i < 100; i++) {
      const r = await api.get(`/v1/communities?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      items.push(...r.items);
      cursor = r.next_cursor;
      if (!cursor) break;
    }
    patchList(list, items, { key: (c) => `${c.id}:${c.member_count}:${c.staff_count}`, render: item,
      empty: () => h('li', { class: 'muted' }, t('no_communities_yet')) });
  }

  const create = h('form', { class: 'card stack', id: 'create-community' },
    h('h2', null, t('create_community')),
    field(t('community_name'), { name: 'name', required: true, maxlength: 64 }),
    field(t('grids_lines'), { name: 'grids', type: 'textarea', rows: 4, required: true, hint: t('grids_hint') }),
    h('button', { type: 'submit', class: 'primary' }, t('create_community')));
  handleForm(create, async () => {
    const v = formValues(create);
    const grids = v.grids.split('\n').map((x) => x.trim()).filter(Boolean);
    const r = await api.post('/v1/communities', { name: v.name.trim(), grids });
    toast(t('community_created', { name: r.community.name }));
    create.reset();
    await load();
  });
  await load().catch((e) => list.append(h('li', null, errNode(e, { read: true }))));
  return { el: h('section', null, h('h1', null, t('admin_console')), create, list) };
}
