/*
 * ring.c - the spool ring (see ring.h for the file layout and roles).
 *
 * Producer protocol (sigsys_ring_reserve + sigsys_ring_commit, or both at
 * once with sigsys_ring_push; any thread or forked child):
 *   1. reserve: CAS head h -> h+1, but only while h - cursor < record_count;
 *      a full ring counts a drop instead of waiting (a signal handler must
 *      never wait for the collector);
 *   2. mark the slot "being written": commit = (uint32)(h+1) ^ WRITING_BIT,
 *      then a release fence, so a reader that sees any of the new bytes also
 *      sees that the slot is no longer the old lap's record;
 *   3. write the payload words and the length;
 *   4. publish: store commit = (uint32)(h+1) with release semantics.
 *
 * Consumer protocol (sigsys_ring_read): load commit (acquire), copy the
 * record out, acquire fence, load commit again; the record counts only if
 * both loads saw (uint32)(ticket+1) - the seqlock pattern, which also keeps
 * a reader that strays behind the cursor from returning a torn record.
 *
 * Signal safety.  reserve/commit/push run in the SIGSYS handler: they make no
 * syscall and call no function outside this file.  All accesses to the shared mapping are
 * __atomic builtins on naturally aligned words, which GCC and Clang expand
 * inline on x86_64 and aarch64 (8-byte atomics are lock-free there), and the
 * copy is an explicit word loop of atomic stores, which the compiler cannot
 * turn into a call to memcpy().  The ctest "ring-04-signal-safe" checks the
 * objects for undefined symbols so a future compiler cannot sneak one in.
 *
 * Only sigsys_ring_create and sigsys_ring_unmap make syscalls; they run in
 * the preload's constructor (or the supervisor), never in the handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "ring.h"

#define DATA_MAX (SIGSYS_RING_RECORD_SIZE - 8u)
/* Set in the commit word while a producer writes the slot.  Any commit word
 * of this slot is congruent to the slot index modulo record_count (which
 * divides 2^31), so the marked value can never be mistaken for the final one. */
#define WRITING_BIT 0x80000000u
/* CAS attempts before a push gives up and counts a drop.  A failed CAS
 * means another producer succeeded, so this only trips under contention
 * from hundreds of concurrent trapping threads; bounded beats fair here. */
#define PUSH_TRIES 256u
#define CREATE_TRIES 16u

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* Word view of record payloads: the mapping has no declared type, so say
 * that it may alias anything rather than rely on -fno-strict-aliasing. */
typedef uint64_t __attribute__((may_alias)) ring_word;

_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
	       "the ring needs lock-free 64-bit atomics (no libatomic in a signal handler)");
_Static_assert(DATA_MAX % 8 == 0, "payload area must be whole words");
_Static_assert(SIGSYS_RING_MAX_RECORDS <= WRITING_BIT, "record_count must divide 2^31");

/* ---------------- producer ---------------- */

static int round_records(uint32_t want, uint32_t *out)
{
	uint32_t n = 1;

	if (want == 0)
		want = SIGSYS_RING_DEFAULT_RECORDS;
	if (want > SIGSYS_RING_MAX_RECORDS)
		return -EINVAL;
	while (n < want)
		n <<= 1;
	*out = n;
	return 0;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Move tmp to path without replacing anything: renameat2(RENAME_NOREPLACE),
 * or link()+unlink() where the filesystem lacks it.  Either way the
 * collector never sees a half-initialised ring under the final name.
 */
static int publish_name(const char *tmp, const char *path)
{
	if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (link(tmp, path))
		return -errno;
	unlink(tmp);
	return 0;
}

int sigsys_ring_create(struct sigsys_ring *ring, const char *dir, uint32_t record_count,
		       const void *meta, size_t meta_len, char *path, size_t path_len)
{
	return sigsys_ring_create_for(ring, dir, (uint32_t)getpid(), record_count, meta, meta_len,
				      path, path_len);
}

int sigsys_ring_create_for(struct sigsys_ring *ring, const char *dir, uint32_t pid,
			   uint32_t record_count, const void *meta, size_t meta_len, char *path,
			   size_t path_len)
{
	char name[64], tmp[4096], final[4096];
	struct sigsys_ring_header *h;
	uint32_t count;
	size_t map_len;
	void *map = MAP_FAILED;
	int fd = -1, ret, n, i;
	uint64_t ns;

	ring->hdr = NULL;
	ring->records = NULL;
	ring->mask = 0;
	ring->map_len = 0;
	ret = round_records(record_count, &count);
	if (ret)
		return ret;
	if (meta_len && !meta)
		return -EINVAL;
	if (meta_len > SIGSYS_RING_META_MAX)
		return -EMSGSIZE;
	map_len = (size_t)SIGSYS_RING_HEADER_SIZE + (size_t)count * SIGSYS_RING_RECORD_SIZE;

	/* <pid>-<ns> is unique unless two rings of one pid are created in the
	 * same nanosecond; O_EXCL plus a bumped ns settles that. */
	ns = now_ns(CLOCK_REALTIME);
	for (i = 0; i < (int)CREATE_TRIES; i++, ns++) {
		snprintf(name, sizeof(name), SIGSYS_RING_FILE_PREFIX "%d-%llu" SIGSYS_RING_FILE_SUFFIX,
			 (int)pid, (unsigned long long)ns);
		n = snprintf(final, sizeof(final), "%s/%s", dir, name);
		if (n < 0 || (size_t)n >= sizeof(final))
			return -ENAMETOOLONG;
		/* Built under a dot name the collector ignores, then renamed. */
		n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return -ENAMETOOLONG;
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return -errno;
	if (path && (size_t)snprintf(path, path_len, "%s", final) >= path_len) {
		ret = -ENAMETOOLONG;
		goto fail;
	}
	if (ftruncate(fd, (off_t)map_len)) {
		ret = -errno;
		goto fail;
	}
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}

	h = map;
	h->version = SIGSYS_RING_VERSION;
	h->header_size = SIGSYS_RING_HEADER_SIZE;
	h->record_size = SIGSYS_RING_RECORD_SIZE;
	h->record_count = count;
	h->created_ns = ns;
	h->owner_pid = (uint32_t)pid;
	h->meta_len = (uint32_t)meta_len;
	h->hot_full = SIGSYS_RING_HOT_FULL;
	if (meta_len)
		memcpy(h->meta, meta, meta_len);
	/* Magic last: a reader that sees it sees a complete header. */
	__atomic_store_n(&h->magic, SIGSYS_RING_MAGIC, __ATOMIC_RELEASE);

	ret = publish_name(tmp, final);
	if (ret)
		goto fail;
	close(fd);
	ring->hdr = h;
	ring->records = (struct sigsys_ring_record *)((uint8_t *)map + SIGSYS_RING_HEADER_SIZE);
	ring->mask = count - 1;
	ring->map_len = map_len;
	return 0;

fail:
	if (map != MAP_FAILED)
		munmap(map, map_len);
	unlink(tmp);
	close(fd);
	return ret;
}

void sigsys_ring_unmap(struct sigsys_ring *ring)
{
	if (ring->hdr)
		munmap(ring->hdr, ring->map_len);
	ring->hdr = NULL;
	ring->records = NULL;
	ring->map_len = 0;
}

/*
 * The producer steps are always inlined into the three exported entry
 * points, so each one is a leaf that calls nothing (what the signal-safety
 * check asserts of the objects).
 */
static inline __attribute__((always_inline)) int64_t reserve_ticket(struct sigsys_ring *ring,
								 int count_drops)
{
	struct sigsys_ring_header *h = ring->hdr;
	uint64_t count = (uint64_t)ring->mask + 1;
	uint64_t head, cursor;
	unsigned tries;

	if (!h)
		return -EBADF;
	head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
	for (tries = 0; tries < PUSH_TRIES; tries++) {
		/* Acquire pairs with the consumer's release store of cursor: its
		 * reads of the slots below cursor are done before we reuse them. */
		cursor = __atomic_load_n(&h->cursor, __ATOMIC_ACQUIRE);
		/* Our head may be older than the cursor we just loaded (the
		 * consumer caught up since): reload it and try again.  A
		 * scribbled cursor beyond the real head keeps us here until the
		 * tries run out: a drop, never an overwrite. */
		if ((int64_t)(head - cursor) < 0) {
			head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
			continue;
		}
		if (head - cursor >= count) {
			if (count_drops)
				__atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED);
			return -ENOSPC;
		}
		if (__atomic_compare_exchange_n(&h->head, &head, head + 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			/* Mark the slot before any byte of it changes; the
			 * release fence orders the mark before the payload
			 * stores that follow in sigsys_ring_commit. */
			struct sigsys_ring_record *rec = &ring->records[head & ring->mask];

			__atomic_store_n(&rec->commit, (uint32_t)(head + 1) ^ WRITING_BIT,
					 __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_RELEASE);
			return (int64_t)head;
		}
		/* head now holds the value that beat us; retry from there. */
	}
	if (count_drops)
		__atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED);
	return -EAGAIN;
}

/* A producer's reserve: a full ring or lost contention is a counted drop. */
static inline __attribute__((always_inline)) int64_t reserve(struct sigsys_ring *ring)
{
	return reserve_ticket(ring, 1);
}

static inline __attribute__((always_inline)) int commit(struct sigsys_ring *ring,
							 uint64_t ticket, const void *payload,
							 uint32_t len)
{
	struct sigsys_ring_record *rec = &ring->records[ticket & ring->mask];
	const uint8_t *src = payload;
	ring_word *dst = (ring_word *)(void *)rec->data;
	int ret = 0;
	uint32_t i, k;

	/* A reserved ticket must be published whatever happens, or the
	 * consumer waits on it forever: an oversized payload becomes empty. */
	if (len > DATA_MAX) {
		len = 0;
		ret = -EMSGSIZE;
	}
	/* Whole little-endian words assembled from bytes: the source may be
	 * unaligned, the destination (offset 8 of a 256-byte record) is not. */
	for (i = 0; i < len; i += 8) {
		uint64_t w = 0;

		for (k = 0; k < 8 && i + k < len; k++)
			w |= (uint64_t)src[i + k] << (8 * k);
		__atomic_store_n(&dst[i / 8], w, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&rec->len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&rec->commit, (uint32_t)(ticket + 1), __ATOMIC_RELEASE);
	return ret;
}

int64_t sigsys_ring_push(struct sigsys_ring *ring, const void *payload, uint32_t len)
{
	int64_t ticket;

	if (!ring->hdr)
		return -EBADF;
	if (len > DATA_MAX)
		return -EMSGSIZE;
	ticket = reserve(ring);
	if (ticket < 0)
		return ticket;
	commit(ring, (uint64_t)ticket, payload, len);
	return ticket;
}

int64_t sigsys_ring_reserve(struct sigsys_ring *ring)
{
	return reserve(ring);
}

int sigsys_ring_commit(struct sigsys_ring *ring, uint64_t ticket, const void *payload,
		       uint32_t len)
{
	return commit(ring, ticket, payload, len);
}

/* ---------------- hot-loop counters (producer) ---------------- */

/* splitmix64's finaliser: a bijection that spreads every input bit. */
static inline __attribute__((always_inline)) uint64_t fin(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* Two rounds over the key's fields folded into two words: four multiplies
 * per trap on the hot path.  The call site goes through a round of its own
 * before the pid joins, so nearby call sites and nearby pids (a pre-fork
 * server's workers) do not cancel out as they would in one linear fold.
 * A collision costs little anyway: same_key() below tells the keys apart
 * and the colliding one takes the next free slot. */
uint64_t sigsys_hot_hash(const struct sigsys_hot_key *k)
{
	uint64_t h = fin(k->ip ^ (((uint64_t)(uint32_t)k->nr << 32) | k->arch));

	h = fin(h ^ ((uint64_t)k->pid << 32) ^ (uint32_t)k->errno_ret ^
		((uint64_t)k->action << 56) ^ ((uint64_t)k->outcome << 48) ^ ((uint64_t)k->mode << 40));
	return h ? h : 1;
}

/* The published template says exactly this key (a hash match alone could
 * be a collision, which would fold two call sites into one count). */
static inline __attribute__((always_inline)) int same_key(const struct sigsys_ring_hot_slot *s,
							   const struct sigsys_hot_key *k)
{
	return __atomic_load_n(&s->ip, __ATOMIC_RELAXED) == k->ip &&
	       __atomic_load_n(&s->nr, __ATOMIC_RELAXED) == k->nr &&
	       __atomic_load_n(&s->arch, __ATOMIC_RELAXED) == k->arch &&
	       __atomic_load_n(&s->pid, __ATOMIC_RELAXED) == k->pid &&
	       __atomic_load_n(&s->errno_ret, __ATOMIC_RELAXED) == k->errno_ret &&
	       __atomic_load_n(&s->action, __ATOMIC_RELAXED) == k->action &&
	       __atomic_load_n(&s->outcome, __ATOMIC_RELAXED) == k->outcome &&
	       __atomic_load_n(&s->mode, __ATOMIC_RELAXED) == k->mode;
}

int sigsys_ring_hot_count(struct sigsys_ring *ring, uint64_t key, const struct sigsys_hot_key *k)
{
	struct sigsys_ring_header *h = ring->hdr;
	uint32_t i, start;

	if (!h || !key)
		return 0;
	start = (uint32_t)(key % SIGSYS_RING_HOT_SLOTS);
	for (i = 0; i < SIGSYS_RING_HOT_PROBE; i++) {
		struct sigsys_ring_hot_slot *s = &h->hot[(start + i) % SIGSYS_RING_HOT_SLOTS];
		uint64_t cur = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);

		if (cur == 0) {
			uint64_t zero = 0;

			if (!__atomic_compare_exchange_n(&s->key, &zero, key, 0, __ATOMIC_ACQUIRE,
							 __ATOMIC_RELAXED)) {
				cur = zero; /* claimed by someone else meanwhile */
				goto taken;
			}
			/* Ours: fill the template, publish it, count this call as
			 * the first full event. */
			__atomic_store_n(&s->ip, k->ip, __ATOMIC_RELAXED);
			for (unsigned a = 0; a < 6; a++)
				__atomic_store_n(&s->args[a], k->args[a], __ATOMIC_RELAXED);
			__atomic_store_n(&s->nr, k->nr, __ATOMIC_RELAXED);
			__atomic_store_n(&s->arch, k->arch, __ATOMIC_RELAXED);
			__atomic_store_n(&s->pid, k->pid, __ATOMIC_RELAXED);
			__atomic_store_n(&s->tid, k->tid, __ATOMIC_RELAXED);
			__atomic_store_n(&s->errno_ret, k->errno_ret, __ATOMIC_RELAXED);
			__atomic_store_n(&s->action, k->action, __ATOMIC_RELAXED);
			__atomic_store_n(&s->outcome, k->outcome, __ATOMIC_RELAXED);
			__atomic_store_n(&s->mode, k->mode, __ATOMIC_RELAXED);
			__atomic_fetch_add(&s->total, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&s->state, (uint8_t)SIGSYS_HOT_READY, __ATOMIC_RELEASE);
			return 0;
		}
taken:
		if (cur != key)
			continue;
		/* Template not published yet: a full event (its claimer is
		 * filling it in right now). */
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SIGSYS_HOT_READY)
			return 0;
		/* Another key with the same hash: look further, so it gets a
		 * slot of its own instead of a full event on every trap. */
		if (!same_key(s, k))
			continue;
		return __atomic_fetch_add(&s->total, 1, __ATOMIC_RELAXED) >= SIGSYS_RING_HOT_FULL;
	}
	return 0; /* no slot within reach: full events */
}

/* ---------------- consumer ---------------- */

static const struct sigsys_ring_header *rhdr(const struct sigsys_ring_reader *r)
{
	return (const struct sigsys_ring_header *)(const void *)r->base;
}

int sigsys_ring_open_reader(struct sigsys_ring_reader *r, const void *base, size_t len,
			    const char **why)
{
	const struct sigsys_ring_header *h = base;
	uint64_t magic;
	uint32_t version, header_size, record_size, count, meta_len;
	const char *cause = NULL;

	/* Each field is loaded once into a local and only the local is
	 * validated and kept: the workload may rewrite the header meanwhile. */
	if (len < SIGSYS_RING_HEADER_SIZE) {
		cause = "truncated: shorter than the ring header";
		goto bad;
	}
	magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	version = __atomic_load_n(&h->version, __ATOMIC_RELAXED);
	header_size = __atomic_load_n(&h->header_size, __ATOMIC_RELAXED);
	record_size = __atomic_load_n(&h->record_size, __ATOMIC_RELAXED);
	count = __atomic_load_n(&h->record_count, __ATOMIC_RELAXED);
	meta_len = __atomic_load_n(&h->meta_len, __ATOMIC_RELAXED);

	if (magic != SIGSYS_RING_MAGIC)
		cause = magic ? "bad magic: not a sigsys ring" : "bad magic: not initialised (zero)";
	else if (version != SIGSYS_RING_VERSION)
		cause = "unsupported ring version";
	else if (header_size != SIGSYS_RING_HEADER_SIZE)
		cause = "header size mismatch";
	else if (record_size != SIGSYS_RING_RECORD_SIZE)
		cause = "record size mismatch";
	else if (count == 0 || (count & (count - 1)))
		cause = "record count is not a power of two";
	else if (count > SIGSYS_RING_MAX_RECORDS)
		cause = "record count too large";
	else if (len < (size_t)SIGSYS_RING_HEADER_SIZE + (size_t)count * SIGSYS_RING_RECORD_SIZE)
		cause = "truncated: shorter than its records";
	else if (meta_len > SIGSYS_RING_META_MAX)
		cause = "metadata length out of range";
	if (cause)
		goto bad;

	r->base = base;
	r->len = len;
	r->record_count = count;
	r->mask = count - 1;
	if (why)
		*why = NULL;
	return 0;
bad:
	if (why)
		*why = cause;
	return -EINVAL;
}

/*
 * A commit word other than the one we want.  Zero (never written), our own
 * ticket with WRITING_BIT, and the words of earlier laps of this slot - with
 * or without WRITING_BIT, since a producer may have died mid-write one lap
 * ago and the collector skipped that ticket - mean the ticket is reserved
 * but its producer has not finished: PENDING.  A later lap (only possible
 * behind the cursor) or a word not congruent to this slot is garbage: CORRUPT.
 */
static enum sigsys_ring_read_status classify(uint32_t c, uint32_t want, uint32_t count)
{
	/* How far back (mod 2^32) the word is, plain and with WRITING_BIT
	 * removed.  Earlier laps are at most 2^30 back in either form; with a
	 * wider window the marked word of a *later* lap (2^31 - count back, by
	 * this arithmetic) would pass for an earlier one. */
	const uint32_t window = WRITING_BIT >> 1;
	uint32_t back = want - c, back_marked = want - (c ^ WRITING_BIT);

	if (c == 0 || back_marked == 0)
		return SIGSYS_RING_PENDING; /* never written / ours, being written */
	if ((back & (count - 1)) == 0 && back < window)
		return SIGSYS_RING_PENDING;
	if ((back_marked & (count - 1)) == 0 && back_marked < window)
		return SIGSYS_RING_PENDING;
	return SIGSYS_RING_CORRUPT;
}

enum sigsys_ring_read_status sigsys_ring_read(const struct sigsys_ring_reader *r,
					      uint64_t ticket, uint8_t *out, uint32_t *out_len)
{
	const struct sigsys_ring_record *rec;
	const ring_word *src;
	uint64_t head, words[DATA_MAX / 8];
	uint32_t want = (uint32_t)(ticket + 1), c1, c2, len, n, i;

	head = __atomic_load_n(&rhdr(r)->head, __ATOMIC_ACQUIRE);
	if (ticket >= head)
		return SIGSYS_RING_EMPTY;
	rec = (const struct sigsys_ring_record *)(const void *)(r->base + SIGSYS_RING_HEADER_SIZE +
	      (size_t)(ticket & r->mask) * SIGSYS_RING_RECORD_SIZE);

	c1 = __atomic_load_n(&rec->commit, __ATOMIC_ACQUIRE);
	if (c1 != want)
		return classify(c1, want, r->record_count);

	/* Copy out first, validate the copy: the producer side is untrusted. */
	len = __atomic_load_n(&rec->len, __ATOMIC_RELAXED);
	n = len <= DATA_MAX ? len : DATA_MAX;
	src = (const ring_word *)(const void *)rec->data;
	for (i = 0; i < (n + 7) / 8; i++)
		words[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	c2 = __atomic_load_n(&rec->commit, __ATOMIC_RELAXED);
	if (c2 != want)
		return classify(c2, want, r->record_count);
	if (len > DATA_MAX)
		return SIGSYS_RING_CORRUPT;

	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(words[i / 8] >> (8 * (i % 8)));
	*out_len = n;
	return SIGSYS_RING_OK;
}

uint64_t sigsys_ring_head(const struct sigsys_ring_reader *r)
{
	return __atomic_load_n(&rhdr(r)->head, __ATOMIC_ACQUIRE);
}

uint64_t sigsys_ring_cursor(const struct sigsys_ring_reader *r)
{
	return __atomic_load_n(&rhdr(r)->cursor, __ATOMIC_ACQUIRE);
}

uint64_t sigsys_ring_dropped(const struct sigsys_ring_reader *r)
{
	return __atomic_load_n(&rhdr(r)->dropped, __ATOMIC_RELAXED);
}

void sigsys_ring_set_cursor(const struct sigsys_ring_reader *r, uint64_t cursor)
{
	/* The mapping is writable; the reader is const only to say that the
	 * consumer writes nothing else.  Release: our reads of the records
	 * below `cursor` happen before a producer may overwrite them. */
	struct sigsys_ring_header *h = (struct sigsys_ring_header *)(uintptr_t)r->base;

	__atomic_store_n(&h->cursor, cursor, __ATOMIC_RELEASE);
}

void sigsys_ring_stats(const struct sigsys_ring_reader *r, struct sigsys_ring_stats *st)
{
	const struct sigsys_ring_header *h = rhdr(r);

	st->cursor = __atomic_load_n(&h->cursor, __ATOMIC_ACQUIRE);
	st->head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	st->dropped = __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);
	st->created_ns = __atomic_load_n(&h->created_ns, __ATOMIC_RELAXED);
	st->owner_pid = __atomic_load_n(&h->owner_pid, __ATOMIC_RELAXED);
	st->closed = __atomic_load_n(&h->closed, __ATOMIC_RELAXED);
	st->record_count = r->record_count;
}

uint32_t sigsys_ring_meta(const struct sigsys_ring_reader *r, uint8_t *out)
{
	const struct sigsys_ring_header *h = rhdr(r);
	uint32_t len = __atomic_load_n(&h->meta_len, __ATOMIC_RELAXED), i;

	if (len > SIGSYS_RING_META_MAX)
		return 0;
	for (i = 0; i < len; i++)
		out[i] = __atomic_load_n(&h->meta[i], __ATOMIC_RELAXED);
	return len;
}

/* ---------------- hot-loop counters (consumer) ---------------- */

static struct sigsys_ring_hot_slot *hot_slot(const struct sigsys_ring_reader *r, uint32_t i)
{
	struct sigsys_ring_header *h = (struct sigsys_ring_header *)(uintptr_t)r->base;

	return &h->hot[i];
}

int sigsys_ring_hot_read(const struct sigsys_ring_reader *r, uint32_t i,
			 struct sigsys_hot_snapshot *out)
{
	const struct sigsys_ring_hot_slot *s;

	if (i >= SIGSYS_RING_HOT_SLOTS)
		return 0;
	s = hot_slot(r, i);
	if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) == 0 ||
	    __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SIGSYS_HOT_READY)
		return 0;
	out->total = __atomic_load_n(&s->total, __ATOMIC_ACQUIRE);
	out->flushed = __atomic_load_n(&s->flushed, __ATOMIC_ACQUIRE);
	out->claim = __atomic_load_n(&s->claim, __ATOMIC_ACQUIRE);
	out->claim_ticket = __atomic_load_n(&s->claim_ticket, __ATOMIC_ACQUIRE);
	out->ip = __atomic_load_n(&s->ip, __ATOMIC_RELAXED);
	for (unsigned a = 0; a < 6; a++)
		out->args[a] = __atomic_load_n(&s->args[a], __ATOMIC_RELAXED);
	out->nr = __atomic_load_n(&s->nr, __ATOMIC_RELAXED);
	out->errno_ret = __atomic_load_n(&s->errno_ret, __ATOMIC_RELAXED);
	out->arch = __atomic_load_n(&s->arch, __ATOMIC_RELAXED);
	out->pid = __atomic_load_n(&s->pid, __ATOMIC_RELAXED);
	out->tid = __atomic_load_n(&s->tid, __ATOMIC_RELAXED);
	out->action = __atomic_load_n(&s->action, __ATOMIC_RELAXED);
	out->outcome = __atomic_load_n(&s->outcome, __ATOMIC_RELAXED);
	out->mode = __atomic_load_n(&s->mode, __ATOMIC_RELAXED);
	return 1;
}

void sigsys_ring_hot_set_claim(const struct sigsys_ring_reader *r, uint32_t i, uint64_t ticket,
			       uint64_t claim)
{
	struct sigsys_ring_hot_slot *s = hot_slot(r, i);

	/* Ticket first: a claim above flushed always names its record. */
	__atomic_store_n(&s->claim_ticket, ticket, __ATOMIC_RELEASE);
	__atomic_store_n(&s->claim, claim, __ATOMIC_RELEASE);
}

void sigsys_ring_hot_set_flushed(const struct sigsys_ring_reader *r, uint32_t i, uint64_t flushed)
{
	__atomic_store_n(&hot_slot(r, i)->flushed, flushed, __ATOMIC_RELEASE);
}

/* A producer view of the reader's mapping (validated record_count). */
static void reader_ring(const struct sigsys_ring_reader *r, struct sigsys_ring *ring)
{
	ring->hdr = (struct sigsys_ring_header *)(uintptr_t)r->base;
	ring->records = (struct sigsys_ring_record *)(uintptr_t)(r->base + SIGSYS_RING_HEADER_SIZE);
	ring->mask = r->mask;
	ring->map_len = r->len;
}

int64_t sigsys_ring_reader_reserve(const struct sigsys_ring_reader *r)
{
	struct sigsys_ring ring;

	reader_ring(r, &ring);
	/* Unlike a trapped thread, the consumer can wait: a full ring is not a
	 * lost event here, so nothing is counted in `dropped`. */
	return reserve_ticket(&ring, 0);
}

int sigsys_ring_reader_commit_at(const struct sigsys_ring_reader *r, uint64_t ticket,
				 const void *payload, uint32_t len)
{
	struct sigsys_ring ring;

	reader_ring(r, &ring);
	return commit(&ring, ticket, payload, len);
}

/* The count record of slot snapshot `h` standing for `n` calls, at ticket t. */
static int encode_count(const struct sigsys_hot_snapshot *h, uint64_t n, uint64_t t,
			uint64_t now_ns, uint8_t *buf)
{
	struct sigsys_violation v;

	memset(&v, 0, sizeof(v));
	v.time_ns = now_ns;
	v.seq = t;
	v.pid = h->pid;
	v.tid = h->tid;
	v.nr = h->nr;
	v.arch = h->arch;
	memcpy(v.args, h->args, sizeof(v.args));
	v.ip = h->ip;
	v.action = h->action;
	v.outcome = h->outcome;
	v.errno_ret = h->errno_ret;
	v.mode = h->mode;
	v.repeat = n;
	return sigsys_encode_violation(&v, buf, SIGSYS_VIOLATION_MAX);
}

int sigsys_ring_hot_flush(const struct sigsys_ring_reader *r, uint64_t now_ns)
{
	int written = 0;

	for (uint32_t i = 0; i < SIGSYS_RING_HOT_SLOTS; i++) {
		struct sigsys_hot_snapshot h;
		uint8_t buf[SIGSYS_VIOLATION_MAX], rec[SIGSYS_RING_RECORD_SIZE];
		uint64_t counted, n;
		uint32_t len;
		int64_t t;
		int enc;

		if (!sigsys_ring_hot_read(r, i, &h))
			continue;
		if (h.claim > h.flushed) {
			/* A claim a killed collector left behind.  Its record
			 * committed (or consumed already): the hand-over is done.
			 * Reserved, not committed: commit it now, at that ticket.
			 * Anything else cannot come from a collector (scribbled):
			 * drop the claim; the calls stay counted in total. */
			enum sigsys_ring_read_status st = SIGSYS_RING_EMPTY;

			t = (int64_t)h.claim_ticket;
			if (h.claim_ticket < sigsys_ring_head(r))
				st = sigsys_ring_read(r, h.claim_ticket, rec, &len);
			if (h.claim_ticket < sigsys_ring_cursor(r) || st == SIGSYS_RING_OK) {
				sigsys_ring_hot_set_flushed(r, i, h.claim);
			} else if (st == SIGSYS_RING_PENDING && h.claim - h.flushed <= h.total) {
				enc = encode_count(&h, h.claim - h.flushed, h.claim_ticket, now_ns, buf);
				sigsys_ring_reader_commit_at(r, h.claim_ticket, buf,
							     enc > 0 ? (uint32_t)enc : 0);
				sigsys_ring_hot_set_flushed(r, i, h.claim);
				written++;
			} else {
				sigsys_ring_hot_set_claim(r, i, h.claim_ticket, h.flushed);
			}
			continue;
		}
		counted = h.total > SIGSYS_RING_HOT_FULL ? h.total - SIGSYS_RING_HOT_FULL : 0;
		if (counted <= h.flushed)
			continue;
		n = counted - h.flushed;
		t = sigsys_ring_reader_reserve(r);
		if (t < 0)
			break; /* full: the next call, after a read, goes on */
		sigsys_ring_hot_set_claim(r, i, (uint64_t)t, h.flushed + n);
		enc = encode_count(&h, n, (uint64_t)t, now_ns, buf);
		sigsys_ring_reader_commit_at(r, (uint64_t)t, buf, enc > 0 ? (uint32_t)enc : 0);
		sigsys_ring_hot_set_flushed(r, i, h.flushed + n);
		written++;
	}
	return written;
}
