// Browser-test helpers: a real gateway (from the integration harness) that
// serves the web app, Debian's Chromium driven by playwright-core, pages
// opened as a given user, screenshots under tests/out/e2e/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { FAST } from '../integration/lib/accounts.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const OUT = path.join(ROOT, 'tests/out/e2e');

// Absolute roots so the gateway does not depend on the test's cwd.
export const WEB_CONFIG = {
  ...FAST,
  web_root: `"${path.join(ROOT, 'clients/web')}"`,
  web_sdk_root: `"${path.join(ROOT, 'clients/js/src')}"`,
  rate_writes_per_ip: 1000000,
};

export const CHROMIUM = process.env.LINLI_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const PHONE = { width: 375, height: 740 };
export const DESKTOP = { width: 1200, height: 860 };

// One browser per test, closed by the harness cleanup.
export async function browser(h) {
  const b = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  h.onCleanup(() => b.close());
  return b;
}

// A page of the web app signed in as session s (tokens put into
// localStorage before the app loads, as after a login), at #hash. Console
// errors and page errors (including CSP violations) fail the test at the end.
export async function openAs(b, gw, s, hash = '/', { viewport = PHONE, lang, setup } = {}) {
  const ctx = await b.newContext({ viewport, locale: 'zh-CN' });
  if (setup) await setup(ctx); // e.g. routes, before the app loads
  const sess = s && { user: s.user, access: s.access, refresh: s.refresh, expiresAt: s.expiresAt || Date.now() + 600000, obtainedAt: Date.now() };
  if (s || lang) {
    await ctx.addInitScript(([v, l]) => {
      if (v && !localStorage.getItem('linli.session')) localStorage.setItem('linli.session', v);
      if (l && !localStorage.getItem('linli.lang')) localStorage.setItem('linli.lang', l);
    }, [sess ? JSON.stringify(sess) : null, lang]);
  }
  return openTab(ctx, gw, hash, { live: !!s });
}

// Another tab in the same browser context (so sharing localStorage and
// sessionStorage-less: a new tab), at #hash.
export async function openTab(ctx, gw, hash = '/', { live: waitLive = true } = {}) {
  const errors = [];
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket connection/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  page.errors = errors;
  await page.goto(`${gw.url}/#${hash}`);
  if (waitLive) await live(page);
  return page;
}

// Waits until the header says the socket is live.
export async function live(page, timeout = 15000) {
  await page.locator('#conn[data-state="live"]').waitFor({ timeout });
}

// Saves the visible part of the page (scrolled to `focus`, a locator, if given).
export async function shot(page, name, focus) {
  fs.mkdirSync(OUT, { recursive: true });
  for (let i = 0; focus && i < 3; i++) {
    // a live list may redraw under the scroll: try again on the new element
    try { await focus.scrollIntoViewIfNeeded({ timeout: 3000 }); break; } catch (e) { if (i === 2) throw e; }
  }
  await page.locator('#toasts').evaluate((el) => el.replaceChildren()); // passing toasts would hide content
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

export function noErrors(assert, ...pages) {
  for (const p of pages) assert.deepEqual(p.errors, [], 'no console errors, page errors or CSP violations');
}
