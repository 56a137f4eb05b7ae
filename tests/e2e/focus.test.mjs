// Keyboard focus: the focus ring passes 3:1 against white, the page
// background and the green top bar; a new unread count changes the badge
// in place (a keyboard user on the inbox link stays there); a route change
// moves focus to the new page's content; choosing "Reply" keeps the text
// already typed.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld, createThread, createPost } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors } from './lib.mjs';

const rgb = (s) => { const m = /rgba?\(([\d.]+), ([\d.]+), ([\d.]+)/.exec(s); assert.ok(m, `a colour: ${s}`); return m.slice(1, 4).map(Number); };
const lum = ([r, g, b]) => {
  const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };

itest('focus: a visible ring everywhere, kept on badge updates, moved on route change, typed reply kept', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [r1, r2] = w.residents;
  const th = await createThread(gw, r2.access, w.A.id, { title: '小区绿化' });
  await createPost(gw, r2.access, th.id, '建议多种些树。');
  const mine = await createPost(gw, r1.access, th.id, '我家门口那棵树太挡光了，砍掉！');
  const b = await browser(h);
  const p = await openAs(b, gw, r1, `/t/${th.id}`);

  // Reply keeps what was typed
  const text = p.locator('#post-form textarea');
  await text.fill('我也觉得应该');
  await p.locator('#post-list li.post', { hasText: '建议多种些树。' }).getByRole('button', { name: '回复' }).click();
  await p.locator('#reply-note', { hasText: '回复 居民2' }).waitFor();
  assert.equal(await text.inputValue(), '我也觉得应该', 'typed text kept');
  assert.equal(await text.evaluate((el) => el === document.activeElement), true);

  // the ring, on a control in the green top bar
  await p.keyboard.press('Shift+Tab'); // keyboard modality
  await p.locator('#lang-switch').focus();
  const ring = await p.locator('#lang-switch').evaluate((el) => {
    const cs = getComputedStyle(el);
    return { visible: el.matches(':focus-visible'), outline: cs.outlineColor, width: cs.outlineWidth, style: cs.outlineStyle,
      shadow: cs.boxShadow, bar: getComputedStyle(document.querySelector('.topbar')).backgroundColor,
      page: getComputedStyle(document.documentElement).backgroundColor };
  });
  assert.equal(ring.visible, true);
  assert.equal(ring.style, 'solid');
  assert.ok(parseFloat(ring.width) >= 2, `outline width ${ring.width}`);
  const ringColour = rgb(ring.outline);
  const halo = ring.shadow === 'none' ? null : rgb(ring.shadow);
  for (const [name, bg] of [['white', [255, 255, 255]], ['page', rgb(ring.page)], ['top bar', rgb(ring.bar)]]) {
    const best = Math.max(contrast(ringColour, bg), halo ? contrast(halo, bg) : 0);
    assert.ok(best >= 3, `focus ring against ${name}: ${best.toFixed(2)}:1`);
  }
  assert.ok(halo && contrast(ringColour, halo) >= 3, 'the ring stands out from its halo');

  // the badge changes in place
  const link = p.locator('#inbox-link');
  await link.focus();
  await link.evaluate((el) => { window.linliLink = el; });
  const hide = await gw.request('POST', `/v1/posts/${mine.id}/hide`, { token: w.staff.access, body: { reason: '不文明用语' } });
  assert.equal(hide.status, 200, hide.text);
  await p.locator('#unread-badge', { hasText: '1' }).waitFor();
  assert.equal(await p.evaluate(() => window.linliLink === document.activeElement && window.linliLink.isConnected), true,
    'focus stays on the same inbox link');
  // its name says the count (the badge is hidden from screen readers)
  await p.getByRole('link', { name: /^通知\s*，1 条未读$/ }).waitFor();

  // a route change: focus moves to the content
  await p.keyboard.press('Enter');
  await p.locator('h1', { hasText: '通知' }).waitFor();
  assert.equal(await p.evaluate(() => document.activeElement?.id), 'main');
  noErrors(assert, p);
});
