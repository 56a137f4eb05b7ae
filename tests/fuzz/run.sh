#!/usr/bin/env bash
# Runs every libFuzzer target of build-fuzz for SECONDS each (default 15),
# JOBS at a time (default: the number of cores). Each starts from the
# committed seeds (tests/fuzz/corpus/NAME) plus what earlier runs found
# (build-fuzz/corpus/NAME, untracked). A crash, leak or sanitizer report
# fails the run; the input that caused it is kept in tests/out/fuzz/ and
# the end of the target's log is printed. Prints executions per target.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(sed -n 's/^foreach(name \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt))
jobs=${FUZZ_JOBS:-$(nproc)}
out=tests/out/fuzz
mkdir -p "$out"

one() {
  local t=$1 bin=build-fuzz/tests/fuzz/fuzz_$1 work=build-fuzz/corpus/$1
  mkdir -p "$work"
  # -rss_limit_mb: ASan's shadow memory counts; 2 GB is libFuzzer's default.
  if "$bin" "$work" "tests/fuzz/corpus/$t" -max_total_time="$secs" -print_final_stats=1 \
       -artifact_prefix="$out/$t-" -timeout=10 -rss_limit_mb=2048 >"$out/$t.log" 2>&1; then
    local n
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
    printf 'fuzz %-12s ok   %10s runs in %s s\n' "$t" "$n" "$secs"
  else
    printf 'fuzz %-12s FAILED (input kept as %s-*; log %s):\n' "$t" "$out/$t" "$out/$t.log"
    grep -E 'ERROR|SUMMARY|Test unit written|deadly signal' "$out/$t.log" | head -5 | sed 's/^/    /'
    return 1
  fi
}

failed=0
running=0
pids=()
for t in "${targets[@]}"; do
  one "$t" & pids+=($!)
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
exit $failed
