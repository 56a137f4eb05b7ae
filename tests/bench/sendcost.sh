#!/usr/bin/env bash
# Sender CPU per message over loopback: send() vs io_uring (issue 2's CPU
# target; results in docs/benchmarks.md). usage: tests/bench/sendcost.sh [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
dpkg-query -W -f='${Status}' liburing-dev 2>/dev/null | grep -q 'install ok installed' ||
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liburing-dev >/dev/null
mkdir -p tests/out/bench
gcc -O2 -Wall -Wextra tests/bench/sendcost.c -o tests/out/bench/sendcost -luring
ulimit -n 8192
for _ in $(seq "${1:-3}"); do
  tests/out/bench/sendcost send
  tests/out/bench/sendcost io_uring
done
