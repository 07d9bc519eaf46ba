#!/usr/bin/env bash
# Runs Radicale (Debian package `radicale`) for the interop suite and the DAV benchmark:
# 127.0.0.1:5232, its own config and htpasswd users, storage under /tmp/tidings-radicale.
#   scripts/radicale.sh start | stop | status
# stop kills only the pid this script started (pid file), never by name.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${TIDINGS_RADICALE_ROOT:-/tmp/tidings-radicale}"
PIDFILE="$ROOT/radicale.pid"
LOG="$ROOT/radicale.log"
URL="http://127.0.0.1:5232/"

mkdir -p "$ROOT"
# Serialise start/stop: the interop suite, the benchmark and a person may call this at once, and
# two starts racing would orphan one server and overwrite the other's pid file.
exec 9>"$ROOT/.lock"
flock 9

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
answering() { curl -s -o /dev/null -m 2 -w '%{http_code}' -X OPTIONS "$URL" 2>/dev/null | grep -qE '^[1-5][0-9][0-9]$'; }

case "${1:-}" in
  start)
    if running && answering; then echo "radicale: already running (pid $(cat "$PIDFILE"))"; exit 0; fi
    if answering; then echo "radicale: something else already answers on $URL; not starting another" >&2; exit 0; fi
    command -v radicale >/dev/null || { echo "radicale: not installed (scripts/setup.sh installs it)" >&2; exit 1; }
    mkdir -p "$ROOT/collections"
    sed "s#@ROOT@#$ROOT#g" "$HERE/radicale/config" >"$ROOT/config"
    cp "$HERE/radicale/users" "$ROOT/users"
    # RADICALE_CONFIG is unset so only our file adds to the built-in defaults.
    # 9>&-: the server must not inherit the lock, or every later stop/status would wait on it.
    env -u RADICALE_CONFIG nohup radicale --config "$ROOT/config" >"$LOG" 2>&1 9>&- &
    echo $! >"$PIDFILE"
    # Up to 30 s: Radicale's first start on a loaded 2-core machine can take several seconds.
    for _ in $(seq 1 300); do
      # Our process must be alive as well: an answer from another server on the port is not ours.
      if ! running; then echo "radicale: exited at start:" >&2; cat "$LOG" >&2; rm -f "$PIDFILE"; exit 1; fi
      if answering; then echo "radicale: started (pid $(cat "$PIDFILE")) on $URL"; exit 0; fi
      sleep 0.1
    done
    echo "radicale: did not answer on $URL within 30 s" >&2; cat "$LOG" >&2; exit 1
    ;;
  stop)
    if running; then
      pid="$(cat "$PIDFILE")"
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "radicale: stopped (pid $pid)"
    else
      echo "radicale: not running"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if running && answering; then echo "radicale: running (pid $(cat "$PIDFILE")) on $URL"; exit 0; fi
    echo "radicale: not running"; exit 3
    ;;
  *)
    echo "usage: $0 {start|stop|status}" >&2; exit 2
    ;;
esac
