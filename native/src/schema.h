/*
 * schema.h - field numbers of sigsys.v1.Violation, RingMeta and Mapping
 * (proto/sigsys/v1/violation.proto) for the C encoder (encode.c).  The enum
 * values are in policy.h (Action, Mode) and sup_meta.h (Source).  The same
 * numbers live in TypeScript in src/events/schema.ts; test/schema.test.ts
 * parses this file, the TS module and the .proto and fails if they differ.
 */
#ifndef SIGSYS_SCHEMA_H
#define SIGSYS_SCHEMA_H

/* sigsys.v1.Violation: the [handler] fields (the collector adds 20-35). */
#define SIGSYS_VIOLATION_TIME_NS 1u
#define SIGSYS_VIOLATION_SEQ 2u
#define SIGSYS_VIOLATION_PID 3u
#define SIGSYS_VIOLATION_TID 4u
#define SIGSYS_VIOLATION_NR 5u
#define SIGSYS_VIOLATION_ARCH 6u
#define SIGSYS_VIOLATION_ARGS 7u
#define SIGSYS_VIOLATION_IP 8u
#define SIGSYS_VIOLATION_ACTION 9u
#define SIGSYS_VIOLATION_OUTCOME 10u
#define SIGSYS_VIOLATION_ERRNO_RET 11u
#define SIGSYS_VIOLATION_RET 12u
#define SIGSYS_VIOLATION_MODE 13u
#define SIGSYS_VIOLATION_REPEAT 36u

/* sigsys.v1.RingMeta */
#define SIGSYS_RING_META_HOST 1u
#define SIGSYS_RING_META_PID 2u
#define SIGSYS_RING_META_PPID 3u
#define SIGSYS_RING_META_PID_NS 4u
#define SIGSYS_RING_META_CGROUP 5u
#define SIGSYS_RING_META_EXE 6u
#define SIGSYS_RING_META_ARGV 7u
#define SIGSYS_RING_META_BOOT_ID 8u
#define SIGSYS_RING_META_POLICY_HASH 9u
#define SIGSYS_RING_META_POD 10u
#define SIGSYS_RING_META_NAMESPACE 11u
#define SIGSYS_RING_META_MODE 12u
#define SIGSYS_RING_META_START_NS 13u
#define SIGSYS_RING_META_COMM 14u
#define SIGSYS_RING_META_MAPS 15u
#define SIGSYS_RING_META_SOURCE 16u
#define SIGSYS_RING_META_WRITER_PID 17u

/* sigsys.v1.Mapping */
#define SIGSYS_MAPPING_START 1u
#define SIGSYS_MAPPING_END 2u
#define SIGSYS_MAPPING_OFFSET 3u
#define SIGSYS_MAPPING_PATH 4u

/* sigsys.v1.Outcome (the handler writes these into Violation.outcome). */
#define SIGSYS_OUTCOME_DENIED 1u
#define SIGSYS_OUTCOME_ALLOWED 2u
#define SIGSYS_OUTCOME_KILLED 3u

#endif
