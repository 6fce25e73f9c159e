#!/usr/bin/env bash
# Installs Debian packages the checks need (Chromium, Go, Prometheus), offline
# from Debian's apt repositories: as root directly, otherwise through sudo.
#
#   scripts/apt-install.sh <package>...
set -euo pipefail

sudo=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "apt-install: need root or sudo to install $*" >&2
    exit 1
  }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
