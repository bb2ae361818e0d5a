/*
 * ndjson_encode.c - ring records to NDJSON lines without a JS object per
 * event (see ndjson_encode.h for the contract).
 *
 * Why in C: per event the TypeScript path decoded the record into ~20 JS
 * values (strings for time, args, ip, call site), built a ViolationEvent,
 * then checked and copied all of it again into the line; that was most of
 * the collector's CPU.  Here a record is read once and its line written
 * straight into the batch's output buffer; the text that is the same for a
 * ring's events (host, exe, workload, ...) and for a syscall (its name) is
 * handed in once, as JSON TypeScript made.
 *
 * The decoding rules are fast-decode.ts's, one for one (field numbers, wire
 * types, how each value is truncated); so are the formatting rules (numbers
 * as JS prints them, hex without leading zeros, time via Date#toISOString).
 * test/collector-batch-encode.test.ts checks the bytes against the
 * TypeScript path; native/tests/test_ndjson_encode.c runs it under ASan.
 */
#include "ndjson_encode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* ---- syscall name table ---- */

#define NAMES_SLOTS 4096u
#define NAMES_MAX 3072u /* entries before the table is emptied (open addressing stays short) */

struct nj_name {
	uint64_t key;
	char *text; /* NULL: empty slot */
	uint32_t len;
};

struct nj_names {
	struct nj_name slot[NAMES_SLOTS];
	uint32_t used;
	uint32_t max_len;
};

static uint64_t name_key(uint32_t arch, int32_t nr)
{
	return ((uint64_t)arch << 32) | (uint32_t)nr;
}

static uint32_t name_hash(uint64_t k)
{
	k *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(k >> 52) & (NAMES_SLOTS - 1);
}

struct nj_names *nj_names_new(void)
{
	return calloc(1, sizeof(struct nj_names));
}

static void names_clear(struct nj_names *n)
{
	uint32_t i;

	for (i = 0; i < NAMES_SLOTS; i++) {
		free(n->slot[i].text);
		n->slot[i].text = NULL;
	}
	n->used = 0;
	n->max_len = 0;
}

void nj_names_free(struct nj_names *n)
{
	if (!n)
		return;
	names_clear(n);
	free(n);
}

static const struct nj_name *names_get(const struct nj_names *n, uint32_t arch, int32_t nr)
{
	uint64_t k = name_key(arch, nr);
	uint32_t i = name_hash(k);

	while (n->slot[i].text) {
		if (n->slot[i].key == k)
			return &n->slot[i];
		i = (i + 1) & (NAMES_SLOTS - 1);
	}
	return NULL;
}

int nj_names_set(struct nj_names *n, uint32_t arch, int32_t nr, const char *text, uint32_t len)
{
	uint64_t k = name_key(arch, nr);
	uint32_t i;
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	if (n->used >= NAMES_MAX)
		names_clear(n);
	for (i = name_hash(k); n->slot[i].text; i = (i + 1) & (NAMES_SLOTS - 1)) {
		if (n->slot[i].key == k) {
			free(n->slot[i].text);
			break;
		}
	}
	if (!n->slot[i].text)
		n->used++;
	n->slot[i].key = k;
	n->slot[i].text = copy;
	n->slot[i].len = len;
	if (len > n->max_len)
		n->max_len = len;
	return 0;
}

/* ---- number formatting (as JS prints numbers) ---- */

static const char HEX[] = "0123456789abcdef";

static uint8_t *put(uint8_t *o, const void *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static uint8_t *put_u64(uint8_t *o, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = (uint8_t)tmp[--n];
	return o;
}

static uint8_t *put_i64(uint8_t *o, int64_t v)
{
	if (v < 0) {
		*o++ = '-';
		return put_u64(o, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(o, (uint64_t)v);
}

/* Hex digits of v without leading zeros ("0" for 0): BigInt/Number#toString(16). */
static uint8_t *put_hexdigits(uint8_t *o, uint64_t v)
{
	int shift = 60;

	while (shift > 0 && !((v >> shift) & 15))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*o++ = (uint8_t)HEX[(v >> shift) & 15];
	return o;
}

/* "0x<hex>" with the quotes. */
static uint8_t *put_hex_str(uint8_t *o, uint64_t v)
{
	o = PUT_LIT(o, "\"0x");
	o = put_hexdigits(o, v);
	*o++ = '"';
	return o;
}

static uint8_t *put_2(uint8_t *o, unsigned v)
{
	*o++ = (uint8_t)('0' + v / 10);
	*o++ = (uint8_t)('0' + v % 10);
	return o;
}

/*
 * Date#toISOString of ms since the epoch: "YYYY-MM-DDTHH:mm:ss.sssZ".  A
 * 64-bit nanosecond time is at most year 2554, so the year always has four
 * digits (no +YYYYYY form).  Civil date from days: H. Hinnant's algorithm.
 */
static uint8_t *put_iso(uint8_t *o, uint64_t ms)
{
	uint64_t days = ms / 86400000u;
	uint32_t rem = (uint32_t)(ms % 86400000u);
	uint64_t z = days + 719468;
	uint64_t era = z / 146097;
	uint32_t doe = (uint32_t)(z - era * 146097);
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t y = yoe + era * 400;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153;
	uint32_t d = doy - (153 * mp + 2) / 5 + 1;
	uint32_t m = mp < 10 ? mp + 3 : mp - 9;
	uint32_t msec = rem % 1000, sec = rem / 1000;

	if (m <= 2)
		y++;
	*o++ = '"';
	o = put_2(o, (unsigned)(y / 100));
	o = put_2(o, (unsigned)(y % 100));
	*o++ = '-';
	o = put_2(o, m);
	*o++ = '-';
	o = put_2(o, d);
	*o++ = 'T';
	o = put_2(o, sec / 3600);
	*o++ = ':';
	o = put_2(o, sec / 60 % 60);
	*o++ = ':';
	o = put_2(o, sec % 60);
	*o++ = '.';
	*o++ = (uint8_t)('0' + msec / 100);
	o = put_2(o, msec % 100);
	o = PUT_LIT(o, "Z\"");
	return o;
}

/* ---- protobuf varints (fast-decode.ts readVarint) ---- */

/* Next varint of b[*pos, end) into *v; -1 when truncated or longer than 64 bits. */
static int varint(const uint8_t *b, size_t *pos, size_t end, uint64_t *v)
{
	uint64_t x = 0;
	size_t p = *pos;
	int i;

	for (i = 0; i < 10; i++) {
		uint8_t byte;

		if (p >= end)
			return -1;
		byte = b[p++];
		if (i == 9 && byte > 1)
			return -1; /* the tenth byte may carry only bit 63 */
		x |= (uint64_t)(byte & 0x7f) << (7 * i);
		if (byte < 0x80) {
			*pos = p;
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* ---- one record ---- */

/*
 * Field numbers from schema.h; the name tables are src/events/schema.ts's
 * ACTIONS, OUTCOMES and MODES (test/schema.test.ts checks they are equal).
 */
enum {
	F_TIME = SIGSYS_VIOLATION_TIME_NS, F_PID = SIGSYS_VIOLATION_PID, F_TID = SIGSYS_VIOLATION_TID,
	F_NR = SIGSYS_VIOLATION_NR, F_ARCH = SIGSYS_VIOLATION_ARCH, F_ARGS = SIGSYS_VIOLATION_ARGS,
	F_IP = SIGSYS_VIOLATION_IP, F_ACTION = SIGSYS_VIOLATION_ACTION, F_OUTCOME = SIGSYS_VIOLATION_OUTCOME,
	F_ERRNO = SIGSYS_VIOLATION_ERRNO_RET, F_RET = SIGSYS_VIOLATION_RET, F_MODE = SIGSYS_VIOLATION_MODE,
	F_REPEAT = SIGSYS_VIOLATION_REPEAT,
};
static const char *const ACTIONS[] = { "unknown", "kill_process", "kill_thread", "trap", "errno",
				       "trace", "log", "user_notif", "allow" };
static const char *const OUTCOMES[] = { "unknown", "denied", "allowed", "killed" };
static const char *const MODES[] = { "unknown", "enforce", "audit" };
#define N_ACTIONS 9
#define N_OUTCOMES 4
#define N_MODES 3
#define MAX_SAFE 9007199254740991ull

struct rec {
	uint64_t time, ip, ret, repeat;
	uint64_t args[6];
	uint32_t pid, tid, arch, nargs;
	int32_t nr, action, outcome, errno_ret, mode;
	int has_ret;
};

/* fast-decode.ts enrich(), the parsing half: 0, or -1 for "the general path decides". */
static int parse(const uint8_t *b, size_t pos, size_t end, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	while (pos < end) {
		uint64_t key, v;
		uint32_t field, wt;

		if (varint(b, &pos, end, &key) || key > 0xffffffffu)
			return -1;
		field = (uint32_t)key >> 3;
		wt = (uint32_t)key & 7;
		if (field == F_ARGS && wt == 2) {
			uint64_t len;
			size_t stop;

			if (varint(b, &pos, end, &len) || len > 0xffffffffu || len > end - pos)
				return -1;
			stop = pos + (size_t)len;
			while (pos < stop) {
				if (varint(b, &pos, stop, &v))
					return -1;
				if (r->nargs < 6)
					r->args[r->nargs] = v;
				r->nargs++;
			}
			continue;
		}
		/* The [handler] fields are 1..13 (F_TIME..F_MODE) and 36. */
		if (wt != 0 || ((field < F_TIME || field > F_MODE) && field != F_REPEAT))
			return -1;
		if (varint(b, &pos, end, &v))
			return -1;
		switch (field) {
		case F_TIME: r->time = v; break;
		case F_PID: r->pid = (uint32_t)v; break;
		case F_TID: r->tid = (uint32_t)v; break;
		case F_NR: r->nr = (int32_t)(uint32_t)v; break;
		case F_ARCH: r->arch = (uint32_t)v; break;
		case F_ARGS:
			if (r->nargs < 6)
				r->args[r->nargs] = v;
			r->nargs++;
			break;
		case F_IP: r->ip = v; break;
		case F_ACTION: r->action = (int32_t)(uint32_t)v; break;
		case F_OUTCOME: r->outcome = (int32_t)(uint32_t)v; break;
		case F_ERRNO: r->errno_ret = (int32_t)(uint32_t)v; break;
		case F_RET: r->ret = v; r->has_ret = 1; break;
		case F_MODE: r->mode = (int32_t)(uint32_t)v; break;
		case F_REPEAT: r->repeat = v; break;
		default: break; /* seq: the ring ticket is the event's seq */
		}
	}
	return r->nargs > 6 ? -1 : 0;
}

/* enrich.ts mappingIndex: the same binary search, so overlapping (hostile) maps resolve alike. */
static const struct nj_map *mapping(const struct nj_ring *ring, uint64_t ip)
{
	int64_t lo = 0, hi = (int64_t)ring->n_maps - 1;

	while (lo <= hi) {
		int64_t mid = (lo + hi) >> 1;
		const struct nj_map *m = &ring->maps[mid];

		if (ip < m->start)
			hi = mid - 1;
		else if (ip >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

static size_t record_bound(const struct nj_ring *ring, uint32_t name_len, uint32_t prefix_len)
{
	/* Keys and punctuation ~230 bytes, numbers: time 26 + 22, seq 16, pid and tid 10 each,
	 * args 6 x 21, ip 21, offset 17, errno 11, mode 9, ret 22, repeat 16: under 600. */
	return 640u + ring->seg_ring_len + ring->seg_comm_len + ring->seg_tail_len + ring->forged_pid_len + name_len +
	       prefix_len;
}

size_t nj_batch_bound(const struct nj_ring *ring, const struct nj_names *names, uint32_t n)
{
	uint32_t i, prefix = 0;

	for (i = 0; i < ring->n_maps; i++)
		if (ring->maps[i].prefix_len > prefix)
			prefix = ring->maps[i].prefix_len;
	return (size_t)n * record_bound(ring, names->max_len, prefix);
}

static uint8_t *line(const struct nj_ring *ring, const struct nj_name *name, const struct rec *r, uint64_t seq,
		     uint64_t calls_repeat, uint8_t *o)
{
	const struct nj_map *m;
	int mode = r->mode >= 0 && r->mode < N_MODES && r->mode != 0 ? r->mode : ring->mode;
	const char *s;
	uint32_t i;

	o = PUT_LIT(o, "{\"time\":");
	o = put_iso(o, r->time / 1000000u);
	o = PUT_LIT(o, ",\"timeNs\":\"");
	o = put_u64(o, r->time);
	*o++ = '"';
	o = put(o, ring->seg_ring, ring->seg_ring_len);
	o = put_u64(o, seq);
	o = PUT_LIT(o, ",\"pid\":");
	if (ring->forged_pid) {
		o = put(o, ring->forged_pid, ring->forged_pid_len);
		o = PUT_LIT(o, ",\"tid\":0");
	} else {
		o = put_u64(o, r->pid);
		o = PUT_LIT(o, ",\"tid\":");
		o = put_u64(o, r->tid);
	}
	o = put(o, ring->seg_comm, ring->seg_comm_len);
	o = put(o, name->text, name->len);
	for (i = 0; i < 6; i++) {
		if (i)
			*o++ = ',';
		o = put_hex_str(o, i < r->nargs ? r->args[i] : 0);
	}
	o = PUT_LIT(o, "],\"ip\":");
	o = put_hex_str(o, r->ip);
	o = PUT_LIT(o, ",\"callSite\":");
	m = mapping(ring, r->ip);
	if (m) {
		o = put(o, m->prefix, m->prefix_len);
		o = put_hexdigits(o, r->ip - m->start + m->offset); /* no overflow: checked when the maps came in */
		*o++ = '"';
	} else {
		o = put_hex_str(o, r->ip);
	}
	o = PUT_LIT(o, ",\"action\":\"");
	s = ACTIONS[r->action >= 0 && r->action < N_ACTIONS ? r->action : 0];
	o = put(o, s, strlen(s));
	o = PUT_LIT(o, "\",\"outcome\":\"");
	s = OUTCOMES[r->outcome >= 0 && r->outcome < N_OUTCOMES ? r->outcome : 0];
	o = put(o, s, strlen(s));
	o = PUT_LIT(o, "\",\"errno\":");
	o = put_i64(o, r->errno_ret);
	o = PUT_LIT(o, ",\"mode\":\"");
	s = MODES[mode];
	o = put(o, s, strlen(s));
	*o++ = '"';
	o = put(o, ring->seg_tail, ring->seg_tail_len);
	if (mode == 2) {
		/* sint64, zigzag; absent: 0 */
		int64_t ret = r->has_ret ? (int64_t)(r->ret >> 1) ^ -(int64_t)(r->ret & 1) : 0;

		o = PUT_LIT(o, ",\"ret\":\"");
		o = put_i64(o, ret);
		*o++ = '"';
	}
	if (calls_repeat) {
		o = PUT_LIT(o, ",\"repeat\":");
		o = put_u64(o, calls_repeat);
	}
	return PUT_LIT(o, "}\n");
}

/*
 * The tally entry of this label set, appended when new; NULL when the tally
 * is full.  A batch can hold hundreds of label sets (one per syscall): found
 * through a small open-addressing index of entry numbers + 1, reset per batch.
 */
#define TALLY_SLOTS 1024u /* > 2 * NJ_TALLY_MAX: probes stay short */

struct tally_index {
	uint16_t slot[TALLY_SLOTS];
};

static struct nj_tally *tally_of(struct nj_batch *b, struct tally_index *ix, const struct rec *r, uint32_t index)
{
	uint32_t action = r->action >= 0 && r->action < N_ACTIONS ? (uint32_t)r->action : 0;
	uint32_t outcome = r->outcome >= 0 && r->outcome < N_OUTCOMES ? (uint32_t)r->outcome : 0;
	uint64_t h = (((uint64_t)r->arch << 32) | (uint32_t)r->nr) * 0x9e3779b97f4a7c15ull;
	uint32_t i = (uint32_t)((h ^ (action * 0x85ebca6bu) ^ (outcome * 0xc2b2ae35u)) >> 54) & (TALLY_SLOTS - 1);
	struct nj_tally *t;

	for (; ix->slot[i]; i = (i + 1) & (TALLY_SLOTS - 1)) {
		t = &b->tally[ix->slot[i] - 1];
		if (t->nr == r->nr && t->arch == r->arch && t->action == action && t->outcome == outcome)
			return t;
	}
	if (b->n_tally >= NJ_TALLY_MAX)
		return NULL;
	ix->slot[i] = (uint16_t)(b->n_tally + 1);
	t = &b->tally[b->n_tally++];
	t->arch = r->arch;
	t->nr = r->nr;
	t->action = action;
	t->outcome = outcome;
	t->calls = 0;
	t->first = index;
	return t;
}

/* Note a syscall without a name (once per batch). */
static void missing(struct nj_batch *b, const struct rec *r)
{
	uint32_t i;

	for (i = 0; i < b->n_missing; i++)
		if (b->missing_arch[i] == r->arch && b->missing_nr[i] == r->nr)
			return;
	if (b->n_missing < NJ_MISSING_MAX) {
		b->missing_arch[b->n_missing] = r->arch;
		b->missing_nr[b->n_missing++] = r->nr;
	}
}

int nj_encode_batch(const struct nj_ring *ring, const struct nj_names *names, struct nj_batch *b)
{
	uint32_t i, prefix = 0;
	size_t start = 0, bound;
	uint8_t *o = b->out;
	struct tally_index ix;

	for (i = 0; i < ring->n_maps; i++)
		if (ring->maps[i].prefix_len > prefix)
			prefix = ring->maps[i].prefix_len;
	bound = record_bound(ring, names->max_len, prefix);
	memset(&ix, 0, sizeof(ix));
	b->out_len = 0;
	b->n_fallback = 0;
	b->n_tally = 0;
	b->n_missing = 0;
	for (i = 0; i < b->n; start = b->ends[i++]) {
		struct rec r;
		const struct nj_name *name;
		struct nj_tally *t;
		uint64_t seq, repeat;
		double calls;

		if (b->ends[i] < start)
			return -EINVAL;
		if ((size_t)(o - b->out) + bound > b->out_cap)
			return -EINVAL;
		name = NULL;
		t = NULL;
		if (!parse(b->data, start, b->ends[i], &r)) {
			name = names_get(names, r.arch, r.nr);
			if (name)
				t = tally_of(b, &ix, &r, i);
			else
				missing(b, &r);
		}
		if (!t) {
			b->fallback[b->n_fallback] = i;
			b->fallback_at[b->n_fallback++] = (uint32_t)(o - b->out);
			continue;
		}
		/* Tickets are below 2^53 (the addon refuses a head beyond); a double is exact. */
		seq = b->seqs[i] >= 0 ? (uint64_t)b->seqs[i] : 0;
		repeat = r.repeat > MAX_SAFE ? MAX_SAFE : r.repeat;
		/* eventCalls(): repeat of a count record, else 1; summed as JS does (doubles, record order) */
		calls = repeat ? (double)repeat : 1.0;
		t->calls += calls;
		o = line(ring, name, &r, seq, repeat, o);
	}
	b->out_len = (size_t)(o - b->out);
	return 0;
}
