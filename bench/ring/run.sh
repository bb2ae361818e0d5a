#!/usr/bin/env bash
# bench/ring/run.sh - the handler's share of a trap (encode + ring push) and
# the consumer's cost per record, without seccomp (bench/native measures
# whole traps).  Results: bench/results/ring-<date>.json and .md.
#
# Env: SIGSYS_BUILD (build dir with Release/sigsys-ring-bench; default
# build/native), ITERS, REPS.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${SIGSYS_BUILD:-$root/build/native}"
bench="$build/Release/sigsys-ring-bench"
[ -x "$bench" ] || { echo "bench/ring: $bench missing (build first, or set SIGSYS_BUILD)" >&2; exit 2; }
out="$("$bench" "${ITERS:-100000}" "${REPS:-9}")"
case "$out" in *'"dropped": 0}'*) ;; *) echo "bench/ring: events dropped: $out" >&2; exit 1 ;; esac
day="$(date +%F)"
mkdir -p "$root/bench/results"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
json="$root/bench/results/ring-$day.json"
printf '{"date": "%s", "cpu": "%s", "nproc": %s, "loadavg": "%s", "result": %s}\n' \
  "$day" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" "$(nproc)" "$load" "$out" >"$json"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const x = r.result;
const row = (n, k, what) => `| ${n} | ${x[k].median} | ${x[k].min} | ${what} |`;
console.log([
  `# ring bench ${r.date}`, "",
  `${r.cpu}, ${r.nproc} CPUs, load ${r.loadavg}; ${x.iters} operations x ${x.reps} runs.`, "",
  "| operation | median ns | min ns | what |", "|---|---|---|---|",
  row("encode", "encode_ns", "sigsys_encode_violation, typical event"),
  row("push", "push_ns", "reserve + encode + commit, one thread"),
  row("push, 2 threads", "push_2threads_ns", "the same from two threads at once (wall clock per push)"),
  row("read", "read_ns", "sigsys_ring_read of a committed record (consumer)"),
].join("\n"));
' "$json" >"$root/bench/results/ring-$day.md"
cat "$root/bench/results/ring-$day.md"
