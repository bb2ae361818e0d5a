/*
 * encode.c - hand-written protobuf encoder for sigsys.v1.Violation and
 * sigsys.v1.RingMeta (proto/sigsys/v1/violation.proto).
 *
 * sigsys_encode_violation() runs inside the SIGSYS handler, so this unit
 * calls nothing at all: no libc, no allocation, only byte stores into the
 * caller's buffer, with every loop bounded by a constant (a varint has at
 * most 10 bytes) or by `cap`.  The string copy loops are the one place a
 * compiler likes to substitute a call to memcpy(); native/CMakeLists.txt
 * compiles this file with -fno-tree-loop-distribute-patterns and the test
 * ctest "ring-04-signal-safe" checks the object has no undefined symbols.
 *
 * Output is canonical proto3 as protobufjs writes it: fields in field-number
 * order, zero scalars omitted, repeated uint64 packed, enums and int32 as
 * sign-extended varints.  Golden vectors in test/vectors/ hold us to that.
 */
#include <errno.h>
#include <stdint.h>

#include "encode.h"
#include "schema.h"

/* Wire types. */
#define WT_VARINT 0u
#define WT_LEN 2u

/* Per-field caps of RingMeta strings (bytes, before truncation to `cap`).
 * They keep the fixed fields of a default 4096-byte meta area under ~1.3 KiB
 * so argv and the executable mappings (what call sites need) still fit. */
#define META_HOST_MAX 255u
#define META_CGROUP_MAX 512u
#define META_EXE_MAX 512u
#define META_BOOT_ID_MAX 64u
#define META_POD_MAX 253u
#define META_NS_MAX 253u
#define META_COMM_MAX 64u
#define META_ARG_MAX 256u       /* one argv element */
#define META_ARGV_TOTAL 1024u   /* all of argv, tags included */
#define META_ARGV_COUNT 64u
#define META_MAP_PATH_MAX 512u
#define META_MAPS_COUNT 256u
#define META_HASH_LEN 32u

struct writer {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int overflow;
};

static unsigned varint_size(uint64_t v)
{
	unsigned n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_byte(struct writer *w, uint8_t b)
{
	if (w->pos >= w->cap) {
		w->overflow = 1;
		return;
	}
	w->buf[w->pos++] = b;
}

static void put_varint(struct writer *w, uint64_t v)
{
	/* At most 10 iterations: 64 bits, 7 per byte. */
	while (v >= 0x80) {
		put_byte(w, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	put_byte(w, (uint8_t)v);
}

static void put_tag(struct writer *w, unsigned field, unsigned wt)
{
	put_varint(w, ((uint64_t)field << 3) | wt);
}

/* uint64 / uint32 field, omitted when zero (proto3 default). */
static void put_u64(struct writer *w, unsigned field, uint64_t v)
{
	if (!v)
		return;
	put_tag(w, field, WT_VARINT);
	put_varint(w, v);
}

/* int32 and enum fields: negative values are sign-extended to 10 bytes. */
static void put_i32(struct writer *w, unsigned field, int32_t v)
{
	if (!v)
		return;
	put_tag(w, field, WT_VARINT);
	put_varint(w, (uint64_t)(int64_t)v);
}

static uint64_t zigzag64(int64_t v)
{
	/* Shift the unsigned value so the arithmetic is defined for INT64_MIN. */
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void put_s64(struct writer *w, unsigned field, int64_t v)
{
	if (!v)
		return;
	put_tag(w, field, WT_VARINT);
	put_varint(w, zigzag64(v));
}

static void put_bytes_raw(struct writer *w, const uint8_t *p, size_t n)
{
	size_t i;

	/* Explicit loop, not memcpy: see the comment at the top. */
	for (i = 0; i < n; i++)
		put_byte(w, p[i]);
}

int sigsys_encode_violation(const struct sigsys_violation *v, uint8_t *buf, size_t cap)
{
	struct writer w = { .buf = buf, .cap = cap, .pos = 0, .overflow = 0 };
	unsigned args_len = 0;
	unsigned i;

	put_u64(&w, SIGSYS_VIOLATION_TIME_NS, v->time_ns);
	put_u64(&w, SIGSYS_VIOLATION_SEQ, v->seq);
	put_u64(&w, SIGSYS_VIOLATION_PID, v->pid);
	put_u64(&w, SIGSYS_VIOLATION_TID, v->tid);
	put_i32(&w, SIGSYS_VIOLATION_NR, v->nr);
	put_u64(&w, SIGSYS_VIOLATION_ARCH, v->arch);

	/* args: always six elements, packed (zeros included, as the handler
	 * always knows all six registers). */
	for (i = 0; i < 6; i++)
		args_len += varint_size(v->args[i]);
	put_tag(&w, SIGSYS_VIOLATION_ARGS, WT_LEN);
	put_varint(&w, args_len);
	for (i = 0; i < 6; i++)
		put_varint(&w, v->args[i]);

	put_u64(&w, SIGSYS_VIOLATION_IP, v->ip);
	put_i32(&w, SIGSYS_VIOLATION_ACTION, (int32_t)v->action);
	put_i32(&w, SIGSYS_VIOLATION_OUTCOME, (int32_t)v->outcome);
	put_i32(&w, SIGSYS_VIOLATION_ERRNO_RET, v->errno_ret);
	put_s64(&w, SIGSYS_VIOLATION_RET, v->ret);
	put_i32(&w, SIGSYS_VIOLATION_MODE, (int32_t)v->mode);
	/* Count records only (the collector's, from hot-loop counters). */
	put_u64(&w, SIGSYS_VIOLATION_REPEAT, v->repeat);

	if (w.overflow)
		return -ENOSPC;
	return (int)w.pos;
}

/* ---- RingMeta (constructor only, but kept libc-free all the same) ---- */

static size_t bounded_strlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/*
 * How many bytes of a string of length n to keep so that it fits `room`
 * (payload bytes available) and `max`, without cutting a UTF-8 sequence in
 * half: protobufjs would decode a torn sequence as U+FFFD and the bytes would
 * no longer round-trip.
 */
static size_t utf8_cut(const char *s, size_t n, size_t room)
{
	if (n <= room)
		return n;
	n = room;
	/* Back off continuation bytes (10xxxxxx); at most 3 for valid UTF-8,
	 * bounded by n for garbage. */
	while (n > 0 && ((uint8_t)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static size_t room_left(const struct writer *w)
{
	return w->pos < w->cap ? w->cap - w->pos : 0;
}

/*
 * Length-delimited string field truncated to fit both `max` and the space
 * left; omitted when empty or when not even its tag and length fit.
 * Returns the bytes the field took.
 */
static size_t put_string(struct writer *w, unsigned field, const char *s, size_t max)
{
	size_t n, head, room, start = w->pos;

	if (!s)
		return 0;
	n = bounded_strlen(s, max + 1);
	if (n > max)
		n = utf8_cut(s, n, max);
	if (!n)
		return 0;
	head = varint_size(((uint64_t)field << 3) | WT_LEN) + varint_size(n);
	room = room_left(w);
	if (head + n > room) {
		if (room <= head + 1)
			return 0;
		/* The length varint can only shrink when n shrinks. */
		n = utf8_cut(s, n, room - head);
		if (!n)
			return 0;
	}
	put_tag(w, field, WT_LEN);
	put_varint(w, n);
	put_bytes_raw(w, (const uint8_t *)s, n);
	return w->pos - start;
}

static size_t mapping_body_size(uint64_t start, uint64_t end, uint64_t off, size_t path_len)
{
	size_t n = 0;

	if (start)
		n += 1 + varint_size(start);
	if (end)
		n += 1 + varint_size(end);
	if (off)
		n += 1 + varint_size(off);
	if (path_len)
		n += 1 + varint_size(path_len) + path_len;
	return n;
}

/* One Mapping, all or nothing (a mapping with a torn path is worse than none,
 * except that the path is cut to META_MAP_PATH_MAX first). Returns 1 if written. */
static int put_mapping(struct writer *w, uint64_t start, uint64_t end, uint64_t off,
		       const char *path)
{
	size_t plen = 0, body;

	if (path) {
		plen = bounded_strlen(path, META_MAP_PATH_MAX + 1);
		if (plen > META_MAP_PATH_MAX)
			plen = utf8_cut(path, plen, META_MAP_PATH_MAX);
	}
	body = mapping_body_size(start, end, off, plen);
	if (1 + varint_size(body) + body > room_left(w))
		return 0;
	put_tag(w, SIGSYS_RING_META_MAPS, WT_LEN);
	put_varint(w, body);
	put_u64(w, SIGSYS_MAPPING_START, start);
	put_u64(w, SIGSYS_MAPPING_END, end);
	put_u64(w, SIGSYS_MAPPING_OFFSET, off);
	if (plen) {
		put_tag(w, SIGSYS_MAPPING_PATH, WT_LEN);
		put_varint(w, plen);
		put_bytes_raw(w, (const uint8_t *)path, plen);
	}
	return 1;
}

int sigsys_encode_ring_meta(const struct sigsys_ring_meta *m, uint8_t *buf, size_t cap)
{
	struct writer w = { .buf = buf, .cap = cap, .pos = 0, .overflow = 0 };
	size_t argv_used = 0, tail, i;

	/*
	 * Fields go out in field-number order (canonical, so protobufjs
	 * re-encodes the same bytes).  Every field is cut to fit instead of
	 * failing: partial metadata is far more useful than none.  Scalars are
	 * tiny; they are written only if they fit whole.
	 */
#define FITS(n) (room_left(&w) >= (n))
	put_string(&w, SIGSYS_RING_META_HOST, m->host, META_HOST_MAX);
	if (FITS(6))
		put_u64(&w, SIGSYS_RING_META_PID, m->pid);
	if (FITS(6))
		put_u64(&w, SIGSYS_RING_META_PPID, m->ppid);
	if (FITS(11))
		put_u64(&w, SIGSYS_RING_META_PID_NS, m->pid_ns);
	put_string(&w, SIGSYS_RING_META_CGROUP, m->cgroup, META_CGROUP_MAX);
	put_string(&w, SIGSYS_RING_META_EXE, m->exe, META_EXE_MAX);
	/* argv keeps whole elements (each cut to META_ARG_MAX first) while they
	 * fit the argv budget: a torn last argument would read as a real one. */
	for (i = 0; m->argv && m->argv[i] && i < META_ARGV_COUNT; i++) {
		size_t n = bounded_strlen(m->argv[i], META_ARG_MAX + 1), need;

		if (n > META_ARG_MAX)
			n = utf8_cut(m->argv[i], n, META_ARG_MAX);
		need = 1 + varint_size(n) + n;
		if (argv_used + need > META_ARGV_TOTAL || need > room_left(&w))
			break;
		/* Empty arguments are real (`cmd ""`): tag + zero length. */
		put_tag(&w, SIGSYS_RING_META_ARGV, WT_LEN);
		put_varint(&w, n);
		put_bytes_raw(&w, (const uint8_t *)m->argv[i], n);
		argv_used += need;
	}
	put_string(&w, SIGSYS_RING_META_BOOT_ID, m->boot_id, META_BOOT_ID_MAX);
	if (m->policy_hash && FITS(2 + META_HASH_LEN)) {
		put_tag(&w, SIGSYS_RING_META_POLICY_HASH, WT_LEN);
		put_varint(&w, META_HASH_LEN);
		put_bytes_raw(&w, m->policy_hash, META_HASH_LEN);
	}
	put_string(&w, SIGSYS_RING_META_POD, m->pod, META_POD_MAX);
	put_string(&w, SIGSYS_RING_META_NAMESPACE, m->namespace_, META_NS_MAX);
	if (FITS(11))
		put_i32(&w, SIGSYS_RING_META_MODE, (int32_t)m->mode);
	if (FITS(11))
		put_u64(&w, SIGSYS_RING_META_START_NS, m->start_ns);
	put_string(&w, SIGSYS_RING_META_COMM, m->comm, META_COMM_MAX);
	/* Room for fields 16/17 (at most 3 + 7 bytes) is kept back from the
	 * maps, which take whatever is left: a supervisor ring must never lose
	 * its source to a long list of mappings. */
	tail = (m->source ? 3u : 0u) + (m->writer_pid ? 7u : 0u);
	if (w.cap >= w.pos + tail)
		w.cap -= tail;
	else
		tail = 0;
	for (i = 0; i < m->n_maps && i < META_MAPS_COUNT; i++) {
		if (!put_mapping(&w, m->map_start ? m->map_start[i] : 0,
				 m->map_end ? m->map_end[i] : 0,
				 m->map_offset ? m->map_offset[i] : 0,
				 m->map_path ? m->map_path[i] : 0))
			break;
	}
	w.cap += tail;
	if (m->source && FITS(3))
		put_i32(&w, SIGSYS_RING_META_SOURCE, (int32_t)m->source);
	if (m->writer_pid && FITS(7))
		put_u64(&w, SIGSYS_RING_META_WRITER_PID, m->writer_pid);
#undef FITS
	/* Every write above checked its room first, so overflow only means a
	 * bug here; report it rather than return a torn message. */
	if (w.overflow)
		return -ENOSPC;
	return (int)w.pos;
}
