#!/usr/bin/env bash
# Fan-out benchmarks: the Linli gateway side by side with nginx + nchan.
# Invoked by `./linli.sh bench` (which has installed the deps and built build/).
# See docs/benchmarks.md for the machine, the results and how to read them.
#
# Beside each run of the fan-out scenarios, the floors (issue 18): what
# one send() per message and one io_uring submission per round cost the
# sender on this machine for the same subscribers, rate and frame size
# (tests/bench/sendcost.c, sender on the server's CPU, readers on the
# bench's); the summary states each server's CPU per delivery against
# nchan and against the floor. The storm scenarios (tests/bench/storm.mjs)
# restart the gateway under 10,000 subscribers 50 events behind.
#
# Every run gets a freshly started server (fresh process, fresh database) on a
# free loopback port, with only that server running; the server runs on CPU 0
# and build/linli-bench on CPU 1 (BENCH_PIN=0: unpinned). Each run's JSON goes to
# tests/out/bench/<scenario>-<server>.json (repeats: <scenario>-<server>.N.json).
#
# Environment:
#   BENCH_RUNS=2        runs of the main scenarios (fanout-10k, fanout-1k)
#   BENCH_BUDGET_S=840  overall time budget; runs that would start past it are skipped
#   BENCH_ONLY="a b"    run only these scenarios (default: all)
#   BENCH_BASELINE=F    also run gateway binary F (e.g. an older build) as server
#                       "base", interleaved with the others: before/after in one run
#   BENCH_BASE_CONF="k = v"  config lines for "base" only, e.g. the same binary
#                       with BENCH_BASE_CONF="ws_io_uring = false"
#   BENCH_FLOOR_BYTES=190  message size of the floors (the gateway's event frame
#                       for the bench's 100-byte body)
#   BENCH_PIN=1         the server on CPU 0, the load generator on CPU 1 (default,
#                       the set-up the targets were stated for); BENCH_PIN=0 pins
#                       nothing and lets the scheduler place both
# shellcheck disable=SC2317  # start_linli/start_nchan are called as "start_$srv"
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BENCH=$ROOT/build/linli-bench
GATEWAY=$ROOT/build/linli-gateway
OUT=$ROOT/tests/out/bench
RUNS=${BENCH_RUNS:-2}
BUDGET=${BENCH_BUDGET_S:-840}
ONLY=${BENCH_ONLY:-}
BASELINE=${BENCH_BASELINE:-}
SERVERS=(linli nchan)
if [ -n "$BASELINE" ]; then SERVERS=(linli base nchan); fi
RUN_TIMEOUT=150          # hard cap for one linli-bench run, seconds

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PIN_SERVER=(); PIN_BENCH=()
BENCH_PIN=${BENCH_PIN:-1}
if [ "$BENCH_PIN" != 0 ]; then
  command -v taskset >/dev/null || die "taskset (util-linux) is needed to pin; BENCH_PIN=0 runs unpinned"
  [ "$(nproc)" -ge 2 ] || die "pinning needs 2 CPUs; BENCH_PIN=0 runs unpinned"
  PIN_SERVER=(taskset -c 0); PIN_BENCH=(taskset -c 1)
fi

{ [ -x "$BENCH" ] && [ -x "$GATEWAY" ]; } || die "build/linli-bench or build/linli-gateway missing (run ./linli.sh build)"
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || die "BENCH_BASELINE=$BASELINE is not an executable"
command -v node >/dev/null || die "node is needed for the summary"
command -v curl >/dev/null || die "curl is needed"

# --- nginx + nchan -----------------------------------------------------------
NCHAN_SO=/usr/lib/nginx/modules/ngx_nchan_module.so
if ! command -v nginx >/dev/null || [ ! -f "$NCHAN_SO" ]; then
  log "installing nginx-light libnginx-mod-nchan"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light libnginx-mod-nchan >/dev/null \
    || die "apt-get install nginx-light libnginx-mod-nchan failed"
  # The package may have started the system nginx service; it must not share the machine.
  if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
    log "stopping the system nginx service the install started"
    as_root nginx -s quit || true
  fi
fi
NGINX=$(command -v nginx) || NGINX=/usr/sbin/nginx
[ -f "$NCHAN_SO" ] || die "$NCHAN_SO missing after install"

# Descriptors: the bench raises its own soft limit; servers inherit ours.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
[ "$NOFILE" -ge 19600 ] || log "warning: RLIMIT_NOFILE is $NOFILE; idle-19k needs ~19,100 per process"

# Only our server should be running during a run.
others=$(pgrep -x linli-gateway; pgrep -x nginx) || true
[ -z "$others" ] || log "warning: other linli-gateway/nginx processes are running (pids: ${others//$'\n'/ }); results will be noisier"

mkdir -p "$OUT"
rm -f "$OUT"/summary.txt "$OUT"/machine.txt
{
  echo "date:     $(date -u +%FT%TZ)"
  echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo "kernel:   $(uname -r)"
  echo "debian:   $(cat /etc/debian_version 2>/dev/null)"
  echo "openssl:  $(dpkg-query -W -f='${Version}' libssl-dev 2>/dev/null)"
  echo "nginx:    $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
  echo "nchan:    $(dpkg-query -W -f='${Version}' libnginx-mod-nchan 2>/dev/null)"
  echo "nofile:   $NOFILE"
  [ -z "$BASELINE" ] || echo "baseline: $BASELINE (server \"base\")${BENCH_BASE_CONF:+, with: $BENCH_BASE_CONF}"
  if [ "$BENCH_PIN" != 0 ]; then echo "pinned:   server CPU 0, bench CPU 1"; else echo "pinned:   no"; fi
  echo "commit:   $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- gateway handlers clients 2>/dev/null || echo ' (dirty)')"
} > "$OUT/machine.txt"
WORK=$(mktemp -d /tmp/linli-bench.XXXXXX)
SERVER_PID=""      # what we stop: gateway pid or nginx master pid
SERVER_KIND=""

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  local pid=$SERVER_PID _ w
  local workers=""
  [ "$SERVER_KIND" = nchan ] && workers=$(pgrep -P "$pid" || true)
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do   # up to 5 s (the gateway's grace is 2 s)
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "warning: $SERVER_KIND pid $pid ignored SIGTERM for 5 s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for w in $workers; do kill -0 "$w" 2>/dev/null && kill -KILL "$w" 2>/dev/null; done
  [ "$SERVER_KIND" = linli ] && wait "$pid" 2>/dev/null
  SERVER_PID=""; SERVER_KIND=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# A free loopback port below the ephemeral range (so no client socket holds it).
free_port() {
  local lo p _
  read -r lo _ < /proc/sys/net/ipv4/ip_local_port_range
  [ "$lo" -gt 11000 ] || lo=32768
  for _ in $(seq 1 200); do
    p=$(( 10000 + RANDOM % (lo - 10000) ))
    if [ -z "$(ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null)" ]; then echo "$p"; return 0; fi
  done
  return 1
}

HZ=$(getconf CLK_TCK)
machine_busy() {  # busy jiffies over all CPUs: user nice system irq softirq steal
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
proc_cpu() {  # utime + stime of PID, in jiffies
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  st=${st##*) }
  awk '{ print $12 + $13 }' <<< "$st"
}
proc_cpu_split() {  # "utime stime" of PID, in jiffies
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "0 0"; return; }
  st=${st##*) }
  awk '{ print $12, $13 }' <<< "$st"
}

wait_http() {  # URL: until it answers (any HTTP status), 10 s at most
  local _
  for _ in $(seq 1 100); do
    curl -s -o /dev/null -m 1 "$1" && return 0
    sleep 0.1
  done
  return 1
}

# Sets PORT, SERVER_PID, BENCH_TARGET (array of bench args), SERVER_STAT_PID.
start_linli() { start_gateway "$GATEWAY"; }
start_base() { start_gateway "$BASELINE" "${BENCH_BASE_CONF:-}"; }
start_gateway() {
  local bin=$1 extra=${2:-} dir=$WORK/linli
  rm -rf "$dir"; mkdir -p "$dir"
  printf 'max_connections = 19500\nlog_level = warn\n' > "$dir/gw.conf"
  [ -z "$extra" ] || printf '%s\n' "$extra" >> "$dir/gw.conf"
  # Every bench client is 127.0.0.1: lift max_conns_per_ip, unless the build
  # is older than the key (it refuses keys it does not know).
  printf 'max_conns_per_ip = 1000000\n' >> "$dir/gw.conf"
  "$bin" --config "$dir/gw.conf" --db "$dir/probe.db" mint-token --user 1 >/dev/null 2>&1 ||
    sed -i '/max_conns_per_ip/d' "$dir/gw.conf"
  rm -f "$dir"/probe.db*
  PORT=$(free_port) || return 1
  local tok
  tok=$("$bin" --config "$dir/gw.conf" --db "$dir/bench.db" mint-token --user 1 --admin --ttl 3600) || return 1
  "${PIN_SERVER[@]}" "$bin" --config "$dir/gw.conf" --port "$PORT" --db "$dir/bench.db" 2>"$dir/gateway.log" &
  SERVER_PID=$!; SERVER_KIND=linli; SERVER_STAT_PID=$SERVER_PID
  wait_http "http://127.0.0.1:$PORT/healthz" || { log "gateway did not come up: $(tail -3 "$dir/gateway.log")"; return 1; }
  BENCH_TARGET=(--mode linli --url "ws://127.0.0.1:$PORT/v1/ws" --token "$tok")
}

start_nchan() {
  local dir=$WORK/nchan
  rm -rf "$dir"; mkdir -p "$dir"
  PORT=$(free_port) || return 1
  # worker_connections: the template's 20000 (= the descriptor limit) is not enough
  # for idle-19k: nchan takes ~1,000 connection slots that hold no descriptor, and
  # at ~18,870 sockets nginx logs "worker_connections are not enough" and drops
  # handshakes. Slots are not descriptors: 24000 slots still fit in 20,000 fds
  # (nginx warns about it once). It does not change the per-connection RSS.
  sed -e "s|@PREFIX@|$dir|g" -e "s|@PIDFILE@|$dir/nginx.pid|g" -e "s|@PORT@|$PORT|g" \
      -e "s|worker_connections 20000;|worker_connections 24000;|" \
    "$ROOT/clients/bench/nchan.conf.in" > "$dir/nchan.conf"
  "${PIN_SERVER[@]}" "$NGINX" -p "$dir" -c "$dir/nchan.conf" 2>"$dir/start.log" || { log "nginx failed: $(cat "$dir/start.log")"; return 1; }
  local _
  for _ in $(seq 1 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
  SERVER_PID=$(cat "$dir/nginx.pid" 2>/dev/null); SERVER_KIND=nchan
  [ -n "$SERVER_PID" ] || { log "nginx wrote no pid"; return 1; }
  wait_http "http://127.0.0.1:$PORT/pub" || { log "nginx did not answer"; return 1; }
  SERVER_STAT_PID=$(pgrep -P "$SERVER_PID" | head -1)
  [ -n "$SERVER_STAT_PID" ] || { log "no nginx worker"; return 1; }
  BENCH_TARGET=(--mode nchan --url "ws://127.0.0.1:$PORT/sub" --pub-url "http://127.0.0.1:$PORT/pub")
}

# The floors: sendcost with the scenario's subscribers, frame size, rounds
# (rate x duration) and interval; built here (liburing-dev, linli.sh installs it).
FLOOR=$OUT/sendcost
FLOOR_BYTES=${BENCH_FLOOR_BYTES:-190}
mkdir -p "$OUT"
gcc -O2 -Wall -Wextra "$ROOT/tests/bench/sendcost.c" -o "$FLOOR" -luring || die "cannot build tests/bench/sendcost.c"
declare -A FLOOR_ARGS=([fanout-10k]="10000 $FLOOR_BYTES 100 200" [fanout-1k]="1000 $FLOOR_BYTES 400 50")

run_floor() {  # scenario mode(send|io_uring) run
  local sc=$1 mode=$2 n=$3 file
  file=$OUT/$sc-floor-$mode.$n.json
  # shellcheck disable=SC2086
  if SENDCOST_READER_CPU=${PIN_BENCH:+1} timeout 120 "${PIN_SERVER[@]}" "$FLOOR" "$mode" ${FLOOR_ARGS[$sc]} --json > "$file" 2> "$file.log"; then
    RESULTS+=("$sc floor-$mode $n 0 $file")
  else
    log "$sc/floor-$mode run $n failed: $(tail -2 "$file.log")"; RESULTS+=("$sc floor-$mode $n 1 -"); FAILED=1
  fi
  log "$sc/floor-$mode run $n: $(cat "$file" 2>/dev/null)"
}

# The reconnect storms: the gateway only (nchan has no restart that keeps
# its message buffer in this set-up: its buffer is in the worker's memory).
declare -A STORM=([storm]=once [storm-jitter]=jitter)
run_storm() {  # scenario run
  local sc=$1 n=$2 file
  file=$OUT/$sc-linli.$n.json
  if timeout 300 env STORM_PIN_SERVER=${PIN_SERVER:+0} LINLI_GATEWAY="$GATEWAY" "${PIN_BENCH[@]}" \
      node "$ROOT/tests/bench/storm.mjs" "${STORM[$sc]}" 10000 100 50 --json > "$file" 2> "$file.log"; then
    RESULTS+=("$sc storm $n 0 $file")
  else
    log "$sc run $n failed: $(tail -3 "$file.log")"; RESULTS+=("$sc storm $n 1 -"); FAILED=1
  fi
  log "$sc run $n: $(cat "$file" 2>/dev/null)"
}

# Scenario flags: the same for both servers.
declare -A FLAGS=(
  [fanout-10k]="--subs 10000 --rate 5 --duration 20 --pipeline 1"
  [fanout-1k]="--subs 1000 --rate 20 --duration 20 --pipeline 1"
  [saturate-1k]="--subs 1000 --saturate --pipeline 1 --duration 10"
  [saturate-10k]="--subs 10000 --saturate --pipeline 1 --duration 10"
  [idle-19k]="--subs 19000 --idle --duration 10"
)
SCENARIOS=(fanout-10k fanout-1k saturate-1k saturate-10k idle-19k storm storm-jitter)
declare -A REPEATS=([fanout-10k]=$RUNS [fanout-1k]=$RUNS)

RESULTS=()      # "scenario server run rc file"
FAILED=0

run_one() {  # scenario server run
  local sc=$1 srv=$2 n=$3 base file rc
  if [ "$n" -gt 1 ]; then base=$OUT/$sc-$srv.$n; else base=$OUT/$sc-$srv; fi
  file=$base.json
  local left=$(( BUDGET - SECONDS ))
  if [ "$left" -lt 45 ]; then
    log "$sc/$srv run $n: skipped, time budget (${BUDGET}s) spent"
    RESULTS+=("$sc $srv $n skip -"); return 0
  fi
  local tmo=$(( left < RUN_TIMEOUT ? left : RUN_TIMEOUT ))
  if ! "start_$srv"; then
    log "$sc/$srv run $n: server did not start"
    stop_server; RESULTS+=("$sc $srv $n nostart -"); FAILED=1; return 0
  fi
  log "$sc/$srv run $n: port $PORT, server pid $SERVER_STAT_PID, flags ${FLAGS[$sc]}"
  # Recorded next to the bench's JSON, in <run>.host.json:
  # - other_cpu_s: machine-wide busy CPU over the run minus the server's and the
  #   bench's own, i.e. what anything else on the machine took from the shared cores;
  # - the server's user and system time from "all subscribers ready" to the bench's
  #   exit (publish + drain), apart: on loopback, the kernel's TCP work for both
  #   ends of a send lands mostly in the sender's system time.
  local m0 s0 m1 s1 t0 t1 bcpu watcher r_ut r_st e_ut e_st
  rm -f "$WORK/ready"; : > "$base.log"
  ( until grep -q ' ready in ' "$base.log" 2>/dev/null; do sleep 0.05; done
    proc_cpu_split "$SERVER_STAT_PID" > "$WORK/ready" ) &
  watcher=$!
  m0=$(machine_busy); s0=$(proc_cpu "$SERVER_STAT_PID"); t0=$(date +%s.%N)
  local TIMEFORMAT='%U %S'
  # shellcheck disable=SC2086
  { time timeout -k 5 "$tmo" "${PIN_BENCH[@]}" "$BENCH" "${BENCH_TARGET[@]}" ${FLAGS[$sc]} \
      --server-pid "$SERVER_STAT_PID" --json > "$file.tmp" 2> "$base.log" ; } 2> "$WORK/time"
  rc=$?
  m1=$(machine_busy); s1=$(proc_cpu "$SERVER_STAT_PID"); t1=$(date +%s.%N)
  read -r e_ut e_st <<< "$(proc_cpu_split "$SERVER_STAT_PID")"
  kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null
  read -r r_ut r_st < "$WORK/ready" 2>/dev/null || { r_ut=$e_ut; r_st=$e_st; }
  bcpu=$(awk '{print $1 + $2}' "$WORK/time" 2>/dev/null)
  awk -v m0="$m0" -v m1="$m1" -v s0="$s0" -v s1="$s1" -v b="${bcpu:-0}" -v t0="$t0" -v t1="$t1" -v hz="$HZ" \
      -v ru="$r_ut" -v rs="$r_st" -v eu="$e_ut" -v es="$e_st" \
    'BEGIN { wall = t1 - t0; mach = (m1 - m0) / hz; srv = (s1 - s0) / hz; o = mach - srv - b; if (o < 0) o = 0;
             printf "{\"wall_s\":%.2f,\"machine_busy_cpu_s\":%.2f,\"server_cpu_s\":%.2f,\"bench_cpu_s\":%.2f,\"other_cpu_s\":%.2f,",
                    wall, mach, srv, b, o;
             printf "\"server_after_ready_user_s\":%.2f,\"server_after_ready_sys_s\":%.2f}\n", (eu - ru) / hz, (es - rs) / hz }' \
    > "$base.host.json"
  if [ -s "$file.tmp" ]; then mv "$file.tmp" "$file"; else rm -f "$file.tmp"; file=-; fi
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then log "$sc/$srv run $n: timed out after ${tmo}s"; FAILED=1; fi
  [ "$file" != - ] || { log "$sc/$srv run $n: no JSON (rc $rc)"; FAILED=1; }
  if [ "$srv" != nchan ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "$sc/$srv run $n: gateway died: $(tail -3 "$WORK/linli/gateway.log")"; FAILED=1
  fi
  stop_server
  # the server's own log, for post-mortems
  if [ "$srv" != nchan ]; then cp "$WORK/linli/gateway.log" "$base.server.log"; else cp "$WORK/nchan/error.log" "$base.server.log"; fi 2>/dev/null
  RESULTS+=("$sc $srv $n $rc $file")
  log "$sc/$srv run $n: rc $rc, $(( SECONDS ))s elapsed"
}

for sc in "${SCENARIOS[@]}"; do
  if [ -n "$ONLY" ] && [[ " $ONLY " != *" $sc "* ]]; then continue; fi
  reps=${REPEATS[$sc]:-1}
  rm -f "$OUT/$sc"-linli.* "$OUT/$sc"-base.* "$OUT/$sc"-nchan.* "$OUT/$sc"-floor-*   # this scenario's earlier results
  for n in $(seq 1 "$reps"); do
    if [ -n "${STORM[$sc]:-}" ]; then run_storm "$sc" "$n"; continue; fi
    for srv in "${SERVERS[@]}"; do   # interleaved, so drift hits all alike
      run_one "$sc" "$srv" "$n"
      sleep 1
    done
    if [ -n "${FLOOR_ARGS[$sc]:-}" ]; then
      run_floor "$sc" send "$n"
      run_floor "$sc" io_uring "$n"
    fi
  done
done

# --- summary ------------------------------------------------------------------
printf '%s\n' "${RESULTS[@]}" > "$WORK/results.txt"
node - "$WORK/results.txt" "$OUT/machine.txt" <<'EOF' | tee "$OUT/summary.txt"
const fs = require('fs');
const all = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').filter(Boolean);
const machine = fs.readFileSync(process.argv[3], 'utf8');
console.log(machine.split('\n').filter((l) => /^(cpu|kernel|pinned|commit):/.test(l)).join('\n'));
const rows = all.filter((l) => { const srv = l.split(' ')[1]; return !srv.startsWith('floor-') && srv !== 'storm'; });
const head = ['scenario', 'server', 'run', 'rc', 'conn', 'delivered/expected', 'missing',
  'p50 ms', 'p99 ms', 'max ms', 'srv us/dlv', 'usr+sys us/dlv', 'dlv/s', 'srv cpu s', 'bench cpu s', 'RSS/conn B', 'errors', 'other cpu s'];
const out = [head];
// CPU taken by anything but this server and this bench during the run (noise)
const host = (file) => {
  try { return JSON.parse(fs.readFileSync(file.replace(/\.json$/, '.host.json'), 'utf8')); } catch { return null; }
};
const other = (file) => { const h = host(file); return h ? h.other_cpu_s.toFixed(2) : '-'; };
// server user and system µs per delivery, from "ready" to the bench's exit
const split = (file, n) => {
  const h = host(file);
  if (!h || !n) return '-';
  return `${(h.server_after_ready_user_s * 1e6 / n).toFixed(2)}+${(h.server_after_ready_sys_s * 1e6 / n).toFixed(2)}`;
};
const ms = (us) => (us == null ? '-' : (us / 1000).toFixed(2));
for (const line of rows) {
  const [sc, srv, run, rc, file] = line.split(' ');
  if (file === '-' || !fs.existsSync(file)) { out.push([sc, srv, run, rc, '-', 'no result']); continue; }
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const idle = sc.startsWith('idle');
  const L = j.latency_us || {};
  out.push([sc, srv, run, rc, `${j.connected}/${j.subs}`,
    idle ? '-' : `${j.delivered}/${j.expected_deliveries}`,
    idle ? '-' : String(j.missing),
    idle ? '-' : ms(L.p50), idle ? '-' : ms(L.p99), idle ? '-' : ms(L.max),
    idle || j.server_cpu_us_per_delivery == null ? '-' : j.server_cpu_us_per_delivery.toFixed(2),
    idle ? '-' : split(file, j.delivered),
    idle ? '-' : Math.round(j.deliveries_per_sec).toString(),
    j.server_cpu_s == null ? '-' : j.server_cpu_s.toFixed(2),
    j.client_cpu_s == null ? '-' : j.client_cpu_s.toFixed(2),
    j.rss_per_conn_bytes == null ? '-' : String(j.rss_per_conn_bytes),
    String(j.errors), other(file)]);
}
const table = (t) => {
  const w = t[0].map((_, i) => Math.max(...t.map((r) => (r[i] || '').length)));
  for (const r of t) console.log(r.map((c, i) => (c || '').padEnd(w[i])).join('  ').trimEnd());
};
table(out);

// CPU per delivery against nchan and against the floors, run by run (the
// same invocation, the same run number), then the medians.
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, 'utf8')); } catch { return null; } };
const byKey = {};
for (const line of all) {
  const [sc, srv, run, rc, file] = line.split(' ');
  const j = file !== '-' ? read(file) : null;
  if (!j) continue;
  const v = srv.startsWith('floor-') ? j.cpu_us_per_message : srv === 'storm' ? j : j.server_cpu_us_per_delivery;
  const p99 = srv.startsWith('floor-') || srv === 'storm' ? null : (j.latency_us || {}).p99;
  ((byKey[sc] ||= {})[run] ||= {})[srv] = { v, p99 };
}
const median = (a) => { const s = a.filter((x) => Number.isFinite(x)).sort((x, y) => x - y); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
for (const sc of Object.keys(byKey)) {
  const runs = byKey[sc];
  if (sc.startsWith('storm')) {
    console.log(`\n${sc}: 10,000 subscribers x 50 missed events (100 channels), gateway restarted`);
    for (const [run, r] of Object.entries(runs)) {
      const s = r.storm && r.storm.v;
      if (s) console.log(`  run ${run}: all caught up in ${s.all_caught_up_s} s (p50 ${s.p50_s} s, p99 ${s.p99_s} s), gateway CPU ${s.server_cpu_s} s, peak RSS ${s.peak_rss_mib} MiB, ${s.out_of_order} out of order`);
    }
    continue;
  }
  if (!Object.values(runs).some((r) => r['floor-io_uring'])) continue;
  const t = [['run', 'linli us/dlv', 'base us/dlv', 'nchan us/dlv', 'send() floor', 'io_uring floor', 'linli/nchan', 'linli/base', 'linli/io_uring floor', 'linli p99/nchan p99']];
  const ratios = { ln: [], lb: [], lf: [], lp: [], l: [], b: [], n: [], fs: [], fu: [] };
  for (const [run, r] of Object.entries(runs)) {
    const l = r.linli?.v, b = r.base?.v, n = r.nchan?.v, fsnd = r['floor-send']?.v, fu = r['floor-io_uring']?.v;
    const lp = r.linli?.p99 / r.nchan?.p99;
    t.push([run, f2(l), f2(b), f2(n), f2(fsnd), f2(fu), f2(l / n), f2(l / b), f2(l / fu), f2(lp)]);
    ratios.ln.push(l / n); ratios.lb.push(l / b); ratios.lf.push(l / fu); ratios.lp.push(lp);
    ratios.l.push(l); ratios.b.push(b); ratios.n.push(n); ratios.fs.push(fsnd); ratios.fu.push(fu);
  }
  t.push(['median', f2(median(ratios.l)), f2(median(ratios.b)), f2(median(ratios.n)), f2(median(ratios.fs)), f2(median(ratios.fu)),
    f2(median(ratios.ln)), f2(median(ratios.lb)), f2(median(ratios.lf)), f2(median(ratios.lp))]);
  console.log(`\n${sc}: server CPU per delivery, and the sender's CPU per message at the floors`);
  table(t);
}
EOF
log "JSON in $OUT; total ${SECONDS}s"
exit "$FAILED"
