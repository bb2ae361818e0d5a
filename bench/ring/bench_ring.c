/*
 * bench_ring.c - what the handler's share of a trap costs: encoding one
 * Violation and pushing it into the ring, and what the consumer pays per
 * record.  No seccomp here: bench/native measures whole traps.
 *
 *   sigsys-ring-bench [ITERS] [REPS]
 *
 * Prints one JSON object: median and minimum ns per operation over REPS runs
 * of ITERS operations for
 *   encode        sigsys_encode_violation of a typical event (stack buffer)
 *   push          sigsys_ring_reserve + encode + sigsys_ring_commit, 1 thread
 *   push_2threads the same from 2 threads at once (ns per push, wall clock)
 *   read          sigsys_ring_read of a committed record
 * The ring is large enough that nothing is dropped; dropped is reported.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "ring.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct sigsys_violation typical(uint64_t i)
{
	struct sigsys_violation v = {
		.time_ns = 1732363200123456789ull + i, .pid = 4242, .tid = 4243, .nr = 257,
		.arch = 0xc000003eu, .args = { 0xffffff9cull, 0x7ffc12345678ull, 0x80000, 0, 0, 0 },
		.ip = 0x7f1234567abcull, .action = 4, .outcome = 1, .errno_ret = 1, .mode = 1,
	};
	return v;
}

static struct sigsys_ring ring;
static unsigned long iters;
static volatile int sink;

static void push_n(unsigned long n)
{
	uint8_t buf[SIGSYS_VIOLATION_MAX];
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct sigsys_violation v = typical(i);
		int64_t t = sigsys_ring_reserve(&ring);
		int len;

		if (t < 0)
			continue;
		v.seq = (uint64_t)t;
		len = sigsys_encode_violation(&v, buf, sizeof(buf));
		sigsys_ring_commit(&ring, (uint64_t)t, buf, (uint32_t)len);
	}
}

static void *push_thread(void *arg)
{
	push_n((unsigned long)(uintptr_t)arg);
	return NULL;
}

/* Free the whole ring (outside the timed part). */
static void drain(void)
{
	__atomic_store_n(&ring.hdr->cursor, __atomic_load_n(&ring.hdr->head, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
	unsigned long reps = argc > 2 ? strtoul(argv[2], NULL, 0) : 9, r, i;
	double t_enc[64], t_push[64], t_push2[64], t_read[64];
	struct sigsys_ring_reader rd;
	uint8_t buf[SIGSYS_RING_RECORD_SIZE];
	char dir[] = "/tmp/sigsys-ring-bench-XXXXXX", path[4096];
	uint32_t len;
	uint64_t t0;

	iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	if (reps < 1 || reps > 64 || iters < 2 || iters > SIGSYS_RING_MAX_RECORDS) {
		fprintf(stderr, "usage: %s [ITERS<=%u] [REPS<=64]\n", argv[0], SIGSYS_RING_MAX_RECORDS);
		return 2;
	}
	/* One run's pushes fit without wrapping (rounded up to a power of two). */
	if (!mkdtemp(dir) ||
	    sigsys_ring_create(&ring, dir, (uint32_t)iters, NULL, 0, path, sizeof(path)) ||
	    sigsys_ring_open_reader(&rd, ring.hdr, ring.map_len, NULL)) {
		perror("ring");
		return 1;
	}
	unlink(path);
	rmdir(dir);
	/* Touch every page once so the timed runs measure the ring, not page faults. */
	push_n((unsigned long)ring.mask + 1);
	drain();

	for (r = 0; r < reps; r++) {
		struct sigsys_violation v = typical(r);
		pthread_t th[2];

		t0 = now_ns();
		for (i = 0; i < iters; i++) {
			v.time_ns++;
			sink += sigsys_encode_violation(&v, buf, sizeof(buf));
		}
		t_enc[r] = (double)(now_ns() - t0) / (double)iters;

		drain();
		t0 = now_ns();
		push_n(iters);
		t_push[r] = (double)(now_ns() - t0) / (double)iters;

		t0 = now_ns();
		for (i = 0; i < iters; i++) {
			uint64_t head = sigsys_ring_head(&rd);

			sink += sigsys_ring_read(&rd, head - iters + i, buf, &len);
		}
		t_read[r] = (double)(now_ns() - t0) / (double)iters;

		drain();
		t0 = now_ns();
		pthread_create(&th[0], NULL, push_thread, (void *)(uintptr_t)(iters / 2));
		pthread_create(&th[1], NULL, push_thread, (void *)(uintptr_t)(iters / 2));
		pthread_join(th[0], NULL);
		pthread_join(th[1], NULL);
		t_push2[r] = (double)(now_ns() - t0) / (double)(iters / 2 * 2);
	}
	qsort(t_enc, reps, sizeof(double), cmp_double);
	qsort(t_push, reps, sizeof(double), cmp_double);
	qsort(t_push2, reps, sizeof(double), cmp_double);
	qsort(t_read, reps, sizeof(double), cmp_double);
	printf("{\"iters\": %lu, \"reps\": %lu, "
	       "\"encode_ns\": {\"median\": %.1f, \"min\": %.1f}, "
	       "\"push_ns\": {\"median\": %.1f, \"min\": %.1f}, "
	       "\"push_2threads_ns\": {\"median\": %.1f, \"min\": %.1f}, "
	       "\"read_ns\": {\"median\": %.1f, \"min\": %.1f}, \"dropped\": %llu}\n",
	       iters, reps, t_enc[reps / 2], t_enc[0], t_push[reps / 2], t_push[0],
	       t_push2[reps / 2], t_push2[0], t_read[reps / 2], t_read[0],
	       (unsigned long long)sigsys_ring_dropped(&rd));
	sigsys_ring_unmap(&ring);
	return 0;
}
