#!/usr/bin/env bash
# Set-up of a clone on a fresh Debian machine: system packages, then npm dependencies.
# Idempotent; safe to run before every command in README.
#
#   bash scripts/setup.sh --run   # what running Tidings from this clone needs (README: npm start)
#   bash scripts/setup.sh         # that, plus the peers the tests run against (README: npm test)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=test
case ${1:-} in
  --run) mode=run ;;
  '') ;;
  *) echo "usage: $0 [--run]" >&2; exit 2 ;;
esac

# Running: better-sqlite3 is a native addon that npm compiles when no prebuilt binary can be
# fetched (node-gyp: a C++ toolchain and Python); notify-send for desktop notifications.
RUN_PACKAGES=(build-essential python3 libnotify-bin ca-certificates)
# Tests only.
TEST_PACKAGES=(
  # WBXML interop and benchmark peer (issue 2)
  libwbxml2-utils libwbxml2-dev pkg-config
  # CalDAV/CardDAV interop (issue 4)
  radicale apache2-utils
  # Tray pages under Chromium; desktop notification under Xvfb + private D-Bus + dunst (issues 5, 6)
  chromium xvfb dbus dbus-x11 dunst
  # The service units checked by systemd-analyze verify (issue 16)
  systemd
  # IMAP accounts: the Dovecot instances of scripts/dovecot-imap.sh (issue 17); the unit suite's
  # IMAP files run against them, before interop.sh installs SOGo's share of Dovecot
  dovecot-imapd
  # Fault/interop helpers
  curl openssl
)
APT_PACKAGES=("${RUN_PACKAGES[@]}")
[[ $mode == test ]] && APT_PACKAGES+=("${TEST_PACKAGES[@]}")

# Node: the daemon needs >= 20.18.1 (undici); the test tools need >= 20.19 (vitest's vite).
node_floor=20.18.1
[[ $mode == test ]] && node_floor=20.19.0
if ! command -v node >/dev/null || ! node -e '
  const [a, b, c] = process.argv[1].split(".").map(Number);
  const [x, y, z] = process.versions.node.split(".").map(Number);
  process.exit(x > a || (x === a && (y > b || (y === b && z >= c))) ? 0 : 1);' "$node_floor"; then
  echo "setup: Node.js >= $node_floor with npm is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing ${missing[*]}" >&2
  # The packages' own services (dovecot, radicale) must not start with the system's config: the
  # project's scripts start them on 127.0.0.1 with their own. policy-rc.d exit 101 is Debian's "do
  # not start" (invoke-rc.d(8)); one that is already there is left alone.
  own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  rc=0
  { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
  ((own_policy)) && $SUDO rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || { echo "setup: apt-get install failed (exit $rc)" >&2; exit "$rc"; }
fi

# Electron's binary cannot be downloaded on these machines; the tray is typechecked against
# Electron's types and its logic tested under Node (README, "What is verified where").
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
