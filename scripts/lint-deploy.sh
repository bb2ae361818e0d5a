#!/usr/bin/env bash
# lint-deploy.sh - lint what deploy/ ships but this machine cannot run (no
# Docker engine here): the Dockerfile with hadolint, the Kubernetes manifests
# and the Alertmanager example with yamllint.  The tools come from
# scripts/deploy-tools.sh (pinned, under build/).  Schema validation of the
# rendered manifests and amtool are run by test/deploy.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deploy-tools.sh
venv=build/lint-venv
status=0
"$venv/bin/hadolint" --failure-threshold warning deploy/Dockerfile || status=1
# Manifests: yamllint's default rules.  Prometheus rule files hold PromQL
# one-liners and are checked for meaning by promtool (test/prometheus-rules),
# so there only the YAML itself is linted, not its layout.
"$venv/bin/yamllint" -s -d '{extends: default, rules: {line-length: {max: 120}}}' deploy/kubernetes deploy/alertmanager || status=1
"$venv/bin/yamllint" -s -d '{extends: relaxed, rules: {line-length: disable, braces: disable}}' deploy/prometheus || status=1
exit $status
