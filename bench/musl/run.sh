#!/usr/bin/env bash
# bench/musl/run.sh - syscall cost under sigsys in a musl process: the same
# libsigsys.so (one library for glibc and musl) and the same bench program
# (bench/native/bench_native.c), built here with musl-gcc (dynamic), against
# baselines measured in the same run and the same musl process image:
#
#   allowed call (getppid):     allow-all filter | sigsys filter
#       target: sigsys <= 1.02 x allow-all
#   trapped call (getpriority): bare trap (SECCOMP_RET_TRAP + empty handler)
#       | sigsys enforce (errno + event) | sigsys audit (event + re-issue)
#       target: enforce <= 1.25 x bare trap
#
# Method as bench/native/run.sh: fresh process per configuration, REPS runs of
# ITERS calls, ROUNDS alternating rounds, fastest run kept, pinned to CPU 0
# (SIGSYS_BENCH_PIN=0: not).  Results: bench/results/musl-<date>.json and .md (-2, -3, ... when taken).
# Needs musl-gcc (musl-tools; scripts/setup.sh installs it).
#
# Env: SIGSYS_BUILD (default build/native), ITERS, REPS, ROUNDS.
set -euo pipefail
suite=musl
source "$(dirname "$0")/../lib.sh"
iters="${ITERS:-50000}"
reps="${REPS:-9}"
rounds="${ROUNDS:-5}"
bench_require "$lib" "$mk"
command -v musl-gcc >/dev/null 2>&1 || { echo "bench/musl: musl-gcc missing (install musl-tools: bash scripts/setup.sh)" >&2; exit 2; }
bench_tmp

# musl-gcc's include path has no kernel headers; lend it the system's uapi
# headers (linux/, asm/, asm-generic/ only: no glibc header leaks in).
mkdir "$tmp/kh"
for d in linux asm-generic; do ln -s "/usr/include/$d" "$tmp/kh/$d"; done
ln -s "/usr/include/$(gcc -print-multiarch)/asm" "$tmp/kh/asm"
bench="$tmp/sigsys-bench-musl"
musl-gcc -O2 -Wall -Wextra -Werror -isystem "$tmp/kh" -I"$root/native/src" -o "$bench" \
  "$root/bench/native/bench_native.c" "$root/native/src/ring.c" "$root/native/src/encode.c"
readelf -l "$bench" | grep -q 'interpreter: /lib/ld-musl' || { echo "bench/musl: $bench is not a musl program" >&2; exit 1; }

"$mk" -o "$tmp/enforce.pol" --default allow --rule getpriority:errno:13
"$mk" -o "$tmp/audit.pol" --mode audit --default allow --rule getpriority:errno:13

declare -A best
configs=(allowed_allow_all allowed_sigsys trapped_bare trapped_enforce trapped_audit)
for ((r = 0; r < rounds; r++)); do
  for c in "${configs[@]}"; do
    case $c in
      allowed_allow_all) v=$(run_one "$bench" allowed "$iters" "$reps" --install allow-all) ;;
      allowed_sigsys)    v=$(run_one env LD_PRELOAD="$lib" SIGSYS_POLICY="$tmp/enforce.pol" "$bench" allowed "$iters" "$reps") ;;
      trapped_bare)      v=$(run_one "$bench" trapped "$iters" "$reps" --install bare-trap) ;;
      trapped_enforce)   v=$(run_one env LD_PRELOAD="$lib" SIGSYS_POLICY="$tmp/enforce.pol" "$bench" trapped "$iters" "$reps") ;;
      trapped_audit)     v=$(run_one env LD_PRELOAD="$lib" SIGSYS_POLICY="$tmp/audit.pol" "$bench" trapped "$iters" "$reps") ;;
    esac
    keep_min "$c" "$v"
  done
done

r_allowed=$(ratio "${best[allowed_sigsys]}" "${best[allowed_allow_all]}")
r_enforce=$(ratio "${best[trapped_enforce]}" "${best[trapped_bare]}")
r_audit=$(ratio "${best[trapped_audit]}" "${best[trapped_bare]}")
ok_allowed=$(awk -v r="$r_allowed" 'BEGIN{print (r<=1.02)?"true":"false"}')
ok_enforce=$(awk -v r="$r_enforce" 'BEGIN{print (r<=1.25)?"true":"false"}')
date_s="$(date -u +%Y-%m-%d)"
mkdir -p "$root/bench/results"
stem="$(result_stem)"
json="$stem.json"
md="$stem.md"
cat >"$json" <<JSON
{
$(machine_json)
  "musl": "$(/lib/ld-musl-x86_64.so.1 2>&1 | sed -n 's/^Version //p')",
  "statistic": "fastest run of ITERS calls over REPS x ROUNDS",
  "iters": $iters, "reps": $reps, "rounds": $rounds,
  "ns_per_call": {
    "allowed_allow_all_filter": ${best[allowed_allow_all]},
    "allowed_sigsys_filter": ${best[allowed_sigsys]},
    "trapped_bare_trap": ${best[trapped_bare]},
    "trapped_sigsys_enforce": ${best[trapped_enforce]},
    "trapped_sigsys_audit": ${best[trapped_audit]}
  },
  "ratios": {
    "allowed_sigsys_vs_allow_all": $r_allowed,
    "enforce_vs_bare_trap": $r_enforce,
    "audit_vs_bare_trap": $r_audit
  },
  "targets": {
    "allowed_sigsys_vs_allow_all_max": 1.02, "met_allowed": $ok_allowed,
    "enforce_vs_bare_trap_max": 1.25, "met_enforce": $ok_enforce
  }
}
JSON
cat >"$md" <<MD
# musl bench, $date_s (kernel $(uname -r), musl $(/lib/ld-musl-x86_64.so.1 2>&1 | sed -n 's/^Version //p'), pinned to one CPU: $([ ${#pin[@]} -gt 0 ] && echo yes || echo no), load $load0)

bench/native/bench_native.c built with musl-gcc (dynamic), under the same
libsigsys.so as glibc programs. Fastest run of $iters calls, over $reps runs x $rounds alternating rounds.

| call | configuration | ns/call |
|---|---|---|
| getppid (allowed) | allow-all filter | ${best[allowed_allow_all]} |
| getppid (allowed) | sigsys filter | ${best[allowed_sigsys]} |
| getpriority (trapped) | bare trap, empty handler | ${best[trapped_bare]} |
| getpriority (trapped) | sigsys enforce (errno + event) | ${best[trapped_enforce]} |
| getpriority (trapped) | sigsys audit (event + re-issue) | ${best[trapped_audit]} |

- allowed, sigsys vs allow-all: **$r_allowed** (target <= 1.02: $ok_allowed)
- trapped, enforce vs bare trap: **$r_enforce** (target <= 1.25: $ok_enforce)
- trapped, audit vs bare trap: $r_audit (no target)
MD
cat "$md"
echo "bench/musl: wrote $json"
