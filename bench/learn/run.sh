#!/usr/bin/env bash
# bench/learn/run.sh - what learning costs: wall time of `sigsys learn`
# (through the kernel's eBPF counter, and through the supervisor alone)
# against the same program unconfined and under `strace -f -o /dev/null`,
# on a short python loop, a 10x longer one and a file scan, measured in one
# run (rounds alternate, fastest of each kept).  Targets (issue "learn for
# real programs"): learn <= 2x unconfined, and >= 5x faster than strace.
# The headline load ("issue") is the issue's by time: a python loop sized at
# the start of the run to take 0.3 s unconfined on this machine.
# Needs the build (bash scripts/setup.sh), strace, and root (the counter).
# Options: --rounds N, --calls N (tight load), --issue-seconds S,
# --issue-calls N, --name NAME.  Also: bash bench/run.sh learn -- --rounds 3.
# Results: bench/results/<NAME>.json and .md (default learn-<date>; never
# overwritten: -2, -3, ... appended).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
command -v strace >/dev/null || { echo "bench learn: strace is not installed (apt-get install strace)" >&2; exit 2; }
exec node "$root/bench/learn/learn-bench.mjs" "$@"
