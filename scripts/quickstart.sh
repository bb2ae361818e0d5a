#!/usr/bin/env bash
# quickstart.sh - set up a fresh machine and run the main job: `sigsys run` on
# the project's default (Docker-like) profile, no server needed.  With no
# arguments it runs a small shell that makes one call the default profile
# denies (unshare of a user namespace needs CAP_SYS_ADMIN there), so the
# report has something to show.  Pass your own command after `--`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${1:-}" = "--" ]; then shift; fi
if [ $# -eq 0 ]; then
  set -- sh -c 'echo "workload: hello from under sigsys"; unshare --user true 2>/dev/null || echo "workload: unshare was denied, as the profile says"'
fi
exec node dist/cli/main.js run -- "$@"
