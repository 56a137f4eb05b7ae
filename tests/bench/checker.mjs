// A content checker for benchmarks: answers {"result":"pass"} to every
// POST after DELAY_MS, as a remote checking service would.
//   node tests/bench/checker.mjs PORT DELAY_MS
import http from 'node:http';

const [port, delay] = process.argv.slice(2).map(Number);
let n = 0;
http.createServer((req, res) => {
	req.resume();
	req.on('end', () => setTimeout(() => {
		n++;
		res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":"pass"}');
	}, delay));
}).listen(port, '127.0.0.1', () => console.error(`checker on ${port}, ${delay} ms`));
process.on('SIGTERM', () => { console.error(`checked ${n}`); process.exit(0); });
