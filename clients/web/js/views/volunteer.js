// A volunteer's profile (categories, grids, active/paused, quiet hours) and
// service hours.
import { h, field, choices, formValues, replace } from '../dom.js';
import { t } from '../i18n.js';
import * as api from '../api.js';
import { handleForm, toast, errNode } from '../ui.js';
import { community, me, loadMe } from '../state.js';
import { categories, catLabel } from './help.js';

export async function volunteerView(cid) {
  const my = await me();
  const c = await community(cid);
  const { volunteer: saved } = await api.get(`/v1/communities/${cid}/volunteer`);
  const p = saved || { categories: [], grids: [], active: true, quiet_hours: null };

  const quietOn = h('input', { type: 'checkbox', id: 'quiet-on', name: 'quiet_on', value: '1', checked: !!p.quiet_hours });
  const form = h('form', { class: 'card stack', id: 'volunteer-form' },
    choices(t('categories'), { name: 'categories', options: categories(c).map((k) => [k, catLabel(k)]), selected: p.categories }),
    choices(t('grids'), { name: 'grids', options: (c.grids || []).map((g) => [g, g]), selected: p.grids }),
    choices(t('status'), { name: 'active', type: 'radio', options: [['1', t('active')], ['0', t('paused')]], selected: p.active ? '1' : '0' }),
    h('fieldset', { class: 'choices' }, h('legend', null, t('quiet_hours')),
      h('div', { class: 'choice' }, quietOn, h('label', { for: 'quiet-on' }, t('quiet_enable'))),
      h('div', { class: 'row' },
        field(t('quiet_start'), { name: 'quiet_start', type: 'time', value: p.quiet_hours?.start || '22:00' }),
        field(t('quiet_end'), { name: 'quiet_end', type: 'time', value: p.quiet_hours?.end || '07:00' }))),
    h('p', { class: 'hint' }, t('profile_note')),
    h('button', { type: 'submit', class: 'primary' }, t('save')));
  handleForm(form, async () => {
    const v = formValues(form);
    // Active with no category matches no request, ever: say so instead of
    // saving a profile that would silently never be told of anything.
    if (v.active === '1' && !v.categories.length) throw Object.assign(new Error('no category'), { status: 0, code: 'no_category' });
    const body = {
      categories: v.categories, grids: v.grids, active: v.active === '1',
      quiet_hours: v.quiet_on.length ? { start: v.quiet_start, end: v.quiet_end } : null,
    };
    await api.put(`/v1/communities/${cid}/volunteer`, body);
    await loadMe();
    toast(t('saved'));
  });

  const ledger = h('div', { id: 'ledger' });
  try {
    const { items } = await api.get(`/v1/communities/${cid}/ledger`);
    const mine = items.find((x) => x.user_id === my.user.id);
    replace(ledger, mine
      ? h('p', null, t('ledger_row', { r: mine.requests, m: mine.minutes }), mine.average_rating ? ` · ${t('ledger_rating', { x: mine.average_rating.toFixed(1) })}` : '')
      : h('p', { class: 'muted' }, t('no_ledger')));
  } catch (e) { replace(ledger, h('p', { class: 'muted' }, errNode(e, { read: true }))); }

  return {
    el: h('section', null,
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, t('my_communities')), ' › ', h('a', { href: `#/c/${cid}` }, c.name)),
      h('h1', null, `${c.name} · ${t('volunteer_profile')}`),
      form,
      h('section', { class: 'card' }, h('h2', null, t('service_hours')), ledger)),
  };
}
