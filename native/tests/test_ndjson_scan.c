/*
 * test_ndjson_scan.c - the report's C line scanner (native/src/ndjson_scan.c)
 * on its own, built with ASan/UBSan: a line of sigsys's shape is read into
 * the right ids and numbers; every cut of it and every byte of it replaced
 * by a byte that breaks it, in buffers allocated to the exact size, is not
 * matched and never read past (the scanner loads 16 bytes at a time); the
 * interner gives one id per distinct string across its growth; the tuple
 * ids (the fields a line is keyed by) change exactly when one of their
 * fields does, across the tables' growth.  That the
 * fields equal what JSON.parse gives is test/report-fast-line.test.ts.
 *
 * Usage: test_ndjson_scan [case-number]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson_scan.h"

#include "check.h"

static const char good[] =
	"{\"time\":\"2026-12-01T10:00:00.000Z\",\"timeNs\":\"1796119200123456789\",\"host\":\"node-a\","
	"\"bootId\":\"0b6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3\",\"ringPid\":100,\"ringStartNs\":\"1796119200000000000\","
	"\"seq\":42,\"pid\":101,\"tid\":102,\"comm\":\"server\",\"exe\":\"/app/server\",\"syscall\":\"openat\","
	"\"nr\":257,\"arch\":\"x86_64\",\"args\":[\"0x0\",\"0x1\"],\"ip\":\"0x7f0000001000\",\"callSite\":\"server+0x4a10\","
	"\"action\":\"errno\",\"outcome\":\"denied\",\"errno\":13,\"mode\":\"enforce\",\"containerId\":\"\",\"pod\":\"api\","
	"\"namespace\":\"shop\",\"workload\":\"shop/api\",\"policyHash\":\"0123456789abcdef0123456789abcdef\","
	"\"identity\":\"verified\",\"writerUid\":0,\"source\":\"handler\",\"repeat\":7}";

#define CAP 4
static int32_t end[CAP];
static uint8_t ok[CAP];
static int32_t str[CAP * NS_SLOTS];
static double num[CAP * NS_NUMS];
static int32_t tup[CAP * NS_TUPS];
static struct ns_cols cols = { end, ok, str, num, CAP, tup };

/* Scan `n` bytes copied into an allocation of exactly n (ASan sees any read past it). */
static long scan_exact(struct ns_interner *in, const char *bytes, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	long r;

	memcpy(b, bytes, n);
	r = ns_scan(in, b, n, 0, &cols);
	free(b);
	return r;
}

static int variant(char *out, size_t size, const char *from, const char *to);

static int is(struct ns_interner *in, int32_t id, const char *want)
{
	size_t len;
	const uint8_t *p;

	if (id < 0 || (uint32_t)id >= ns_interner_count(in))
		return 0;
	p = ns_interner_get(in, (uint32_t)id, &len);
	return len == strlen(want) && memcmp(p, want, len) == 0;
}

static void test_fields(void)
{
	struct ns_interner *in = ns_interner_new();
	char line[sizeof good + 1];

	memcpy(line, good, sizeof good - 1);
	line[sizeof good - 1] = '\n';
	CHECK(scan_exact(in, line, sizeof good) == 1, "one line");
	CHECK(ok[0] == 1, "matched");
	CHECK(end[0] == (int32_t)sizeof good - 1, "end at the newline");
	CHECK(is(in, str[NS_HOST], "node-a") && is(in, str[NS_SYSCALL], "openat") &&
		      is(in, str[NS_CALL_SITE], "server+0x4a10") && is(in, str[NS_WORKLOAD], "shop/api") &&
		      is(in, str[NS_IDENTITY], "verified") && is(in, str[NS_POLICY_HASH], "0123456789abcdef0123456789abcdef"),
	      "strings");
	CHECK(num[NS_MS] == 1796119200123.0 && num[NS_RING_PID] == 100 && num[NS_SEQ] == 42 && num[NS_PID] == 101 &&
		      num[NS_ERRNO] == 13 && num[NS_CALLS] == 7,
	      "numbers");
	ns_interner_free(in);
}

static void test_cuts(void)
{
	struct ns_interner *in = ns_interner_new();
	char line[sizeof good + 1];
	size_t k;

	/* Every prefix of the line, then its newline: never matched (only the whole line is), never read past. */
	for (k = 0; k < sizeof good - 1; k++) {
		memcpy(line, good, k);
		line[k] = '\n';
		CHECK(scan_exact(in, line, k + 1) == 1, "cut at %zu: one line", k);
		CHECK(ok[0] == 0, "cut at %zu: not matched", k);
	}
	/* No newline at all: no line. */
	CHECK(scan_exact(in, good, sizeof good - 1) == 0, "no newline, no line");
	ns_interner_free(in);
}

static void test_bad_bytes(void)
{
	static const uint8_t bad[] = { 0x00, 0x09, 0x1f, '\\', 0x80, 0xff };
	struct ns_interner *in = ns_interner_new();
	char line[sizeof good + 1];
	size_t k, j;

	/* Any of these bytes anywhere (in a key, a value, between them) makes the line invalid JSON or not the shape. */
	for (k = 0; k < sizeof good - 1; k++) {
		for (j = 0; j < sizeof bad; j++) {
			memcpy(line, good, sizeof good - 1);
			line[k] = (char)bad[j];
			line[sizeof good - 1] = '\n';
			CHECK(scan_exact(in, line, sizeof good) == 1, "byte %zu = 0x%02x: one line", k, bad[j]);
			CHECK(ok[0] == 0, "byte %zu = 0x%02x: not matched", k, bad[j]);
		}
	}
	ns_interner_free(in);
}

static void test_interner(void)
{
	struct ns_interner *in = ns_interner_new();
	char line[sizeof good + 64];
	int32_t first[200];
	int i;
	int n;

	/* 200 workloads, each seen twice: 200 ids, the same both times, across the table's growth. */
	for (int round = 0; round < 2; round++) {
		for (i = 0; i < 200; i++) {
			const char *w = strstr(good, "shop/api");

			n = snprintf(line, sizeof line, "%.*sw%d%s\n", (int)(w - good), good, i, w + strlen("shop/api"));
			CHECK(scan_exact(in, line, (size_t)n) == 1 && ok[0] == 1, "workload %d matched", i);
			if (round == 0)
				first[i] = str[NS_WORKLOAD];
			else
				CHECK(str[NS_WORKLOAD] == first[i], "workload %d: same id the second time", i);
		}
	}
	CHECK(ns_interner_count(in) >= 200, "200 distinct workloads");

	/* Strings of every length 0-40 that differ only in length (the hash reads words, the last one
	 * overlapping): each its own id, the same the second time. */
	int32_t by_len[41];
	for (int round = 0; round < 2; round++) {
		for (i = 0; i <= 40; i++) {
			char w[41];

			memset(w, 'a', (size_t)i);
			w[i] = 0;
			n = variant(line, sizeof line, "shop/api", w);
			CHECK(n > 0 && scan_exact(in, line, (size_t)n) == 1 && ok[0] == 1, "workload of %d bytes matched", i);
			CHECK(is(in, str[NS_WORKLOAD], w), "workload of %d bytes read back", i);
			if (round == 0)
				by_len[i] = str[NS_WORKLOAD];
			else
				CHECK(str[NS_WORKLOAD] == by_len[i], "workload of %d bytes: same id the second time", i);
			for (int k = 0; k < i; k++)
				CHECK(by_len[k] != by_len[i], "lengths %d and %d: different ids", k, i);
		}
	}
	ns_interner_free(in);
}

/* `good` with its first `from` replaced by `to`, and a '\n': into out; its length. */
static int variant(char *out, size_t size, const char *from, const char *to)
{
	const char *at = strstr(good, from);

	if (!at)
		return -1;
	return snprintf(out, size, "%.*s%s%s\n", (int)(at - good), good, to, at + strlen(from));
}

static void test_tuples(void)
{
	/* Each variant of the line against the line itself: which of its tuples are new. */
	static const struct {
		const char *scenario, *from, *to;
		int fine, producer, meta;
	} cases[] = {
		{ "another seq, pid and time: the same keys", "\"seq\":42,\"pid\":101", "\"seq\":43,\"pid\":109", 0, 0, 0 },
		{ "another syscall: a new fine tuple", "\"openat\"", "\"mount\"", 1, 0, 0 },
		{ "another errno: a new fine tuple", "\"errno\":13", "\"errno\":1", 1, 0, 0 },
		{ "another exe: a new fine tuple", "\"/app/server\"", "\"/app/other\"", 1, 0, 0 },
		{ "another call site: a new fine tuple", "server+0x4a10", "server+0x4a20", 1, 0, 0 },
		{ "another ring pid: a new producer", "\"ringPid\":100", "\"ringPid\":200", 0, 1, 0 },
		{ "another boot: a new producer", "0b6c1d2e", "1b6c1d2e", 0, 1, 0 },
		{ "no identity: a new producer", "\"identity\":\"verified\",", "", 0, 1, 0 },
		{ "another mode: a new meta tuple", "\"enforce\"", "\"audit\"", 0, 0, 1 },
		{ "another policy hash: a new meta tuple", "0123456789abcdef0123", "f123456789abcdef0123", 0, 0, 1 },
	};
	char line[sizeof good + 64];
	int32_t base[NS_TUPS];
	int n;

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		/* A fresh interner per case: the line's tuples first, then the variant's. */
		struct ns_interner *in = ns_interner_new();

		n = variant(line, sizeof line, "\"seq\"", "\"seq\"");
		CHECK(n > 0 && scan_exact(in, line, (size_t)n) == 1 && ok[0] == 1, "%s: the line matched", cases[c].scenario);
		memcpy(base, tup, sizeof base);
		CHECK(base[NS_TUP_FINE] == 0 && base[NS_TUP_PRODUCER] == 0 && base[NS_TUP_META] == 0, "%s: first ids 0", cases[c].scenario);
		n = variant(line, sizeof line, cases[c].from, cases[c].to);
		CHECK(n > 0 && scan_exact(in, line, (size_t)n) == 1 && ok[0] == 1, "%s: the variant matched", cases[c].scenario);
		CHECK(tup[NS_TUP_FINE] == cases[c].fine && tup[NS_TUP_PRODUCER] == cases[c].producer && tup[NS_TUP_META] == cases[c].meta,
		      "%s: tuple ids %d %d %d, want %d %d %d", cases[c].scenario, tup[NS_TUP_FINE], tup[NS_TUP_PRODUCER], tup[NS_TUP_META],
		      cases[c].fine, cases[c].producer, cases[c].meta);
		CHECK(ns_interner_tuples(in, NS_TUP_FINE) == (uint32_t)(1 + cases[c].fine) &&
			      ns_interner_tuples(in, NS_TUP_PRODUCER) == (uint32_t)(1 + cases[c].producer) &&
			      ns_interner_tuples(in, NS_TUP_META) == (uint32_t)(1 + cases[c].meta),
		      "%s: tuple counts", cases[c].scenario);
		ns_interner_free(in);
	}

	/* 600 call sites x 2 ring pids, twice; each scan two lines, the second of ring 100 (the same line as
	 * the first, or the first with ring 7: the "same as the line before" shortcut and the hash table both
	 * used): 600 fine and 2 producer tuples, each the same id every time. */
	struct ns_interner *in = ns_interner_new();
	int32_t first[600];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 600; i++) {
			char site[32], line2[sizeof good + 64];

			snprintf(site, sizeof site, "server+0x%x", 0x10000 + i);
			n = variant(line, sizeof line, "server+0x4a10", site);
			CHECK(n > 0, "site %d", i);
			/* The same line twice: its second copy takes the shortcut. */
			memcpy(line2, line, (size_t)n + 1);
			for (int k = 0; k < 2; k++) {
				const char *pid = k ? "\"ringPid\":7" : "\"ringPid\":100";
				char *at = strstr(line2, "\"ringPid\":100");
				char both[2 * sizeof line2];
				int m;

				m = snprintf(both, sizeof both, "%.*s%s%s%s", (int)(at - line2), line2, pid, at + strlen("\"ringPid\":100"), line);
				CHECK(m > 0 && (size_t)m < sizeof both, "site %d: line built", i);
				CHECK(scan_exact(in, both, (size_t)m) == 2 && ok[0] == 1 && ok[1] == 1, "site %d ring %d: two lines matched", i, k);
				CHECK(tup[NS_TUP_FINE] == tup[NS_TUPS + NS_TUP_FINE], "site %d ring %d: one fine tuple for both lines", i, k);
				CHECK(tup[NS_TUPS + NS_TUP_PRODUCER] == 0, "site %d ring %d: the second line's ring is the first ring", i, k);
				CHECK(tup[NS_TUP_PRODUCER] == k, "site %d ring %d: the first line's ring", i, k);
				if (round == 0 && k == 0)
					first[i] = tup[NS_TUP_FINE];
				else
					CHECK(tup[NS_TUP_FINE] == first[i], "site %d ring %d round %d: the same fine id", i, k, round);
			}
		}
	}
	CHECK(ns_interner_tuples(in, NS_TUP_FINE) == 600, "600 fine tuples, got %u", ns_interner_tuples(in, NS_TUP_FINE));
	CHECK(ns_interner_tuples(in, NS_TUP_PRODUCER) == 2, "2 producers, got %u", ns_interner_tuples(in, NS_TUP_PRODUCER));
	CHECK(ns_interner_tuples(in, NS_TUP_META) == 1, "1 meta tuple");
	ns_interner_free(in);
}

static const struct check_case tests[] = {
	{ 1, "a line of sigsys's shape: its strings and numbers", test_fields },
	{ 2, "every cut of the line: not matched, no read past the buffer", test_cuts },
	{ 3, "a breaking byte at every place: not matched, no read past the buffer", test_bad_bytes },
	{ 4, "the interner: one id per string across its growth and per length", test_interner },
	{ 5, "tuple ids: new exactly when one of their fields changes, stable across growth", test_tuples },
};

int main(int argc, char **argv)
{
	return check_run(tests, sizeof(tests) / sizeof(tests[0]), argc > 1 ? atoi(argv[1]) : 0);
}
