#!/usr/bin/env bash
# kustomize.sh DIR - render a kustomization with the pinned kustomize that
# scripts/deploy-tools.sh installs (else kustomize or kubectl on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x build/tools/kustomize ]; then exec build/tools/kustomize build "$@"; fi
if command -v kustomize >/dev/null 2>&1; then exec kustomize build "$@"; fi
exec kubectl kustomize "$@"
