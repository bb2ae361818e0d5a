#!/usr/bin/env bash
# bench/native/run.sh - syscall cost under sigsys, against same-run baselines.
#
#   allowed call (getppid):  no filter | allow-all filter | sigsys filter
#       (preload alone) | as under `sigsys run` (sigsys-exec's filter and
#       the preload's, stacked)
#       targets: each <= 1.02 x allow-all
#   trapped call (getpriority): no filter (the call itself) | bare trap
#       (SECCOMP_RET_TRAP + empty handler) | sigsys enforce (errno + event
#       or hot-loop count) | sigsys audit (event or count + the call run),
#       preload alone and as under `sigsys run`
#       targets: enforce <= 1.10 x bare trap; audit <= 1.15 x (bare trap +
#       the call itself)
#
# The loop repeats one call from one call site, so past the first few
# events the handler counts in the ring (docs/ring.md "Hot loops"): this is
# the cost of a program stuck in a denied-call loop.  Every run checks that
# nothing was dropped.
#
# Each configuration is a fresh process (a filter cannot be removed) timing
# REPS runs of ITERS calls; configurations alternate ROUNDS times and the
# fastest run of each is kept: on a shared machine the minimum is the
# estimate least disturbed by neighbours (the load average is recorded too).
# Pinned to one CPU with taskset when available (SIGSYS_BENCH_PIN=0: not).  Results:
# bench/results/native-<date>.json and .md.
#
# Env: SIGSYS_BUILD (build dir with Release/libsigsys.so, Release/
# sigsys-mkpolicy and bench/sigsys-bench; default build/native), ITERS,
# REPS, ROUNDS.
set -euo pipefail
suite=native
source "$(dirname "$0")/../lib.sh"
iters="${ITERS:-50000}"
reps="${REPS:-9}"
rounds="${ROUNDS:-5}"
bench_require "$lib" "$mk" "$bench" "$exe"
bench_tmp
"$mk" -o "$tmp/enforce.pol" --default allow --rule getpriority:errno:13
"$mk" -o "$tmp/audit.pol" --mode audit --default allow --rule getpriority:errno:13
# Docker's default profile, as `sigsys run` applies it by default (getppid is
# allowed there): the allowed path with a real profile's filter.
node "$root/dist/cli/main.js" compile "$root/deploy/profiles/default.json" -o "$tmp/default.pol" >/dev/null


declare -A best
configs=(allowed_none allowed_allow_all allowed_sigsys allowed_run allowed_run_default trapped_none trapped_bare trapped_enforce trapped_audit trapped_run_enforce trapped_run_audit)
# What `sigsys run` starts (src/run/run.ts): sigsys-exec with the preload.
run_exec=("$exe" --spool "$tmp/spool" --preload "$lib" --ring-records $((iters * 2)))
for ((r = 0; r < rounds; r++)); do
  for c in "${configs[@]}"; do
    case $c in
      allowed_none)      v=$(run_one "$bench" allowed "$iters" "$reps") ;;
      allowed_allow_all) v=$(run_one "$bench" allowed "$iters" "$reps" --install allow-all) ;;
      allowed_sigsys)    v=$(run_one env LD_PRELOAD="$lib" SIGSYS_POLICY="$tmp/enforce.pol" "$bench" allowed "$iters" "$reps") ;;
      allowed_run)       v=$(run_one "${run_exec[@]}" "$tmp/enforce.pol" -- "$bench" allowed "$iters" "$reps") ;;
      allowed_run_default) v=$(run_one "${run_exec[@]}" "$tmp/default.pol" -- "$bench" allowed "$iters" "$reps") ;;
      trapped_none)      v=$(run_one "$bench" trapped "$iters" "$reps") ;;
      trapped_bare)      v=$(run_one "$bench" trapped "$iters" "$reps" --install bare-trap) ;;
      trapped_enforce)   v=$(run_one env LD_PRELOAD="$lib" SIGSYS_POLICY="$tmp/enforce.pol" "$bench" trapped "$iters" "$reps") ;;
      trapped_audit)     v=$(run_one env LD_PRELOAD="$lib" SIGSYS_POLICY="$tmp/audit.pol" "$bench" trapped "$iters" "$reps") ;;
      trapped_run_enforce) v=$(run_one "${run_exec[@]}" "$tmp/enforce.pol" -- "$bench" trapped "$iters" "$reps") ;;
      trapped_run_audit) v=$(run_one "${run_exec[@]}" "$tmp/audit.pol" -- "$bench" trapped "$iters" "$reps") ;;
    esac
    keep_min "$c" "$v"
  done
done

bare_call=$(awk -v a="${best[trapped_bare]}" -v b="${best[trapped_none]}" 'BEGIN{printf "%.1f", a+b}')
r_allowed=$(ratio "${best[allowed_sigsys]}" "${best[allowed_allow_all]}")
r_allowed_run=$(ratio "${best[allowed_run]}" "${best[allowed_allow_all]}")
r_allowed_default=$(ratio "${best[allowed_run_default]}" "${best[allowed_allow_all]}")
r_enforce=$(ratio "${best[trapped_enforce]}" "${best[trapped_bare]}")
r_enforce_run=$(ratio "${best[trapped_run_enforce]}" "${best[trapped_bare]}")
r_audit=$(ratio "${best[trapped_audit]}" "$bare_call")
r_audit_run=$(ratio "${best[trapped_run_audit]}" "$bare_call")
ok_allowed=$(le "$r_allowed" 1.02); ok_allowed_run=$(le "$r_allowed_run" 1.02)
ok_allowed_default=$(le "$r_allowed_default" 1.02)
ok_enforce=$(le "$r_enforce" 1.10); ok_enforce_run=$(le "$r_enforce_run" 1.10)
ok_audit=$(le "$r_audit" 1.15); ok_audit_run=$(le "$r_audit_run" 1.15)
date_s="$(date -u +%Y-%m-%d)"
mkdir -p "$root/bench/results"
json="$root/bench/results/native-$date_s.json"
md="$root/bench/results/native-$date_s.md"
cat >"$json" <<JSON
{
$(machine_json)
  "statistic": "fastest run of ITERS calls over REPS x ROUNDS",
  "iters": $iters, "reps": $reps, "rounds": $rounds,
  "ns_per_call": {
    "allowed_no_filter": ${best[allowed_none]},
    "allowed_allow_all_filter": ${best[allowed_allow_all]},
    "allowed_sigsys_filter": ${best[allowed_sigsys]},
    "allowed_sigsys_run": ${best[allowed_run]},
    "allowed_sigsys_run_docker_default": ${best[allowed_run_default]},
    "trapped_no_filter": ${best[trapped_none]},
    "trapped_bare_trap": ${best[trapped_bare]},
    "trapped_sigsys_enforce": ${best[trapped_enforce]},
    "trapped_sigsys_audit": ${best[trapped_audit]},
    "trapped_sigsys_run_enforce": ${best[trapped_run_enforce]},
    "trapped_sigsys_run_audit": ${best[trapped_run_audit]}
  },
  "ratios": {
    "allowed_sigsys_vs_allow_all": $r_allowed,
    "allowed_run_vs_allow_all": $r_allowed_run,
    "allowed_run_docker_default_vs_allow_all": $r_allowed_default,
    "enforce_vs_bare_trap": $r_enforce,
    "run_enforce_vs_bare_trap": $r_enforce_run,
    "audit_vs_bare_trap_plus_call": $r_audit,
    "run_audit_vs_bare_trap_plus_call": $r_audit_run
  },
  "targets": {
    "allowed_max": 1.02, "met_allowed": $ok_allowed, "met_allowed_run": $ok_allowed_run, "met_allowed_run_docker_default": $ok_allowed_default,
    "enforce_max": 1.10, "met_enforce": $ok_enforce, "met_enforce_run": $ok_enforce_run,
    "audit_max": 1.15, "met_audit": $ok_audit, "met_audit_run": $ok_audit_run
  }
}
JSON
cat >"$md" <<MD
# native bench, $date_s (kernel $(uname -r), pinned to one CPU: $([ ${#pin[@]} -gt 0 ] && echo yes || echo no), load $load0)

Fastest run of $iters calls, over $reps runs x $rounds alternating rounds.

| call | configuration | ns/call |
|---|---|---|
| getppid (allowed) | no filter | ${best[allowed_none]} |
| getppid (allowed) | allow-all filter | ${best[allowed_allow_all]} |
| getppid (allowed) | sigsys filter (preload) | ${best[allowed_sigsys]} |
| getppid (allowed) | as under \`sigsys run\` (sigsys-exec + preload) | ${best[allowed_run]} |
| getppid (allowed) | as under \`sigsys run\`, Docker's default profile | ${best[allowed_run_default]} |
| getpriority | no filter (the call itself) | ${best[trapped_none]} |
| getpriority (trapped) | bare trap, empty handler | ${best[trapped_bare]} |
| getpriority (trapped) | sigsys enforce (errno + event/count), preload | ${best[trapped_enforce]} |
| getpriority (trapped) | sigsys audit (event/count + call), preload | ${best[trapped_audit]} |
| getpriority (trapped) | sigsys enforce, as under \`sigsys run\` | ${best[trapped_run_enforce]} |
| getpriority (trapped) | sigsys audit, as under \`sigsys run\` | ${best[trapped_run_audit]} |

- allowed vs allow-all: preload **$r_allowed** ($ok_allowed), \`sigsys run\` **$r_allowed_run** ($ok_allowed_run), \`sigsys run\` with Docker's default profile **$r_allowed_default** ($ok_allowed_default) (target <= 1.02)
- enforce vs bare trap: preload **$r_enforce** ($ok_enforce), \`sigsys run\` **$r_enforce_run** ($ok_enforce_run) (target <= 1.10)
- audit vs bare trap + the call ($bare_call ns): preload **$r_audit** ($ok_audit), \`sigsys run\` **$r_audit_run** ($ok_audit_run) (target <= 1.15)
MD
cat "$md"
echo "bench/native: wrote $json"
