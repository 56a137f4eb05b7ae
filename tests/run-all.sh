#!/usr/bin/env bash
# Runs the whole suite against the builds in build/, build-asan/,
# build-tsan/ and build-fuzz/ (made by ./linli.sh test): the integration
# tests three times, on SQLite, under AddressSanitizer+UBSan (SQLite) and
# under ThreadSanitizer on PostgreSQL (where handlers run on several workers
# at once: the PostgreSQL pass, so that every engine runs under a
# sanitizer; LINLI_PG_PLAIN=1 adds a plain PostgreSQL pass), and every fuzz
# target for FUZZ_SECONDS (default 5; a crash fails the suite, its input
# kept in tests/out/fuzz/). Two steps run at a time where each mostly
# waits on its own round trips: the plain integration pass beside the
# browser tests (225 s together on 2 cores, 332 s one after the other),
# then the two sanitizer passes (232 s, 361 s); the ASan pass sends fan-out
# rounds one by one (LINLI_WS_IO_URING=0), the others with io_uring (issue
# 18: every test both ways). Prints each runner's own
# summary, then one total line.
set -uo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp}
mkdir -p tests/out
passed=0 failed=0

# A throwaway PostgreSQL cluster for the PostgreSQL runs (tests/pg-cluster.sh):
# every integration test makes its own database in it.
pgdir=$(mktemp -d /tmp/linli-pg-XXXXXX)
pgport=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
trap 'tests/pg-cluster.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
export LINLI_TEST_PG_URL
LINLI_TEST_PG_URL=$(tests/pg-cluster.sh start "$pgdir" "$pgport") || { echo "cannot start PostgreSQL" >&2; exit 1; }

step() {  # step NAME COMMAND...
  local name=$1; shift
  echo "=== $name"
  local start=$SECONDS
  if "$@" 2>&1 | tee "tests/out/$name.log"; [ "${PIPESTATUS[0]}" = 0 ]; then
    passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); echo "=== $name: FAILED ($((SECONDS - start)) s)"
  fi
}

# Two steps at once (the sanitizer passes: each mostly waits on its tests'
# round trips, and they use different engines and builds). Their output
# goes to their logs; the log is printed when the step is done.
bg_pids=() bg_names=() bg_starts=()
step_bg() {  # step_bg NAME COMMAND...
  local name=$1; shift
  echo "=== $name (started, alongside)"
  ( "$@" > "tests/out/$name.log" 2>&1 ) &
  bg_pids+=($!) bg_names+=("$name") bg_starts+=("$SECONDS")
}
wait_bg() {
  local i
  for i in "${!bg_pids[@]}"; do
    local name=${bg_names[$i]} rc=0
    wait "${bg_pids[$i]}" || rc=$?
    echo "=== $name"
    cat "tests/out/$name.log"
    if [ "$rc" = 0 ]; then
      passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - ${bg_starts[$i]})) s, alongside)"
    else
      failed=$((failed + 1)); echo "=== $name: FAILED ($((SECONDS - ${bg_starts[$i]})) s, alongside)"
    fi
  done
  bg_pids=() bg_names=() bg_starts=()
}

step unit        ctest --test-dir build --output-on-failure
step unit-asan   ctest --test-dir build-asan --output-on-failure
step unit-tsan   ctest --test-dir build-tsan --output-on-failure
step fuzz        tests/fuzz/run.sh "${FUZZ_SECONDS:-5}"
step_bg integration node --test --test-concurrency=1 tests/integration/*.test.mjs
step_bg e2e node --test --test-concurrency=1 tests/e2e/*.test.mjs
wait_bg
[ -z "${LINLI_PG_PLAIN:-}" ] || step integration-pg env LINLI_TEST_ENGINE=postgres \
                 node --test --test-concurrency=1 tests/integration/*.test.mjs
step_bg integration-asan env LINLI_GATEWAY="$PWD/build-asan/linli-gateway" LINLI_ASAN=1 LINLI_WS_IO_URING=0 \
                 node --test --test-concurrency=1 tests/integration/*.test.mjs
step_bg integration-tsan-pg env LINLI_GATEWAY="$PWD/build-tsan/linli-gateway" LINLI_TSAN=1 LINLI_TEST_ENGINE=postgres \
                 node --test --test-concurrency=1 tests/integration/*.test.mjs
wait_bg
step sdk node --test --test-concurrency=1 clients/js/test/*.test.mjs
step miniprogram node --test --test-concurrency=1 clients/miniprogram/test/*.test.mjs

echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
