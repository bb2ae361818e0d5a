#!/usr/bin/env bash
# bench/compile/run.sh - profile compiler: compile time (default profile and a
# generated 400-rule profile), BPF program length, and the cost of an allowed
# syscall (BPF instructions executed) with and without the binary tree.
# Needs the TypeScript build (dist/) and the addon; SIGSYS_ADDON overrides
# the addon path.  Results: bench/results/compile-<date>.json and .md.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
[ -f "$root/dist/profile/compile.js" ] || (cd "$root" && npx --no-install tsc -p tsconfig.json)
exec node "$root/bench/compile/run.mjs" "$@"
