#!/usr/bin/env bash
# Debian's Chromium for the browser tests (playwright-core drives /usr/bin/chromium; it never
# downloads a browser of its own). Idempotent: does nothing when Chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present) at /usr/bin/chromium"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: run as root (apt-get install needs it), or: sudo apt-get install -y chromium" >&2
  exit 1
fi

# Other jobs on the machine may be using apt or dpkg: wait up to 5 minutes for dpkg's own lock
# (apt-get's DPkg::Lock::Timeout) rather than fail on it.
apt_get=(apt-get -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive
"${apt_get[@]}" update
"${apt_get[@]}" install -y chromium
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed) at /usr/bin/chromium"
