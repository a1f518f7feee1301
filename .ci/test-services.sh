#!/usr/bin/env bash
# What the security tests need and CI must provide (test/security/security-tests.ts; with CI=true a skip of one of
# them fails the run): openssl for the TLS verification test, a Redis answering at REDIS_URL for the Redis-backed
# SSO state, webhook replay cache and rate limiter. Debian packages install as root (sudo otherwise).
set -euo pipefail
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "$@"
}

if ! command -v openssl >/dev/null 2>&1; then apt_install openssl; fi
openssl version

hostport="${REDIS_URL#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$hostport" ] && port=6379
answering() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && head -c 5 <&3 | grep -q PONG' "$host" "$port" 2>/dev/null
}
if ! answering; then
  if [ "$host" != "127.0.0.1" ] && [ "$host" != "localhost" ]; then
    echo "ci: Redis at $host:$port does not answer" >&2; exit 1
  fi
  if ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server; fi
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
  for _ in $(seq 1 50); do answering && break; sleep 0.1; done
  answering || { echo "ci: redis-server did not start on $port" >&2; exit 1; }
fi
echo "redis answering at $host:$port"
