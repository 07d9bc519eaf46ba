#!/usr/bin/env bash
# Installs and starts the real servers, runs the interop suite, stops what it started.
#   SOGo (ActiveSync, CalDAV, CardDAV) + PostgreSQL + Dovecot + memcached: scripts/sogo.sh
#   Radicale (CalDAV, CardDAV): scripts/radicale.sh, when present
#   Dovecot 2.3 (IMAP, three capability sets): scripts/dovecot-imap.sh
#   Cyrus 3.6 (JMAP, Email/changes without push): scripts/cyrus.sh
# What this run started is stopped by the pids its script recorded, also when a step fails; a
# server that was already running (a developer's session) is used and left running.
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

# Starts server $1 with scripts/$1.sh unless it already runs; remembers it for stop_all.
bring_up() {
  if bash "scripts/$1.sh" status >/dev/null 2>&1; then
    echo "interop: $1 already running; leaving it running afterwards" >&2
    return
  fi
  started+=("$1")
  bash "scripts/$1.sh" start
}

bash scripts/sogo.sh install
bring_up sogo
if [[ -f scripts/radicale.sh ]]; then bring_up radicale; fi
# Dovecot 2.3 for kind: imap (NOTIFY / IDLE-only / plain instances); dovecot-imapd comes with sogo.sh install.
bring_up dovecot-imap
# Cyrus 3.6 JMAP (issue 17): the Debian packages unpacked beside Dovecot, then started.
bash scripts/cyrus.sh install
bring_up cyrus

npm run test:interop
