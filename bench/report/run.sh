#!/usr/bin/env bash
# bench/report/run.sh - `sigsys report` on 1M events, and its page in chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx --no-install tsc -p tsconfig.json >/dev/null 2>&1 || true  # emits even if another part has type errors
exec node bench/report/report-bench.mjs "$@"
