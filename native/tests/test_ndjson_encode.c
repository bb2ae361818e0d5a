/*
 * test_ndjson_encode.c - the collector's C line encoder
 * (native/src/ndjson_encode.c) on its own, built with ASan/UBSan: records
 * written by the handler's encoder (encode.c) become exactly the expected
 * lines (time, 64-bit hex, zigzag ret, repeat, call sites, forged rings);
 * the tally sums calls by label set in first-seen order; records it must
 * not write (unknown field, bad varint, seven args, no syscall name, full
 * tally) are listed for the caller at the right offsets; random and
 * mutated records in buffers of exactly their size are never read past and
 * never write past the bound.  That its lines equal the TypeScript path's
 * is test/collector-batch-encode.test.ts.
 *
 * Usage: test_ndjson_encode [case-number]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "ndjson_encode.h"

#include "check.h"

#define AUDIT_X86_64 0xc000003eu

static const char SEG_RING[] = ",\"host\":\"h\",\"bootId\":\"b\",\"ringPid\":9,\"ringStartNs\":\"5\",\"seq\":";
static const char SEG_COMM[] = ",\"comm\":\"x\",\"exe\":\"/bin/x\",\"syscall\":";
static const char SEG_TAIL[] = ",\"containerId\":\"\",\"pod\":\"\",\"namespace\":\"\",\"workload\":\"/bin/x\","
			       "\"policyHash\":\"\",\"identity\":\"verified\",\"writerUid\":0,\"source\":\"handler\"";
static const char PREFIX[] = "\"x+0x";

static struct nj_map maps[] = {
	{ 0x400000, 0x500000, 0x1000, PREFIX, sizeof(PREFIX) - 1 },
};

static struct nj_ring ring_of(int mode, const char *forged_pid)
{
	struct nj_ring r = {
		SEG_RING, sizeof(SEG_RING) - 1, SEG_COMM, sizeof(SEG_COMM) - 1, SEG_TAIL, sizeof(SEG_TAIL) - 1,
		forged_pid, forged_pid ? (uint32_t)strlen(forged_pid) : 0, mode, maps, 1,
	};
	return r;
}

static struct nj_names *names_with(int32_t from, int32_t to)
{
	struct nj_names *n = nj_names_new();
	int32_t nr;

	for (nr = from; n && nr < to; nr++) {
		char t[64];
		int len = snprintf(t, sizeof(t), "\"s%d\",\"nr\":%d,\"arch\":\"x86_64\",\"args\":[", nr, nr);

		if (nj_names_set(n, AUDIT_X86_64, nr, t, (uint32_t)len)) {
			nj_names_free(n);
			return NULL;
		}
	}
	return n;
}

/* A batch of records, each in the data buffer back to back. */
#define RECS_MAX 1024

struct recs {
	uint8_t data[RECS_MAX * SIGSYS_VIOLATION_MAX];
	uint32_t ends[RECS_MAX];
	double seqs[RECS_MAX];
	uint32_t n;
	size_t len;
};

static struct recs *recs_new(void)
{
	struct recs *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	return r;
}

static void add_violation(struct recs *r, const struct sigsys_violation *v)
{
	int n = sigsys_encode_violation(v, r->data + r->len, sizeof(r->data) - r->len);

	if (n < 0)
		abort();
	r->len += (size_t)n;
	r->ends[r->n] = (uint32_t)r->len;
	r->seqs[r->n] = 100 + r->n;
	r->n++;
}

static void add_bytes(struct recs *r, const uint8_t *b, size_t n)
{
	memcpy(r->data + r->len, b, n);
	r->len += n;
	r->ends[r->n] = (uint32_t)r->len;
	r->seqs[r->n] = 100 + r->n;
	r->n++;
}

struct run {
	uint8_t *out;
	uint32_t fallback[RECS_MAX], fallback_at[RECS_MAX];
	struct nj_tally tally[NJ_TALLY_MAX];
	struct nj_batch b;
	int rc;
};

/* Encode into an output allocation of exactly the bound (ASan sees any write past it). */
static void encode(struct run *x, const struct nj_ring *ring, const struct nj_names *names, const struct recs *r)
{
	size_t cap = nj_batch_bound(ring, names, r->n);

	memset(&x->b, 0, sizeof(x->b));
	x->out = malloc(cap ? cap : 1);
	x->b.data = r->data;
	x->b.ends = r->ends;
	x->b.seqs = r->seqs;
	x->b.n = r->n;
	x->b.out = x->out;
	x->b.out_cap = cap;
	x->b.fallback = x->fallback;
	x->b.fallback_at = x->fallback_at;
	x->b.tally = x->tally;
	x->rc = nj_encode_batch(ring, names, &x->b);
}

static int line_is(const struct run *x, const char *want)
{
	size_t n = strlen(want);

	if (x->b.out_len != n || memcmp(x->out, want, n) != 0) {
		fprintf(stderr, "  got:  %.*s\n  want: %s\n", (int)x->b.out_len, (const char *)x->out, want);
		return 0;
	}
	return 1;
}

static int starts(const struct run *x, const char *p)
{
	return x->b.out_len >= strlen(p) && memcmp(x->out, p, strlen(p)) == 0;
}

static int ends_with(const struct run *x, const char *p)
{
	size_t n = strlen(p);

	return x->b.out_len >= n && memcmp(x->out + x->b.out_len - n, p, n) == 0;
}

static const struct sigsys_violation base = {
	.time_ns = 1796223047000000007ull, .pid = 77, .tid = 78, .nr = 2, .arch = AUDIT_X86_64,
	.args = { 0, 1, 0xffffffffffffffffull, 0x100000000ull, 0xfff, 7 }, .ip = 0x400abc,
	.action = 4, .outcome = 1, .errno_ret = 13, .mode = 1,
};

#define TAIL_ENFORCE "\"errno\":13,\"mode\":\"enforce\"" SEG_TAIL_TEXT
#define SEG_TAIL_TEXT                                                                                     \
	",\"containerId\":\"\",\"pod\":\"\",\"namespace\":\"\",\"workload\":\"/bin/x\",\"policyHash\":\"\"," \
	"\"identity\":\"verified\",\"writerUid\":0,\"source\":\"handler\""

static void test_line(void)
{
	struct nj_names *names = names_with(0, 8);
	struct nj_ring ring = ring_of(1, NULL);
	struct recs *r = recs_new();
	static struct run x;
	int ok;

	add_violation(r, &base);
	encode(&x, &ring, names, r);
	ok = x.rc == 0 && x.b.n_fallback == 0 &&
	     line_is(&x, "{\"time\":\"2026-12-02T14:50:47.000Z\",\"timeNs\":\"1796223047000000007\","
			 "\"host\":\"h\",\"bootId\":\"b\",\"ringPid\":9,\"ringStartNs\":\"5\",\"seq\":100,\"pid\":77,\"tid\":78,"
			 "\"comm\":\"x\",\"exe\":\"/bin/x\",\"syscall\":\"s2\",\"nr\":2,\"arch\":\"x86_64\","
			 "\"args\":[\"0x0\",\"0x1\",\"0xffffffffffffffff\",\"0x100000000\",\"0xfff\",\"0x7\"],"
			 "\"ip\":\"0x400abc\",\"callSite\":\"x+0x1abc\",\"action\":\"errno\",\"outcome\":\"denied\"," TAIL_ENFORCE
			 "}\n");
	free(x.out);
	free(r);
	nj_names_free(names);
	CHECK(ok, "one enforce record");
}

static void test_audit_forged_repeat(void)
{
	struct nj_names *names = names_with(0, 8);
	struct nj_ring ring = ring_of(2, "4242"); /* audit ring, forged */
	struct sigsys_violation v = base;
	struct recs *r = recs_new();
	static struct run x;
	int ok;

	v.mode = 0; /* unspecified: the ring's mode (audit) */
	v.ret = -38;
	v.repeat = 12345;
	v.ip = 0x7f0000000000ull; /* outside every mapping */
	v.time_ns = 999999999;    /* below one second */
	v.errno_ret = -5;
	add_violation(r, &v);
	encode(&x, &ring, names, r);
	ok = x.rc == 0 &&
	     line_is(&x, "{\"time\":\"1970-01-01T00:00:00.999Z\",\"timeNs\":\"999999999\","
			 "\"host\":\"h\",\"bootId\":\"b\",\"ringPid\":9,\"ringStartNs\":\"5\",\"seq\":100,\"pid\":4242,\"tid\":0,"
			 "\"comm\":\"x\",\"exe\":\"/bin/x\",\"syscall\":\"s2\",\"nr\":2,\"arch\":\"x86_64\","
			 "\"args\":[\"0x0\",\"0x1\",\"0xffffffffffffffff\",\"0x100000000\",\"0xfff\",\"0x7\"],"
			 "\"ip\":\"0x7f0000000000\",\"callSite\":\"0x7f0000000000\",\"action\":\"errno\",\"outcome\":\"denied\","
			 "\"errno\":-5,\"mode\":\"audit\"" SEG_TAIL_TEXT ",\"ret\":\"-38\",\"repeat\":12345}\n") &&
	     x.b.n_tally == 1 && x.tally[0].calls == 12345.0;
	free(x.out);
	free(r);
	nj_names_free(names);
	CHECK(ok, "audit, forged, count record");
}

static void test_largest_time_and_repeat(void)
{
	struct nj_names *names = names_with(0, 8);
	struct nj_ring ring = ring_of(1, NULL);
	struct sigsys_violation v = base;
	struct recs *r = recs_new();
	static struct run x;
	int ok;

	v.time_ns = UINT64_MAX;
	v.repeat = UINT64_MAX; /* clamped to 2^53 - 1, like the TypeScript path */
	add_violation(r, &v);
	encode(&x, &ring, names, r);
	ok = x.rc == 0 && starts(&x, "{\"time\":\"2554-07-21T23:34:33.709Z\",\"timeNs\":\"18446744073709551615\"") &&
	     ends_with(&x, ",\"repeat\":9007199254740991}\n");
	if (!ok)
		fprintf(stderr, "  got: %.*s\n", (int)x.b.out_len, (const char *)x.out);
	free(x.out);
	free(r);
	nj_names_free(names);
	CHECK(ok, "largest time and repeat");
}

static void test_tally(void)
{
	struct nj_names *names = names_with(0, 8);
	struct nj_ring ring = ring_of(1, NULL);
	struct recs *r = recs_new();
	static struct run x;
	struct sigsys_violation v = base;
	int ok;

	/* nr 2, 3, 2 (count 5), 3 with action 99 (unknown -> 0), 2 */
	add_violation(r, &v);
	v.nr = 3;
	add_violation(r, &v);
	v.nr = 2;
	v.repeat = 5;
	add_violation(r, &v);
	v.nr = 3;
	v.repeat = 0;
	v.action = 99;
	add_violation(r, &v);
	v.nr = 2;
	v.action = 4;
	add_violation(r, &v);
	encode(&x, &ring, names, r);
	ok = x.rc == 0 && x.b.n_tally == 3 && x.tally[0].nr == 2 && x.tally[0].calls == 7.0 && x.tally[0].first == 0 &&
	     x.tally[1].nr == 3 && x.tally[1].action == 4 && x.tally[1].calls == 1.0 && x.tally[1].first == 1 &&
	     x.tally[2].nr == 3 && x.tally[2].action == 0 && x.tally[2].calls == 1.0 && x.tally[2].first == 3;
	free(x.out);
	free(r);
	nj_names_free(names);
	CHECK(ok, "tally by label set, first-seen order");
}

static void test_fallbacks(void)
{
	struct nj_names *names = names_with(0, 8);
	struct nj_ring ring = ring_of(1, NULL);
	struct recs *r = recs_new();
	static struct run x;
	struct sigsys_violation v = base;
	/* field 20 (syscall, a [collector] field): the general path decides */
	static const uint8_t foreign[] = { 0x08, 0x01, 0xa2, 0x01, 0x01, 'x' };
	/* a varint that never ends */
	static const uint8_t cut[] = { 0x08, 0xff, 0xff };
	/* seven args, unpacked */
	static const uint8_t seven[] = { 0x38, 1, 0x38, 2, 0x38, 3, 0x38, 4, 0x38, 5, 0x38, 6, 0x38, 7 };
	size_t one;
	int ok;

	add_violation(r, &v); /* 0: native */
	add_bytes(r, foreign, sizeof(foreign));
	add_bytes(r, cut, sizeof(cut));
	add_bytes(r, seven, sizeof(seven));
	v.nr = 300; /* 4: no name */
	add_violation(r, &v);
	v.nr = 2; /* 5: native */
	add_violation(r, &v);
	encode(&x, &ring, names, r);
	one = x.b.out_len / 2;
	ok = x.rc == 0 && x.b.n_fallback == 4 && x.fallback[0] == 1 && x.fallback[1] == 2 && x.fallback[2] == 3 &&
	     x.fallback[3] == 4 && x.fallback_at[0] == one && x.fallback_at[3] == one && x.b.n_missing == 1 &&
	     x.b.missing_nr[0] == 300 && x.b.n_tally == 1 && x.tally[0].calls == 2.0;
	free(x.out);
	free(r);
	nj_names_free(names);
	CHECK(ok, "records left to the caller, in place");
}

static void test_short_output_refused(void)
{
	struct nj_names *names = names_with(0, 8);
	struct nj_ring ring = ring_of(1, NULL);
	struct recs *r = recs_new();
	static struct run x;
	uint8_t small[64];
	int ok;

	add_violation(r, &base);
	encode(&x, &ring, names, r);
	free(x.out);
	x.b.out = small;
	x.b.out_cap = sizeof(small);
	ok = nj_encode_batch(&ring, names, &x.b) == -EINVAL;
	free(r);
	nj_names_free(names);
	CHECK(ok, "an output shorter than the bound is refused, not overrun");
}

static void test_tally_full(void)
{
	struct nj_names *names = names_with(0, 600);
	struct nj_ring ring = ring_of(1, NULL);
	struct recs *r = recs_new();
	static struct run x;
	struct sigsys_violation v = base;
	int ok;
	uint32_t i;

	/* 600 syscalls in one batch: the first NJ_TALLY_MAX label sets are tallied, the rest left to the caller. */
	for (i = 0; i < 600; i++) {
		v.nr = (int32_t)i;
		add_violation(r, &v);
	}
	encode(&x, &ring, names, r);
	ok = x.rc == 0 && x.b.n_tally == NJ_TALLY_MAX && x.b.n_fallback == 600 - NJ_TALLY_MAX &&
	     x.fallback[0] == NJ_TALLY_MAX && x.fallback_at[0] == x.b.out_len;
	free(x.out);
	free(r);
	nj_names_free(names);
	CHECK(ok, "a full tally leaves the records with new label sets to the caller");
}

/* Random bytes and mutated records: never past the input, never past the bound. */
static void test_random(void)
{
	struct nj_names *names = names_with(0, 8);
	struct nj_ring ring = ring_of(2, NULL);
	uint32_t state = 12345, i;
	int bad = 0;

	for (i = 0; i < 20000 && !bad; i++) {
		struct sigsys_violation v = base;
		uint8_t rec[SIGSYS_VIOLATION_MAX];
		uint32_t end, fb, fb_at;
		double seq = 1;
		struct nj_tally tally[NJ_TALLY_MAX];
		struct nj_batch b;
		uint8_t *exact;
		size_t cap;
		int n, k;

		state = state * 1103515245u + 12345u;
		v.nr = (int32_t)(state >> 28);
		v.ret = (int64_t)state << 20;
		v.repeat = state & 1 ? state : 0;
		n = sigsys_encode_violation(&v, rec, sizeof(rec));
		for (k = 0; k <= (int)(state >> 29); k++) {
			state = state * 1103515245u + 12345u;
			rec[(state >> 8) % (uint32_t)n] = (uint8_t)(state >> 16);
		}
		state = state * 1103515245u + 12345u;
		if (state & 0x100)
			n = (int)((state >> 9) % (uint32_t)(n + 1)); /* truncated */
		/* The record alone in an allocation of its size, the output exactly the bound. */
		exact = malloc(n ? (size_t)n : 1);
		memcpy(exact, rec, (size_t)n);
		end = (uint32_t)n;
		cap = nj_batch_bound(&ring, names, 1);
		memset(&b, 0, sizeof(b));
		b.data = exact;
		b.ends = &end;
		b.seqs = &seq;
		b.n = 1;
		b.out = malloc(cap);
		b.out_cap = cap;
		b.fallback = &fb;
		b.fallback_at = &fb_at;
		b.tally = tally;
		if (nj_encode_batch(&ring, names, &b) != 0 || b.n_fallback + b.n_tally != 1 ||
		    (b.n_tally && (b.out_len < 2 || b.out[b.out_len - 1] != '\n')))
			bad = 1;
		free(b.out);
		free(exact);
	}
	nj_names_free(names);
	CHECK(!bad, "record %u: each record is written as one line or left to the caller", i);
}

static void test_names_table(void)
{
	struct nj_names *names = nj_names_new();
	int32_t nr;
	int ok = names != NULL;

	/* More than the table keeps: it is emptied and refilled, never overflows. */
	for (nr = 0; ok && nr < 10000; nr++)
		ok = nj_names_set(names, AUDIT_X86_64, nr, "\"n\",\"args\":[", 12) == 0;
	/* The same key again replaces the text. */
	ok = ok && nj_names_set(names, AUDIT_X86_64, 9999, "\"m\",\"args\":[", 12) == 0;
	nj_names_free(names);
	CHECK(ok, "names table fills, empties and replaces");
}

static const struct check_case cases[] = {
	{ 1, "enforce record to its exact line", test_line },
	{ 2, "audit ring, forged pid, count record, address outside the maps", test_audit_forged_repeat },
	{ 3, "largest time and repeat", test_largest_time_and_repeat },
	{ 4, "tally by label set in first-seen order", test_tally },
	{ 5, "records it cannot write are left to the caller in place", test_fallbacks },
	{ 6, "output shorter than the bound refused", test_short_output_refused },
	{ 7, "a full tally leaves new label sets to the caller", test_tally_full },
	{ 8, "random and mutated records stay in bounds", test_random },
	{ 9, "names table", test_names_table },
};

int main(int argc, char **argv)
{
	return check_run(cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? atoi(argv[1]) : 0);
}
