// 长辈模式 (issue 15): the app takes the browser's text size (no fixed root
// size); one tap on 大字模式 in the header makes every text at least 22 px
// and every touch target at least 48 px high, trims the page to its main
// action, and is remembered on the device. Checked at 375 px.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { createThread, forumWorld } from '../integration/lib/forums.mjs';
import { WEB_CONFIG, browser, openAs, noErrors, shot } from './lib.mjs';

// Visible elements with text of their own smaller than min px, and visible
// controls lower than target px (a checkbox's row counts for it).
const measure = ([min, target]) => {
  const small = [], low = [];
  const visible = (el) => el.offsetParent !== null && el.getClientRects().length > 0;
  for (const el of document.querySelectorAll('header *, main *')) {
    if (!visible(el)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && parseFloat(getComputedStyle(el).fontSize) < min - 0.1) small.push(`${el.tagName}.${el.className}: ${getComputedStyle(el).fontSize} "${el.textContent.trim().slice(0, 20)}"`);
    const ctl = el.matches('button, a.button, .topnav a, select, textarea, input:not([type=checkbox]):not([type=radio])');
    const box = el.matches('input[type=checkbox], input[type=radio]') ? el.closest('.choice, .star') || el : el;
    if ((ctl || box !== el) && box.getBoundingClientRect().height < target - 0.5) low.push(`${el.tagName}.${el.className}#${el.id}: ${box.getBoundingClientRect().height}px`);
  }
  return { small, low };
};

itest('大字模式: 22 px text, 48 px targets, the main action only, remembered; the browser\'s text size is honoured', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const { A, residents: [r1] } = await forumWorld(gw, { residents: 1, other: false });
  await createThread(gw, r1.access, A.id, { title: '电梯什么时候修好' });
  const b = await browser(h);
  const p = await openAs(b, gw, r1, `/c/${A.id}`);
  await p.locator('#thread-list li', { hasText: '电梯什么时候修好' }).waitFor();

  // The browser's own text size (a phone set to large text): the app follows.
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Page.setFontSizes', { fontSizes: { standard: 20, fixed: 16 } });
  assert.equal(await p.evaluate(() => getComputedStyle(document.documentElement).fontSize), '20px', 'no fixed root size');
  await cdp.send('Page.setFontSizes', { fontSizes: { standard: 16, fixed: 13 } });

  const sw = p.getByRole('button', { name: '大字模式' });
  assert.equal(await sw.getAttribute('aria-pressed'), 'false');
  const before = await p.evaluate(measure, [22, 48]);
  assert.ok(before.small.length > 0, 'the normal mode has smaller text (the check can fail)');
  await sw.click();
  const off = p.getByRole('button', { name: '标准字号' });
  assert.equal(await off.getAttribute('aria-pressed'), 'true');
  const got = await p.evaluate(measure, [22, 48]);
  assert.deepEqual(got.small, [], 'every text at least 22 px');
  assert.deepEqual(got.low, [], 'every touch target at least 48 px high');
  assert.equal(await p.locator('form.search').isVisible(), false, 'the page keeps its main action: no search box');
  await p.locator('#go-new-thread').waitFor(); // the main action stays
  await shot(p, 'elder-community');

  // Remembered across a reload, on every page.
  await p.reload();
  await p.locator('#thread-list li', { hasText: '电梯什么时候修好' }).waitFor();
  assert.equal(await p.evaluate(() => document.documentElement.classList.contains('elder')), true);
  await p.goto(`${gw.url}/#/c/${A.id}/help`);
  await p.locator('#help-form').waitFor();
  assert.deepEqual(await p.evaluate(measure, [22, 48]), { small: [], low: [] }, 'the help page too');
  await shot(p, 'elder-help');
  await p.getByRole('button', { name: '标准字号' }).click();
  assert.equal(await p.evaluate(() => document.documentElement.classList.contains('elder')), false);
  noErrors(assert, p);
});
