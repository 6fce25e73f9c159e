# The two commands of this repository:
#   make start   the portal on http://localhost:3000 (backend on :7007), SQLite, demo data
#   make test    every check: release alignment, API contract, tsc, lint, unit tests, e2e
#
# Node 22 is provisioned into .toolchain/ when the node on PATH is not 22 or 24
# (scripts/toolchain.sh); Yarn runs from the release committed in .yarn/releases.

SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLCHAIN_PATH := $(shell scripts/toolchain.sh)
ifeq ($(TOOLCHAIN_PATH),)
$(error could not provision Node; see the toolchain messages above)
endif
export PATH := $(TOOLCHAIN_PATH):$(PATH)
NODE_HOME := $(patsubst %/bin,%,$(lastword $(subst :, ,$(TOOLCHAIN_PATH))))
# Native addons (better-sqlite3) build from source against these headers, offline.
ifneq ($(wildcard $(NODE_HOME)/include/node/node.h),)
export npm_config_nodedir := $(NODE_HOME)
endif
# There is no Docker engine to start test databases in; tests use the servers
# named by BACKSTAGE_TEST_DATABASE_*_CONNECTION_STRING, and SQLite always.
export BACKSTAGE_TEST_DISABLE_DOCKER ?= 1

WORKSPACE_MANIFESTS := package.json yarn.lock $(wildcard packages/*/package.json plugins/*/package.json)

.PHONY: help install start start-kubernetes test tsc lint unit e2e generate clean bench

help:
	@echo "make start   run the portal (http://localhost:3000) with SQLite and demo data"
	@echo "make test    run every check and print a summary"
	@echo "make start-kubernetes   make start, plus the local Kubernetes test cluster (live state, previews)"
	@echo "make tsc | lint | unit | e2e   run one group of checks"
	@echo "make generate   regenerate code from the OpenAPI contract"
	@echo "make bench   two portal replicas on PostgreSQL + Redis under load: p50/p95 next to their anchors (not part of make test)"
	@echo "make clean   remove build output and installed dependencies"

node_modules/.yarn-state.yml: $(WORKSPACE_MANIFESTS)
	yarn install --immutable
	@touch $@

install: node_modules/.yarn-state.yml

start: install
	yarn start

# The portal with the local Kubernetes test cluster (built on first use, about
# 15 minutes; left running afterwards: scripts/kube-test-cluster.sh stop), the
# standard ladder deployed by the kubernetes executor (a native canary in dev
# and staging), the demo's workloads in the cluster with a stand-in kubelet
# that also serves their metrics (scripts/demo-cluster.mjs), and Prometheus
# scraping them for the release analysis (scripts/prometheus.sh; stopped with
# the portal unless it was running already).
start-kubernetes: install
	@kubeconfig="$$(scripts/kube-test-cluster.sh start)" && \
	  { scripts/prometheus.sh status | grep -q '^running' || stop_prometheus=1; \
	    scripts/prometheus.sh start >/dev/null || exit 1; \
	    node scripts/demo-cluster.mjs --kubeconfig "$$kubeconfig" & helper=$$!; \
	    trap 'kill $$helper 2>/dev/null; [ -n "$$stop_prometheus" ] && scripts/prometheus.sh stop' EXIT INT TERM; \
	    yarn start --config "$(CURDIR)/app-config.yaml" --config "$(CURDIR)/app-config.prometheus.yaml" \
	      --config "$$(dirname "$$kubeconfig")/app-config.yaml"; }

test: install
	@scripts/test.sh all

tsc lint unit e2e: install
	@scripts/test.sh $@

generate: install
	yarn generate:openapi

# Not part of make test: seeds (once) and loads PostgreSQL, starts two replicas.
bench: install
	yarn workspace @backstage-delivery/plugin-delivery-backend bench:portal

clean:
	rm -rf node_modules packages/*/node_modules plugins/*/node_modules dist-types e2e-test-report
