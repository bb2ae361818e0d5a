#!/usr/bin/env bash
# test.sh - the one command that runs every test on a fresh machine:
# setup (packages, npm, native and TS builds), the C tests (ctest), then the
# vitest suites (which start the real Kafka broker and Prometheus they need).
# Ends with vitest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== native tests (ctest) =="
ctest --test-dir build/native --output-on-failure
echo "== TypeScript tests (vitest) =="
npx --no-install vitest run
