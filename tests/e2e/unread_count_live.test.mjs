// The unread badge counts a notification that came after the page read
// the count (from /v1/me) but before its subscription to user:{me} was
// live, so in neither. The page's `sub` for its own channel is held back
// (a slow link) while a volunteer claims the resident's request; once the
// subscription goes live the badge must say 1, and a later notification,
// live, makes it 2 (counted once).
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld } from '../integration/lib/forums.mjs';
import { volunteer, createHelp, helpAction } from '../integration/lib/help.mjs';
import { WEB_CONFIG, browser, openAs, noErrors } from './lib.mjs';

itest('a notification between the count and the live subscription is counted once', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 2, other: false });
  const [asker, vol] = w.residents;
  await volunteer(gw, vol, w.A.id);
  const r = await createHelp(gw, asker, w.A.id, { title: '帮忙搬米' });

  let held = null; // the page's sub for user:{asker}, until released
  let sawHeld;
  const gotHeld = new Promise((res) => { sawHeld = res; });
  const b = await browser(h);
  const p = await openAs(b, gw, asker, '/', { setup: (ctx) => ctx.routeWebSocket(/\/v1\/ws$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      let f = null;
      try { f = JSON.parse(m); } catch { /* not ours */ }
      if (f && f.op === 'sub' && f.ch === `user:${asker.id}` && !held) { held = { m, server }; sawHeld(); }
      else server.send(m);
    });
  }) });
  await gotHeld;
  assert.equal(await p.locator('#unread-badge').isHidden(), true, 'nothing unread yet');

  await helpAction(gw, vol, r.id, 'claim'); // notifies the asker: help.claimed
  held.server.send(held.m);
  await p.locator('#unread-badge', { hasText: /^1$/ }).waitFor({ timeout: 10000 });

  await helpAction(gw, vol, r.id, 'done'); // help.done, live
  await p.locator('#unread-badge', { hasText: /^2$/ }).waitFor({ timeout: 10000 });
  noErrors(assert, p);
});
