#!/usr/bin/env bash
# bench/kafka/run.sh - end-to-end Kafka bench: rings -> collector -> Kafka sink
# -> acknowledged writes (events/s), and event-time-to-ack latency at a fixed
# 10,000 events/s.  Starts its own broker (test/services/kafka/kafka.sh) in a
# temporary state dir and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/kafka/codec.js ] || npx --no-install tsc -p tsconfig.json || true
export KAFKA_STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sigsys-kafka-bench-XXXXXX")"
trap 'bash test/services/kafka/kafka.sh stop >/dev/null 2>&1 || true' EXIT
broker=$(bash test/services/kafka/kafka.sh start)
SIGSYS_LOG_LEVEL=${SIGSYS_LOG_LEVEL:-error} node --expose-gc bench/kafka/kafka-bench.mjs --broker "$broker" "$@"
