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
# REPS runs of ITERS calls (its fastest is its value); configurations
# alternate ROUNDS times.  Two estimates of each ratio:
#   - paired (the one judged against the target): the ratio within each
#     round, of values measured seconds apart, then the median over rounds.
#     This VM's speed drifts by 10-30 % over minutes; a ratio of values
#     taken in the same round cancels that drift.
#   - fastest: each configuration's fastest value over all rounds, then
#     the ratio (what earlier versions of this bench printed).  It pairs
#     values from different moments, so drift shows up in it.
# The load average is recorded too.
# Pinned to one CPU with taskset when available (SIGSYS_BENCH_PIN=0: not).  Results:
# bench/results/native-<date>.json and .md (-2, -3, ... when taken).
#
# Env: SIGSYS_BUILD (build dir with Release/libsigsys.so, Release/
# sigsys-mkpolicy and bench/sigsys-bench; default build/native), ITERS,
# REPS, ROUNDS.
set -euo pipefail
suite=native
source "$(dirname "$0")/../lib.sh"
iters="${ITERS:-50000}"
reps="${REPS:-5}"
rounds="${ROUNDS:-15}"
bench_require "$lib" "$mk" "$bench" "$exe"
bench_tmp
"$mk" -o "$tmp/enforce.pol" --default allow --rule getpriority:errno:13
"$mk" -o "$tmp/audit.pol" --mode audit --default allow --rule getpriority:errno:13
# Docker's default profile, as `sigsys run` applies it by default (getppid is
# allowed there): the allowed path with a real profile's filter.
node "$root/dist/cli/main.js" compile "$root/deploy/profiles/default.json" -o "$tmp/default.pol" >/dev/null


declare -A best per_round
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
    per_round[$c,$r]=$v
  done
done

# Median over rounds of NUM / (DEN [+ DEN2]) within each round.
paired() {
  local num=$1 den=$2 den2=${3:-} r list=()
  for ((r = 0; r < rounds; r++)); do
    list+=("$(awk -v a="${per_round[$num,$r]}" -v b="${per_round[$den,$r]}" \
      -v c="${den2:+${per_round[$den2,$r]}}" 'BEGIN{printf "%.4f", a/(b+c)}')")
  done
  printf '%s\n' "${list[@]}" | sort -g | awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.3f", m}'
}
# Every round's ratio, for the record: "1.01 0.99 ...".
rounds_of() {
  local num=$1 den=$2 den2=${3:-} r out=""
  for ((r = 0; r < rounds; r++)); do
    out+="$(awk -v a="${per_round[$num,$r]}" -v b="${per_round[$den,$r]}" \
      -v c="${den2:+${per_round[$den2,$r]}}" 'BEGIN{printf "%.3f", a/(b+c)}') "
  done
  printf '%s' "${out% }"
}

bare_call=$(awk -v a="${best[trapped_bare]}" -v b="${best[trapped_none]}" 'BEGIN{printf "%.1f", a+b}')
# Fastest-value ratios (for comparison with earlier results).
f_allowed=$(ratio "${best[allowed_sigsys]}" "${best[allowed_allow_all]}")
f_allowed_run=$(ratio "${best[allowed_run]}" "${best[allowed_allow_all]}")
f_allowed_default=$(ratio "${best[allowed_run_default]}" "${best[allowed_allow_all]}")
f_enforce=$(ratio "${best[trapped_enforce]}" "${best[trapped_bare]}")
f_enforce_run=$(ratio "${best[trapped_run_enforce]}" "${best[trapped_bare]}")
f_audit=$(ratio "${best[trapped_audit]}" "$bare_call")
f_audit_run=$(ratio "${best[trapped_run_audit]}" "$bare_call")
# Paired ratios: judged against the targets.
r_allowed=$(paired allowed_sigsys allowed_allow_all)
r_allowed_run=$(paired allowed_run allowed_allow_all)
r_allowed_default=$(paired allowed_run_default allowed_allow_all)
r_enforce=$(paired trapped_enforce trapped_bare)
r_enforce_run=$(paired trapped_run_enforce trapped_bare)
r_audit=$(paired trapped_audit trapped_bare trapped_none)
r_audit_run=$(paired trapped_run_audit trapped_bare trapped_none)
ok_allowed=$(le "$r_allowed" 1.02); ok_allowed_run=$(le "$r_allowed_run" 1.02)
ok_allowed_default=$(le "$r_allowed_default" 1.02)
ok_enforce=$(le "$r_enforce" 1.10); ok_enforce_run=$(le "$r_enforce_run" 1.10)
ok_audit=$(le "$r_audit" 1.15); ok_audit_run=$(le "$r_audit_run" 1.15)
date_s="$(date -u +%Y-%m-%d)"
mkdir -p "$root/bench/results"
stem="$(result_stem)"
json="$stem.json"
md="$stem.md"
cat >"$json" <<JSON
{
$(machine_json)
  "statistic": "ratios: median over ROUNDS of the ratio within each round (each value: fastest of REPS runs of ITERS calls in one process); fastest_ratios: ratio of each configuration's fastest value over all rounds",
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
  "fastest_ratios": {
    "allowed_sigsys_vs_allow_all": $f_allowed,
    "allowed_run_vs_allow_all": $f_allowed_run,
    "allowed_run_docker_default_vs_allow_all": $f_allowed_default,
    "enforce_vs_bare_trap": $f_enforce,
    "run_enforce_vs_bare_trap": $f_enforce_run,
    "audit_vs_bare_trap_plus_call": $f_audit,
    "run_audit_vs_bare_trap_plus_call": $f_audit_run
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

$rounds alternating rounds; in each, every configuration is a fresh process whose value is its fastest of $reps runs of $iters calls.
The table shows each configuration's fastest value over all rounds.

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

Ratios: **paired** (median over the rounds of the ratio within each round; judged against the
target) and, in brackets, the ratio of the fastest values above.

- allowed vs allow-all: preload **$r_allowed** ($ok_allowed) [$f_allowed], \`sigsys run\` **$r_allowed_run** ($ok_allowed_run) [$f_allowed_run], \`sigsys run\` with Docker's default profile **$r_allowed_default** ($ok_allowed_default) [$f_allowed_default] (target <= 1.02)
- enforce vs bare trap: preload **$r_enforce** ($ok_enforce) [$f_enforce], \`sigsys run\` **$r_enforce_run** ($ok_enforce_run) [$f_enforce_run] (target <= 1.10)
- audit vs bare trap + the call ($bare_call ns): preload **$r_audit** ($ok_audit) [$f_audit], \`sigsys run\` **$r_audit_run** ($ok_audit_run) [$f_audit_run] (target <= 1.15)

Every round's ratio (paired):

| ratio | rounds |
|---|---|
| allowed, preload | $(rounds_of allowed_sigsys allowed_allow_all) |
| allowed, \`sigsys run\` | $(rounds_of allowed_run allowed_allow_all) |
| allowed, \`sigsys run\` + Docker default | $(rounds_of allowed_run_default allowed_allow_all) |
| enforce, preload | $(rounds_of trapped_enforce trapped_bare) |
| enforce, \`sigsys run\` | $(rounds_of trapped_run_enforce trapped_bare) |
| audit, preload | $(rounds_of trapped_audit trapped_bare trapped_none) |
| audit, \`sigsys run\` | $(rounds_of trapped_run_audit trapped_bare trapped_none) |
MD
cat "$md"
echo "bench/native: wrote $json"
