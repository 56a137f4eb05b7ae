#!/usr/bin/env bash
# Throwaway PostgreSQL 15 clusters on loopback for the tests.
#   tests/pg-cluster.sh start DIR PORT [-c name=value ...]
#                                       initdb (if DIR is new) and start; prints the URL
#   tests/pg-cluster.sh standby PRIMARY_PORT DIR PORT
#                                       a streaming standby of the primary (pg_basebackup -R)
#   tests/pg-cluster.sh promote DIR     the standby becomes a primary
#   tests/pg-cluster.sh kill DIR        kill -9 the server and its backends (a machine lost)
#   tests/pg-cluster.sh stop DIR        fast shutdown
# initdb refuses to run as root (PLATFORM-NOTES), so as root the cluster
# belongs to the `postgres` user; otherwise to whoever runs this. The
# database ctype is C.UTF-8: with C, pg_trgm cannot index Chinese.
# fsync is off: the tests kill servers, never the machine.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
own() { mkdir -p "$1"; chmod 700 "$1"; [ "$(id -u)" = 0 ] && chown postgres: "$1"; return 0; }

start_server() {  # DIR PORT [extra server options]
  local dir=$1 port=$2; shift 2
  as_owner "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=300 $*" \
    start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
  echo "postgresql://linli@127.0.0.1:$port/postgres"
}

case "${1:-}" in
  start)
    dir=$2 port=$3; shift 3
    own "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      out=$(as_owner "$BIN/initdb" -D "$dir" -U linli -A trust -E UTF8 --locale=C.UTF-8 2>&1) ||
        { echo "$out" >&2; exit 1; }
    fi
    start_server "$dir" "$port" "$@"
    ;;
  standby)
    primary=$2 dir=$3 port=$4
    own "$dir"
    as_owner "$BIN/pg_basebackup" -D "$dir" -R -X stream --checkpoint=fast -h 127.0.0.1 -p "$primary" -U linli 2>/dev/null
    start_server "$dir" "$port"
    ;;
  promote)
    as_owner "$BIN/pg_ctl" -D "$2" -w -t 30 promote >/dev/null
    ;;
  kill)
    pid=$(head -1 "$2/postmaster.pid" 2>/dev/null) || exit 0
    pkill -9 -P "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
    ;;
  stop)
    as_owner "$BIN/pg_ctl" -D "$2" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start DIR PORT [-c k=v ...] | standby PRIMARY_PORT DIR PORT | promote DIR | kill DIR | stop DIR" >&2; exit 2 ;;
esac
