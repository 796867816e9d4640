#!/usr/bin/env bash
# Installs the system packages the test suite and the demo need (Debian), or says what to install.
# Usage: scripts/system-deps.sh [test|demo|bench]
set -euo pipefail
role=${1:-test}

missing=()
need() { # need <package> <check command...>
  local pkg=$1; shift
  if ! "$@" >/dev/null 2>&1; then missing+=("$pkg"); fi
}

need litecoind command -v litecoind
if [ "$role" != demo ]; then
  need python3-opentimestamps /usr/bin/python3 -c 'import opentimestamps.core.timestamp, bitcoin'
  need python3-plyvel /usr/bin/python3 -c 'import plyvel'
  need nginx command -v nginx
  need chromium test -x /usr/bin/chromium
  need systemd command -v systemd-analyze
  # promtool checks the metrics and alert rules; plyvel reads the reference server's LevelDB
  need prometheus command -v promtool
  need python3-plyvel /usr/bin/python3 -c 'import plyvel'
fi
if [ "$role" = bench ]; then
  need wrk command -v wrk
fi

[ ${#missing[@]} -eq 0 ] && exit 0

echo "ots-calendar: installing system packages: ${missing[*]}" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "ots-calendar: missing system packages: ${missing[*]}" >&2
echo "install them with: sudo apt-get install ${missing[*]}" >&2
exit 1
