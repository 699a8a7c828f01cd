#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the dashboard's browser test (playwright-core drives
# it; no browser is downloaded from anywhere else). Safe to run repeatedly.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Chromium is missing (/usr/bin/chromium); the dashboard browser test needs it. Install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "installing Debian's chromium (for the dashboard browser test)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x /usr/bin/chromium
