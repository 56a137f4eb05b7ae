// axe-core over the main pages (phone width, Chinese and English): no
// serious or critical violations. Also: the English switch relabels the page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost, createConsultation, vote } from '../integration/lib/forums.mjs';
import { volunteer, createHelp } from '../integration/lib/help.mjs';
import { WEB_CONFIG, browser, openAs, shot, DESKTOP } from './lib.mjs';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axe(page, what) {
  await page.evaluate(AXE); // evaluated by the driver, not a page script: the CSP does not apply
  const res = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  assert.equal(res.testEngine.name, 'axe-core', `${what}: axe ran`);
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), []);
  return res.violations.length;
}

itest('main pages have no serious accessibility violations', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [r1, r2] = w.residents;
  const th = await createThread(gw, r1.access, w.A.id);
  await createPost(gw, r2.access, th.id, '同意楼上');
  const co = await createConsultation(gw, w.staff.access, w.A.id);
  await vote(gw, r1.access, co.id, 0);
  await vote(gw, r2.access, co.id, 1, '费用太高');
  const closed = await gw.request('POST', `/v1/threads/${co.id}/close`, { token: w.staff.access });
  assert.equal(closed.status, 200, closed.text);
  await volunteer(gw, r2, w.A.id, { categories: ['errand'] });
  await createHelp(gw, r1, w.A.id);
  // 我要反映, 议事会议, 落实 (issue 17)
  const post = async (path, token, body) => {
    const r = await gw.request('POST', path, { token, body });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    return r.json;
  };
  const tk = (await post(`/v1/communities/${w.A.id}/requests`, r1.access, { category: 'repair', title: '路灯不亮', body: '5号楼前' })).ticket;
  await post(`/v1/tickets/${tk.id}/accept`, w.staff.access);
  await post(`/v1/tickets/${tk.id}/reply`, w.staff.access, { body: '明天修', public: true });
  const open = await createConsultation(gw, w.staff.access, w.A.id, { title: '是否增设快递柜' });
  const mt = (await post(`/v1/communities/${w.A.id}/meetings`, w.staff.access, { title: '议事会', agenda: '快递柜',
    place: '活动室', starts_at: Date.now(), invitees: 'members', quorum: 0.5, thread_ids: [open.id] })).meeting;
  const act = (await post(`/v1/threads/${co.id}/actions`, w.staff.access, { title: '落实第一项', due_at: Date.now() + 86400000 })).action;
  await gw.request('PATCH', `/v1/actions/${act.id}`, { token: w.staff.access, body: { status: 'in_progress', progress: 30 } });
  const b = await browser(h);

  const login = await openAs(b, gw, null, '/login');
  await login.locator('#login-form').waitFor();
  await axe(login, 'login');
  await login.getByRole('link', { name: '没有账号？注册' }).click();
  await login.locator('#register-form').waitFor();
  await axe(login, 'register');
  await login.getByRole('link', { name: '已有账号？登录' }).click();
  await login.getByRole('link', { name: '忘记密码？' }).click();
  await login.locator('#reset-form').waitFor();
  await axe(login, 'reset');

  const pages = [
    ['home', r1, '/', '#community-list'],
    ['community', r1, `/c/${w.A.id}`, '#thread-list'],
    ['thread', r1, `/t/${th.id}`, '#post-list'],
    ['consultation', r1, `/t/${co.id}`, '#tally'],
    ['help', r2, `/c/${w.A.id}/help`, '#help-list'],
    ['volunteer', r2, `/c/${w.A.id}/volunteer`, '#volunteer-form'],
    ['inbox', r2, '/inbox', '#inbox-list'],
    ['moderation', w.staff, `/c/${w.A.id}/mod`, '#mod-queue'],
    ['account', r1, '/me', '#account-delete'],
    ['admin', w.admin, '/admin', '#admin-communities'],
    ['requests', r1, `/c/${w.A.id}/requests`, '#ticket-summary'],
    ['ticket', w.staff, `/r/${tk.id}`, '#reply-form'],
    ['meeting', w.staff, `/m/${mt.id}`, '.offline-form'],
    ['progress', r1, `/c/${w.A.id}/progress`, '#all-actions [role="progressbar"]'],
    ['login', null, '/login', '#login-form'],
    ['register', null, '/register', '#register-form'],
  ];
  // Every page in both modes (长辈模式: the header's 大字模式), Chinese and
  // English, at phone width; a screenshot of each in tests/out/e2e/.
  // One load per page; the header's switches change mode and language in
  // place (as a user would), and axe runs after each.
  for (const [name, s, hash, ready] of pages) {
    const p = await openAs(b, gw, s, hash);
    await p.locator(ready).waitFor();
    const check = async (elder, lang) => {
      await p.waitForFunction(([e, l]) => document.documentElement.classList.contains('elder') === e &&
        document.documentElement.lang === l, [elder, lang === 'en' ? 'en' : 'zh-CN']);
      await p.locator(ready).waitFor();
      await axe(p, `${name} (${lang}${elder ? ', elder' : ''})`);
      if (lang === 'zh') await shot(p, `page-${name}${elder ? '-elder' : ''}`);
    };
    await check(false, 'zh');
    await p.locator('#elder-switch').click();
    await check(true, 'zh');
    await p.locator('#lang-switch').click();
    await check(true, 'en');
    await p.locator('#elder-switch').click();
    await check(false, 'en');
    await p.context().close();
  }

  // English, on a desktop: every label switches, and still no violations
  const en = await openAs(b, gw, w.staff, `/t/${co.id}`, { viewport: DESKTOP });
  await en.locator('#tally').waitFor();
  await en.getByRole('button', { name: 'English' }).click();
  await en.locator('#conn', { hasText: 'Live' }).waitFor();
  await en.getByRole('heading', { name: 'Consultation' }).waitFor();
  assert.equal(await en.evaluate(() => document.documentElement.lang), 'en');
  await axe(en, 'consultation (en)');
  await shot(en, 'accessibility-english');
});
