#!/usr/bin/env bash
# Plain-port HTTP on kept-alive connections: wrk on /healthz (no database)
# and / (a static file), then the gateway's RSS for N idle kept-alive
# connections. Results are recorded in docs/benchmarks.md.
# usage: tests/bench/http.sh [BINARY] [IDLE]   (from the repository root;
# BINARY defaults to build/linli-gateway, IDLE to 5000 connections)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/linli-gateway}
IDLE=${2:-5000}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
dir=$(mktemp -d)
trap 'kill $gw 2>/dev/null; wait $gw 2>/dev/null; rm -rf "$dir"' EXIT
port=$((20000 + RANDOM % 20000))
cat > "$dir/gw.conf" <<CONF
log_level = warn
max_conns_per_ip = 100000
CONF
"$BIN" --config "$dir/gw.conf" --db "$dir/h.db" --port "$port" 2>"$dir/gw.log" &
gw=$!
for _ in $(seq 100); do curl -sf "localhost:$port/healthz" >/dev/null && break; sleep 0.05; done
for path in /healthz /; do
	echo "== GET $path"
	wrk -t2 -c32 -d8s "http://127.0.0.1:$port$path" | grep -E "Latency|Requests/sec"
done
echo "== $IDLE idle kept-alive connections"
node - "$port" "$IDLE" "$gw" <<'JS'
const net = require('node:net');
const fs = require('node:fs');
const [port, n, pid] = process.argv.slice(2).map(Number);
const rss = () => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
const before = rss();
const socks = [];
let answered = 0;
for (let i = 0; i < n; i++) {
	const s = net.connect(port, '127.0.0.1', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
	let got = '';
	s.on('data', (d) => {
		got += d;
		if (got.endsWith('{"status":"ok"}') && ++answered === n) {
			setTimeout(() => {
				const after = rss();
				console.log(`RSS ${before} -> ${after} KiB: ${((after - before) / n).toFixed(2)} KiB a connection`);
				socks.forEach((x) => x.destroy());
			}, 1000);
		}
	});
	socks.push(s);
}
JS
