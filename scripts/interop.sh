#!/usr/bin/env bash
# Installs and starts the real servers, runs the interop suite, stops what it started.
#   SOGo (ActiveSync, CalDAV, CardDAV) + PostgreSQL + Dovecot + memcached: scripts/sogo.sh
#   Radicale (CalDAV, CardDAV): scripts/radicale.sh, when present
# Every server is stopped by the pids its script recorded, also when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

started=()
stop_all() {
  local rc=$? i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    bash "scripts/${started[$i]}.sh" stop || echo "interop: stopping ${started[$i]} failed" >&2
  done
  exit "$rc"
}
trap stop_all EXIT

bash scripts/sogo.sh install
started+=(sogo)
bash scripts/sogo.sh start

if [[ -f scripts/radicale.sh ]]; then
  started+=(radicale)
  bash scripts/radicale.sh start
fi

npm run test:interop
