#!/usr/bin/env bash
# Installs and starts the real servers, runs the interop suite, stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run test:interop
