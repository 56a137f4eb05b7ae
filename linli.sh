#!/usr/bin/env bash
# Linli developer entry point. On a fresh Debian 12 machine:
#   ./linli.sh run    install what is missing, build, serve on :8080
#   ./linli.sh test   install, build (plain, ASan/UBSan, TSan), run every test
# Other commands: install, build, bench, bench-forums, bench-help, bench-posts,
# bench-stalled (docs/benchmarks.md), fuzz [SECONDS] (each libFuzzer target;
# docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

# Debian packages the build, the tests and the gateway need (postgresql-15:
# the tests start a throwaway cluster of their own; the gateway needs only
# libpq, and a server only when db is a postgresql:// URI).
DEBS=(build-essential cmake pkg-config git ca-certificates
      libuv1-dev libhiredis-dev
      libsqlite3-dev libpq-dev libssl-dev libjansson-dev libcmocka-dev
      libcurl4-openssl-dev libmaxminddb-dev redis-server openssl curl sqlite3
      postgresql-15 postgresql-client-15 haproxy
      chromium fonts-wqy-zenhei
      clang-14 libclang-rt-14-dev
      libmaxmind-db-writer-perl
      libvips-dev libvips-tools libimage-exiftool-perl liburing-dev)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_deps() {
  local missing=()
  for p in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  command -v node >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "linli: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # JS dependencies (tests, SDK adapters), pinned by package-lock.json.
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)" -- --no-print-directory >/dev/null
}

# libFuzzer targets with ASan and UBSan (clang: libFuzzer is clang's).
build_fuzz() {
  CC=clang-14 build build-fuzz -DLINLI_FUZZ=ON -DLINLI_TESTS=OFF
}

cmd=${1:-run}
shift || true
case "$cmd" in
  install) install_deps ;;
  build)   install_deps; build build ;;
  run)
    install_deps
    build build
    mkdir -p data
    echo "linli: serving http://localhost:8080 (data in ./data, Ctrl-C stops)"
    exec ./build/linli-gateway --config config/linli.conf "$@"
    ;;
  test)
    install_deps
    build build
    build build-asan -DLINLI_SANITIZE=ON
    build build-tsan -DLINLI_TSAN=ON -DLINLI_TESTS=ON
    build_fuzz
    exec tests/run-all.sh "$@"
    ;;
  fuzz)
    install_deps
    build_fuzz
    exec tests/fuzz/run.sh "$@"
    ;;
  bench)
    install_deps
    build build
    exec tests/bench/run.sh "$@"
    ;;
  bench-forums)
    install_deps
    build build
    exec tests/bench/forums.sh "$@"
    ;;
  bench-help)
    install_deps
    build build
    exec node tests/bench/help.mjs "$@"
    ;;
  bench-stalled)
    install_deps
    build build
    ulimit -n 65536 2>/dev/null || true
    exec node tests/bench/stalled.mjs "$@"
    ;;
  bench-posts)
    install_deps
    build build
    exec tests/bench/posts.sh "$@"
    ;;
  *) echo "usage: ./linli.sh [run|test|build|install|bench|bench-forums|bench-help|bench-posts]" >&2; exit 2 ;;
esac
