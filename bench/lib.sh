# bench/lib.sh - what the shell suites of native code (native, musl, launcher,
# loop) share: where the built artifacts are, a temporary directory, CPU
# pinning, one timed run of sigsys-bench with its drop check, keeping the
# fastest round, ratios, and the machine fields of a results file.
# Source it after setting `suite` (the suite's name in messages).

# root, build (SIGSYS_BUILD or build/native) and the artifacts in it.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SIGSYS_BUILD:-$root/build/native}"
lib="$build/Release/libsigsys.so"
mk="$build/Release/sigsys-mkpolicy"
exe="$build/Release/sigsys-exec"
bench="$build/bench/sigsys-bench"

# Exit 2 naming the first of the files that is missing.
bench_require() {
  for f in "$@"; do
    [ -e "$f" ] || { echo "bench/$suite: $f missing (build first: bash scripts/setup.sh, or set SIGSYS_BUILD)" >&2; exit 2; }
  done
}

# tmp: a directory removed at exit.
bench_tmp() {
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
}

# pin: taskset to CPU 0 when available (SIGSYS_BENCH_PIN=0: not pinned).
pin=()
[ "${SIGSYS_BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)

# Run the command (a sigsys-bench invocation, maybe behind env or sigsys-exec)
# with a fresh spool; print its fastest ns per call; fail if events were dropped.
run_one() {
  local out
  rm -rf "$tmp/spool" && mkdir "$tmp/spool"
  out="$(SIGSYS_SPOOL="$tmp/spool" SIGSYS_RING_RECORDS=$((iters * 2)) "${pin[@]}" "$@")"
  case "$out" in *"ring=1 dropped=0"*|*"ring=0"*) ;; *) echo "bench/$suite: events dropped: $out" >&2; exit 1 ;; esac
  sed -n 's/^ns_per_call=.* min=\([0-9.]*\).*/\1/p' <<<"$out"
}

# best[NAME] = the smaller of best[NAME] and VALUE (the caller declares `best`).
keep_min() {
  if [ -z "${best[$1]:-}" ] || awk -v a="$2" -v b="${best[$1]}" 'BEGIN{exit !(a<b)}'; then best[$1]=$2; fi
}

# bench/results/SUITE-DATE, or -2, -3, ... when taken: never over an earlier result.
result_stem() {
  local base="$root/bench/results/$suite-$(date -u +%Y-%m-%d)" stem i
  stem=$base
  for ((i = 2; ; i++)); do
    [ -e "$stem.md" ] || [ -e "$stem.json" ] || break
    stem="$base-$i"
  done
  printf '%s' "$stem"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
le() { awk -v r="$1" -v t="$2" 'BEGIN{print (r<=t)?"true":"false"}'; }

load0="$(cut -d' ' -f1-3 /proc/loadavg)"

# The first fields of a results JSON object (suite, date, machine, load, pinning).
machine_json() {
  cat <<JSON
  "suite": "$suite",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "kernel": "$(uname -r)",
  "cpu": "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)",
  "loadavg_before": "$load0",
  "loadavg_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "pinned": $([ ${#pin[@]} -gt 0 ] && echo true || echo false),
JSON
}
