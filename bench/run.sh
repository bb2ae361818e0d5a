#!/usr/bin/env bash
# bench/run.sh - the project's benchmark entry (npm run bench).
#
#   bash bench/run.sh              every suite
#   bash bench/run.sh native ...   the named suites
#   bash bench/run.sh learn -- --rounds 3   options after -- go to every suite named
#
# A suite is a directory bench/<name>/ with an executable run.sh; add one and
# it is picked up here.  Each suite writes its results to bench/results/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suites=()
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; pass=("$@"); break ;;
    -*) echo "bench: '$1' is not a suite: suite options go after -- (bash bench/run.sh learn -- --rounds 3)" >&2; exit 2 ;;
    *) suites+=("$1"); shift ;;
  esac
done
if [ ${#suites[@]} -eq 0 ]; then
  for d in "$here"/*/; do
    [ -f "$d/run.sh" ] && suites+=("$(basename "$d")")
  done
fi
status=0
for s in "${suites[@]}"; do
  if [ ! -f "$here/$s/run.sh" ]; then
    echo "bench: no suite '$s' (bench/$s/run.sh)" >&2
    status=2
    continue
  fi
  echo "== bench: $s"
  bash "$here/$s/run.sh" ${pass[@]+"${pass[@]}"} || status=$?
done
exit $status
