#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the Playwright tests (Playwright's
# own browser download cannot work offline). Installs it with apt when missing
# (scripts/apt-install.sh: as root directly, otherwise through sudo).
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then
  exit 0
fi

echo "e2e: $chromium not found; installing Debian's chromium package" >&2
"$(dirname "$0")/apt-install.sh" chromium fonts-liberation
"$chromium" --version
