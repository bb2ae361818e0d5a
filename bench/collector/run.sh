#!/usr/bin/env bash
# bench/collector/run.sh - the collector benchmark on one core (taskset when available).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx --no-install tsc -p tsconfig.json >/dev/null 2>&1 || true  # emits even if another part has type errors
if command -v taskset >/dev/null 2>&1; then
  SIGSYS_BENCH_PINNED="cpu0" exec taskset -c 0 node --expose-gc bench/collector/collector-bench.mjs "$@"
fi
exec node --expose-gc bench/collector/collector-bench.mjs "$@"
