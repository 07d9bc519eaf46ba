#!/usr/bin/env bash
# A throw-away desktop session for the real-notification test (daemon/test/sinks/desktop-dbus.test.ts):
# Xvfb on a free display, a private D-Bus session bus and dunst as the notification server.
#
#   scripts/desktop-session.sh start DIR   # prints DISPLAY=… DBUS_SESSION_BUS_ADDRESS=… and the pids
#   scripts/desktop-session.sh stop DIR    # kills exactly the processes `start` recorded in DIR
#
# Everything is tracked by pid in DIR/session.env; nothing is found or killed by name.
# Needs: xvfb, dbus-daemon (dbus, dbus-x11), dunst, dbus-send (scripts/setup.sh installs them).
set -euo pipefail

cmd=${1:-}
dir=${2:-${TMPDIR:-/tmp}/tidings-desktop-$(id -u)}
state="$dir/session.env"

die() { echo "desktop-session: $*" >&2; exit 1; }

stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  [[ -f $state ]] || return 0
  # shellcheck disable=SC1090
  source "$state"
  # Reverse start order: the notification server, then the bus, then the X server.
  stop_pid "${DUNST_PID:-}"
  stop_pid "${DBUS_PID:-}"
  stop_pid "${XVFB_PID:-}"
  rm -f "$state"
}

start() {
  for tool in Xvfb dbus-daemon dunst dbus-send; do
    command -v "$tool" >/dev/null || die "$tool is not installed (run scripts/setup.sh)"
  done
  mkdir -p "$dir"
  [[ -f $state ]] && die "a session is already recorded in $state; stop it first"
  : >"$state"
  chmod 600 "$state"
  # If anything below fails, take down what was already started.
  trap 'stop; exit 1' ERR

  # Xvfb picks a free display itself and writes its number to fd 3 once it accepts clients
  # (-displayfd), so parallel sessions never race for one. -nolisten tcp keeps it local.
  # The file is created (and emptied of a previous run's number) here, before Xvfb starts: the
  # backgrounded redirect below may not have run yet when the loop first reads it.
  : >"$dir/display"
  Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$dir/display" >"$dir/xvfb.log" 2>&1 &
  local xvfb_pid=$!
  echo "XVFB_PID=$xvfb_pid" >>"$state"
  local n=
  # Up to 20 s: a loaded 2-core CI machine can take seconds to bring an X server up.
  for _ in $(seq 1 400); do
    n=$(tr -dc 0-9 <"$dir/display")
    [[ -n $n ]] && break
    kill -0 "$xvfb_pid" 2>/dev/null || break
    sleep 0.05
  done
  [[ -n $n ]] || { echo "Xvfb did not start: $(cat "$dir/xvfb.log")" >&2; false; }
  echo "DISPLAY=:$n" >>"$state"

  # --fork returns once the bus is ready; it prints the address, then the pid. The socket lives
  # in DIR, so nothing is left in /tmp and two sessions never meet.
  local out
  out=$(dbus-daemon --session --fork --nopidfile --address="unix:path=$dir/bus" --print-address=1 --print-pid=1)
  local address pid
  address=$(sed -n 1p <<<"$out")
  pid=$(sed -n 2p <<<"$out")
  [[ -n $address && -n $pid ]] || { echo "dbus-daemon printed: $out" >&2; false; }
  echo "DBUS_PID=$pid" >>"$state"
  echo "DBUS_SESSION_BUS_ADDRESS=$address" >>"$state"

  DISPLAY=":$n" DBUS_SESSION_BUS_ADDRESS="$address" dunst >"$dir/dunst.log" 2>&1 &
  local dunst_pid=$!
  echo "DUNST_PID=$dunst_pid" >>"$state"

  # Ready when dunst owns the well-known name; up to 20 s on a loaded machine, less if dunst exits.
  local ok=
  for _ in $(seq 1 400); do
    kill -0 "$dunst_pid" 2>/dev/null || break
    if DBUS_SESSION_BUS_ADDRESS="$address" dbus-send --session --print-reply --dest=org.freedesktop.DBus \
      /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null |
      grep -q 'boolean true'; then
      ok=1
      break
    fi
    sleep 0.05
  done
  [[ -n $ok ]] || { echo "dunst did not take org.freedesktop.Notifications: $(cat "$dir/dunst.log")" >&2; false; }
  trap - ERR
  cat "$state"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop [DIR]" ;;
esac
