/*
 * test_ndjson_scan.c - the report's C line scanner (native/src/ndjson_scan.c)
 * on its own, built with ASan/UBSan: a line of sigsys's shape is read into
 * the right ids and numbers; every cut of it and every byte of it replaced
 * by a byte that breaks it, in buffers allocated to the exact size, is not
 * matched and never read past (the scanner loads 16 bytes at a time); the
 * interner gives one id per distinct string across its growth.  That the
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
static struct ns_cols cols = { end, ok, str, num, CAP };

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
	ns_interner_free(in);
}

static const struct check_case tests[] = {
	{ 1, "a line of sigsys's shape: its strings and numbers", test_fields },
	{ 2, "every cut of the line: not matched, no read past the buffer", test_cuts },
	{ 3, "a breaking byte at every place: not matched, no read past the buffer", test_bad_bytes },
	{ 4, "the interner: one id per string across its growth", test_interner },
};

int main(int argc, char **argv)
{
	return check_run(tests, sizeof(tests) / sizeof(tests[0]), argc > 1 ? atoi(argv[1]) : 0);
}
