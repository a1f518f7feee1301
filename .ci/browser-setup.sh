#!/bin/sh
# Installs Debian's Chromium for the browser-driven SSO tests (test/e2e/sso-browser.e2e-spec.ts).
# Idempotent: does nothing when chromium is already on the PATH. The tests skip with a message without it.
set -eu
if command -v chromium >/dev/null 2>&1; then
  echo "chromium present: $(command -v chromium)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium
command -v chromium
