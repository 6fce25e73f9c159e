#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the Playwright tests (Playwright's
# own browser download cannot work offline). Installs it with apt when missing:
# as root directly, otherwise through sudo.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then
  exit 0
fi

echo "e2e: $chromium not found; installing Debian's chromium package" >&2
sudo=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "e2e: need root or sudo to install chromium (or set CHROMIUM_PATH)" >&2
    exit 1
  }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
"$chromium" --version
