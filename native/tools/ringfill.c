/*
 * ringfill.c - sigsys-ringfill: create a spool ring with the real producer
 * code (native/src/ring.c + encode.c) and push encoded Violations into it.
 * A test tool: the collector's tests read what this writes through the addon.
 *
 *   sigsys-ringfill DIR COUNT [--records N] [--threads T] [--wait-go] [--block]
 *                   [--claim KEY=VALUE]...
 *
 * Prints the ring's path on the first line of stdout (flushed), then, with
 * --wait-go, waits for a line on stdin before producing, so a reader can be
 * opened first.  Each of T threads pushes COUNT events (T*COUNT in all):
 * Violation{seq = ticket, pid, tid = thread index + 1, nr = i % 450,
 * args = [i, thread, i*2^32, ~0, 0, 7], ip = 0x401000 + i, arch x86_64,
 * action ERRNO, outcome DENIED, errno 1, mode ENFORCE, time_ns = now}.
 * Full ring: drop (counted in the header, like the preload), or with
 * --block wait for the consumer (polling, 60 s limit).  Last line:
 * {"path":..., "pushed":N, "dropped":N}.
 *
 * --claim overrides what the RingMeta claims about the writer (pid, exe,
 * comm, cgroup, pod, namespace, boot, host): the spool-security tests play
 * a neighbour that writes a ring in someone else's name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "ring.h"

static struct sigsys_ring ring;
static unsigned long count;
static int block;

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct worker {
	pthread_t th;
	uint32_t index;
	unsigned long pushed, dropped;
	int failed;
};

static void *produce(void *p)
{
	struct worker *w = p;
	uint8_t buf[SIGSYS_VIOLATION_MAX];
	unsigned long i;

	for (i = 0; i < count; i++) {
		struct sigsys_violation v = {
			.time_ns = now_ns(CLOCK_REALTIME),
			.pid = (uint32_t)getpid(),
			.tid = w->index + 1,
			.nr = (int32_t)(i % 450),
			.arch = 0xc000003eu,
			.args = { i, w->index, (uint64_t)i << 32, UINT64_MAX, 0, 7 },
			.ip = 0x401000 + i,
			.action = 4,
			.outcome = 1,
			.errno_ret = 1,
			.mode = 1,
		};
		uint64_t deadline = now_ns(CLOCK_MONOTONIC) + 60000000000ull;
		int64_t t;
		int n;

		for (;;) {
			t = sigsys_ring_reserve(&ring);
			if (t >= 0 || !block)
				break;
			/* --block: the drop was counted; undo nothing, just say
			 * so in the summary and wait for the consumer. */
			w->dropped++;
			if (now_ns(CLOCK_MONOTONIC) > deadline) {
				w->failed = 1;
				return NULL;
			}
			usleep(200);
		}
		if (t < 0) {
			w->dropped++;
			continue;
		}
		v.seq = (uint64_t)t;
		n = sigsys_encode_violation(&v, buf, sizeof(buf));
		if (n < 0 || sigsys_ring_commit(&ring, (uint64_t)t, buf, (uint32_t)n)) {
			w->failed = 1;
			return NULL;
		}
		w->pushed++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *const meta_argv[] = { "sigsys-ringfill", "--test", NULL };
	static const uint64_t ms[] = { 0x400000 }, me[] = { 0x500000 }, mo[] = { 0 };
	static const char *const mp[] = { "/usr/bin/ringfill" };
	struct sigsys_ring_meta meta = {
		.host = "ringfill-host", .pid = (uint32_t)getpid(), .ppid = (uint32_t)getppid(),
		.exe = "/usr/bin/ringfill", .argv = meta_argv, .boot_id = "boot-ringfill",
		.mode = 1, .start_ns = now_ns(CLOCK_REALTIME), .comm = "ringfill",
		.cgroup = "0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n",
		.map_start = ms, .map_end = me, .map_offset = mo, .map_path = mp, .n_maps = 1,
	};
	uint8_t meta_buf[SIGSYS_RING_META_MAX];
	struct worker *workers;
	unsigned long threads = 1, records = 1024, pushed = 0, dropped = 0;
	char path[4096], line[64], boot[64] = "";
	int wait_go = 0, failed = 0, meta_len, ret, i;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DIR COUNT [--records N] [--threads T] [--wait-go] "
				"[--block] [--claim KEY=VALUE]...\n", argv[0]);
		return 2;
	}
	count = strtoul(argv[2], NULL, 0);
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--records") && i + 1 < argc)
			records = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--wait-go"))
			wait_go = 1;
		else if (!strcmp(argv[i], "--block"))
			block = 1;
		else if (!strcmp(argv[i], "--claim") && i + 1 < argc) {
			char *kv = argv[++i], *v = strchr(kv, '=');

			if (!v) {
				fprintf(stderr, "%s: --claim wants KEY=VALUE, not %s\n", argv[0], kv);
				return 2;
			}
			*v++ = 0;
			if (!strcmp(kv, "pid"))
				meta.pid = (uint32_t)strtoul(v, NULL, 0);
			else if (!strcmp(kv, "exe"))
				meta.exe = v;
			else if (!strcmp(kv, "comm"))
				meta.comm = v;
			else if (!strcmp(kv, "cgroup"))
				meta.cgroup = v;
			else if (!strcmp(kv, "pod"))
				meta.pod = v;
			else if (!strcmp(kv, "namespace"))
				meta.namespace_ = v;
			else if (!strcmp(kv, "boot"))
				meta.boot_id = v;
			else if (!strcmp(kv, "host"))
				meta.host = v;
			else {
				fprintf(stderr, "%s: unknown claim %s\n", argv[0], kv);
				return 2;
			}
		} else {
			fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
			return 2;
		}
	}
	/* The real boot id unless claimed otherwise: the collector checks it. */
	if (!strcmp(meta.boot_id, "boot-ringfill")) {
		FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

		if (f) {
			if (fgets(boot, sizeof(boot), f))
				boot[strcspn(boot, "\n")] = 0;
			fclose(f);
			if (boot[0])
				meta.boot_id = boot;
		}
	}
	if (threads < 1 || threads > 64) {
		fprintf(stderr, "%s: --threads must be 1..64\n", argv[0]);
		return 2;
	}
	meta_len = sigsys_encode_ring_meta(&meta, meta_buf, sizeof(meta_buf));
	if (meta_len < 0) {
		fprintf(stderr, "%s: cannot encode metadata\n", argv[0]);
		return 1;
	}
	ret = sigsys_ring_create(&ring, argv[1], (uint32_t)records, meta_buf, (size_t)meta_len,
				 path, sizeof(path));
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(-ret));
		return 1;
	}
	printf("%s\n", path);
	fflush(stdout);
	if (wait_go && !fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "%s: stdin closed before go\n", argv[0]);
		return 1;
	}

	workers = calloc(threads, sizeof(*workers));
	if (!workers)
		return 1;
	for (i = 0; i < (int)threads; i++) {
		workers[i].index = (uint32_t)i;
		if (pthread_create(&workers[i].th, NULL, produce, &workers[i])) {
			fprintf(stderr, "%s: pthread_create failed\n", argv[0]);
			return 1;
		}
	}
	for (i = 0; i < (int)threads; i++) {
		pthread_join(workers[i].th, NULL);
		pushed += workers[i].pushed;
		dropped += workers[i].dropped;
		failed |= workers[i].failed;
	}
	printf("{\"path\":\"%s\",\"pushed\":%lu,\"dropped\":%lu}\n", path, pushed, dropped);
	free(workers);
	sigsys_ring_unmap(&ring);
	if (failed) {
		fprintf(stderr, "%s: a producer failed (timeout or encode error)\n", argv[0]);
		return 1;
	}
	return 0;
}
