/*
 * sup_meta.h - RingMeta (sigsys.v1.RingMeta) of ANOTHER process, read from
 * /proc/<pid> by the supervisor of sigsys-exec, for the rings it writes on
 * behalf of workload processes that have no in-process handler.  The fields
 * are those the preload's constructor collects about itself (meta.c), plus
 * source = SOURCE_SUPERVISOR and writer_pid = the supervisor.  Not for a
 * signal handler: reads /proc, allocates.
 */
#ifndef SIGSYS_SUP_META_H
#define SIGSYS_SUP_META_H

#include <stddef.h>
#include <stdint.h>

#define SIGSYS_SOURCE_SUPERVISOR 2u

struct sigsys_sup_meta_in {
	uint32_t pid;               /* the workload process (tgid) */
	uint32_t writer_pid;        /* the supervisor */
	const uint8_t *policy_hash; /* 32 bytes */
	uint32_t mode;              /* enum sigsys_mode */
	const char *pod, *namespace_; /* from the supervisor's environment, or NULL */
};

/* Encode into buf (cap bytes); returns the length or -errno.  Missing /proc
 * files leave their fields empty (best effort, like meta.c). */
int sigsys_sup_meta_collect(const struct sigsys_sup_meta_in *in, uint8_t *buf, size_t cap);

/* Tgid and PPid of task `tid` from /proc/<tid>/status; 0 or -errno. */
int sigsys_proc_ids(uint32_t tid, uint32_t *tgid, uint32_t *ppid);

#endif
