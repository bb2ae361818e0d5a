/*
 * meta.c - RingMeta for the ring header: who a process is, once, so the
 * events stay small.  The preload describes itself (/proc/self) in its
 * constructor; the supervisor of sigsys-exec describes a workload process
 * (/proc/<pid>) for the rings it writes on its behalf (sup_meta.c).  Every
 * source is best effort: a missing /proc file leaves its field empty rather
 * than failing the workload.  Libc-neutral (libc_neutral.h): it is linked
 * into the preload, which musl processes load too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "libc_neutral.h"
#include "meta.h"

#define MAX_MAPS 64
#define MAX_ARGS 64

/* Read a whole small file into a NUL-terminated heap buffer ("" on error). */
static char *slurp(const char *path, size_t max, size_t *len_out)
{
	char *buf = calloc(1, max + 1);
	size_t len = 0;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while (len < max) {
			ssize_t n = read(fd, buf + len, max - len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		close(fd);
	}
	buf[len] = 0;
	if (len_out)
		*len_out = len;
	return buf;
}

static void chomp(char *s)
{
	size_t n = s ? strlen(s) : 0;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

struct maps {
	uint64_t start[MAX_MAPS], end[MAX_MAPS], offset[MAX_MAPS];
	const char *path[MAX_MAPS];
	size_t n;
};

/* Executable file mappings: enough for the collector to turn ips into
 * module+offset call sites. */
static void parse_maps(char *text, struct maps *m)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line && m->n < MAX_MAPS;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long s, e, off;
		char perms[8];
		int pos = 0;

		if (sigsys_sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &s, &e, perms, &off, &pos) < 4)
			continue;
		if (perms[2] != 'x')
			continue;
		while (line[pos] == ' ')
			pos++;
		m->start[m->n] = s;
		m->end[m->n] = e;
		m->offset[m->n] = off;
		m->path[m->n] = line + pos;
		m->n++;
	}
}

int sigsys_meta_collect(const struct sigsys_meta_in *in, uint8_t *buf, size_t cap)
{
	struct sigsys_ring_meta meta;
	struct utsname uts;
	struct stat st;
	struct timespec ts;
	struct maps *maps = calloc(1, sizeof(*maps));
	const char *argv[MAX_ARGS + 1];
	char exe[4096], path[64];
	char *cgroup = NULL, *boot = NULL, *comm = NULL, *cmdline = NULL, *maptext = NULL;
	size_t cmdlen = 0, argc = 0;
	ssize_t n;
	int ret;

	if (!maps)
		return -ENOMEM;
	memset(&meta, 0, sizeof(meta));
	meta.host = uname(&uts) == 0 ? uts.nodename : "";
	meta.pid = in->pid;
	meta.ppid = in->ppid;
	snprintf(path, sizeof(path), "%s/ns/pid", in->proc);
	meta.pid_ns = stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
	snprintf(path, sizeof(path), "%s/cgroup", in->proc);
	cgroup = slurp(path, 2048, NULL);
	chomp(cgroup);
	meta.cgroup = cgroup ? cgroup : "";
	snprintf(path, sizeof(path), "%s/exe", in->proc);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	meta.exe = exe;
	snprintf(path, sizeof(path), "%s/cmdline", in->proc);
	cmdline = slurp(path, 4096, &cmdlen);
	for (size_t i = 0; cmdline && i < cmdlen && argc < MAX_ARGS; i += strlen(cmdline + i) + 1)
		argv[argc++] = cmdline + i;
	argv[argc] = NULL;
	meta.argv = argv;
	boot = slurp("/proc/sys/kernel/random/boot_id", 64, NULL);
	chomp(boot);
	meta.boot_id = boot ? boot : "";
	meta.policy_hash = in->policy_hash;
	meta.pod = in->pod;
	meta.namespace_ = in->namespace_;
	meta.mode = in->mode;
	clock_gettime(CLOCK_REALTIME, &ts);
	meta.start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snprintf(path, sizeof(path), "%s/comm", in->proc);
	comm = slurp(path, 64, NULL);
	chomp(comm);
	meta.comm = comm ? comm : "";
	snprintf(path, sizeof(path), "%s/maps", in->proc);
	maptext = slurp(path, 256 * 1024, NULL);
	if (maptext)
		parse_maps(maptext, maps);
	meta.map_start = maps->start;
	meta.map_end = maps->end;
	meta.map_offset = maps->offset;
	meta.map_path = maps->path;
	meta.n_maps = maps->n;
	meta.source = in->source;
	meta.writer_pid = in->writer_pid;

	ret = sigsys_encode_ring_meta(&meta, buf, cap);
	free(maptext);
	free(comm);
	free(boot);
	free(cmdline);
	free(cgroup);
	free(maps);
	return ret;
}
