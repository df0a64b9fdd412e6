#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL and Redis on loopback for the test suite.
#   scripts/services.sh start <dir>   → prints the env to export (TEST_DATABASE_URL, TEST_REDIS_URL)
#   scripts/services.sh stop <dir>
set -euo pipefail
action=${1:?start|stop}
dir=${2:?state directory}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}

case "$action" in
  start)
    mkdir -p "$dir/pg" "$dir/sock" "$dir/logs"
    chmod 755 "$dir"
    chown -R postgres:postgres "$dir/pg" "$dir/sock" "$dir/logs"
    if [ ! -f "$dir/pg/PG_VERSION" ]; then
      runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/pg" -A trust -U postgres >/dev/null
    fi
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/pg" -l "$dir/logs/pg.log" -w \
      -o "-p $PG_PORT -k $dir/sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off" start >/dev/null
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --logfile "$dir/redis.log" >/dev/null
    echo "export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    echo "export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    ;;
  stop)
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    ;;
esac
