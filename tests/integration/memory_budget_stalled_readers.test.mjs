// Many sockets that subscribe with an old `since` and never read: each
// one's queue is bounded (ws_send_queue_bytes), and all of them together by
// ws_memory_budget: replay pages wait (parked) while frames held and pages
// being read would pass it, and the sockets most behind are closed with
// 1008 to make room; they resume with since and miss nothing (issue 12).
import assert from 'node:assert/strict';
import { itest, ENGINE_NEUTRAL, poll, RawSocket, assertContiguous } from './lib/harness.mjs';

const BUDGET = 4 * 1024 * 1024;
const QUEUE = 2 * 1024 * 1024;   // a replay fills half of it: 1 MiB per socket
// Each replay is larger than what the kernel's send buffer takes of it
// (tcp_wmem's maximum, 4 MiB by default): the rest must wait in our queues.
const EVENTS = 1000, EVENT_BYTES = 10000;
const STALLED = 6;               // unbounded: ~6 x 6 MiB of frames

itest('stalled replays across many sockets stay under ws_memory_budget; the closed ones resume', { ...ENGINE_NEUTRAL, timeout: 120000 }, async (h) => {
	const gw = await h.gateway({ config: { ws_memory_budget: BUDGET, ws_send_queue_bytes: QUEUE, max_conns_per_ip: 1000 } });
	const admin = await h.mint(gw, 1, { admin: true });
	const ch = 'thread:budget';
	const pad = 'y'.repeat(EVENT_BYTES);
	for (let n = 1; n <= EVENTS; n++) await gw.publish(admin, ch, 'post.created', { n, pad });
	const rss0 = gw.rss();

	const socks = [];
	for (let i = 0; i < STALLED; i++) {
		const s = await RawSocket.connect(h, gw, { token: admin });
		s.pause(); // never reads: the kernel buffers fill, then our queue
		s.sendText({ op: 'sub', ch, since: 0, ref: `s${i}` });
		socks.push(s);
	}
	// Until no replay waits for room and the frames held stop changing.
	let maxFrames = 0, rssMax = rss0, last = -1, same = 0;
	await poll(async () => {
		const m = await gw.metrics();
		const bytes = m.get('linli_frame_bytes');
		maxFrames = Math.max(maxFrames, bytes);
		rssMax = Math.max(rssMax, gw.rss());
		same = bytes === last ? same + 1 : 0;
		last = bytes;
		return m.get('linli_replays_parked') === 0 && m.get('linli_ws_budget_closes_total') > 0 && same >= 5;
	}, { timeoutMs: 60000, intervalMs: 200, what: 'the stalled sockets to settle' });
	const closes = await gw.metric('linli_ws_budget_closes_total');
	// Slack: replay pages built on workers before they are queued.
	assert.ok(maxFrames <= BUDGET + QUEUE, `frames held at most ${maxFrames} bytes (budget ${BUDGET})`);
	// Which ones go depends on how much each one's kernel buffers took
	// before its queue filled; at least the excess over the budget goes.
	assert.ok(closes >= STALLED - BUDGET / (QUEUE / 2), `${closes} of ${STALLED} stalled sockets closed 1008`);
	if (!process.env.LINLI_ASAN)
		assert.ok(rssMax - rss0 < BUDGET + 16 * 1024 * 1024,
			`RSS grew ${((rssMax - rss0) / 1048576).toFixed(1)} MiB for ${STALLED} stalled replays of ${(EVENTS * EVENT_BYTES / 1048576).toFixed(1)} MiB`);

	// The server lets the closed ones go (a stalled socket cannot take a
	// close frame: its client sees the connection end, 1006, and resumes).
	await poll(async () => (await gw.metric('linli_ws_connections')) === STALLED - closes,
		{ what: `linli_ws_connections to fall to ${STALLED - closes}`, timeoutMs: 30000 });

	// A closed one resumes from 0 and gets everything, in order, once.
	for (const s of socks) s.socket.destroy();
	const again = await h.subscriber(gw, admin, ch, { since: 0, label: 'resumed reader' });
	await again.waitSeq(ch, EVENTS, 30000);
	assertContiguous(again.events(ch), 1, EVENTS, 'resumed reader');
});
