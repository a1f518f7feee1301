#!/bin/sh
# Installs Debian's Chromium for the browser-driven SSO tests (test/e2e/sso-browser.e2e-spec.ts), which look it up
# the same way: CHROMIUM_PATH, else `chromium` or `chromium-browser` on the PATH.
# Idempotent: does nothing when chromium is already there. Fails (non-zero) when it cannot install it.
set -eu
for name in chromium chromium-browser; do
  if command -v "$name" >/dev/null 2>&1; then
    echo "chromium present: $(command -v "$name")"
    exit 0
  fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium
command -v chromium
