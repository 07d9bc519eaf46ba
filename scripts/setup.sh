#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: system packages, then npm dependencies.
# Idempotent; safe to run before every command in README.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # WBXML interop and benchmark peer (issue 2)
  libwbxml2-utils libwbxml2-dev pkg-config build-essential
  # CalDAV/CardDAV interop (issue 4)
  radicale apache2-utils
  # Tray pages under Chromium; desktop notification under Xvfb + private D-Bus + dunst (issues 5, 6)
  chromium xvfb dbus dbus-x11 dunst libnotify-bin
  # Fault/interop helpers
  curl ca-certificates openssl
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Electron's binary cannot be downloaded on these machines; the tray is typechecked against
# Electron's types and its logic tested under Node (README, "What is verified where").
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
