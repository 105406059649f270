# Sourced by scripts/run.sh and scripts/serve.sh: the job workers both start, and how a process ended.
# Needs $bin (the virtualenv's bin) and the associative array `roles` (pid -> role) of the caller.

# start_worker PREFIX ROLE: workers 1..JOB_WORKERS take every queue; the worker named "exports" takes
# account exports only, so no number of imports holds an export back; the one named "context" takes
# the chats' summaries only (conversation/summaries/tasks.py), so none waits behind imports.
start_worker() {
  local queues='*' jobs="account exports, imports"
  if [ "$2" = exports ]; then queues=exports jobs="account exports only"; fi
  if [ "$2" = context ]; then queues=context jobs="chats' summaries only"; fi
  "$bin/python" manage.py db_worker --no-reload --queue-name "$queues" --worker-id "$1-$2" --verbosity 0 &
  roles[$!]=$2
  echo "Background worker $2 started (pid $!; $jobs)"
}

how_it_ended() {
  if [ "$1" -gt 128 ]; then echo "killed by signal $(kill -l $(($1 - 128)))"; else echo "exited with status $1"; fi
}
