#!/usr/bin/env bash
# Runs the repository's checks and prints a summary; exits non-zero when any
# check fails. Every check runs even after an earlier one failed, so that one
# run reports everything. Usage: scripts/test.sh all|tsc|lint|unit|e2e
set -uo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"
declare -a names=() results=() times=()

run() {
  local name="$1"
  shift
  echo
  echo "=== $name: $*"
  local started=$SECONDS
  "$@"
  local rc=$?
  names+=("$name")
  results+=("$rc")
  times+=("$((SECONDS - started))")
}

if [[ "$what" == all || "$what" == tsc ]]; then
  run release node scripts/check-backstage-release.mjs
  run openapi node scripts/generate-openapi.mjs --check
  run tsc yarn tsc
fi
if [[ "$what" == all || "$what" == lint ]]; then
  run lint yarn backstage-cli repo lint
  run prettier yarn prettier --check --loglevel warn .
fi
# The Kubernetes tests (unit and e2e) need an API server: start the test
# cluster unless one is given (DELIVERY_TEST_KUBECONFIG) or the caller opts
# out (DELIVERY_SKIP_KUBE=1, and those tests are skipped, saying so). The
# first start builds it from Debian sources (about 15 minutes); later starts
# take seconds. It is stopped at the end only if this run started it.
start_cluster() {
  local kubeconfig
  kubeconfig="$(scripts/kube-test-cluster.sh start)" || return 1
  export DELIVERY_TEST_KUBECONFIG="$kubeconfig"
}
if [[ "$what" == all || "$what" == unit || "$what" == e2e ]] &&
  [[ -z "${DELIVERY_TEST_KUBECONFIG:-}" && "${DELIVERY_SKIP_KUBE:-}" != 1 ]]; then
  if ! scripts/kube-test-cluster.sh status >/dev/null 2>&1; then
    trap 'scripts/kube-test-cluster.sh stop' EXIT
  fi
  run cluster start_cluster
fi

# The analysis tests run a real Prometheus (Debian's package, installed with
# apt when missing); each test file starts and stops its own.
install_prometheus() {
  local binary
  binary="$(scripts/prometheus.sh install)" || return 1
  export DELIVERY_TEST_PROMETHEUS="$binary"
}
# The Go service template's test builds and tests the rendered service with
# Debian's Go (installed with apt when missing).
install_go() {
  local binary
  binary="$(scripts/ensure-go.sh)" || return 1
  export DELIVERY_TEST_GO="$binary"
}
if [[ "$what" == all || "$what" == unit ]]; then
  run prometheus install_prometheus
  run go install_go
  run unit yarn backstage-cli repo test --no-watch
fi
if [[ "$what" == all || "$what" == e2e ]]; then
  run chromium scripts/ensure-chromium.sh
  run e2e yarn playwright test
fi

echo
echo "=== summary"
failed=0
for i in "${!names[@]}"; do
  if [[ "${results[$i]}" == 0 ]]; then status=passed; else status=FAILED; failed=$((failed + 1)); fi
  printf '  %-10s %-7s %4ss\n' "${names[$i]}" "$status" "${times[$i]}"
done
if ((failed)); then
  echo "make test: $failed of ${#names[@]} checks FAILED"
  exit 1
fi
echo "make test: all ${#names[@]} checks passed"
