#!/usr/bin/env bash
# Post creation over HTTP (each post stored with its event, indexed, and
# published) on SQLite and on PostgreSQL, and the build before the
# PostgreSQL work (handlers on the loop) on SQLite, alternating in one run
# on one machine. During each: a WebSocket subscriber's delivery latency
# (arrival minus the event's `at`) and the loop's iterations over 20 ms.
#   ./linli.sh bench-posts
# env: BENCH_RUNS (3) rounds; BENCH_SECONDS (10) of wrk per run;
#      BENCH_SEED (10000) posts seeded first; BENCH_BASE (e5e5a7a) the
#      commit to compare with, "none" to skip; BENCH_WORKERS (4) db_workers;
#      BENCH_CHECK_MS (unset): also run with a content checker on loopback
#      answering pass after that many ms (tests/bench/checker.mjs).
# PostgreSQL runs with fsync and synchronous_commit on (durable, as in
# production); SQLite with the gateway's own settings (WAL, synchronous=NORMAL).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-3} SECS=${BENCH_SECONDS:-10} SEED=${BENCH_SEED:-10000}
BASE=${BENCH_BASE:-e5e5a7a} WORKERS=${BENCH_WORKERS:-4}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
work=$(mktemp -d /tmp/linli-bench-posts-XXXXXX)
chmod 755 "$work"
gw=""
checker=""
cleanup() {
	[ -n "$gw" ] && kill "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
	[ -n "$checker" ] && kill "$checker" 2>/dev/null
	tests/pg-cluster.sh stop "$work/pg"
	[ -d "$work/base-src" ] && git worktree remove --force "$work/base-src" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
freeport() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

basebin=""
if [ "$BASE" != none ]; then
	git worktree add -q --detach "$work/base-src" "$BASE"
	cmake -S "$work/base-src" -B "$work/base-build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLINLI_TESTS=OFF >/dev/null
	cmake --build "$work/base-build" -j"$(nproc)" --target linli-gateway -- --no-print-directory >/dev/null
	basebin=$work/base-build/linli-gateway
fi
pgurl=$(tests/pg-cluster.sh start "$work/pg" "$(freeport)" -c fsync=on -c full_page_writes=on -c synchronous_commit=on)

scrape() {  # PORT FILE: /metrics once, so that related series agree
	curl -sf "127.0.0.1:$1/metrics" >"$2"
}
metric() {  # FILE NAME: the value of one series in a scrape
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

n=0
one_run() {  # LABEL BINARY DB [CHECKER_URL]
	local label=$1 bin=$2 db=$3 check=${4:-} port
	n=$((n + 1))
	port=$(freeport)
	cat >"$work/gw.conf" <<-CONF
	log_level = warn
	scrypt_log2_n = 10
	db_workers = $WORKERS
	sensitive_words = $ROOT/config/sensitive-words.txt
	CONF
	if [ "$label" = base ]; then sed -i '/db_workers/d' "$work/gw.conf"; fi
	if [ -n "$check" ]; then
		printf 'content_check_url = "%s"\ncontent_check_secret = "bench-secret-0123456789"\n' "$check" >>"$work/gw.conf"
	fi
	local tok
	tok=$("$bin" --config "$work/gw.conf" --db "$db" mint-token --user 1 --admin --ttl 7200)
	"$bin" --config "$work/gw.conf" --db "$db" --port "$port" 2>"$work/gw-$n.log" &
	gw=$!
	for _ in $(seq 200); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
	local url="http://127.0.0.1:$port"
	curl -sf -H "Authorization: Bearer $tok" -d '{"name":"压测社区","grids":["1号楼"]}' "$url/v1/communities" >/dev/null
	node tests/bench/forums-seed.mjs "$url" "$tok" 1 100 "$SEED" >/dev/null
	node tests/bench/latency.mjs "ws://127.0.0.1:$port/v1/ws" "$tok" thread:1 $((SECS + 30)) >"$work/lat.json" 2>"$work/lat.err" &
	local lat=$!
	for _ in $(seq 100); do grep -q subscribed "$work/lat.err" 2>/dev/null && break; sleep 0.05; done
	local turns0 fast0
	scrape "$port" "$work/m0"
	turns0=$(metric "$work/m0" linli_loop_busy_seconds_count)
	fast0=$(metric "$work/m0" 'linli_loop_busy_seconds_bucket{le="0.02"}')
	LINLI_TOKEN=$tok LINLI_POST_PATH=/v1/threads/1/posts \
		wrk -t2 -c32 -d"${SECS}s" --latency -s tests/bench/post.lua "$url" >"$work/wrk.txt"
	kill -TERM "$lat"; wait "$lat" || true
	local turns fast maxms rps p99 non2xx
	scrape "$port" "$work/m1"
	turns=$(( $(metric "$work/m1" linli_loop_busy_seconds_count) - turns0 ))
	fast=$(( $(metric "$work/m1" 'linli_loop_busy_seconds_bucket{le="0.02"}') - fast0 ))
	maxms=$(metric "$work/m1" linli_loop_busy_seconds_max | awk '{ printf "%.1f", $1 * 1000 }')
	rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$work/wrk.txt")
	p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk.txt")
	non2xx=$(awk '/Non-2xx/ { print $5 }' "$work/wrk.txt")
	kill "$gw"; wait "$gw" 2>/dev/null || true
	gw=""
	printf '| %s | %s | %s | %s | %s | %s of %s | %s |\n' "$label" "$rps" "$p99" "${non2xx:-0}" \
		"$(node -e "const j=require('$work/lat.json');console.log(j.n+' events: p50 '+j.p50+' ms, p99 '+j.p99+' ms, max '+j.max+' ms')")" \
		"$((turns - fast))" "$turns" "$maxms"
}

echo "CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r)"
echo "wrk -t2 -c32 -d${SECS}s on POST /v1/threads/1/posts after seeding $SEED posts; db_workers = $WORKERS"
echo
echo "| build / engine | posts/s | wrk p99 | non-2xx | WebSocket delivery | loop turns > 20 ms | loop max ms (incl. seeding) |"
echo "|---|---|---|---|---|---|---|"
checkurl=""
if [ -n "${BENCH_CHECK_MS:-}" ]; then
	cport=$(freeport)
	node tests/bench/checker.mjs "$cport" "$BENCH_CHECK_MS" 2>"$work/checker.log" &
	checker=$!
	checkurl="http://127.0.0.1:$cport/check"
	for _ in $(seq 100); do grep -q "checker on" "$work/checker.log" && break; sleep 0.05; done
fi
for r in $(seq "$RUNS"); do
	[ -n "$basebin" ] && one_run base "$basebin" "$work/base-$r.db"
	one_run sqlite build/linli-gateway "$work/new-$r.db"
	[ -n "$checkurl" ] && one_run "sqlite + check ${BENCH_CHECK_MS} ms" build/linli-gateway "$work/chk-$r.db" "$checkurl"
	psql -X -q -d "$pgurl" -c "CREATE DATABASE bench_$r"
	one_run postgres build/linli-gateway "${pgurl%/postgres}/bench_$r"
	if [ -n "$checkurl" ]; then
		psql -X -q -d "$pgurl" -c "CREATE DATABASE bench_chk_$r"
		one_run "postgres + check ${BENCH_CHECK_MS} ms" build/linli-gateway "${pgurl%/postgres}/bench_chk_$r" "$checkurl"
	fi
done
