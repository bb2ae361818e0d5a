#!/usr/bin/env bash
# bench/loop/run.sh - a program stuck in a denied-call loop (10 million
# getpriority calls answered EACCES, one call site), as under `sigsys run`
# (sigsys-exec + the preload) with a live `sigsys collect` writing NDJSON and
# serving Prometheus, against the same loop under a bare SECCOMP_RET_TRAP
# filter with an empty handler, measured in the same run.
#
#   target: wall time <= 1.10 x bare trap; zero drops; the NDJSON total
#   (sum of `repeat ?? 1`) and sigsys_violations_total both exactly the
#   number of calls (docs/ring.md "Hot loops").
#
# Rounds alternate (bare, sigsys); the fastest of each is kept; the workload
# is pinned to CPU 0 and the collector to CPU 1 when taskset exists
# (SIGSYS_BENCH_PIN=0: not).  Env: CALLS (default 10000000), ROUNDS (3),
# SIGSYS_BUILD.  Results: bench/results/loop-<date>.json and .md (-2, -3, ... when taken).
set -euo pipefail
suite=loop
source "$(dirname "$0")/../lib.sh"
main="$root/dist/cli/main.js"
calls="${CALLS:-10000000}"
rounds="${ROUNDS:-3}"
warm=1000 # sigsys-bench's warm-up calls, made before the timed ones
bench_require "$lib" "$mk" "$exe" "$bench" "$main"
tmp="$(mktemp -d)"
collector=""
cleanup() { [ -n "$collector" ] && kill "$collector" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$mk" -o "$tmp/enforce.pol" --default allow --rule getpriority:errno:13
pin0=() pin1=()
if [ "${SIGSYS_BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null 2>&1; then
  pin0=(taskset -c 0)
  [ "$(nproc)" -gt 1 ] && pin1=(taskset -c 1)
fi
now() { date +%s%N; }
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
metric() { # sum of a counter's samples (optionally with a label filter)
  curl -fsS "http://127.0.0.1:$port/metrics" | awk -v n="$1" -v f="${2:-}" \
    'index($0, n) == 1 && (f == "" || index($0, f)) { s += $NF } END { printf "%d", s }'
}

best_bare="" best_sigsys="" want=$((calls + warm))
ndjson_total=0 prom_total=0 dropped=0 records=0
for ((r = 0; r < rounds; r++)); do
  t0=$(now); "${pin0[@]}" "$bench" trapped "$calls" 1 --install bare-trap >/dev/null; t1=$(now)
  bare=$(( (t1 - t0) / 1000000 ))
  rm -rf "$tmp/spool" "$tmp/events.ndjson" && mkdir "$tmp/spool"
  SIGSYS_LOG_LEVEL=warn "${pin1[@]}" node "$main" collect --spool "$tmp/spool" --out "$tmp/events.ndjson" \
    --metrics-port "$port" --metrics-host 127.0.0.1 --no-remove &
  collector=$!
  for _ in $(seq 200); do curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 && break; sleep 0.05; done
  t0=$(now); SIGSYS_BENCH_DRAIN=0 "${pin0[@]}" "$exe" --spool "$tmp/spool" --preload "$lib" "$tmp/enforce.pol" -- "$bench" trapped "$calls" 1 >/dev/null; t1=$(now)
  sig=$(( (t1 - t0) / 1000000 ))
  # The totals: wait (bounded) until the collector has everything.
  for _ in $(seq 600); do
    prom_total=$(metric 'sigsys_violations_total{' 'syscall="getpriority"')
    [ "$prom_total" -ge "$want" ] && break
    sleep 0.1
  done
  dropped=$(metric 'sigsys_events_dropped_total')
  kill -TERM "$collector"; wait "$collector" || true; collector=""
  read -r ndjson_total records < <(node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
    let n = 0; for (const l of lines) { const e = JSON.parse(l); if (e.syscall === "getpriority") n += e.repeat > 0 ? e.repeat : 1; }
    console.log(n, lines.length);' "$tmp/events.ndjson")
  if [ "$ndjson_total" != "$want" ] || [ "$prom_total" != "$want" ] || [ "$dropped" != 0 ]; then
    echo "bench/loop: totals wrong: ndjson $ndjson_total prometheus $prom_total dropped $dropped (want $want, 0)" >&2
    exit 1
  fi
  echo "round $r: bare ${bare} ms, sigsys ${sig} ms, ${records} NDJSON records for $want calls" >&2
  [ -z "$best_bare" ] || [ "$bare" -lt "$best_bare" ] && best_bare=$bare
  [ -z "$best_sigsys" ] || [ "$sig" -lt "$best_sigsys" ] && best_sigsys=$sig
done
ratio=$(ratio "$best_sigsys" "$best_bare")
ok=$(le "$ratio" 1.10)
date_s="$(date -u +%Y-%m-%d)"
mkdir -p "$root/bench/results"
stem="$(result_stem)"
cat >"$stem.json" <<JSON
{
  "suite": "loop",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "kernel": "$(uname -r)",
  "loadavg_before": "$load0",
  "loadavg_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "pinned": $([ ${#pin0[@]} -gt 0 ] && echo true || echo false),
  "calls": $want, "rounds": $rounds,
  "wall_ms": { "bare_trap": $best_bare, "sigsys_run_with_collector": $best_sigsys },
  "ratio": $ratio, "target_max": 1.10, "met": $ok,
  "ndjson_total": $ndjson_total, "ndjson_records": $records, "prometheus_total": $prom_total, "dropped": $dropped
}
JSON
cat >"$stem.md" <<MD
# denied-call loop, $date_s (kernel $(uname -r), load $load0)

$want getpriority calls answered EACCES from one call site; fastest of $rounds alternating rounds.

| configuration | wall ms |
|---|---|
| bare trap, empty handler | $best_bare |
| sigsys-exec + preload, \`sigsys collect\` (NDJSON + Prometheus) running | $best_sigsys |

- wall time vs bare trap: **$ratio** (target <= 1.10: $ok)
- NDJSON total $ndjson_total in $records records, Prometheus total $prom_total, dropped $dropped
MD
cat "$stem.md"
