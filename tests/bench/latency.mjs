// A WebSocket subscriber that measures delivery latency: for every event
// on CH, the time it arrived minus the event's own `at` (set by the gateway
// when the handler emitted it, before commit), until it is sent SIGTERM or
// DURATION_S pass. Prints {"n":..,"p50":..,"p99":..,"max":..} in ms.
// usage: node latency.mjs WS_URL TOKEN CH DURATION_S
import WebSocket from 'ws';

const [url, token, ch, duration] = process.argv.slice(2);
const lat = [];
const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
ws.on('open', () => ws.send(JSON.stringify({ op: 'sub', ch })));
ws.on('message', (data) => {
	const f = JSON.parse(data.toString());
	if (f.op === 'subbed') process.stderr.write('subscribed\n');
	if (f.op === 'event' && f.ch === ch) lat.push(Date.now() - f.at);
});
function done() {
	lat.sort((a, b) => a - b);
	const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null);
	console.log(JSON.stringify({ n: lat.length, p50: q(0.5), p99: q(0.99), max: lat.length ? lat[lat.length - 1] : null }));
	process.exit(0);
}
process.on('SIGTERM', done);
setTimeout(done, Number(duration) * 1000);
