#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on loopback for the tests.
#   tests/pg-cluster.sh start DIR PORT   initdb (if DIR is new) and start; prints the URL
#   tests/pg-cluster.sh stop DIR         stop it (fast shutdown)
# initdb refuses to run as root (PLATFORM-NOTES), so as root the cluster
# belongs to the `postgres` user; otherwise to whoever runs this. The
# database ctype is C.UTF-8: with C, pg_trgm cannot index Chinese.
# fsync is off: the tests kill servers, never the machine.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    dir=$2 port=$3
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      out=$(as_owner "$BIN/initdb" -D "$dir" -U linli -A trust -E UTF8 --locale=C.UTF-8 2>&1) ||
        { echo "$out" >&2; exit 1; }
    fi
    as_owner "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=300 -c synchronous_commit=on" \
      start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
    echo "postgresql://linli@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$BIN/pg_ctl" -D "$2" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
