#!/usr/bin/env bash
# Usage: scripts/run.sh (`make run`)
#
# Development: migrates, then serves the app with one Daphne process on 127.0.0.1:PORT (8000) and
# runs one background worker (manage.py db_worker: account exports and imports) beside it, on the embedded
# default (SQLite, local memory) or on DATABASE_URL / REDIS_URL when set. Ctrl+C or TERM stops both;
# either dying stops the other.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/.venv/bin}
port=${PORT:-8000}
cd "$root"

"$bin/python" manage.py migrate --no-input

pids=()
stop_all() {
  status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$bin/python" manage.py db_worker --no-reload --worker-id "run-$$" --verbosity 0 &
pids+=($!)
echo "Background worker started (account exports, imports)"
echo "Serving at http://127.0.0.1:$port/"
"$bin/python" -m chatproject.daphne -b 127.0.0.1 -p "$port" chatproject.asgi:application &
pids+=($!)
wait -n "${pids[@]}"
