#!/usr/bin/env bash
# Usage: scripts/ensure-packages.sh [postgresql|redis|chromium|nginx|node ...]
# Installs the named system packages when they are missing; with no name, what the test suite
# needs: PostgreSQL, Redis, Debian's Chromium and nginx (make serve's topology is tested). `node`
# (Node.js and npm) is asked for by make test only, which installs axe-core for the browser tests.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(postgresql redis chromium nginx)

missing=()
for name in "${wanted[@]}"; do
  case "$name" in
    postgresql) compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql) ;;
    redis) command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    nginx) command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx) ;;
    node)
      command -v node >/dev/null || missing+=(nodejs)
      command -v npm >/dev/null || missing+=(npm)
      ;;
    *) echo "ensure-packages: unknown package $name" >&2; exit 2 ;;
  esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Debian's postgresql package starts a cluster of its own; the tests use throwaway servers only.
if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null; then
  for cluster in /etc/postgresql/*/main; do
    [ -d "$cluster" ] || continue
    version=$(basename "$(dirname "$cluster")")
    "${sudo[@]}" pg_ctlcluster "$version" main stop 2>/dev/null || true
  done
fi
# Debian's nginx package may start its default site on port 80; the project runs nginx itself.
if [[ " ${missing[*]} " == *" nginx "* ]] && [ -f /run/nginx.pid ]; then
  "${sudo[@]}" nginx -s quit 2>/dev/null || true
fi
