#!/usr/bin/env bash
# test.sh - the one command that runs every test on a fresh machine:
# setup (packages, npm, native and TS builds), the C tests (ctest), then the
# vitest suites (which start the real Kafka broker and Prometheus they need).
# Both suites always run; the last line counts them together,
# "tests: N passed, N failed", and the exit status is non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p build
rm -f build/ctest.log build/vitest.json

echo "== native tests (ctest) =="
set +e
ctest --test-dir build/native --output-on-failure 2>&1 | tee build/ctest.log
ctest_rc=${PIPESTATUS[0]}
echo "== TypeScript tests (vitest) =="
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json=build/vitest.json
vitest_rc=$?
set -e

# ctest: "100% tests passed, 0 tests failed out of 42"; vitest: its JSON report.
node - build/ctest.log build/vitest.json "$ctest_rc" "$vitest_rc" <<'JS'
const fs = require('node:fs');
const [ctestLog, vitestJson, ctestRc, vitestRc] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;
const c = /(\d+) tests failed out of (\d+)/.exec(fs.existsSync(ctestLog) ? fs.readFileSync(ctestLog, 'utf8') : '');
if (c) { failed += +c[1]; passed += +c[2] - +c[1]; } else if (ctestRc !== '0') failed += 1;
if (fs.existsSync(vitestJson)) {
  const v = JSON.parse(fs.readFileSync(vitestJson, 'utf8'));
  passed += v.numPassedTests; failed += v.numFailedTests; skipped += v.numPendingTests + v.numTodoTests;
  // A suite that failed to load has no failed test but fails the run.
  if (vitestRc !== '0' && v.numFailedTests === 0) failed += 1;
} else if (vitestRc !== '0') failed += 1;
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || ctestRc !== '0' || vitestRc !== '0' ? 1 : 0;
JS
