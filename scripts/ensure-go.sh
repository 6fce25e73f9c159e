#!/usr/bin/env bash
# Makes sure a Go toolchain is on the machine for the Go service template's
# tests (the rendered service builds and runs its own tests, standard library
# only): Debian's golang-go package (1.19), installed with apt when no `go` is
# found, as root directly or through sudo. Prints the path of `go`.
set -euo pipefail

go="${GO:-$(command -v go || true)}"
if [[ -z "$go" && -x /usr/lib/go/bin/go ]]; then go=/usr/lib/go/bin/go; fi
if [[ -n "$go" && -x "$go" ]]; then
  echo "$go"
  exit 0
fi

echo "go: not found; installing Debian's golang-go package" >&2
sudo=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "go: need root or sudo to install golang-go (or set GO)" >&2
    exit 1
  }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends golang-go >/dev/null
command -v go
