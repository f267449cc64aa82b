#!/usr/bin/env bash
# System packages the test suite needs beyond npm: Debian's Chromium for the portal's end-to-end
# tests (playwright-core drives it; no browser is ever downloaded). Safe to re-run.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing: install Debian's 'chromium' package (sudo apt-get install -y chromium) for the portal e2e tests." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
