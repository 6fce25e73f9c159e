#!/usr/bin/env bash
# A real Kubernetes API server for the tests: kube-apiserver and
# kube-controller-manager v1.20.2 built from Debian bookworm's `kubernetes`
# source package, with Debian's etcd, on 127.0.0.1. No cluster, Docker or
# prebuilt Kubernetes binary is needed.
#
#   scripts/kube-test-cluster.sh build   build once into the cache (about 9 min on 2 cores)
#   scripts/kube-test-cluster.sh start   build if needed, start, print the kubeconfig path
#   scripts/kube-test-cluster.sh stop    stop what `start` started, nothing else
#   scripts/kube-test-cluster.sh status  say whether it runs, and where its kubeconfig is
#
# `start` also writes portal configuration for the cluster next to the
# kubeconfig (app-config.yaml); see the README's "Kubernetes" section.
#
# The cache (binaries only) lives outside the checkout:
#   ${DELIVERY_KUBE_CACHE:-$HOME/.cache/delivery-for-backstage/kubernetes-1.20.2}
# The running cluster's state (certificates, etcd data, logs, pids, kubeconfig):
#   ${DELIVERY_KUBE_RUN:-$TMPDIR/delivery-kube-test-cluster}
# Installs Debian packages with apt (as root, or through sudo).
set -euo pipefail

KUBE_VERSION=1.20.2
DEBIAN_SOURCE_VERSION=1.20.5+really1.20.2-1.1+deb12u1
CACHE="${DELIVERY_KUBE_CACHE:-$HOME/.cache/delivery-for-backstage/kubernetes-$KUBE_VERSION}"
RUN="${DELIVERY_KUBE_RUN:-${TMPDIR:-/tmp}/delivery-kube-test-cluster}"
TOKEN=delivery-test-admin-token
GO_ROOT=/usr/lib/go-1.19

log() { echo "kube-test-cluster: $*" >&2; }

sudo_if_needed() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What the cached binaries were built with. A cache without this stamp (or
# with another) is rebuilt once. "reflect2-1.0.2": Kubernetes 1.20 vendors
# github.com/modern-go/reflect2 1.0.1, whose map iteration crashes under
# Go >= 1.18 (SIGSEGV in mapiterinit) the first time a custom resource is
# created; Debian's 1.0.2 replaces the vendored copy before the build.
BUILD_STAMP="$KUBE_VERSION go1.19 reflect2-1.0.2"
REFLECT2=/usr/share/gocode/src/github.com/modern-go/reflect2

build() {
  if [[ -x "$CACHE/kube-apiserver" && -x "$CACHE/kube-controller-manager" &&
    "$(cat "$CACHE/build-stamp" 2>/dev/null)" == "$BUILD_STAMP" ]]; then
    return 0
  fi
  apt_install golang-1.19-go golang-1.19-src etcd-server etcd-client rsync dpkg-dev openssl make gcc \
    golang-github-modern-go-reflect2-dev
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/kube-build.XXXXXX")"
  trap 'rm -rf "$work"; trap - RETURN' RETURN
  log "fetching Debian's kubernetes $DEBIAN_SOURCE_VERSION source package"
  # A private apt configuration with deb-src lines for the machine's mirror,
  # so that the system's own apt setup is left alone.
  mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial"
  local mirror
  mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  cat >"$work/apt/sources.list" <<EOF
deb-src $mirror bookworm main
deb-src $mirror bookworm-updates main
deb-src ${mirror%/debian}/debian-security bookworm-security main
EOF
  local apt_opts=(
    -o "Dir::Etc::sourcelist=$work/apt/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$work/apt/lists"
    -o "Dir::Cache::archives=$work/apt/archives"
    -o "APT::Sandbox::User=root"
  )
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work" && apt-get "${apt_opts[@]}" source --download-only "kubernetes=$DEBIAN_SOURCE_VERSION" >/dev/null)
  (cd "$work" && dpkg-source --no-check -x kubernetes_*.dsc src >/dev/null)
  rm -rf "$work/src/vendor/github.com/modern-go/reflect2"
  cp -r "$REFLECT2" "$work/src/vendor/github.com/modern-go/reflect2"

  log "building kube-apiserver and kube-controller-manager v$KUBE_VERSION (several minutes)"
  (
    cd "$work/src"
    export GOROOT="$GO_ROOT" PATH="$GO_ROOT/bin:$PATH" GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=vendor
    export GOCACHE="$work/gocache" GOPATH="$work/gopath"
    export KUBE_GIT_VERSION="v$KUBE_VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$work/build.log" 2>&1 || {
      tail -n 40 "$work/build.log" >&2
      exit 1
    }
  )
  mkdir -p "$CACHE"
  cp "$work/src/_output/bin/kube-apiserver" "$work/src/_output/bin/kube-controller-manager" "$CACHE/"
  echo "$BUILD_STAMP" >"$CACHE/build-stamp"
  log "built into $CACHE"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

running() {
  [[ -f "$RUN/pids" ]] || return 1
  local pid
  for pid in $(cat "$RUN/pids"); do
    kill -0 "$pid" 2>/dev/null || return 1
  done
}

wait_for() {
  local what="$1" url="$2" seconds="$3"
  for _ in $(seq 1 "$seconds"); do
    if curl -sfk -H "Authorization: Bearer $TOKEN" "$url" >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  log "$what did not become ready; logs in $RUN"
  return 1
}

start() {
  if running; then
    echo "$RUN/kubeconfig"
    return 0
  fi
  stop >/dev/null 2>&1 || true
  build
  apt_install etcd-server openssl curl
  rm -rf "$RUN"
  mkdir -p "$RUN/etcd"
  local etcd_port etcd_peer api_port
  etcd_port="$(free_port)"
  etcd_peer="$(free_port)"
  api_port="$(free_port)"

  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=kube-apiserver" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$RUN/serving.key" -out "$RUN/serving.crt" >/dev/null 2>&1
  openssl genrsa -out "$RUN/sa.key" 2048 >/dev/null 2>&1
  openssl rsa -in "$RUN/sa.key" -pubout -out "$RUN/sa.pub" >/dev/null 2>&1
  echo "$TOKEN,test-admin,test-admin,system:masters" >"$RUN/tokens.csv"

  /usr/bin/etcd --data-dir "$RUN/etcd" --name test \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "test=http://127.0.0.1:$etcd_peer" >"$RUN/etcd.log" 2>&1 &
  echo $! >"$RUN/pids"

  "$CACHE/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --insecure-port 0 \
    --tls-cert-file "$RUN/serving.crt" --tls-private-key-file "$RUN/serving.key" \
    --token-auth-file "$RUN/tokens.csv" --authorization-mode RBAC \
    --service-account-key-file "$RUN/sa.pub" --service-account-signing-key-file "$RUN/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/16 \
    --endpoint-reconciler-type none --enable-priority-and-fairness=false \
    --disable-admission-plugins ServiceAccount \
    >"$RUN/kube-apiserver.log" 2>&1 &
  echo $! >>"$RUN/pids"

  cat >"$RUN/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster:
      server: https://127.0.0.1:$api_port
      insecure-skip-tls-verify: true
users:
  - name: test-admin
    user:
      token: $TOKEN
contexts:
  - name: test
    context:
      cluster: test
      user: test-admin
current-context: test
EOF
  # The same cluster as portal configuration, as cluster `local` (the
  # cluster app-config.yaml's environments name), with previews on and the
  # standard ladder deployed by the kubernetes executor:
  #   yarn start --config app-config.yaml --config "$RUN/app-config.yaml"
  cat >"$RUN/app-config.yaml" <<EOF
# Written by scripts/kube-test-cluster.sh: the local test cluster, for trying
# live state and preview namespaces. The token is the test cluster's admin.
kubernetes:
  clusterLocatorMethods:
    - type: config
      clusters:
        - name: local
          url: https://127.0.0.1:$api_port
          authProvider: serviceAccount
          serviceAccountToken: $TOKEN
          skipTLSVerify: true
delivery:
  previews:
    cluster: local
  # The standard ladder's promotions are carried out by the kubernetes
  # executor in this cluster (scripts/demo-cluster.mjs plays its kubelet),
  # dev and staging as a native canary (25% then 50% of the pods, 10 s each).
  ladders:
    standard:
      strategy: canary
      executor:
        type: kubernetes
        rolloutTimeout: 3m
        verificationWindow: 15s
        canary:
          steps: [25, 50]
          stepDuration: 10s
  execution:
    interval: 2s
    lease: 30s
EOF
  wait_for kube-apiserver "https://127.0.0.1:$api_port/readyz" 90

  "$CACHE/kube-controller-manager" \
    --kubeconfig "$RUN/kubeconfig" --leader-elect=false \
    --controllers namespace,resourcequota,deployment,replicaset,garbagecollector,serviceaccount,serviceaccount-token \
    --service-account-private-key-file "$RUN/sa.key" --root-ca-file "$RUN/serving.crt" \
    --use-service-account-credentials=false \
    --bind-address 127.0.0.1 --secure-port 0 --port 0 \
    >"$RUN/kube-controller-manager.log" 2>&1 &
  echo $! >>"$RUN/pids"
  sleep 2
  running || {
    log "a component exited at start; logs in $RUN"
    exit 1
  }
  log "running: https://127.0.0.1:$api_port (kubeconfig $RUN/kubeconfig)"
  echo "$RUN/kubeconfig"
}

stop() {
  [[ -f "$RUN/pids" ]] || return 0
  local pid
  # Only the processes this script started, newest first.
  for pid in $(tac "$RUN/pids"); do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $(cat "$RUN/pids"); do
    for _ in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$RUN/pids"
  log "stopped"
}

status() {
  if running; then
    echo "running; kubeconfig $RUN/kubeconfig"
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 build|start|stop|status" >&2
    exit 2
    ;;
esac
