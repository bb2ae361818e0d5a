#!/usr/bin/env bash
# bench/learn/run.sh - what learning costs: wall time of `sigsys learn`
# (through the kernel's eBPF counter, and through the supervisor alone)
# against the same program unconfined and under `strace -f -o /dev/null`,
# measured in one run.  Targets (issue "learn for real programs"): learn <=
# 2x unconfined, and >= 5x faster than strace.
# The headline load ("issue") is the issue's as the issue states it: a
# python loop of 40k syscalls doing pure-python work in every iteration,
# sized at the start of the run to take 0.31 s unconfined on this machine.
# Dense loads (a syscall loop and nothing else: dense-timed, dense-40k,
# dense-400k) and a file scan are reported beside it.  Rounds alternate
# configurations; verdicts are medians of per-round ratios (learn and
# unconfined back to back), the fastest-run ratio shown too.
# Needs the build (bash scripts/setup.sh), strace, and root (the counter).
# Options: --rounds N (headline, 9), --dense-rounds N (3), --calls N
# (dense-40k), --issue-seconds S, --issue-work K, --dense-seconds S,
# --only issue,scan,..., --no-cache, --name NAME.
# Also: bash bench/run.sh learn -- --rounds 3.
# Results: bench/results/<NAME>.json and .md (default learn-<date>; never
# overwritten: -2, -3, ... appended).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
command -v strace >/dev/null || { echo "bench learn: strace is not installed (apt-get install strace)" >&2; exit 2; }
exec node "$root/bench/learn/learn-bench.mjs" "$@"
