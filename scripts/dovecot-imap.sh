#!/usr/bin/env bash
# Dovecot 2.3 (Debian dovecot-imapd, installed by scripts/sogo.sh install) for the IMAP tests and
# the interop suite (issue 17), in two configurations on 127.0.0.1, each its own instance:
#   full      IMAP 21143 / IMAPS 21993: Dovecot's own capabilities (IDLE, NOTIFY, CONDSTORE,
#             QRESYNC, SNIPPET=FUZZY, …)
#   nonotify  IMAP 21144 / IMAPS 21994: imap_capability without NOTIFY, standing in for the many
#             servers that only IDLE
#   plain     IMAP 21145 / IMAPS 21995: IDLE without NOTIFY, CONDSTORE, QRESYNC or PREVIEW, for the
#             UIDNEXT/UID-diff path and previews read from the body
#   scripts/dovecot-imap.sh start | stop | status | kick full|nonotify <user>
# Config, TLS CA/certificate, users (scripts/dovecot-imap/users) and mail under
# $TIDINGS_DOVECOT_ROOT (default /tmp/tidings-dovecot-imap). stop ends only the pids start
# recorded. The Dovecot of scripts/sogo.sh (port 20143, its own base_dir) is left alone.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${TIDINGS_DOVECOT_ROOT:-/tmp/tidings-dovecot-imap}
NAMES=(full nonotify plain)
declare -A IMAP_PORT=([full]=21143 [nonotify]=21144 [plain]=21145)
declare -A IMAPS_PORT=([full]=21993 [nonotify]=21994 [plain]=21995)

log() { printf 'dovecot-imap: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  # Dovecot's master wants root to bind, chroot its login processes and switch to the mail user.
  exec sudo --preserve-env=CI,TIDINGS_DOVECOT_ROOT bash "$0" "$@"
fi

install -d -m 0755 "$ROOT"
# Serialise start/stop: two suites may call this at once.
exec 9>"$ROOT/.lock"
flock 9

pid_of() { [[ -s $ROOT/$1/dovecot.pid ]] && cat "$ROOT/$1/dovecot.pid"; }
running() {
  local pid
  pid=$(pid_of "$1") || return 1
  kill -0 "$pid" 2>/dev/null
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
greets() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; head -c 4 <&3" 2>/dev/null | grep -q '^\* OK'; }

# A CA and a server certificate for 127.0.0.1 / localhost, made once: clients pin ca.pem.
make_tls() {
  [[ -s $ROOT/ca.pem && -s $ROOT/server.pem && -s $ROOT/server.key ]] && return 0
  command -v openssl >/dev/null || die "openssl not installed"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Tidings test CA" \
    -keyout "$ROOT/ca.key" -out "$ROOT/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$ROOT/server.key" -out "$ROOT/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$ROOT/server.ext"
  openssl x509 -req -in "$ROOT/server.csr" -CA "$ROOT/ca.pem" -CAkey "$ROOT/ca.key" -CAcreateserial \
    -days 3650 -extfile "$ROOT/server.ext" -out "$ROOT/server.pem" 2>/dev/null
  chmod 0600 "$ROOT/ca.key" "$ROOT/server.key"
  chmod 0644 "$ROOT/ca.pem" "$ROOT/server.pem"
}

# Dovecot 2.3.19's own IMAP capability list after login, minus NOTIFY (doveconf -d would only
# say "imap_capability =": the default is built in).
NO_NOTIFY_CAPS='IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ SPECIAL-USE'

# The same, also without CONDSTORE, QRESYNC and the preview extensions.
PLAIN_CAPS=$(printf '%s\n' $NO_NOTIFY_CAPS | grep -vE '^(CONDSTORE|QRESYNC|SNIPPET=FUZZY|PREVIEW=FUZZY|PREVIEW)$' | tr '\n' ' ')

render() {
  local name=$1 cap=''
  [[ $name == nonotify ]] && cap="  imap_capability = $NO_NOTIFY_CAPS"
  [[ $name == plain ]] && cap="  imap_capability = $PLAIN_CAPS"
  sed -e "s|@ROOT@|$ROOT|g" -e "s|@DIR@|$ROOT/$name|g" -e "s|@NAME@|$name|g" \
    -e "s|@IMAP_PORT@|${IMAP_PORT[$name]}|g" -e "s|@IMAPS_PORT@|${IMAPS_PORT[$name]}|g" \
    -e "s|@CAPABILITY@|$cap|" "$HERE/dovecot-imap/dovecot.conf.in"
}

start_one() {
  local name=$1 dir=$ROOT/$1 i
  if running "$name"; then
    log "$name already running (pid $(pid_of "$name"))"
    return 0
  fi
  port_open "${IMAP_PORT[$name]}" && die "port ${IMAP_PORT[$name]} is taken by a process this script did not start"
  install -d -m 0755 "$dir" "$dir/run" "$dir/state"
  install -d -m 0755 -o mail -g mail "$dir/mail"
  render "$name" >"$dir/dovecot.conf"
  # Dovecot's master runs in the foreground of its own session: the recorded pid is the master.
  setsid dovecot -F -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.out" 2>&1 9>&- &
  echo $! >"$dir/dovecot.pid"
  for ((i = 0; i < 100; i++)); do
    if ! running "$name"; then
      cat "$dir/dovecot.out" "$dir/dovecot.log" >&2 2>/dev/null || true
      die "$name exited at start"
    fi
    if greets "${IMAP_PORT[$name]}"; then
      echo "dovecot-imap: $name started (pid $(pid_of "$name")) on 127.0.0.1:${IMAP_PORT[$name]} (IMAPS ${IMAPS_PORT[$name]})"
      return 0
    fi
    sleep 0.2
  done
  die "$name did not greet on 127.0.0.1:${IMAP_PORT[$name]} within 20 s; see $dir/dovecot.log"
}

stop_one() {
  local name=$1 pid i
  if ! running "$name"; then
    rm -f "$ROOT/$name/dovecot.pid"
    echo "dovecot-imap: $name not running"
    return 0
  fi
  pid=$(pid_of "$name")
  kill -TERM "$pid"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  # The master's group is exactly what setsid started (login, imap, auth children).
  kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
  rm -f "$ROOT/$name/dovecot.pid"
  echo "dovecot-imap: $name stopped (pid $pid)"
}

case ${1:-} in
  start)
    command -v dovecot >/dev/null || die "dovecot not installed (scripts/sogo.sh install installs dovecot-imapd)"
    make_tls
    cp "$HERE/dovecot-imap/users" "$ROOT/users"
    chown root:dovecot "$ROOT/users"
    chmod 0640 "$ROOT/users"
    for n in "${NAMES[@]}"; do start_one "$n"; done
    ;;
  stop)
    for n in "${NAMES[@]}"; do stop_one "$n"; done
    ;;
  kick)
    # Ends a user's sessions as an admin would (doveadm kick): the imap processes say BYE and
    # close, which the tests use for a server-side disconnect.
    [[ -n ${2:-} && -n ${3:-} && -n ${IMAP_PORT[$2]:-} ]] || die "usage: $0 kick full|nonotify|plain <user>"
    doveadm -c "$ROOT/$2/dovecot.conf" kick "$3"
    ;;
  status)
    rc=0
    for n in "${NAMES[@]}"; do
      if running "$n" && greets "${IMAP_PORT[$n]}"; then
        echo "dovecot-imap: $n running (pid $(pid_of "$n")) on 127.0.0.1:${IMAP_PORT[$n]}"
      else
        echo "dovecot-imap: $n not running"
        rc=3
      fi
    done
    exit $rc
    ;;
  *)
    echo "usage: $0 {start|stop|status|kick full|nonotify <user>}" >&2
    exit 2
    ;;
esac
