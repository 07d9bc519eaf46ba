#!/usr/bin/env bash
# Runs Cyrus IMAP 3.6 (Debian) with JMAP for the interop suite: httpd with JMAP on
# 127.0.0.1:22080, imapd on 127.0.0.1:22143, its own imapd.conf / cyrus.conf / sasldb, all under
# /tmp/tidings-cyrus. Users and passwords: scripts/cyrus/users.
#   scripts/cyrus.sh install | start | stop | status
# `cyrus-imapd` conflicts with Dovecot's imap-server in dpkg, so the packages are not installed:
# `install` downloads cyrus-common, cyrus-caldav (httpd), cyrus-imapd and sasl2-bin with apt-get
# download and unpacks them with dpkg-deb -x into $PKG; only the shared libraries they need are
# installed with apt-get (none of those conflicts). stop kills only the pid this script started.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${TIDINGS_CYRUS_ROOT:-/tmp/tidings-cyrus}"
PKG="${TIDINGS_CYRUS_PKG:-/var/tmp/tidings-cyrus-pkg}"
HTTP_PORT=22080
IMAP_PORT=22143
PIDFILE="$ROOT/master.pid"
LOG="$ROOT/master.log"
URL="http://127.0.0.1:$HTTP_PORT/"
LIBS=(libclamav12 libical3 libpcre3 libshp2 libxapian30 libzephyr4 libsasl2-modules libsasl2-modules-db
  libjansson4 libnghttp2-14 libbrotli1 libwrap0 libxml2 libicu72 libpq5 libldap-2.5-0)

mkdir -p "$ROOT"
exec 9>"$ROOT/.lock"
flock 9

export LD_LIBRARY_PATH="$PKG/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
answering() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$URL.well-known/jmap" 2>/dev/null | grep -qE '^[1-5][0-9][0-9]$'; }
installed() { [[ -x "$PKG/usr/lib/cyrus/bin/master" && -x "$PKG/usr/sbin/saslpasswd2" ]]; }

install() {
  if installed && ! ldd "$PKG/usr/lib/cyrus/bin/httpd" | grep -q 'not found'; then
    echo "cyrus: unpacked in $PKG"
    return
  fi
  command -v apt-get >/dev/null || { echo "cyrus: needs apt-get (Debian 12)" >&2; exit 1; }
  local debs="$ROOT/debs"
  rm -rf "$debs" && mkdir -p "$debs" "$PKG"
  apt-get update -qq
  # _apt cannot write to a root-owned temp dir; downloading as root there is fine for this.
  (cd "$debs" && apt-get download -q cyrus-common cyrus-caldav cyrus-imapd sasl2-bin)
  for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$PKG"; done
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${LIBS[@]}" >/dev/null
  if ldd "$PKG/usr/lib/cyrus/bin/httpd" | grep 'not found'; then
    echo "cyrus: shared libraries still missing (above)" >&2
    exit 1
  fi
  echo "cyrus: unpacked $(ls "$debs") into $PKG"
}

fill() {
  sed -e "s#@ROOT@#$ROOT#g" -e "s#@PKG@#$PKG#g" -e "s#@USER@#$RUN_USER#g" \
    -e "s#@HTTP_PORT@#$HTTP_PORT#g" -e "s#@IMAP_PORT@#$IMAP_PORT#g" "$1"
}

case "${1:-}" in
  install)
    install
    ;;
  start)
    if running && answering; then echo "cyrus: already running (pid $(cat "$PIDFILE"))"; exit 0; fi
    if answering; then echo "cyrus: something else already answers on $URL; not starting another" >&2; exit 0; fi
    installed || { echo "cyrus: not unpacked (scripts/cyrus.sh install)" >&2; exit 1; }
    # master switches to cyrus_user when started as root; the package's 'cyrus' user is not made.
    RUN_USER="$(id -un)"
    [[ "$RUN_USER" == root ]] && RUN_USER=nobody
    rm -rf "$ROOT/lib" "$ROOT/spool" "$ROOT/socket" "$ROOT/tmp" "$ROOT/sieve"
    mkdir -p "$ROOT/lib" "$ROOT/spool" "$ROOT/socket" "$ROOT/tmp" "$ROOT/sieve"
    fill "$HERE/cyrus/imapd.conf" >"$ROOT/imapd.conf"
    fill "$HERE/cyrus/cyrus.conf" >"$ROOT/cyrus.conf"
    rm -f "$ROOT/sasldb2"
    while IFS=: read -r user pass; do
      [[ -z "$user" ]] && continue
      printf '%s' "$pass" | "$PKG/usr/sbin/saslpasswd2" -p -c -f "$ROOT/sasldb2" -u 127.0.0.1 "$user"
      # Logins without a realm look the user up with the server name as realm too.
      printf '%s' "$pass" | "$PKG/usr/sbin/saslpasswd2" -p -c -f "$ROOT/sasldb2" "$user"
    done <"$HERE/cyrus/users"
    RUN_GROUP="$(id -gn "$RUN_USER")"
    chown -R "$RUN_USER:$RUN_GROUP" "$ROOT/lib" "$ROOT/spool" "$ROOT/socket" "$ROOT/tmp" "$ROOT/sieve" "$ROOT/sasldb2"
    chmod 0640 "$ROOT/sasldb2"
    # -D: stay in the foreground, so $! is master's pid. 9>&-: the server must not keep the lock.
    nohup "$PKG/usr/lib/cyrus/bin/master" -D -C "$ROOT/imapd.conf" -M "$ROOT/cyrus.conf" -p "$ROOT/master.pid.cyrus" \
      >"$LOG" 2>&1 9>&- &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 300); do
      if ! running; then echo "cyrus: exited at start:" >&2; cat "$LOG" >&2; rm -f "$PIDFILE"; exit 1; fi
      if answering; then
        # Cyrus creates a user's INBOX at the first IMAP login (autocreate_*), not at a JMAP
        # request (that answers accountNotFound): log each user in once, and add an Archive.
        while IFS=: read -r user pass; do
          [[ -z "$user" || "$user" == cyrus ]] && continue
          curl -s -m 10 -u "$user:$pass" "imap://127.0.0.1:$IMAP_PORT/" -X 'CREATE Archive' >/dev/null || true
        done <"$HERE/cyrus/users"
        echo "cyrus: started (pid $(cat "$PIDFILE")), JMAP on $URL"
        exit 0
      fi
      sleep 0.1
    done
    echo "cyrus: did not answer on $URL within 30 s" >&2; cat "$LOG" >&2; exit 1
    ;;
  stop)
    if running; then
      pid="$(cat "$PIDFILE")"
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "cyrus: stopped (pid $pid)"
    else
      echo "cyrus: not running"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if running && answering; then echo "cyrus: running (pid $(cat "$PIDFILE")), JMAP on $URL"; exit 0; fi
    echo "cyrus: not running"; exit 3
    ;;
  *)
    echo "usage: $0 {install|start|stop|status}" >&2; exit 2
    ;;
esac
