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
# Results: bench/results/launcher-<date>.json and .md.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${SIGSYS_BUILD:-$root/build/native}"
lib="$build/Release/libsigsys.so"
mk="$build/Release/sigsys-mkpolicy"
exe="$build/Release/sigsys-exec"
bench="$build/bench/sigsys-bench"
iters="${ITERS:-20000}"
reps="${REPS:-5}"
rounds="${ROUNDS:-3}"
for f in "$lib" "$mk" "$exe" "$bench"; do
  [ -e "$f" ] || { echo "bench/launcher: $f missing (build first, or set SIGSYS_BUILD)" >&2; exit 2; }
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$mk" -o "$tmp/enforce.pol" --default allow --rule getpriority:errno:13
pin=()
[ "${SIGSYS_BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)

run_one() { # the command; prints the fastest ns/call, checks that no event was dropped
  local out
  rm -rf "$tmp/spool" && mkdir "$tmp/spool"
  out="$(SIGSYS_SPOOL="$tmp/spool" SIGSYS_RING_RECORDS=$((iters * 2)) "${pin[@]}" "$@")"
  case "$out" in *"ring=1 dropped=0"*|*"ring=0"*) ;; *) echo "bench/launcher: events dropped: $out" >&2; exit 1 ;; esac
  sed -n 's/^ns_per_call=.* min=\([0-9.]*\).*/\1/p' <<<"$out"
}

load0="$(cut -d' ' -f1-3 /proc/loadavg)"
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
    if [ -z "${best[$c]:-}" ] || awk -v a="$v" -v b="${best[$c]}" 'BEGIN{exit !(a<b)}'; then best[$c]=$v; fi
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
r_allowed=$(ratio "${best[allowed_launcher]}" "${best[allowed_allow_all]}")
r_denied=$(ratio "${best[denied_supervisor]}" "${best[denied_trap]}")
ok_allowed=$(awk -v r="$r_allowed" 'BEGIN{print (r<=1.02)?"true":"false"}')
date_s="$(date -u +%Y-%m-%d)"
mkdir -p "$root/bench/results"
json="$root/bench/results/launcher-$date_s.json"
md="$root/bench/results/launcher-$date_s.md"
cat >"$json" <<JSON
{
  "suite": "launcher",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "kernel": "$(uname -r)",
  "cpu": "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)",
  "loadavg_before": "$load0",
  "loadavg_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "statistic": "fastest run of ITERS calls over REPS x ROUNDS",
  "pinned": $([ ${#pin[@]} -gt 0 ] && echo true || echo false),
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
