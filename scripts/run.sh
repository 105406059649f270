#!/usr/bin/env bash
# Usage: scripts/run.sh (`make run`)
#
# Development: migrates, then serves the app with one Daphne process on 127.0.0.1:PORT (8000) and
# runs JOB_WORKERS (2) background workers (manage.py db_worker: account exports and imports, each job
# in a child process under the job limits) beside it, on the embedded default (SQLite, local memory)
# or on DATABASE_URL / REDIS_URL when set. Ctrl+C or TERM stops them all. A worker that dies is
# started again (the log says which one and how it ended); if Daphne dies, everything stops.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/.venv/bin}
port=${PORT:-8000}
job_workers=${JOB_WORKERS:-2}
cd "$root"

"$bin/python" manage.py migrate --no-input

declare -A roles=()  # pid -> "Daphne" or the worker's number
stop_all() {
  status=$?
  trap - EXIT INT TERM
  for pid in "${!roles[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${!roles[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=scripts/job-workers.sh
source "$root/scripts/job-workers.sh"
for n in $(seq 1 "$job_workers"); do start_worker "run-$$" "$n"; done
start_worker "run-$$" exports
start_worker "run-$$" context
"$bin/python" -m chatproject.daphne -b 127.0.0.1 -p "$port" chatproject.asgi:application &
roles[$!]=Daphne
echo "Serving at http://127.0.0.1:$port/ (Daphne, pid $!)"
while true; do
  status=0
  wait -n -p died "${!roles[@]}" || status=$?
  role=${roles[$died]}
  unset "roles[$died]"
  if [ "$role" = Daphne ]; then
    echo "Daphne (pid $died) $(how_it_ended "$status"): stopping the background workers too" >&2
    exit $((status == 0 ? 1 : status))
  fi
  echo "Background worker $role (pid $died) $(how_it_ended "$status"): starting it again" >&2
  sleep 1
  start_worker "run-$$" "$role"
done
