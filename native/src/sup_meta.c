/*
 * sup_meta.c - RingMeta of another process from /proc/<pid> (sup_meta.h):
 * meta.c's collector pointed at the workload process, marked as written by
 * the supervisor; and the task ids the supervisor needs per notification.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meta.h"
#include "sup_meta.h"

int sigsys_proc_ids(uint32_t tid, uint32_t *tgid, uint32_t *ppid)
{
	char path[64], buf[1024];
	const char *t, *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/status", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Tgid and PPid are in the first few lines. */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = 0;
	t = strstr(buf, "\nTgid:");
	p = strstr(buf, "\nPPid:");
	if (!t || !p)
		return -EIO;
	*tgid = (uint32_t)strtoul(t + 6, NULL, 10);
	*ppid = (uint32_t)strtoul(p + 6, NULL, 10);
	return *tgid ? 0 : -EIO;
}

int sigsys_sup_meta_collect(const struct sigsys_sup_meta_in *in, uint8_t *buf, size_t cap)
{
	char proc[32];
	uint32_t tgid = 0, ppid = 0;
	struct sigsys_meta_in m = {
		.proc = proc,
		.pid = in->pid,
		.policy_hash = in->policy_hash,
		.mode = in->mode,
		.pod = in->pod,
		.namespace_ = in->namespace_,
		.source = SIGSYS_SOURCE_SUPERVISOR,
		.writer_pid = in->writer_pid,
	};

	snprintf(proc, sizeof(proc), "/proc/%u", in->pid);
	if (sigsys_proc_ids(in->pid, &tgid, &ppid) == 0)
		m.ppid = ppid;
	return sigsys_meta_collect(&m, buf, cap);
}
