/*
 * test_ring.c - the spool ring (native/src/ring.c): producer order, full
 * ring and drops, threads and forked children producing concurrently with a
 * live consumer, and hostile ring files that must yield errors or CORRUPT,
 * never a crash or a hang.
 *
 * Usage: test_ring [case-number]   (TAP-ish output; exit 1 on any failure)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "ring.h"

#include "check.h"

static char spool[256];

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A reader over a producer's own mapping (same process). */
static int reader_of(const struct sigsys_ring *ring, struct sigsys_ring_reader *r)
{
	const char *why = NULL;

	return sigsys_ring_open_reader(r, ring->hdr, ring->map_len, &why);
}

/* Payloads that say who wrote them: (writer, index, length-derived filler). */
static uint32_t make_payload(uint8_t *buf, uint32_t writer, uint32_t idx)
{
	uint32_t len = 8 + (writer * 7 + idx) % 241, i; /* 8..248 */

	memcpy(buf, &writer, 4);
	memcpy(buf + 4, &idx, 4);
	for (i = 8; i < len; i++)
		buf[i] = (uint8_t)(writer * 31 + idx * 17 + i);
	return len;
}

static int payload_ok(const uint8_t *buf, uint32_t len, uint32_t *writer, uint32_t *idx)
{
	uint8_t want[SIGSYS_RING_RECORD_SIZE];

	if (len < 8)
		return 0;
	memcpy(writer, buf, 4);
	memcpy(idx, buf + 4, 4);
	return make_payload(want, *writer, *idx) == len && !memcmp(want, buf, len);
}

/* ---- 1: create ---- */

static void t_create(void)
{
	static const struct {
		uint32_t ask;
		int ret;
		uint32_t count;
	} cases[] = {
		{ 0, 0, SIGSYS_RING_DEFAULT_RECORDS },
		{ 1, 0, 1 },
		{ 3, 0, 4 },
		{ 1000, 0, 1024 },
		{ SIGSYS_RING_MAX_RECORDS, 0, SIGSYS_RING_MAX_RECORDS },
		{ SIGSYS_RING_MAX_RECORDS + 1, -EINVAL, 0 },
	};
	static const uint8_t meta[] = { 0x0a, 0x03, 'a', 'b', 'c' };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sigsys_ring ring;
		struct sigsys_ring_reader r;
		struct sigsys_ring_stats st;
		char path[512], want_prefix[320];
		uint8_t got_meta[SIGSYS_RING_META_MAX];
		struct stat sb;
		int ret;

		ret = sigsys_ring_create(&ring, spool, cases[i].ask, meta, sizeof(meta), path,
					 sizeof(path));
		CHECK(ret == cases[i].ret, "case %zu: ret %d", i, ret);
		if (ret)
			continue;
		snprintf(want_prefix, sizeof(want_prefix), "%s/sigsys-%d-", spool, (int)getpid());
		CHECK(!strncmp(path, want_prefix, strlen(want_prefix)), "path %s", path);
		CHECK(!strcmp(path + strlen(path) - 5, ".ring"), "path %s", path);
		CHECK(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode), "stat %s", path);
		CHECK((sb.st_mode & 07777) == 0600, "mode %o", sb.st_mode & 07777);
		CHECK((size_t)sb.st_size == SIGSYS_RING_HEADER_SIZE +
		      (size_t)cases[i].count * SIGSYS_RING_RECORD_SIZE, "size %lld",
		      (long long)sb.st_size);
		CHECK(ring.mask == cases[i].count - 1, "mask %u", ring.mask);
		CHECK(reader_of(&ring, &r) == 0, "reader");
		sigsys_ring_stats(&r, &st);
		CHECK(st.record_count == cases[i].count && st.head == 0 && st.cursor == 0 &&
		      st.dropped == 0 && st.owner_pid == (uint32_t)getpid() && st.created_ns > 0,
		      "stats");
		CHECK(sigsys_ring_meta(&r, got_meta) == sizeof(meta) &&
		      !memcmp(got_meta, meta, sizeof(meta)), "meta");
		sigsys_ring_unmap(&ring);
		CHECK(unlink(path) == 0, "unlink");
	}

	/* Oversized meta, missing directory, path buffer too small. */
	{
		static uint8_t big[SIGSYS_RING_META_MAX + 1];
		struct sigsys_ring ring;
		char small[8];

		CHECK(sigsys_ring_create(&ring, spool, 8, big, sizeof(big), NULL, 0) == -EMSGSIZE,
		      "big meta");
		CHECK(sigsys_ring_create(&ring, "/nonexistent/sigsys", 8, NULL, 0, NULL, 0) ==
		      -ENOENT, "no dir");
		CHECK(sigsys_ring_create(&ring, spool, 8, NULL, 0, small, sizeof(small)) ==
		      -ENAMETOOLONG, "small path");
		CHECK(sigsys_ring_push(&ring, "x", 1) == -EBADF, "push on failed ring");
	}

	/* Nothing left behind: no temporary dot files, no rings. */
	{
		DIR *d = opendir(spool);
		struct dirent *e;
		int n = 0;

		CHECK(d, "opendir");
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				n++;
		closedir(d);
		CHECK(n == 0, "%d files left in %s", n, spool);
	}
}

/* ---- 2: single producer, order and content ---- */

static void t_single_order(void)
{
	struct sigsys_ring ring;
	struct sigsys_ring_reader r;
	uint8_t buf[SIGSYS_RING_RECORD_SIZE], out[SIGSYS_RING_RECORD_SIZE];
	uint32_t i, len, w, idx;
	char path[512];

	CHECK(sigsys_ring_create(&ring, spool, 256, NULL, 0, path, sizeof(path)) == 0, "create");
	CHECK(reader_of(&ring, &r) == 0, "reader");
	CHECK(sigsys_ring_read(&r, 0, out, &len) == SIGSYS_RING_EMPTY, "empty at start");
	for (i = 0; i < 200; i++) {
		uint32_t n = make_payload(buf, 1, i);

		CHECK(sigsys_ring_push(&ring, buf, n) == (int64_t)i, "push %u", i);
	}
	/* Boundary lengths: 0 and 248 fit, 249 does not. */
	CHECK(sigsys_ring_push(&ring, buf, 0) == 200, "empty payload");
	CHECK(sigsys_ring_push(&ring, buf, 248) == 201, "248 bytes");
	CHECK(sigsys_ring_push(&ring, buf, 249) == -EMSGSIZE, "249 bytes");
	CHECK(sigsys_ring_head(&r) == 202 && sigsys_ring_dropped(&r) == 0, "head");
	for (i = 0; i < 200; i++) {
		CHECK(sigsys_ring_read(&r, i, out, &len) == SIGSYS_RING_OK, "read %u", i);
		CHECK(payload_ok(out, len, &w, &idx) && w == 1 && idx == i, "payload %u", i);
	}
	CHECK(sigsys_ring_read(&r, 200, out, &len) == SIGSYS_RING_OK && len == 0, "len 0");
	CHECK(sigsys_ring_read(&r, 201, out, &len) == SIGSYS_RING_OK && len == 248 &&
	      !memcmp(out, buf, 248), "len 248");
	CHECK(sigsys_ring_read(&r, 202, out, &len) == SIGSYS_RING_EMPTY, "empty at head");
	sigsys_ring_unmap(&ring);
	unlink(path);
}

/* ---- 3: full ring, drops, consumer frees space, laps ---- */

static void t_full(void)
{
	struct sigsys_ring ring;
	struct sigsys_ring_reader r;
	uint8_t buf[SIGSYS_RING_RECORD_SIZE], out[SIGSYS_RING_RECORD_SIZE];
	uint32_t len, w, idx, next = 0, cur = 0, lap;
	char path[512];

	CHECK(sigsys_ring_create(&ring, spool, 8, NULL, 0, path, sizeof(path)) == 0, "create");
	CHECK(reader_of(&ring, &r) == 0, "reader");
	for (; next < 8; next++)
		CHECK(sigsys_ring_push(&ring, buf, make_payload(buf, 2, next)) == next, "fill");
	CHECK(sigsys_ring_push(&ring, buf, make_payload(buf, 2, 99)) == -ENOSPC, "full");
	CHECK(sigsys_ring_push(&ring, buf, make_payload(buf, 2, 99)) == -ENOSPC, "full");
	CHECK(sigsys_ring_dropped(&r) == 2 && sigsys_ring_head(&r) == 8, "dropped counted");

	/* Consume 3, free them: exactly 3 more fit. */
	for (; cur < 3; cur++)
		CHECK(sigsys_ring_read(&r, cur, out, &len) == SIGSYS_RING_OK, "read");
	sigsys_ring_set_cursor(&r, cur);
	for (; next < 11; next++)
		CHECK(sigsys_ring_push(&ring, buf, make_payload(buf, 2, next)) == next, "refill");
	CHECK(sigsys_ring_push(&ring, buf, make_payload(buf, 2, 99)) == -ENOSPC, "full again");
	CHECK(sigsys_ring_dropped(&r) == 3, "dropped 3");

	/* Many laps of produce-some/consume-some keep order and content. */
	for (lap = 0; lap < 100; lap++) {
		for (; cur < next; cur++) {
			CHECK(sigsys_ring_read(&r, cur, out, &len) == SIGSYS_RING_OK, "lap read");
			CHECK(payload_ok(out, len, &w, &idx) && idx == cur, "lap %u ticket %u", lap,
			      cur);
		}
		sigsys_ring_set_cursor(&r, cur);
		for (w = 0; w < 1 + lap % 8; w++, next++)
			CHECK(sigsys_ring_push(&ring, buf, make_payload(buf, 2, next)) == next,
			      "lap push");
	}
	/* A ticket behind the cursor whose slot was reused is never returned
	 * as the old record: the commit word is from a later lap. */
	CHECK(sigsys_ring_read(&r, cur - 8, out, &len) == SIGSYS_RING_CORRUPT, "behind cursor");
	sigsys_ring_unmap(&ring);
	unlink(path);
}

/* ---- 4: 8 threads x 10,000 pushes, concurrent consumer ---- */

#define N_THREADS 8
#define PER_THREAD 10000

struct producer_arg {
	struct sigsys_ring *ring;
	uint32_t id;
	uint32_t ok, dropped, busy;
	volatile int *go;
};

static void *producer(void *p)
{
	struct producer_arg *a = p;
	uint8_t buf[SIGSYS_RING_RECORD_SIZE];
	uint32_t i;

	while (!__atomic_load_n(a->go, __ATOMIC_ACQUIRE))
		;
	for (i = 0; i < PER_THREAD; i++) {
		int64_t t = sigsys_ring_push(a->ring, buf, make_payload(buf, a->id, i));

		if (t >= 0)
			a->ok++;
		else if (t == -ENOSPC)
			a->dropped++;
		else if (t == -EAGAIN)
			a->busy++;
	}
	return NULL;
}

/*
 * Consume until `done()` says producers finished and the ring is drained.
 * Marks seen[writer][idx]; fails on a duplicate, a torn payload or a ticket
 * gap.  A PENDING record is waited for (bounded by a 20 s deadline).
 */
static int consume_all(struct sigsys_ring_reader *r, uint8_t *seen, uint32_t writers,
		       uint32_t per, int (*done)(void *), void *ctx, uint64_t *got)
{
	uint8_t out[SIGSYS_RING_RECORD_SIZE];
	uint64_t cur = sigsys_ring_cursor(r), deadline = mono_ms() + 20000;
	uint32_t len, w, idx;

	*got = 0;
	for (;;) {
		enum sigsys_ring_read_status s = sigsys_ring_read(r, cur, out, &len);

		if (mono_ms() > deadline) {
			fprintf(stderr, "  consumer timed out at ticket %llu (status %d)\n",
				(unsigned long long)cur, s);
			return -1;
		}
		if (s == SIGSYS_RING_OK) {
			if (!payload_ok(out, len, &w, &idx) || w >= writers || idx >= per) {
				fprintf(stderr, "  torn payload at ticket %llu\n",
					(unsigned long long)cur);
				return -1;
			}
			if (seen[(size_t)w * per + idx]++) {
				fprintf(stderr, "  duplicate %u/%u\n", w, idx);
				return -1;
			}
			(*got)++;
			cur++;
			/* Free slots often so producers keep going. */
			if ((cur & 15) == 0)
				sigsys_ring_set_cursor(r, cur);
			continue;
		}
		if (s == SIGSYS_RING_CORRUPT) {
			fprintf(stderr, "  corrupt at ticket %llu\n", (unsigned long long)cur);
			return -1;
		}
		sigsys_ring_set_cursor(r, cur);
		if (s == SIGSYS_RING_EMPTY && done(ctx) && sigsys_ring_head(r) == cur)
			return 0;
	}
}

struct thread_ctx {
	pthread_t th[N_THREADS];
	struct producer_arg args[N_THREADS];
	int finished;
};

static int threads_done(void *p)
{
	struct thread_ctx *c = p;
	int i;

	if (c->finished)
		return 1;
	for (i = 0; i < N_THREADS; i++)
		if (c->th[i] && pthread_tryjoin_np(c->th[i], NULL) == 0)
			c->th[i] = 0;
	for (i = 0; i < N_THREADS; i++)
		if (c->th[i])
			return 0;
	c->finished = 1;
	return 1;
}

static void t_threads(void)
{
	/* Small rings drop (shortfall must equal `dropped`); the big one holds
	 * all 80,000 and must deliver every one. */
	static const uint32_t sizes[] = { 64, 4096, 131072 };
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct sigsys_ring ring;
		struct sigsys_ring_reader r;
		struct thread_ctx c = { .finished = 0 };
		volatile int go = 0;
		uint8_t *seen = calloc(N_THREADS, PER_THREAD);
		uint64_t got = 0, ok = 0, dropped = 0, busy = 0;
		char path[512];
		int i, ret;

		CHECK(seen, "calloc");
		CHECK(sigsys_ring_create(&ring, spool, sizes[k], NULL, 0, path, sizeof(path)) == 0,
		      "create");
		CHECK(reader_of(&ring, &r) == 0, "reader");
		for (i = 0; i < N_THREADS; i++) {
			c.args[i] = (struct producer_arg){ .ring = &ring, .id = (uint32_t)i, .go = &go };
			CHECK(pthread_create(&c.th[i], NULL, producer, &c.args[i]) == 0, "thread");
		}
		__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
		ret = consume_all(&r, seen, N_THREADS, PER_THREAD, threads_done, &c, &got);
		if (ret) {
			for (i = 0; i < N_THREADS; i++)
				if (c.th[i])
					pthread_join(c.th[i], NULL);
		}
		CHECK(ret == 0, "consumer failed (ring %u)", sizes[k]);
		for (i = 0; i < N_THREADS; i++) {
			ok += c.args[i].ok;
			dropped += c.args[i].dropped;
			busy += c.args[i].busy;
		}
		CHECK(ok + dropped + busy == (uint64_t)N_THREADS * PER_THREAD, "accounting");
		CHECK(got == ok, "consumer got %llu, producers committed %llu",
		      (unsigned long long)got, (unsigned long long)ok);
		CHECK(sigsys_ring_dropped(&r) == dropped + busy, "dropped %llu vs %llu",
		      (unsigned long long)sigsys_ring_dropped(&r), (unsigned long long)dropped);
		CHECK(sigsys_ring_head(&r) == ok, "head equals committed");
		if (sizes[k] >= N_THREADS * PER_THREAD)
			CHECK(got == (uint64_t)N_THREADS * PER_THREAD, "big ring lost events");
		printf("#   ring %u: %llu delivered, %llu dropped full, %llu dropped busy\n",
		       sizes[k], (unsigned long long)got, (unsigned long long)dropped,
		       (unsigned long long)busy);
		free(seen);
		sigsys_ring_unmap(&ring);
		unlink(path);
	}
}

/* ---- 5: forked children share the mapping ---- */

#define N_CHILDREN 4
#define PER_CHILD 5000

struct fork_ctx {
	pid_t pid[N_CHILDREN];
	int status[N_CHILDREN];
};

static int children_done(void *p)
{
	struct fork_ctx *c = p;
	int i, live = 0;

	for (i = 0; i < N_CHILDREN; i++) {
		if (!c->pid[i])
			continue;
		if (waitpid(c->pid[i], &c->status[i], WNOHANG) == c->pid[i])
			c->pid[i] = 0;
		else
			live++;
	}
	return live == 0;
}

static void t_fork(void)
{
	/* A small ring that drops, and one that holds all 20,000. */
	static const uint32_t sizes[] = { 512, 32768 };
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct sigsys_ring ring;
		struct sigsys_ring_reader r;
		struct fork_ctx c;
		uint8_t *seen = calloc(N_CHILDREN, PER_CHILD);
		uint64_t got = 0, dropped;
		char path[512];
		int i, ret;

		CHECK(seen, "calloc");
		CHECK(sigsys_ring_create(&ring, spool, sizes[k], NULL, 0, path, sizeof(path)) == 0,
		      "create");
		CHECK(reader_of(&ring, &r) == 0, "reader");
		for (i = 0; i < N_CHILDREN; i++) {
			c.pid[i] = fork();
			CHECK(c.pid[i] >= 0, "fork");
			if (c.pid[i] == 0) {
				uint8_t buf[SIGSYS_RING_RECORD_SIZE];
				uint32_t n;

				for (n = 0; n < PER_CHILD; n++)
					sigsys_ring_push(&ring, buf, make_payload(buf, (uint32_t)i, n));
				_exit(0);
			}
		}
		ret = consume_all(&r, seen, N_CHILDREN, PER_CHILD, children_done, &c, &got);
		if (ret)
			while (!children_done(&c))
				;
		CHECK(ret == 0, "consumer failed");
		for (i = 0; i < N_CHILDREN; i++)
			CHECK(WIFEXITED(c.status[i]) && WEXITSTATUS(c.status[i]) == 0, "child %d", i);
		dropped = sigsys_ring_dropped(&r);
		CHECK(got + dropped == (uint64_t)N_CHILDREN * PER_CHILD, "got %llu + dropped %llu",
		      (unsigned long long)got, (unsigned long long)dropped);
		CHECK(sigsys_ring_head(&r) == got, "head");
		if (sizes[k] >= N_CHILDREN * PER_CHILD)
			CHECK(dropped == 0, "big ring dropped %llu", (unsigned long long)dropped);
		printf("#   ring %u: %llu delivered, %llu dropped\n", sizes[k],
		       (unsigned long long)got, (unsigned long long)dropped);
		free(seen);
		sigsys_ring_unmap(&ring);
		unlink(path);
	}
}

/* ---- 6: hostile headers: open_reader refuses ---- */

/* A private copy of a valid ring with 8 records, 5 of them committed. */
static uint8_t *valid_image(size_t *len)
{
	struct sigsys_ring ring;
	uint8_t buf[SIGSYS_RING_RECORD_SIZE], *img;
	char path[512];
	uint32_t i;

	if (sigsys_ring_create(&ring, spool, 8, "\x0a\x01x", 3, path, sizeof(path)))
		return NULL;
	for (i = 0; i < 5; i++)
		sigsys_ring_push(&ring, buf, make_payload(buf, 3, i));
	*len = ring.map_len;
	img = malloc(*len);
	if (img)
		memcpy(img, ring.hdr, *len);
	sigsys_ring_unmap(&ring);
	unlink(path);
	return img;
}

#define HDR(img) ((struct sigsys_ring_header *)(void *)(img))
#define REC(img, i)                                                                  \
	((struct sigsys_ring_record *)(void *)((img) + SIGSYS_RING_HEADER_SIZE +     \
					       (size_t)(i) * SIGSYS_RING_RECORD_SIZE))

static void m_none(uint8_t *img, size_t *len) { (void)img; (void)len; }
static void m_trunc_header(uint8_t *img, size_t *len) { (void)img; *len = 100; }
static void m_trunc_zero(uint8_t *img, size_t *len) { (void)img; *len = 0; }
static void m_trunc_records(uint8_t *img, size_t *len) { (void)img; *len -= 1; }
static void m_magic(uint8_t *img, size_t *len) { (void)len; HDR(img)->magic ^= 1; }
static void m_magic0(uint8_t *img, size_t *len) { (void)len; HDR(img)->magic = 0; }
static void m_version(uint8_t *img, size_t *len) { (void)len; HDR(img)->version = SIGSYS_RING_VERSION + 1; }
static void m_hsize(uint8_t *img, size_t *len) { (void)len; HDR(img)->header_size = 4096; }
static void m_rsize(uint8_t *img, size_t *len) { (void)len; HDR(img)->record_size = 128; }
static void m_count3(uint8_t *img, size_t *len) { (void)len; HDR(img)->record_count = 3; }
static void m_count0(uint8_t *img, size_t *len) { (void)len; HDR(img)->record_count = 0; }
static void m_count_big(uint8_t *img, size_t *len)
{
	(void)len;
	HDR(img)->record_count = SIGSYS_RING_MAX_RECORDS << 1;
}
static void m_count_past_eof(uint8_t *img, size_t *len) { (void)len; HDR(img)->record_count = 16; }
static void m_meta_len(uint8_t *img, size_t *len)
{
	(void)len;
	HDR(img)->meta_len = SIGSYS_RING_META_MAX + 1;
}

static void t_hostile_header(void)
{
	static const struct {
		const char *name;
		void (*mutate)(uint8_t *, size_t *);
		int ret;
		const char *why; /* substring */
	} cases[] = {
		{ "valid", m_none, 0, NULL },
		{ "empty file", m_trunc_zero, -EINVAL, "truncated" },
		{ "truncated header", m_trunc_header, -EINVAL, "truncated" },
		{ "truncated records", m_trunc_records, -EINVAL, "truncated" },
		{ "bad magic", m_magic, -EINVAL, "magic" },
		{ "zero magic", m_magic0, -EINVAL, "not initialised" },
		{ "next version", m_version, -EINVAL, "version" },
		{ "header size", m_hsize, -EINVAL, "header size" },
		{ "record size", m_rsize, -EINVAL, "record size" },
		{ "count 3", m_count3, -EINVAL, "power of two" },
		{ "count 0", m_count0, -EINVAL, "power of two" },
		{ "count too big", m_count_big, -EINVAL, "too large" },
		{ "count past EOF", m_count_past_eof, -EINVAL, "truncated" },
		{ "meta_len", m_meta_len, -EINVAL, "metadata" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sigsys_ring_reader r;
		const char *why = NULL;
		size_t len;
		uint8_t *img = valid_image(&len);
		int ret;

		CHECK(img, "image");
		cases[i].mutate(img, &len);
		ret = sigsys_ring_open_reader(&r, img, len, &why);
		free(img);
		CHECK(ret == cases[i].ret, "%s: ret %d", cases[i].name, ret);
		if (cases[i].why)
			CHECK(why && strstr(why, cases[i].why), "%s: why '%s'", cases[i].name,
			      why ? why : "(null)");
	}
}

/* ---- 7: hostile records: read says CORRUPT/PENDING, never a bogus OK ---- */

static void r_len_huge(uint8_t *img) { REC(img, 1)->len = 0xffffffffu; }
static void r_len_249(uint8_t *img) { REC(img, 1)->len = 249; }
static void r_future(uint8_t *img) { REC(img, 1)->commit = 2 + 8; }
static void r_far_future(uint8_t *img) { REC(img, 1)->commit = 2 + 8 * 1000; }
static void r_garbage(uint8_t *img) { REC(img, 1)->commit = 0xdeadbeef; }
static void r_zero(uint8_t *img) { REC(img, 1)->commit = 0; }
static void r_old_lap(uint8_t *img) { REC(img, 1)->commit = 2 - 8; }
static void r_writing(uint8_t *img) { REC(img, 1)->commit = 2 ^ 0x80000000u; }
/* The previous lap's producer died mid-write; this lap's has reserved. */
static void r_old_lap_writing(uint8_t *img) { REC(img, 1)->commit = (2u - 8u) ^ 0x80000000u; }
static void r_future_writing(uint8_t *img) { REC(img, 1)->commit = (2u + 8u) ^ 0x80000000u; }
static void r_head_far(uint8_t *img)
{
	HDR(img)->head = HDR(img)->cursor + 1000000000000ull;
}
static void r_head_behind(uint8_t *img)
{
	HDR(img)->cursor = 4;
	HDR(img)->head = 2;
}

static void t_hostile_records(void)
{
	enum sigsys_ring_read_status OK = SIGSYS_RING_OK, PEND = SIGSYS_RING_PENDING,
				     BAD = SIGSYS_RING_CORRUPT, EMPTY = SIGSYS_RING_EMPTY;
	const struct {
		const char *name;
		void (*mutate)(uint8_t *);
		enum sigsys_ring_read_status want[8]; /* tickets 0..7 */
	} cases[] = {
		{ "len 0xffffffff", r_len_huge, { OK, BAD, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "len 249", r_len_249, { OK, BAD, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "commit next lap", r_future, { OK, BAD, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "commit far future", r_far_future, { OK, BAD, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "commit garbage", r_garbage, { OK, BAD, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "commit zero", r_zero, { OK, PEND, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "commit old lap", r_old_lap, { OK, PEND, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "being written", r_writing, { OK, PEND, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "old lap died mid-write", r_old_lap_writing,
		  { OK, PEND, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		{ "next lap being written", r_future_writing,
		  { OK, BAD, OK, OK, OK, EMPTY, EMPTY, EMPTY } },
		/* head way ahead: tickets 5..7 were never written (zero) */
		{ "head far ahead", r_head_far, { OK, OK, OK, OK, OK, PEND, PEND, PEND } },
		{ "head behind cursor", r_head_behind, { OK, OK, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY,
							 EMPTY } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sigsys_ring_reader r;
		uint8_t out[SIGSYS_RING_RECORD_SIZE];
		size_t len;
		uint8_t *img = valid_image(&len);
		uint32_t t, olen, w, idx;

		CHECK(img, "image");
		CHECK(sigsys_ring_open_reader(&r, img, len, NULL) == 0, "open");
		cases[i].mutate(img);
		for (t = 0; t < 8; t++) {
			enum sigsys_ring_read_status s = sigsys_ring_read(&r, t, out, &olen);

			if (s != cases[i].want[t]) {
				free(img);
				CHECK(0, "%s: ticket %u: status %d, want %d", cases[i].name, t, s,
				      cases[i].want[t]);
			}
			if (s == OK && (!payload_ok(out, olen, &w, &idx) || idx != t)) {
				free(img);
				CHECK(0, "%s: ticket %u: bad payload", cases[i].name, t);
			}
		}
		/* Far-away tickets cost the same O(1): no loop on file values. */
		sigsys_ring_read(&r, 999999999999ull, out, &olen);
		free(img);
	}
}

/* ---- 8: the file on disk: a reader mapping of the real file ---- */

static void t_file_reader(void)
{
	struct sigsys_ring ring;
	struct sigsys_ring_reader r;
	uint8_t buf[SIGSYS_RING_RECORD_SIZE], out[SIGSYS_RING_RECORD_SIZE];
	char path[512];
	struct stat sb;
	uint32_t i, len, w, idx;
	void *map;
	int fd;

	CHECK(sigsys_ring_create(&ring, spool, 16, NULL, 0, path, sizeof(path)) == 0, "create");
	for (i = 0; i < 10; i++)
		sigsys_ring_push(&ring, buf, make_payload(buf, 4, i));
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	CHECK(fd >= 0 && fstat(fd, &sb) == 0, "open");
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(map != MAP_FAILED, "mmap");
	CHECK(sigsys_ring_open_reader(&r, map, (size_t)sb.st_size, NULL) == 0, "reader");
	for (i = 0; i < 10; i++) {
		CHECK(sigsys_ring_read(&r, i, out, &len) == SIGSYS_RING_OK, "read");
		CHECK(payload_ok(out, len, &w, &idx) && idx == i, "payload");
	}
	/* The cursor the reader stores through its own mapping frees space for
	 * the producer's mapping: one shared file. */
	for (i = 10; i < 16; i++)
		CHECK(sigsys_ring_push(&ring, buf, make_payload(buf, 4, i)) == i, "push");
	CHECK(sigsys_ring_push(&ring, buf, 8) == -ENOSPC, "full");
	sigsys_ring_set_cursor(&r, 10);
	CHECK(__atomic_load_n(&ring.hdr->cursor, __ATOMIC_ACQUIRE) == 10, "shared cursor");
	CHECK(sigsys_ring_push(&ring, buf, make_payload(buf, 4, 16)) == 16, "push after commit");
	munmap(map, (size_t)sb.st_size);
	sigsys_ring_unmap(&ring);
	unlink(path);
}

/* ---- 9: two-phase reserve/commit ---- */

static void t_reserve_commit(void)
{
	struct sigsys_ring ring;
	struct sigsys_ring_reader r;
	uint8_t out[SIGSYS_RING_RECORD_SIZE], big[300] = { 0 };
	uint32_t len;
	int64_t t0, t1;
	char path[512];

	CHECK(sigsys_ring_create(&ring, spool, 4, NULL, 0, path, sizeof(path)) == 0, "create");
	CHECK(reader_of(&ring, &r) == 0, "reader");
	t0 = sigsys_ring_reserve(&ring);
	t1 = sigsys_ring_reserve(&ring);
	CHECK(t0 == 0 && t1 == 1, "tickets %lld %lld", (long long)t0, (long long)t1);
	/* Reserved, not committed: pending (the consumer must wait here). */
	CHECK(sigsys_ring_read(&r, 0, out, &len) == SIGSYS_RING_PENDING, "pending 0");
	/* Committed out of order: 1 is readable, 0 still pending. */
	CHECK(sigsys_ring_commit(&ring, 1, "one", 3) == 0, "commit 1");
	CHECK(sigsys_ring_read(&r, 0, out, &len) == SIGSYS_RING_PENDING, "still pending 0");
	CHECK(sigsys_ring_read(&r, 1, out, &len) == SIGSYS_RING_OK && len == 3 &&
	      !memcmp(out, "one", 3), "read 1");
	/* Oversized payload: published empty so the consumer is not stuck. */
	CHECK(sigsys_ring_commit(&ring, 0, big, sizeof(big)) == -EMSGSIZE, "oversize");
	CHECK(sigsys_ring_read(&r, 0, out, &len) == SIGSYS_RING_OK && len == 0, "empty record");
	sigsys_ring_unmap(&ring);
	unlink(path);
}

/* ---- 10: a scribbled cursor makes producers drop, boundedly ---- */

static void t_scribbled_cursor(void)
{
	/* (Values 2^63 or more ahead read as "behind" in modular arithmetic;
	 * those only mislead the workload's own producers, bounded all the same.) */
	static const uint64_t cursors[] = { 5, 1000000, 1ull << 62 };
	size_t k;

	for (k = 0; k < sizeof(cursors) / sizeof(cursors[0]); k++) {
		struct sigsys_ring ring;
		struct sigsys_ring_reader r;
		char path[512];
		int64_t t;

		CHECK(sigsys_ring_create(&ring, spool, 8, NULL, 0, path, sizeof(path)) == 0,
		      "create");
		CHECK(reader_of(&ring, &r) == 0, "reader");
		CHECK(sigsys_ring_push(&ring, "a", 1) == 0, "push");
		/* cursor beyond head: what a hostile workload could write */
		__atomic_store_n(&ring.hdr->cursor, cursors[k], __ATOMIC_RELEASE);
		t = sigsys_ring_push(&ring, "b", 1);
		CHECK(t == -EAGAIN, "cursor %llu: push returned %lld",
		      (unsigned long long)cursors[k], (long long)t);
		CHECK(sigsys_ring_dropped(&r) == 1 && sigsys_ring_head(&r) == 1, "counted, head kept");
		sigsys_ring_unmap(&ring);
		unlink(path);
	}
}

/* ---- 11: seeded random corruption: never a crash, a hang or a bogus OK ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static void t_random_corruption(void)
{
	static const uint64_t seeds[] = { 1, 2, 3, 0xdeadbeef, 42, 7777 };
	size_t k;
	int round;

	for (k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		rng_state = seeds[k];
		for (round = 0; round < 500; round++) {
			struct sigsys_ring_reader r;
			uint8_t out[SIGSYS_RING_RECORD_SIZE], meta[SIGSYS_RING_META_MAX];
			size_t len, i, flips;
			uint8_t *img = valid_image(&len);
			uint64_t t;
			uint32_t olen;

			CHECK(img, "image");
			/* Flip bytes: mostly in the header's first 72 bytes and in
			 * the records' commit/len words, where it matters. */
			flips = 1 + rnd() % 16;
			for (i = 0; i < flips; i++) {
				size_t at;

				switch (rnd() % 3) {
				case 0:
					at = rnd() % 72;
					break;
				case 1:
					at = SIGSYS_RING_HEADER_SIZE + (rnd() % 8) * SIGSYS_RING_RECORD_SIZE +
					     rnd() % 8;
					break;
				default:
					at = rnd() % len;
				}
				img[at] = (uint8_t)rnd();
			}
			if (rnd() % 8 == 0) {
				/* Shrink the allocation too, so an ASan build
				 * catches any read past the (shorter) file. */
				uint8_t *shorter;

				len = rnd() % len;
				shorter = realloc(img, len ? len : 1);
				CHECK(shorter, "realloc");
				img = shorter;
			}
			if (sigsys_ring_open_reader(&r, img, len, NULL) == 0) {
				/* Valid enough to open: every access stays in bounds
				 * (ASan builds catch it) and OK records are sane. */
				CHECK(r.record_count && !(r.record_count & r.mask) &&
				      SIGSYS_RING_HEADER_SIZE + (size_t)r.record_count *
				      SIGSYS_RING_RECORD_SIZE <= len, "seed %llu round %d: accepted a bad size",
				      (unsigned long long)seeds[k], round);
				CHECK(sigsys_ring_meta(&r, meta) <= SIGSYS_RING_META_MAX, "meta");
				for (t = 0; t < 2 * (uint64_t)r.record_count + 4; t++) {
					enum sigsys_ring_read_status s = sigsys_ring_read(&r, t, out, &olen);

					CHECK(s <= SIGSYS_RING_CORRUPT, "status");
					CHECK(s != SIGSYS_RING_OK || olen <= 248, "len %u", olen);
				}
			}
			free(img);
		}
	}
}

/* ---- 12: hot-loop counters: exact totals across a consumer killed anywhere ---- */

/* Violation.repeat of an encoded record (0 when absent). */
static uint64_t repeat_of(const uint8_t *p, uint32_t len)
{
	const uint8_t *end = p + len;
	uint64_t rep = 0;

	while (p < end) {
		uint64_t key = 0, v = 0;
		unsigned sh;

		for (sh = 0; p < end; sh += 7) {
			key |= (uint64_t)(*p & 0x7f) << sh;
			if (!(*p++ & 0x80))
				break;
		}
		for (sh = 0; p < end; sh += 7) {
			v |= (uint64_t)(*p & 0x7f) << sh;
			if (!(*p++ & 0x80))
				break;
		}
		if ((key & 7) == 2)
			p += v; /* packed args */
		else if (key >> 3 == 36)
			rep = v;
	}
	return rep;
}

enum crash { CRASH_NONE, CRASH_AFTER_RESERVE, CRASH_AFTER_CLAIM, CRASH_AFTER_COMMIT };

/*
 * What a collector killed at `at` leaves behind: the steps of
 * sigsys_ring_hot_flush for slot `i` up to that point.
 */
static void killed_flush(const struct sigsys_ring_reader *r, uint32_t i, enum crash at)
{
	struct sigsys_hot_snapshot h;
	struct sigsys_violation v;
	uint8_t buf[SIGSYS_VIOLATION_MAX];
	uint64_t n;
	int64_t t;
	int len;

	if (!sigsys_ring_hot_read(r, i, &h))
		return;
	n = h.total - SIGSYS_RING_HOT_FULL - h.flushed;
	t = sigsys_ring_reader_reserve(r);
	if (t < 0 || at == CRASH_AFTER_RESERVE)
		return;
	sigsys_ring_hot_set_claim(r, i, (uint64_t)t, h.flushed + n);
	if (at == CRASH_AFTER_CLAIM)
		return;
	memset(&v, 0, sizeof(v));
	v.nr = h.nr;
	v.repeat = n;
	len = sigsys_encode_violation(&v, buf, sizeof(buf));
	sigsys_ring_reader_commit_at(r, (uint64_t)t, buf, (uint32_t)len);
}

static void t_hot_claims(void)
{
	static const struct {
		const char *name;
		enum crash at;
	} cases[] = {
		{ "no crash", CRASH_NONE },
		{ "killed after reserve", CRASH_AFTER_RESERVE },
		{ "killed after claim", CRASH_AFTER_CLAIM },
		{ "killed after commit", CRASH_AFTER_COMMIT },
	};
	const uint64_t args[6] = { 1, 2, 3, 4, 5, 6 };

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sigsys_ring ring;
		struct sigsys_ring_reader r;
		struct sigsys_hot_key k = { .ip = 0x401000, .nr = 272, .arch = 0xc000003e, .pid = 7,
					    .tid = 7, .errno_ret = 1, .action = 4, .outcome = 1,
					    .mode = 1, .args = args };
		struct sigsys_hot_key other = k;
		uint8_t out[SIGSYS_RING_RECORD_SIZE];
		uint64_t sum = 0, full = 0, pending = 0, key;
		uint32_t len, slot = SIGSYS_RING_HOT_SLOTS;
		char path[512];
		int counted = 0;

		other.pid = 8; /* a forked child: its own slot */
		CHECK(sigsys_ring_create(&ring, spool, 64, NULL, 0, path, sizeof(path)) == 0, "create");
		CHECK(reader_of(&ring, &r) == 0, "reader");
		key = sigsys_hot_hash(&k);
		for (int i = 0; i < 1000; i++) {
			int rc = sigsys_ring_hot_count(&ring, key, &k);

			/* Full events go to the ring as the handler would write them. */
			if (!rc)
				sigsys_ring_push(&ring, "full", 4);
			counted += rc;
		}
		for (int i = 0; i < 10; i++)
			if (!sigsys_ring_hot_count(&ring, sigsys_hot_hash(&other), &other))
				sigsys_ring_push(&ring, "full", 4);
		CHECK(counted == 1000 - (int)SIGSYS_RING_HOT_FULL, "%s: counted %d", cases[c].name,
		      counted);
		for (uint32_t i = 0; i < SIGSYS_RING_HOT_SLOTS; i++) {
			struct sigsys_hot_snapshot h;

			if (sigsys_ring_hot_read(&r, i, &h) && h.pid == 7)
				slot = i;
		}
		CHECK(slot < SIGSYS_RING_HOT_SLOTS, "%s: slot of pid 7", cases[c].name);
		if (cases[c].at != CRASH_NONE)
			killed_flush(&r, slot, cases[c].at);
		/* The next collector; then more calls and another flush. */
		sigsys_ring_hot_flush(&r, 1);
		for (int i = 0; i < 500; i++)
			CHECK(sigsys_ring_hot_count(&ring, key, &k) == 1, "counted after flush");
		sigsys_ring_hot_flush(&r, 2);
		sigsys_ring_hot_flush(&r, 3); /* nothing new: writes nothing */
		for (uint64_t t = 0; t < sigsys_ring_head(&r); t++) {
			enum sigsys_ring_read_status st = sigsys_ring_read(&r, t, out, &len);

			if (st == SIGSYS_RING_PENDING) {
				pending++; /* skipped as torn by the collector */
				continue;
			}
			CHECK(st == SIGSYS_RING_OK, "%s: ticket %llu", cases[c].name,
			      (unsigned long long)t);
			if (len == 4)
				full++;
			else
				sum += repeat_of(out, len);
		}
		/* pid 7: 1500 calls = 4 full + 1496 counted; pid 8: 10 = 4 + 6. */
		CHECK(sum == 1496 + 6 && full == 2 * SIGSYS_RING_HOT_FULL, "%s: counted %llu full %llu",
		      cases[c].name, (unsigned long long)sum, (unsigned long long)full);
		CHECK(pending == (cases[c].at == CRASH_AFTER_RESERVE), "%s: pending %llu",
		      cases[c].name, (unsigned long long)pending);
		sigsys_ring_unmap(&ring);
		unlink(path);
	}
}

/* A hash collision never folds two keys into one count: the template is
 * compared field by field, and the other key takes a slot of its own
 * (full events first, then counted there), so neither loses counting. */
static void t_hot_collision(void)
{
	struct sigsys_ring ring;
	const uint64_t args[6] = { 0 };
	struct sigsys_hot_key a = { .ip = 1, .nr = 1, .pid = 1, .args = args };
	struct sigsys_hot_key b = a;
	char path[512];

	b.ip = 2;
	CHECK(sigsys_ring_create(&ring, spool, 8, NULL, 0, path, sizeof(path)) == 0, "create");
	for (unsigned i = 0; i < SIGSYS_RING_HOT_FULL; i++)
		CHECK(sigsys_ring_hot_count(&ring, 42, &a) == 0, "full %u", i);
	CHECK(sigsys_ring_hot_count(&ring, 42, &a) == 1, "counted");
	for (unsigned i = 0; i < SIGSYS_RING_HOT_FULL; i++)
		CHECK(sigsys_ring_hot_count(&ring, 42, &b) == 0, "same hash, other key: full %u", i);
	CHECK(sigsys_ring_hot_count(&ring, 42, &b) == 1, "same hash, other key: counted");
	CHECK(sigsys_ring_hot_count(&ring, 42, &a) == 1, "first key still counted");
	{
		uint32_t at_a = SIGSYS_RING_HOT_SLOTS, at_b = SIGSYS_RING_HOT_SLOTS;

		for (uint32_t i = 0; i < SIGSYS_RING_HOT_SLOTS; i++) {
			if (ring.hdr->hot[i].key == 42 && ring.hdr->hot[i].ip == 1)
				at_a = i;
			if (ring.hdr->hot[i].key == 42 && ring.hdr->hot[i].ip == 2)
				at_b = i;
		}
		CHECK(at_a < SIGSYS_RING_HOT_SLOTS && at_b < SIGSYS_RING_HOT_SLOTS && at_a != at_b &&
			      ring.hdr->hot[at_a].total == SIGSYS_RING_HOT_FULL + 2 &&
			      ring.hdr->hot[at_b].total == SIGSYS_RING_HOT_FULL + 1,
		      "two slots, exact totals: %u %u", at_a, at_b);
	}
	CHECK(ring.hdr->hot_full == SIGSYS_RING_HOT_FULL, "header hot_full");
	sigsys_ring_unmap(&ring);
	unlink(path);
}

static const struct check_case tests[] = {
	{ 1, "create: name, mode, size, header, record_count rounding", t_create },
	{ 2, "single producer: order, content, length bounds", t_single_order },
	{ 3, "full ring: -ENOSPC, dropped counted, cursor frees space", t_full },
	{ 4, "8 threads x 10000 pushes with a concurrent consumer", t_threads },
	{ 5, "forked children push into the shared mapping", t_fork },
	{ 6, "hostile headers are refused with a reason", t_hostile_header },
	{ 7, "hostile records read as CORRUPT or PENDING", t_hostile_records },
	{ 8, "reader on the file shares the cursor with producers", t_file_reader },
	{ 9, "reserve/commit: pending until committed, oversize published empty",
	  t_reserve_commit },
	{ 10, "scribbled cursor beyond head: producers drop, bounded", t_scribbled_cursor },
	{ 11, "seeded random corruption: no crash, no out-of-bounds, sane records",
	  t_random_corruption },
	{ 12, "hot-loop counts: exact totals with a consumer killed at any step, per pid",
	  t_hot_claims },
	{ 13, "hot-loop counts: a hash collision gets its own slot, never a wrong count",
	  t_hot_collision },
};

int main(int argc, char **argv)
{
	int only = argc > 1 ? atoi(argv[1]) : 0;
	const char *tmp = getenv("TMPDIR");
	int status;

	snprintf(spool, sizeof(spool), "%s/sigsys-test-ring-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(spool)) {
		perror("mkdtemp");
		return 1;
	}
	status = check_run(tests, sizeof(tests) / sizeof(tests[0]), only);
	rmdir(spool);
	return status;
}
