#!/usr/bin/env bash
# System packages the test suite needs beyond npm: Debian's Chromium for the portal's end-to-end
# tests (playwright-core drives it; no browser is ever downloaded). npm test runs this first (pretest);
# CI runs it before npm ci. Safe to re-run: when Chromium is there it does nothing.
#   - Chromium present (at $CHROMIUM_PATH, default /usr/bin/chromium): nothing.
#   - missing, and we may install (root, or passwordless sudo) with apt-get: installs it.
#   - otherwise: one line saying what to run, exit 1.
# It finds id, sudo and apt-get on PATH (the tests put stubs there).
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi

fail() {
  echo "Chromium (for the portal's end-to-end tests) is missing at $chromium: $1" >&2
  exit 1
}
if ! command -v apt-get >/dev/null 2>&1; then
  fail "install Chromium with your package manager, or set CHROMIUM_PATH to a Chromium binary, then run npm test again."
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  fail "run 'sudo apt-get install -y chromium' (or 'sudo bash scripts/setup-system.sh'), then npm test again."
fi

echo "Installing Debian's chromium for the portal's end-to-end tests (apt-get)…" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
if [ ! -x "$chromium" ]; then fail "apt-get installed chromium but $chromium is still not there; set CHROMIUM_PATH."; fi
