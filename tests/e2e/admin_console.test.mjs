// The admin console (issue 15): from a fresh database and `create-admin`
// only, everything in the browser: the admin creates a community with its
// grids and appoints a staff member by phone; the staff member invites a
// resident, who joins with the code; the invite shows its use. No REST call
// outside the pages.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { createAdmin, newPhone, PASSWORD } from '../integration/lib/accounts.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot, live } from './lib.mjs';

async function registerOnPage(b, gw, phone, name) {
  const p = await openAs(b, gw, null, '/register');
  await p.getByLabel('手机号').fill(phone);
  await p.getByLabel('昵称').fill(name);
  await p.getByLabel('密码').fill(PASSWORD);
  await p.getByRole('button', { name: '注册' }).click();
  await live(p);
  return p;
}

async function loginOnPage(b, gw, phone) {
  const p = await openAs(b, gw, null, '/login');
  await p.getByLabel('手机号').fill(phone);
  await p.getByLabel('密码').fill(PASSWORD);
  await p.getByRole('button', { name: '登录' }).click();
  await live(p);
  return p;
}

itest('from create-admin alone: a community with grids, a staff member, an invite, a resident — all on the pages', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const adminPhone = newPhone('188'), staffPhone = newPhone('137'), resPhone = newPhone('136');
  await createAdmin(gw, adminPhone);
  const b = await browser(h);
  const sp = await registerOnPage(b, gw, staffPhone, '社工小王'); // registers first, then is appointed

  const ap = await loginOnPage(b, gw, adminPhone);
  await ap.locator('#admin-link').click();
  const create = ap.locator('#create-community');
  await create.getByLabel('社区名称').fill('阳光花园社区');
  await create.getByLabel('网格（每行一个）').fill('1号楼\n2号楼\n3号楼');
  await create.getByRole('button', { name: '新建社区' }).click();
  await ap.locator('.toast', { hasText: '已新建社区“阳光花园社区”' }).waitFor();
  const card = ap.locator('#admin-communities li', { hasText: '阳光花园社区' });
  await card.getByText('网格：1号楼，2号楼，3号楼').waitFor();
  await card.getByLabel('社区工作者的手机号').fill('1990000' + '0000'); // nobody's
  await card.getByRole('button', { name: '任命为社区工作者' }).click();
  await card.locator('.form-error').getByText('这个手机号还没有注册，请对方先注册。').waitFor();
  await card.getByLabel('社区工作者的手机号').fill(staffPhone);
  await card.getByRole('button', { name: '任命为社区工作者' }).click();
  await ap.locator('#admin-communities li', { hasText: '阳光花园社区' }).getByText('1 位成员，其中 1 位社区工作者').waitFor();
  await shot(ap, 'admin-console');

  // The staff member, already signed in: the community and its manage page.
  await sp.goto(`${gw.url}/#/`);
  await sp.reload();
  await sp.locator('#community-list').getByRole('link', { name: '管理' }).click();
  const inv = sp.locator('#invite-form');
  await inv.getByLabel('可用次数').fill('1');
  await inv.getByRole('button', { name: '生成邀请码' }).click();
  const code = await sp.locator('#invite-list li strong').first().textContent();
  assert.match(code, /^[A-Z0-9]{6,}$/);
  await sp.locator(`#invite-list li[data-code="${code}"]`).getByText('已用 0/1 次').waitFor();

  const rp = await registerOnPage(b, gw, resPhone, '居民老李');
  const join = rp.locator('#join-form');
  await join.getByLabel('邀请码').fill(code);
  await join.getByRole('button', { name: '加入' }).click();
  await rp.locator('h1', { hasText: '阳光花园社区' }).waitFor();

  await sp.reload();
  await sp.locator('#member-list li', { hasText: '居民老李' }).waitFor();
  await sp.locator(`#invite-list li[data-code="${code}"]`).getByText('已用完').waitFor();
  noErrors(assert, ap, sp, rp);
});
