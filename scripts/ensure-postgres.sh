#!/usr/bin/env bash
# Makes sure Debian's PostgreSQL server binaries are installed (the tests start a private cluster of
# their own; nothing is configured system-wide). Safe to run repeatedly.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "PostgreSQL server binaries are missing; install them with: sudo apt-get install -y postgresql" >&2
  exit 1
fi
echo "installing Debian's postgresql (for the tests on a real PostgreSQL server)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
