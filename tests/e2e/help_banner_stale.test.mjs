// A volunteer's "new request" banner goes when the request is no longer
// open (claimed by someone else, cancelled), and a reconnect that replays
// help.request notifications does not bring back banners for ones already
// read elsewhere or no longer open; the unread count follows the server.
import assert from 'node:assert/strict';
import { itest } from '../integration/lib/harness.mjs';
import { forumWorld } from '../integration/lib/forums.mjs';
import { volunteer, createHelp, helpAction, inbox } from '../integration/lib/help.mjs';
import { WEB_CONFIG, browser, openAs, live, noErrors } from './lib.mjs';

itest('help banners go when the request is taken and do not come back on replay', async (h) => {
  const gw = await h.gateway({ config: WEB_CONFIG });
  const w = await forumWorld(gw, { residents: 3, other: false });
  const [asker, vol, vol2] = w.residents;
  await volunteer(gw, vol, w.A.id);
  await volunteer(gw, vol2, w.A.id);

  // every socket of the page goes through here; a held one forwards nothing
  // the page sends until released. `live` on the page comes before its
  // subscriptions do: wait for the gateway's `subbed` on both channels the
  // banner needs, or the first request can be published before them.
  const conns = [];
  let hold = false, opened;
  const want = new Set([`user:${vol.id}`, `help:${w.A.id}`]);
  let subbedAll;
  const subscribed = new Promise((r) => { subbedAll = r; });
  const b = await browser(h);
  const p = await openAs(b, gw, vol, '/', { setup: (ctx) => ctx.routeWebSocket(/\/v1\/ws$/, (ws) => {
    const c = { ws, server: ws.connectToServer(), held: hold ? [] : null };
    ws.onMessage((m) => { if (c.held) c.held.push(m); else c.server.send(m); });
    c.server.onMessage((m) => {
      ws.send(m);
      let f = null;
      try { f = JSON.parse(m); } catch { /* not JSON */ }
      if (f?.op === 'subbed' && want.delete(f.ch) && want.size === 0) subbedAll();
    });
    c.release = () => { const q = c.held; c.held = null; for (const m of q) c.server.send(m); };
    conns.push(c);
    if (opened) opened(c);
  }) });
  const banner = (title) => p.locator('#banner .banner', { hasText: title });

  // live: claimed by another volunteer, then cancelled by the requester
  await subscribed;
  const r1 = await createHelp(gw, asker, w.A.id, { title: '帮忙搬米' });
  await banner('帮忙搬米').waitFor();
  await helpAction(gw, vol2, r1.id, 'claim');
  await banner('帮忙搬米').waitFor({ state: 'detached' });
  const r2 = await createHelp(gw, asker, w.A.id, { title: '帮忙修水龙头' });
  await banner('帮忙修水龙头').waitFor();
  await helpAction(gw, asker, r2.id, 'cancel');
  await banner('帮忙修水龙头').waitFor({ state: 'detached' });
  await p.locator('#unread-badge', { hasText: '2' }).waitFor();

  // away: the socket drops; the next one is held while two requests come,
  // one read on another device, the other claimed by someone else
  hold = true;
  const next = new Promise((r) => { opened = r; });
  await conns[conns.length - 1].ws.close({ code: 1001, reason: 'test: network change' });
  const c2 = await next;
  const r3 = await createHelp(gw, asker, w.A.id, { title: '帮忙遛狗' });
  const r4 = await createHelp(gw, asker, w.A.id, { title: '帮忙买菜' });
  const notes = (await inbox(gw, vol, '?unread=1')).items;
  const n3 = notes.find((n) => n.data?.id === r3.id);
  assert.ok(n3, 'the volunteer was told of r3');
  const read = await gw.request('POST', '/v1/notifications/read', { token: vol.access, body: { up_to: n3.id } });
  assert.equal(read.status, 200, read.text);
  await helpAction(gw, vol2, r4.id, 'claim');
  c2.release();
  await live(p);

  // the replayed notifications counted from the server: only r4's is unread
  await p.locator('#unread-badge', { hasText: /^1$/ }).waitFor({ timeout: 10000 });
  assert.equal(await p.locator('#banner .banner').count(), 0, 'no banner for a read or taken request');

  // on the help page, an open request's details are hidden from a volunteer
  // who has not claimed it, and the page says so
  await p.evaluate((cid) => { location.hash = `#/c/${cid}/help`; }, w.A.id);
  const item = p.locator('#help-list li', { hasText: '帮忙遛狗' });
  await item.waitFor();
  assert.match(await item.textContent(), /详细说明仅求助人、认领的志愿者和社区工作者可见/);
  assert.doesNotMatch(await item.textContent(), /快递柜在东门/);
  noErrors(assert, p);
});
