#!/usr/bin/env bash
# Usage: scripts/serve.sh (`make serve`)
#
# The production topology on one machine: nginx on PORT (8080) in front of gunicorn (WSGI:
# HTTP_WORKERS processes, default one per core, of HTTP_THREADS threads, default 4) for pages, the
# API and exports, WS_WORKERS (2) Daphne processes for sockets (/ws/) and the streaming reply, and
# JOB_WORKERS (2) background workers (manage.py db_worker) for the jobs (account exports, imports; each in a
# child process under the job limits, one running job per user, so one user never holds both workers).
# nginx serves the hashed static files itself. Every process shares only PostgreSQL and Redis, so
# DATABASE_URL and REDIS_URL are required, with production settings (DEBUG=false, SECRET_KEY,
# ALLOWED_HOSTS). Ctrl+C or TERM stops every process it started; any of them dying stops the rest.
# nginx listens on HOST (127.0.0.1) and comes from apt when missing. The nginx site is deploy/nginx/, as an operator installs it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${BIN:-$root/.venv/bin}
host=${HOST:-127.0.0.1}
port=${PORT:-8080}
http_workers=${HTTP_WORKERS:-$(nproc)}
http_threads=${HTTP_THREADS:-4}
ws_workers=${WS_WORKERS:-2}
job_workers=${JOB_WORKERS:-2}

problems=()
[ -n "${DATABASE_URL:-}" ] || problems+=("DATABASE_URL (PostgreSQL: postgres://user:pass@host:5432/name)")
case "${DATABASE_URL:-}" in "" | postgres://* | postgresql://*) ;; *) problems+=("DATABASE_URL naming PostgreSQL (processes cannot share SQLite)") ;; esac
[ -n "${REDIS_URL:-}" ] || problems+=("REDIS_URL (redis://host:6379/0)")
[ -n "${SECRET_KEY:-}" ] || problems+=("SECRET_KEY (a long random string: python3 -c 'import secrets; print(secrets.token_urlsafe(50))')")
[ -n "${ALLOWED_HOSTS:-}" ] || problems+=("ALLOWED_HOSTS (the host names served, comma-separated: 127.0.0.1,localhost)")
if [ ${#problems[@]} -gt 0 ]; then
  echo "make serve runs the production topology, and it needs in the environment:" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  echo "Processes share nothing but PostgreSQL and Redis. README: \"Deploying\"." >&2
  exit 2
fi

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  "$here/ensure-packages.sh" nginx
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# Production settings for every process. This serves plain HTTP on one machine, so HTTPS is not
# forced unless asked (deploy/nginx/chat.conf terminates TLS); nginx is the one trusted proxy.
export DEBUG=false
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-false}
export TRUSTED_PROXY_COUNT=${TRUSTED_PROXY_COUNT:-1}
export DJANGO_SETTINGS_MODULE=chatproject.settings
cd "$root"

rundir=$(mktemp -d -t chat-serve.XXXXXX)
chmod 755 "$rundir"
static_root=${STATIC_ROOT:-$root/staticfiles}
export STATIC_ROOT=$static_root

declare -A roles=()  # pid -> what it is: gunicorn, Daphne N, nginx, or a job worker's number
stop_all() {
  status=$?
  trap - EXIT INT TERM
  for pid in "${!roles[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${!roles[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$rundir"
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$bin/python" manage.py migrate --no-input
"$bin/python" manage.py collectstatic --no-input --verbosity 0

free_port() { "$here/free-port.sh"; }
taken=" $port "
next_port() {
  local candidate
  candidate=$(free_port)
  while [[ "$taken" == *" $candidate "* ]]; do candidate=$(free_port); done
  taken+="$candidate "
  echo "$candidate"
}
wait_for_port() {
  local name=$1 port=$2 pid=$3
  for _ in $(seq 1 300); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "$name exited while starting" >&2; exit 1; }
    sleep 0.1
  done
  echo "$name did not listen on 127.0.0.1:$port within 30 s" >&2
  exit 1
}

http_port=$(next_port)
HTTP_BIND="127.0.0.1:$http_port" HTTP_WORKERS=$http_workers HTTP_THREADS=$http_threads \
  "$bin/gunicorn" -c deploy/gunicorn.conf.py &
roles[$!]=gunicorn
wait_for_port gunicorn "$http_port" "$!"
echo "gunicorn (WSGI: $http_workers workers x $http_threads threads) on 127.0.0.1:$http_port"

ws_servers=""
for n in $(seq 1 "$ws_workers"); do
  ws_port=$(next_port)
  # X-Real-IP is set by nginx alone (never taken from the client): the socket's client address.
  "$bin/python" -m chatproject.daphne --proxy-headers --proxy-headers-host X-Real-IP \
    -b 127.0.0.1 -p "$ws_port" chatproject.asgi:application &
  roles[$!]="Daphne $n"
  wait_for_port "Daphne $n" "$ws_port" "$!"
  echo "Daphne $n (sockets, streaming replies) on 127.0.0.1:$ws_port"
  ws_servers+="        server 127.0.0.1:$ws_port;"$'\n'
done

# shellcheck source=scripts/job-workers.sh
source "$here/job-workers.sh"
for n in $(seq 1 "$job_workers"); do start_worker "serve-$$" "$n"; done
start_worker "serve-$$" exports
start_worker "serve-$$" context

if [ "$(id -u)" -eq 0 ]; then nginx_user="user nobody nogroup;"; else nginx_user=""; fi
cat >"$rundir/nginx.conf" <<NGINX
$nginx_user
worker_processes auto;
pid $rundir/nginx.pid;
error_log $rundir/nginx-error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log off;
    client_body_temp_path $rundir/client-body;
    proxy_temp_path $rundir/proxy;
    fastcgi_temp_path $rundir/fastcgi;
    uwsgi_temp_path $rundir/uwsgi;
    scgi_temp_path $rundir/scgi;

    include $root/deploy/nginx/chat-http.conf;

    upstream chat_http {
        server 127.0.0.1:$http_port;
        # As in deploy/nginx/chat.conf: connections re-dealt among the workers every 100 requests.
        keepalive 32;
        keepalive_requests 100;
    }
    upstream chat_ws {
        least_conn;
$ws_servers        keepalive 32;
    }
    server {
        listen $host:$port;
        location /static/ {
            alias $static_root/;
            gzip_static on;
            add_header Cache-Control \$chat_static_cache_control;
            add_header X-Content-Type-Options nosniff;
        }
        include $root/deploy/nginx/chat-proxy.conf;
    }
}
NGINX
"$nginx_bin" -e "$rundir/nginx-error.log" -p "$rundir" -c "$rundir/nginx.conf" -g "daemon off;" &
roles[$!]=nginx
wait_for_port nginx "$port" "$!"
echo "Serving at http://$host:$port/ (nginx; Ctrl+C stops every process)"

# A job worker that ends is started again (as systemd's chat-worker@ units are); any other process
# ending, for any reason, ends the topology.
while true; do
  status=0
  wait -n -p died "${!roles[@]}" || status=$?
  role=${roles[$died]}
  unset "roles[$died]"
  if [[ "$role" =~ ^([0-9]+|exports|context)$ ]]; then
    echo "Background worker $role (pid $died) $(how_it_ended "$status"): starting it again" >&2
    sleep 1
    start_worker "serve-$$" "$role"
    continue
  fi
  echo "$role (pid $died) $(how_it_ended "$status"); stopping the others" >&2
  exit $((status == 0 ? 1 : status))
done
