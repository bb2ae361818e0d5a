/* live_util.c - see live_util.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live_util.h"
#include "ring.h"

#define LIVE_RUN_TIMEOUT_MS 30000

int live_failures;
const char *live_run_cwd;
const char *live_workload = SIGSYS_WORKLOAD;

static char *made[64];
static int n_made;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int live_run_cases(size_t n, const char *(*name)(size_t), void (*run)(size_t), int argc,
		   char **argv, int first)
{
	int ran = 0;

	for (size_t i = 0; i < n; i++) {
		int want = argc <= first, before = live_failures;

		for (int k = first; k < argc; k++)
			want |= strstr(name(i), argv[k]) != NULL;
		if (!want)
			continue;
		run(i);
		ran++;
		printf("%s %s\n", live_failures == before ? "ok  " : "FAIL", name(i));
		fflush(stdout);
	}
	printf("%d tests, %d failed checks\n", ran, live_failures);
	live_cleanup();
	return live_failures || !ran ? 1 : 0;
}

void live_cleanup(void)
{
	for (int i = 0; i < n_made; i++) {
		if (!live_failures)
			nftw(made[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
		else
			fprintf(stderr, "  kept %s\n", made[i]);
		free(made[i]);
	}
	n_made = 0;
}

const char *live_tmpdir(const char *name)
{
	static char path[512];
	char spool[600];
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(path, sizeof(path), "%s/sigsys-live-%s-XXXXXX", base, name);
	if (!mkdtemp(path))
		return NULL;
	snprintf(spool, sizeof(spool), "%s/spool", path);
	if (mkdir(spool, 0700) != 0)
		return NULL;
	if (n_made < 64)
		made[n_made++] = strdup(path);
	return path;
}

int live_mkpolicy(const char *out, const char *const *args)
{
	const char *argv[64];
	int n = 0, st;
	pid_t pid;

	argv[n++] = SIGSYS_MKPOLICY;
	argv[n++] = "-o";
	argv[n++] = out;
	for (int i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;

	buf[0] = 0;
	if (fd < 0)
		return;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	close(fd);
}

int live_run(const char *policy, const char *spool, const char *const *env,
	     const char *const *args, struct live_run *r)
{
	char outp[600], errp[600];
	const char *argv[32];
	int n = 0;
	pid_t pid;

	snprintf(outp, sizeof(outp), "%s%s%s/../wl.out", live_run_cwd ? live_run_cwd : "",
		 live_run_cwd ? "/" : "", spool);
	snprintf(errp, sizeof(errp), "%s%s%s/../wl.err", live_run_cwd ? live_run_cwd : "",
		 live_run_cwd ? "/" : "", spool);
	argv[n++] = live_workload;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (live_run_cwd && chdir(live_run_cwd) != 0)
			_exit(121);
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || e < 0)
			_exit(120);
		dup2(o, 1);
		dup2(e, 2);
		unsetenv("SIGSYS_INSTALLED");
		unsetenv("SIGSYS_ON_ERROR");
		unsetenv("SIGSYS_RING_RECORDS");
		setenv("LD_PRELOAD", SIGSYS_LIB, 1);
		if (policy)
			setenv("SIGSYS_POLICY", policy, 1);
		else
			unsetenv("SIGSYS_POLICY");
		setenv("SIGSYS_SPOOL", spool, 1);
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* Watchdog, not synchronisation: a workload that hangs (a blocked
	 * signal it waits for) fails its test instead of the whole run. */
	for (int ms = 0;; ms += 5) {
		pid_t w = waitpid(pid, &r->status, WNOHANG);
		struct timespec five = { 0, 5000000 };

		if (w == pid)
			break;
		if (w < 0)
			return -1;
		if (ms >= LIVE_RUN_TIMEOUT_MS) {
			fprintf(stderr, "  workload hung for %d ms: killed\n", ms);
			kill(pid, SIGKILL);
			waitpid(pid, &r->status, 0);
			break;
		}
		nanosleep(&five, NULL);
	}
	slurp(outp, r->out, sizeof(r->out));
	slurp(errp, r->err, sizeof(r->err));
	return 0;
}

/* ---- a protobuf decoder for exactly the Violation fields ---- */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static int decode(const uint8_t *p, uint32_t len, struct live_ev *e)
{
	const uint8_t *end = p + len;

	memset(e, 0, sizeof(*e));
	while (p < end) {
		uint64_t key, v;

		if (varint(&p, end, &key))
			return -1;
		if ((key & 7) == 2) {
			const uint8_t *sub_end;

			if (varint(&p, end, &v) || v > (uint64_t)(end - p))
				return -1;
			sub_end = p + v;
			if (key >> 3 != 7)
				return -1;
			while (p < sub_end) {
				if (varint(&p, sub_end, &v) || e->n_args >= 6)
					return -1;
				e->args[e->n_args++] = v;
			}
			continue;
		}
		if ((key & 7) != 0 || varint(&p, end, &v))
			return -1;
		switch (key >> 3) {
		case 1: e->time_ns = v; break;
		case 2: e->seq = v; break;
		case 3: e->pid = (uint32_t)v; break;
		case 4: e->tid = (uint32_t)v; break;
		case 5: e->nr = (int32_t)v; break;
		case 6: e->arch = (uint32_t)v; break;
		case 8: e->ip = v; break;
		case 9: e->action = (uint32_t)v; break;
		case 10: e->outcome = (uint32_t)v; break;
		case 11: e->errno_ret = (int32_t)v; break;
		case 12: e->ret = (int64_t)(v >> 1) ^ -(int64_t)(v & 1); break;
		case 13: e->mode = (uint32_t)v; break;
		case 36: e->repeat = v; break;
		default: return -1;
		}
	}
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int live_read_rings(const char *spool, struct live_rings *out)
{
	struct dirent **list = NULL;
	int n = scandir(spool, &list, NULL, by_name);
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct sigsys_ring_reader rd;
		const char *why = NULL;
		char path[1024];
		struct stat st;
		uint8_t rec[SIGSYS_RING_RECORD_SIZE];
		void *map;
		int fd;

		if (strncmp(list[i]->d_name, "sigsys-", 7) != 0 ||
		    !strstr(list[i]->d_name, ".ring")) {
			free(list[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", spool, list[i]->d_name);
		free(list[i]);
		fd = open(path, O_RDWR);
		if (fd < 0 || fstat(fd, &st) != 0)
			return -1;
		map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (map == MAP_FAILED)
			return -1;
		if (sigsys_ring_open_reader(&rd, map, (size_t)st.st_size, &why) != 0) {
			fprintf(stderr, "  ring %s: %s\n", path, why);
			out->bad++;
			munmap(map, (size_t)st.st_size);
			continue;
		}
		out->n_rings++;
		while (sigsys_ring_hot_flush(&rd, 1) > 0) {
			/* A ring filled by count records: consume what is there. */
			if (sigsys_ring_head(&rd) - sigsys_ring_cursor(&rd) < rd.record_count)
				break;
			fprintf(stderr, "  ring %s: full, hot counts not flushed\n", path);
			out->bad++;
			break;
		}
		out->dropped += sigsys_ring_dropped(&rd);
		uint64_t head = sigsys_ring_head(&rd);

		out->head_total += head;
		for (uint64_t t = 0; t < head; t++) {
			uint32_t len = 0;

			if (sigsys_ring_read(&rd, t, rec, &len) != SIGSYS_RING_OK) {
				out->bad++;
				continue;
			}
			if (out->n == cap) {
				cap = cap ? cap * 2 : 64;
				out->ev = realloc(out->ev, cap * sizeof(*out->ev));
			}
			if (decode(rec, len, &out->ev[out->n]) != 0) {
				out->bad++;
				continue;
			}
			out->calls += out->ev[out->n].repeat ? out->ev[out->n].repeat : 1;
			out->n_counts += out->ev[out->n].repeat != 0;
			out->n++;
		}
		munmap(map, (size_t)st.st_size);
	}
	free(list);
	return 0;
}

void live_rings_free(struct live_rings *r)
{
	free(r->ev);
	memset(r, 0, sizeof(*r));
}

long long live_field(const char *text, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "%s=", key);
	for (p = strstr(text, k); p; p = strstr(p + 1, k))
		if (p == text || p[-1] == ' ' || p[-1] == '\n')
			return strtoll(p + strlen(k), NULL, 0);
	return -1;
}

long long live_field_after(const char *text, const char *after, const char *key)
{
	const char *p = strstr(text, after);

	return p ? live_field(p, key) : -1;
}
