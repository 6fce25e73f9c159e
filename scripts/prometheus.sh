#!/usr/bin/env bash
# A real Prometheus for the portal's release analysis: Debian's `prometheus`
# package (2.42), installed with apt when missing, run on 127.0.0.1 with its
# data under .data/prometheus (ignored by git).
#
#   scripts/prometheus.sh install   install the package if missing; print the binary
#   scripts/prometheus.sh start     start it (if not running); print its URL
#   scripts/prometheus.sh stop      stop what `start` started, nothing else
#   scripts/prometheus.sh status    say whether it runs
#
# What it scrapes (every 5 s):
#   - the delivery backend's release markers, GET /api/delivery/release-markers on
#     :7007 with the static token DELIVERY_METRICS_TOKEN (default: the one in
#     app-config.yaml), as job "delivery";
#   - the demo's services (scripts/demo-cluster.mjs) on
#     DELIVERY_DEMO_METRICS (default 127.0.0.1:9464), as job "demo";
#   - every target listed in .data/prometheus/targets/*.json (Prometheus file
#     service discovery), as job "services", for anything else to try.
# The tests start their own Prometheus from the same binary (see
# plugins/delivery-backend/src/metrics/testing/prometheus.ts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${DELIVERY_PROMETHEUS_DATA:-$ROOT/.data/prometheus}"
PORT="${DELIVERY_PROMETHEUS_PORT:-9090}"
BACKEND="${DELIVERY_BACKEND_ADDRESS:-127.0.0.1:7007}"
TOKEN="${DELIVERY_METRICS_TOKEN:-delivery-local-prometheus-token}"
DEMO="${DELIVERY_DEMO_METRICS:-127.0.0.1:9464}"

log() { echo "prometheus: $*" >&2; }

install() {
  if ! command -v prometheus >/dev/null 2>&1; then
    log "installing Debian's prometheus with apt"
    "$ROOT/scripts/apt-install.sh" prometheus
  fi
  command -v prometheus
}

running() {
  [[ -f "$RUN/pid" ]] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null
}

start() {
  local binary
  binary="$(install)"
  if running; then
    echo "http://127.0.0.1:$PORT"
    return 0
  fi
  mkdir -p "$RUN/data" "$RUN/targets"
  cat >"$RUN/prometheus.yml" <<CONFIG
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: delivery
    metrics_path: /api/delivery/release-markers
    authorization:
      credentials: $TOKEN
    static_configs:
      - targets: ['$BACKEND']
  - job_name: demo
    scrape_interval: 2s
    static_configs:
      - targets: ['$DEMO']
  - job_name: services
    file_sd_configs:
      - files: ['$RUN/targets/*.json']
        refresh_interval: 5s
CONFIG
  "$binary" --config.file="$RUN/prometheus.yml" --storage.tsdb.path="$RUN/data" \
    --web.listen-address="127.0.0.1:$PORT" --storage.tsdb.retention.time=7d \
    >"$RUN/prometheus.log" 2>&1 &
  echo $! >"$RUN/pid"
  for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; then
      log "running on http://127.0.0.1:$PORT (log: $RUN/prometheus.log)"
      echo "http://127.0.0.1:$PORT"
      return 0
    fi
    running || break
    sleep 0.5
  done
  log "did not become ready; see $RUN/prometheus.log"
  tail -n 20 "$RUN/prometheus.log" >&2 || true
  return 1
}

stop() {
  if running; then
    kill "$(cat "$RUN/pid")"
    log "stopped"
  fi
  rm -f "$RUN/pid"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status)
  if running; then echo "running on http://127.0.0.1:$PORT"; else echo "not running"; fi
  ;;
*)
  echo "usage: $0 install|start|stop|status" >&2
  exit 2
  ;;
esac
