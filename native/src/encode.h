/*
 * encode.h - hand-written protobuf encoder for sigsys.v1.Violation (handler
 * fields) and sigsys.v1.RingMeta.  No allocation, no libc beyond memcpy-free
 * byte stores: sigsys_encode_violation() is called from the SIGSYS handler and
 * must stay async-signal-safe and bounded.  Field numbers follow
 * proto/sigsys/v1/violation.proto; golden vectors in test/vectors/ prove the
 * bytes decode with protobufjs.
 */
#ifndef SIGSYS_ENCODE_H
#define SIGSYS_ENCODE_H

#include <stddef.h>
#include <stdint.h>

struct sigsys_violation {
	uint64_t time_ns;
	uint64_t seq;
	uint32_t pid;
	uint32_t tid;
	int32_t nr;
	uint32_t arch;
	uint64_t args[6];
	uint64_t ip;
	uint32_t action;  /* enum sigsys_action_kind */
	uint32_t outcome; /* 1 denied, 2 allowed, 3 killed */
	int32_t errno_ret;
	int64_t ret;
	uint32_t mode;
	uint64_t repeat; /* field 36: calls a count record stands for; 0 = one event */
};

/* Worst case bytes of an encoded violation. */
#define SIGSYS_VIOLATION_MAX 208u /* 179 + field 36 (12) */

/* Returns bytes written, or -ENOSPC if cap is too small. Signal-safe. */
int sigsys_encode_violation(const struct sigsys_violation *v, uint8_t *buf, size_t cap);

struct sigsys_ring_meta {
	const char *host;
	uint32_t pid, ppid;
	uint64_t pid_ns;
	const char *cgroup;
	const char *exe;
	const char *const *argv; /* NULL-terminated, may be NULL */
	const char *boot_id;
	const uint8_t *policy_hash; /* 32 bytes or NULL */
	const char *pod, *namespace_;
	uint32_t mode;
	uint64_t start_ns;
	const char *comm;
	/* executable mappings */
	const uint64_t *map_start, *map_end, *map_offset;
	const char *const *map_path;
	size_t n_maps;
	uint32_t source;     /* sigsys.v1.Source: 0/1 handler, 2 supervisor */
	uint32_t writer_pid; /* supervisor rings: the supervisor's pid */
};

/* Returns bytes written; truncates long strings/argv/maps to fit `cap`. */
int sigsys_encode_ring_meta(const struct sigsys_ring_meta *m, uint8_t *buf, size_t cap);

#endif
