#!/usr/bin/env bash
# Redis and PostgreSQL on loopback for the distributed mode, its tests and its benchmarks.
#
#   scripts/services.sh start   # use the ones already answering, else install (Debian packages) and start them
#   scripts/services.sh stop    # stop only what `start` started (pid files under .cluster/)
#
# Ports: REDIS_PORT (6379) and PG_PORT (5432). PostgreSQL trusts loopback connections of user
# `postgres`; databases `dashboard` and `test` are created when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="$PWD/.cluster"
REDIS_PORT="${REDIS_PORT:-6379}"
PG_PORT="${PG_PORT:-5432}"
mkdir -p "$STATE"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi; }

apt_install() {
  echo "installing $* (Debian packages)" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

redis_up() { (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && read -r -t 2 line <&3 && [[ "$line" == +PONG* ]]) 2>/dev/null; }
pg_up() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && { echo "$dir"; return; }; done
  dirname "$(command -v initdb)"
}

start_redis() {
  redis_up && return 0
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --daemonize yes --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" --dir "$STATE"
  for _ in $(seq 50); do redis_up && return 0; sleep 0.1; done
  echo "redis did not start; see $STATE/redis.log" >&2; return 1
}

start_postgres() {
  if ! pg_up; then
    command -v pg_isready >/dev/null 2>&1 && [ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] \
      || apt_install postgresql postgresql-client
    local bin data="$STATE/pg" run=()
    bin="$(pg_bin)"
    if [ "$(id -u)" -eq 0 ]; then run=(runuser -u postgres --); chown postgres "$STATE"; fi
    if [ ! -s "$data/PG_VERSION" ]; then
      mkdir -p "$data"; [ "$(id -u)" -eq 0 ] && chown postgres "$data"
      "${run[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
    fi
    "${run[@]}" "$bin/pg_ctl" -D "$data" -l "$STATE/postgres.log" -w \
      -o "-h 127.0.0.1 -p $PG_PORT -k $data" start >/dev/null
    touch "$STATE/pg.started"
  fi
  for db in dashboard test; do
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" \
      | grep -q 1 || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $db" >/dev/null
  done
}

stop_all() {
  if [ -f "$STATE/redis.pid" ]; then kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true; rm -f "$STATE/redis.pid"; fi
  if [ -f "$STATE/pg.started" ]; then
    local run=()
    [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$(pg_bin)/pg_ctl" -D "$STATE/pg" -m fast -w stop >/dev/null 2>&1 || true
    rm -f "$STATE/pg.started"
  fi
}

case "${1:-start}" in
  start) start_redis; start_postgres ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
