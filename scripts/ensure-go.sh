#!/usr/bin/env bash
# Makes sure a Go toolchain is on the machine for the Go service template's
# tests (the rendered service builds and runs its own tests, standard library
# only): Debian's golang-go package (1.19), installed with apt when no `go` is
# found (or set GO). Prints the path of `go`.
set -euo pipefail

go="${GO:-$(command -v go || true)}"
if [[ -z "$go" && -x /usr/lib/go/bin/go ]]; then go=/usr/lib/go/bin/go; fi
if [[ -z "$go" || ! -x "$go" ]]; then
  echo "go: not found; installing Debian's golang-go package" >&2
  "$(dirname "$0")/apt-install.sh" golang-go
  go="$(command -v go)"
fi
echo "$go"
