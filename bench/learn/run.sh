#!/usr/bin/env bash
# bench/learn/run.sh - what learning costs: wall time of `sigsys learn`
# (through the kernel's eBPF counter, and through the supervisor alone)
# against the same program unconfined and under `strace -f -o /dev/null`,
# on a short python loop, a 10x longer one and a file scan, measured in one
# run (rounds alternate, fastest of each kept).  Targets (issue "learn for
# real programs"): learn <= 2x unconfined, and >= 5x faster than strace.
# Needs the build (bash scripts/setup.sh), strace, and root (the counter).
# Results: bench/results/learn-<date>.json and .md.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
command -v strace >/dev/null || { echo "bench learn: strace is not installed (apt-get install strace)" >&2; exit 2; }
exec node "$root/bench/learn/learn-bench.mjs" "$@"
