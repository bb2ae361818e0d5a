/*
 * meta.h - collect the static per-process metadata the ring header carries
 * (sigsys.v1.RingMeta) and encode it.  Reads /proc and allocates: for the
 * preload's constructor and the supervisor, never for a signal handler.
 */
#ifndef SIGSYS_META_H
#define SIGSYS_META_H

#include <stddef.h>
#include <stdint.h>

/* What the caller knows; the rest comes from `proc`. */
struct sigsys_meta_in {
	const char *proc;             /* "/proc/self", or "/proc/<pid>" of another process */
	uint32_t pid, ppid;
	const uint8_t *policy_hash;   /* 32 bytes */
	uint32_t mode;                /* enum sigsys_mode */
	const char *pod, *namespace_; /* or NULL */
	uint32_t source;              /* sigsys.v1.Source: 0 for the process itself */
	uint32_t writer_pid;          /* supervisor rings: the supervisor; else 0 */
};

/* Encodes into buf (cap bytes); returns the length or -errno. */
int sigsys_meta_collect(const struct sigsys_meta_in *in, uint8_t *buf, size_t cap);

#endif
