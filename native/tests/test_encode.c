/*
 * test_encode.c - the hand-written protobuf encoder (native/src/encode.c):
 * exact bytes for hand-computed cases, bounds (never a byte past `cap`),
 * worst-case size, and RingMeta truncation that always leaves a valid
 * message with whole UTF-8 characters.  Decoding by protobufjs is proven by
 * the golden vectors (test/vectors, test/vectors.test.ts).
 *
 * Usage: test_encode [case-number]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"

#include "check.h"

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (hex[0] && hex[1] && sscanf(hex, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static void hexdump(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

/* ---- a minimal wire-format reader, to check what the encoder wrote ---- */

struct field {
	unsigned num, wt;
	uint64_t v;         /* varint value */
	const uint8_t *p;   /* length-delimited payload */
	size_t len;
};

static int get_varint(const uint8_t *b, size_t n, size_t *pos, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*pos < n && shift < 64) {
		uint8_t c = b[(*pos)++];

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* Splits a message into at most `max` fields; -1 if malformed. */
static int parse(const uint8_t *b, size_t n, struct field *f, int max)
{
	size_t pos = 0;
	int k = 0;
	uint64_t key;

	while (pos < n) {
		if (k == max || get_varint(b, n, &pos, &key))
			return -1;
		f[k].num = (unsigned)(key >> 3);
		f[k].wt = (unsigned)(key & 7);
		if (f[k].wt == 0) {
			if (get_varint(b, n, &pos, &f[k].v))
				return -1;
		} else if (f[k].wt == 2) {
			if (get_varint(b, n, &pos, &f[k].v) || f[k].v > n - pos)
				return -1;
			f[k].p = b + pos;
			f[k].len = (size_t)f[k].v;
			pos += f[k].len;
		} else {
			return -1;
		}
		k++;
	}
	return k;
}

static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, j, extra;

	while (i < n) {
		uint8_t c = s[i];

		if (c < 0x80)
			extra = 0;
		else if ((c & 0xE0) == 0xC0)
			extra = 1;
		else if ((c & 0xF0) == 0xE0)
			extra = 2;
		else if ((c & 0xF8) == 0xF0)
			extra = 3;
		else
			return 0;
		if (extra > n - i - 1)
			return 0;
		for (j = 1; j <= extra; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
		i += extra + 1;
	}
	return 1;
}

/* Valid RingMeta: parses, right wire types, UTF-8 strings, valid maps. */
static int meta_valid(const uint8_t *b, size_t n)
{
	struct field f[512], g[8];
	int k = parse(b, n, f, 512), i, j, m;

	if (k < 0)
		return 0;
	for (i = 0; i < k; i++) {
		switch (f[i].num) {
		case 2: case 3: case 4: case 12: case 13: case 16: case 17:
			if (f[i].wt != 0)
				return 0;
			break;
		case 9:
			if (f[i].wt != 2 || f[i].len != 32)
				return 0;
			break;
		case 15:
			if (f[i].wt != 2)
				return 0;
			m = parse(f[i].p, f[i].len, g, 8);
			if (m < 0)
				return 0;
			for (j = 0; j < m; j++)
				if ((g[j].num == 4) != (g[j].wt == 2) ||
				    (g[j].num == 4 && !utf8_valid(g[j].p, g[j].len)))
					return 0;
			break;
		default:
			if (f[i].wt != 2 || !utf8_valid(f[i].p, f[i].len))
				return 0;
		}
		/* canonical order */
		if (i && f[i].num < f[i - 1].num)
			return 0;
	}
	return 1;
}

/* ---- 1: exact bytes ---- */

static void t_exact(void)
{
	static const struct {
		const char *name;
		struct sigsys_violation v;
		const char *hex;
	} cases[] = {
		{ "all zero: only the six packed args", { 0 }, "3a06000000000000" },
		{ "nr -1 sign-extends to 10 bytes", { .nr = -1 },
		  "28ffffffffffffffffff01" "3a06000000000000" },
		{ "ret -1 zigzags to 1", { .ret = -1 }, "3a06000000000000" "6001" },
		{ "ret 1 zigzags to 2", { .ret = 1 }, "3a06000000000000" "6002" },
		{ "ret INT64_MIN", { .ret = INT64_MIN },
		  "3a06000000000000" "60ffffffffffffffffff01" },
		{ "ret INT64_MAX", { .ret = INT64_MAX },
		  "3a06000000000000" "60feffffffffffffffff01" },
		{ "small fields", { .time_ns = 1, .seq = 300, .pid = 1234, .tid = 1235, .nr = 59,
				    .arch = 0xc000003e, .args = { 1, 2, 3, 4, 5, 6 }, .ip = 0x7f,
				    .action = 4, .outcome = 1, .errno_ret = 1, .mode = 2 },
		  "0801" "10ac02" "18d209" "20d309" "283b" "30be8080800c"
		  "3a06010203040506" "407f" "4804" "5001" "5801" "6802" },
		{ "errno -1 and action 0x80000000 sign-extend",
		  { .errno_ret = -1, .action = 0x80000000u },
		  "3a06000000000000" "4880808080f8ffffffff01" "58ffffffffffffffffff01" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t want[256], got[256];
		char hex[520];
		size_t n = unhex(cases[i].hex, want);
		int ret = sigsys_encode_violation(&cases[i].v, got, sizeof(got));

		hexdump(got, ret > 0 ? (size_t)ret : 0, hex);
		CHECK(ret == (int)n && !memcmp(got, want, n), "%s: got %s want %s", cases[i].name,
		      hex, cases[i].hex);
	}
}

/* ---- 2: bounds: every cap below the size fails and writes nothing past it ---- */

static const struct sigsys_violation max_v = {
	.time_ns = UINT64_MAX, .seq = UINT64_MAX, .pid = UINT32_MAX, .tid = UINT32_MAX,
	.nr = INT32_MIN, .arch = UINT32_MAX,
	.args = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX },
	.ip = UINT64_MAX, .action = UINT32_MAX, .outcome = UINT32_MAX, .errno_ret = INT32_MIN,
	.ret = INT64_MIN, .mode = UINT32_MAX,
};

static void t_bounds(void)
{
	static const struct sigsys_violation small = { .nr = 2, .args = { 1 } };
	const struct sigsys_violation *cases[] = { &small, &max_v };
	size_t i, cap;

	for (i = 0; i < 2; i++) {
		uint8_t buf[512];
		int full = sigsys_encode_violation(cases[i], buf, sizeof(buf));

		CHECK(full > 0, "case %zu", i);
		for (cap = 0; cap < (size_t)full; cap++) {
			size_t j;

			memset(buf, 0xAA, sizeof(buf));
			CHECK(sigsys_encode_violation(cases[i], buf, cap) == -ENOSPC, "cap %zu", cap);
			for (j = cap; j < sizeof(buf); j++)
				CHECK(buf[j] == 0xAA, "cap %zu: byte %zu written", cap, j);
		}
		CHECK(sigsys_encode_violation(cases[i], buf, (size_t)full) == full, "exact cap");
	}
}

/* ---- 3: worst case fits SIGSYS_VIOLATION_MAX and a ring record ---- */

static void t_worst_case(void)
{
	uint8_t buf[512];
	struct field f[32];
	int n = sigsys_encode_violation(&max_v, buf, sizeof(buf));

	CHECK(n > 0 && n <= (int)SIGSYS_VIOLATION_MAX, "worst case %d > %u", n,
	      SIGSYS_VIOLATION_MAX);
	CHECK(n <= 248, "must fit a ring record");
	CHECK(parse(buf, (size_t)n, f, 32) == 13, "13 fields");
	printf("#   worst-case violation: %d bytes\n", n);
}

/* ---- 4: RingMeta: fields, order, validity ---- */

static const char *const argv_basic[] = { "/bin/app", "--flag", "", "x y", NULL };
static const uint64_t ms[] = { 0x400000, 0x7f0000001000 }, me[] = { 0x401000, 0x7f0000002000 },
		      mo[] = { 0, 0x1000 };
static const char *const mp[] = { "/bin/app", "/lib/x86_64-linux-gnu/libc.so.6" };
static const uint8_t hash[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static void t_meta_fields(void)
{
	const struct sigsys_ring_meta m = {
		.host = "node-1", .pid = 42, .ppid = 1, .pid_ns = 4026531836ull,
		.cgroup = "0::/system.slice/docker-abc.scope\n", .exe = "/bin/app",
		.argv = argv_basic, .boot_id = "b0d1", .policy_hash = hash, .pod = "web-0",
		.namespace_ = "prod", .mode = 1, .start_ns = 1700000000000000000ull,
		.comm = "app", .map_start = ms, .map_end = me, .map_offset = mo,
		.map_path = mp, .n_maps = 2,
	};
	static const unsigned want_order[] = { 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 8, 9, 10, 11, 12,
					       13, 14, 15, 15 };
	uint8_t buf[4096];
	struct field f[64], g[8];
	int n = sigsys_encode_ring_meta(&m, buf, sizeof(buf)), k, i;

	CHECK(n > 0 && meta_valid(buf, (size_t)n), "valid");
	k = parse(buf, (size_t)n, f, 64);
	CHECK(k == (int)(sizeof(want_order) / sizeof(want_order[0])), "%d fields", k);
	for (i = 0; i < k; i++)
		CHECK(f[i].num == want_order[i], "field %d is %u", i, f[i].num);
	CHECK(f[8].len == 0, "empty argv element kept");
	CHECK(f[9].len == 3 && !memcmp(f[9].p, "x y", 3), "argv[3]");
	CHECK(f[11].len == 32 && !memcmp(f[11].p, hash, 32), "hash");
	/* First mapping has offset 0: field 3 omitted. */
	CHECK(parse(f[17].p, f[17].len, g, 8) == 3 && g[0].num == 1 && g[0].v == 0x400000 &&
	      g[1].num == 2 && g[2].num == 4, "map 0");
	CHECK(parse(f[18].p, f[18].len, g, 8) == 4 && g[2].num == 3 && g[2].v == 0x1000, "map 1");

	/* Empty meta: nothing at all. */
	{
		const struct sigsys_ring_meta empty = { 0 };

		CHECK(sigsys_encode_ring_meta(&empty, buf, sizeof(buf)) == 0, "empty");
	}
}

/* ---- 5: RingMeta truncation ---- */

static char *repeat(const char *unit, size_t times)
{
	size_t u = strlen(unit), i;
	char *s = malloc(u * times + 1);

	for (i = 0; i < times; i++)
		memcpy(s + i * u, unit, u);
	s[u * times] = 0;
	return s;
}

static void t_meta_truncation(void)
{
	char *long_exe = repeat("\xc3\xa9", 600);   /* é x 600 = 1200 bytes */
	char *long_host = repeat("\xe2\x82\xac", 200); /* € x 200 */
	char *arg = repeat("a", 50);
	char *huge_arg = repeat("b", 5000);
	const char *many_argv[101];
	const char *paths[300];
	uint64_t starts[300], ends[300], offs[300];
	struct sigsys_ring_meta m = { 0 };
	uint8_t buf[4096 + 64];
	struct field f[600];
	size_t cap, argv_bytes = 0, i;
	int n, k, n_argv = 0, n_maps = 0, last_num = 0;

	for (i = 0; i < 100; i++)
		many_argv[i] = i == 3 ? huge_arg : arg;
	many_argv[100] = NULL;
	for (i = 0; i < 300; i++) {
		paths[i] = "/usr/lib/x86_64-linux-gnu/libsomething.so.1";
		starts[i] = 0x7f0000000000ull + i * 0x10000;
		ends[i] = starts[i] + 0x8000;
		offs[i] = i * 0x1000;
	}
	m.host = long_host;
	m.pid = 7;
	m.exe = long_exe;
	m.argv = many_argv;
	m.comm = "c";
	m.map_start = starts;
	m.map_end = ends;
	m.map_offset = offs;
	m.map_path = paths;
	m.n_maps = 300;

	n = sigsys_encode_ring_meta(&m, buf, 4096);
	CHECK(n > 0 && n <= 4096 && meta_valid(buf, (size_t)n), "valid, %d bytes", n);
	k = parse(buf, (size_t)n, f, 600);
	for (i = 0; i < (size_t)k; i++) {
		if (f[i].num == 6)
			CHECK(f[i].len <= 512 && f[i].len % 2 == 0 && f[i].len >= 510,
			      "exe cut on a character boundary: %zu", f[i].len);
		if (f[i].num == 1)
			CHECK(f[i].len <= 255 && f[i].len % 3 == 0 && f[i].len >= 252,
			      "host cut on a character boundary: %zu", f[i].len);
		if (f[i].num == 7) {
			n_argv++;
			argv_bytes += 1 + (f[i].len > 127 ? 2 : 1) + f[i].len;
			CHECK(f[i].len <= 256, "one argument capped");
		}
		if (f[i].num == 15)
			n_maps++;
		last_num = (int)f[i].num;
	}
	CHECK(argv_bytes <= 1024 && n_argv >= 4 && n_argv <= 64,
	      "argv budget: %d args, %zu bytes", n_argv, argv_bytes);
	CHECK(n_maps >= 10 && last_num == 15, "maps still fit after argv: %d", n_maps);
	printf("#   long meta: %d bytes, %d argv, %d maps\n", n, n_argv, n_maps);

	/* Every cap gives a valid message and writes nothing past the cap. */
	for (cap = 0; cap <= 4096; cap++) {
		memset(buf, 0xAA, sizeof(buf));
		n = sigsys_encode_ring_meta(&m, buf, cap);
		CHECK(n >= 0 && (size_t)n <= cap, "cap %zu: %d", cap, n);
		CHECK(meta_valid(buf, (size_t)n), "cap %zu: invalid message", cap);
		for (i = cap; i < sizeof(buf); i++)
			CHECK(buf[i] == 0xAA, "cap %zu: byte %zu written", cap, i);
	}
	free(long_exe);
	free(long_host);
	free(arg);
	free(huge_arg);
}

/* ---- 6: supervisor rings: source (16) and writer_pid (17) ---- */

static void t_meta_supervisor(void)
{
	const char *paths[300];
	uint64_t starts[300], ends[300];
	struct sigsys_ring_meta m = { 0 };
	uint8_t buf[4096];
	struct field f[600];
	int n, k;

	for (int i = 0; i < 300; i++) {
		paths[i] = "/usr/lib/x86_64-linux-gnu/libsomething-rather-long.so.1";
		starts[i] = 0x7f0000000000ull + (uint64_t)i * 0x10000;
		ends[i] = starts[i] + 0x8000;
	}
	m.pid = 7;
	m.exe = "/app";
	m.source = 2;
	m.writer_pid = 4000000;
	m.map_start = starts;
	m.map_end = ends;
	m.map_path = paths;
	m.n_maps = 300;
	/* More mappings than fit: they take the rest, never the last fields. */
	n = sigsys_encode_ring_meta(&m, buf, sizeof(buf));
	CHECK(n > 4000 && meta_valid(buf, (size_t)n), "valid, %d bytes", n);
	k = parse(buf, (size_t)n, f, 600);
	CHECK(k >= 3 && f[k - 2].num == 16 && f[k - 2].v == 2, "source last but one: %u",
	      f[k - 2].num);
	CHECK(f[k - 1].num == 17 && f[k - 1].v == 4000000, "writer_pid last: %u", f[k - 1].num);
	/* A handler ring (source 0) writes neither. */
	m.source = 0;
	m.writer_pid = 0;
	m.n_maps = 1;
	n = sigsys_encode_ring_meta(&m, buf, sizeof(buf));
	k = parse(buf, (size_t)n, f, 600);
	CHECK(k == 3 && f[k - 1].num == 15, "no fields 16/17: last %u", f[k - 1].num);
}

static const struct check_case tests[] = {
	{ 1, "violation: exact bytes of hand-computed cases", t_exact },
	{ 2, "violation: too small a buffer fails without writing past it", t_bounds },
	{ 3, "violation: worst case fits SIGSYS_VIOLATION_MAX", t_worst_case },
	{ 4, "ring meta: every field, canonical order", t_meta_fields },
	{ 5, "ring meta: truncation keeps a valid message at every cap", t_meta_truncation },
	{ 6, "ring meta: supervisor source and writer_pid survive a full maps list", t_meta_supervisor },
};

int main(int argc, char **argv)
{
	return check_run(tests, sizeof(tests) / sizeof(tests[0]), argc > 1 ? atoi(argv[1]) : 0);
}
