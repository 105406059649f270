#!/usr/bin/env bash
# Usage: scripts/with-services.sh COMMAND [ARG...]
#
# Starts a throwaway PostgreSQL and Redis on free loopback ports, runs COMMAND with DATABASE_URL and
# REDIS_URL pointing at them, stops both on every exit path, and exits with COMMAND's status.
# PostgreSQL comes from the system binaries (/usr/lib/postgresql/*/bin); as root the server runs
# as the `postgres` user with data, socket and log in a temporary directory it owns.
# PG_SERVER_OPTIONS adds server settings (`make bench` sizes shared_buffers with it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
"$here/ensure-packages.sh"

workdir=$(mktemp -d -t chat-services.XXXXXX)
chmod 755 "$workdir"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgdata="$workdir/pg"
pgport=$("$here/free-port.sh")
redisport=$("$here/free-port.sh")
while [ "$redisport" = "$pgport" ]; do redisport=$("$here/free-port.sh"); done

if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  as_pg=(runuser -u postgres --)
  mkdir -p "$pgdata"
  chown postgres "$pgdata"
else
  as_pg=()
  mkdir -p "$pgdata"
fi

cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ -f "$pgdata/postmaster.pid" ]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$workdir/redis.pid" ]; then
    kill "$(cat "$workdir/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -U chat --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$workdir/initdb.log" 2>&1 \
  || { cat "$workdir/initdb.log"; exit 1; }
# A throwaway server: durability is traded for speed, it never outlives the run.
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdata -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${PG_SERVER_OPTIONS:-}" \
  start >/dev/null || { cat "$pgdata/server.log"; exit 1; }
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U chat chat

redis_bin=$(command -v redis-server || echo /usr/bin/redis-server)
"$redis_bin" --bind 127.0.0.1 --port "$redisport" --save '' --appendonly no --daemonize yes \
  --pidfile "$workdir/redis.pid" --logfile "$workdir/redis.log" --dir "$workdir"
for _ in $(seq 1 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $redisport), 0.2).close()" 2>/dev/null && break
  sleep 0.1
done

export DATABASE_URL="postgres://chat@127.0.0.1:$pgport/chat"
export REDIS_URL="redis://127.0.0.1:$redisport/0"
echo "PostgreSQL on 127.0.0.1:$pgport, Redis on 127.0.0.1:$redisport"

set +e
"$@"
status=$?
set -e
exit "$status"
