#!/usr/bin/env bash
# bench/launcher/run.sh - what sigsys-exec's supervisor path costs, against
# same-run baselines (docs/launcher.md).
#
#   denied call (getpriority -> EACCES + one event):
#       in-process trap path (libsigsys.so, enforce)
#       | supervisor path (sigsys-exec, SECCOMP_RET_USER_NOTIF, enforce)
#       reported: supervisor / trap (no target: a notification is two
#       context switches and an ioctl round trip; this says how many times
#       the trap path it costs)
#   allowed call (getppid):
#       allow-all filter | the launcher's filter (NOTIFY variant)
#       target: launcher <= 1.02 x allow-all (allowed paths are the policy's
#       own, answered by the kernel's action cache)
#
# The workload is bench/native's sigsys-bench (a glibc program; under
# sigsys-exec it runs without the preload, so every denied call goes to the
# supervisor).  Each configuration is a fresh process; configurations
# alternate ROUNDS times and the fastest run is kept.  Pinned to one CPU
# with taskset (supervisor and workload share it; SIGSYS_BENCH_PIN=0: not).
# Results: bench/results/launcher-<date>.json and .md (-2, -3, ... when taken).
set -euo pipefail
suite=launcher
source "$(dirname "$0")/../lib.sh"
iters="${ITERS:-20000}"
reps="${REPS:-5}"
rounds="${ROUNDS:-3}"
bench_require "$lib" "$mk" "$exe" "$bench"
bench_tmp
"$mk" -o "$tmp/enforce.pol" --default allow --rule getpriority:errno:13


declare -A best
configs=(allowed_allow_all allowed_launcher denied_trap denied_supervisor)
for ((r = 0; r < rounds; r++)); do
  for c in "${configs[@]}"; do
    case $c in
      allowed_allow_all) v=$(run_one "$bench" allowed "$iters" "$reps" --install allow-all) ;;
      allowed_launcher)  v=$(run_one "$exe" --ring-records $((iters * 2)) --spool "$tmp/spool" "$tmp/enforce.pol" -- "$bench" allowed "$iters" "$reps") ;;
      denied_trap)       v=$(run_one env LD_PRELOAD="$lib" SIGSYS_POLICY="$tmp/enforce.pol" "$bench" trapped "$iters" "$reps") ;;
      denied_supervisor) v=$(run_one "$exe" --ring-records $((iters * 2)) --spool "$tmp/spool" "$tmp/enforce.pol" -- "$bench" trapped "$iters" "$reps") ;;
    esac
    keep_min "$c" "$v"
  done
done

r_allowed=$(ratio "${best[allowed_launcher]}" "${best[allowed_allow_all]}")
r_denied=$(ratio "${best[denied_supervisor]}" "${best[denied_trap]}")
ok_allowed=$(le "$r_allowed" 1.02)
date_s="$(date -u +%Y-%m-%d)"
mkdir -p "$root/bench/results"
stem="$(result_stem)"
json="$stem.json"
md="$stem.md"
cat >"$json" <<JSON
{
$(machine_json)
  "statistic": "fastest run of ITERS calls over REPS x ROUNDS",
  "iters": $iters, "reps": $reps, "rounds": $rounds,
  "ns_per_call": {
    "allowed_allow_all_filter": ${best[allowed_allow_all]},
    "allowed_launcher_filter": ${best[allowed_launcher]},
    "denied_trap_path": ${best[denied_trap]},
    "denied_supervisor_path": ${best[denied_supervisor]}
  },
  "ratios": {
    "allowed_launcher_vs_allow_all": $r_allowed,
    "denied_supervisor_vs_trap": $r_denied
  },
  "targets": { "allowed_launcher_vs_allow_all_max": 1.02, "met_allowed": $ok_allowed }
}
JSON
cat >"$md" <<MD
# launcher bench, $date_s (kernel $(uname -r), pinned to one CPU: $([ ${#pin[@]} -gt 0 ] && echo yes || echo no), load $load0)

Fastest run of $iters calls, over $reps runs x $rounds alternating rounds.

| call | configuration | ns/call |
|---|---|---|
| getppid (allowed) | allow-all filter | ${best[allowed_allow_all]} |
| getppid (allowed) | sigsys-exec's filter (NOTIFY variant) | ${best[allowed_launcher]} |
| getpriority (denied) | in-process trap path (libsigsys.so, errno + event) | ${best[denied_trap]} |
| getpriority (denied) | supervisor path (sigsys-exec, errno + event) | ${best[denied_supervisor]} |

- allowed, launcher vs allow-all: **$r_allowed** (target <= 1.02: $ok_allowed)
- denied, supervisor vs in-process trap: **$r_denied** (no target; the price of confining what the preload cannot reach)
MD
cat "$md"
echo "bench/launcher: wrote $json"
