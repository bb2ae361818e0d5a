/*
 * gen_vectors.c - golden vectors for the hand-written protobuf encoder.
 *
 *   gen_vectors OUTDIR
 *
 * Encodes a fixed table of Violations and RingMetas with native/src/encode.c
 * and writes OUTDIR/<name>.bin plus OUTDIR/vectors.json, which states what
 * each file must decode to (protobufjs field names; 64-bit values as decimal
 * strings; enums as numbers; bytes as lowercase hex).  The files are
 * committed in test/vectors/; ctest "ring-03-vectors" regenerates them into a
 * temporary directory and compares byte for byte, and test/vectors.test.ts
 * decodes them with protobufjs.  Changing the encoder's output therefore
 * means regenerating on purpose:  build/native/Release/gen_vectors test/vectors
 *
 * The expected values are written from the table, not read back from the
 * encoder, so a vector whose input gets truncated names its expected
 * (truncated) value explicitly.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"

#define AUDIT_ARCH_X86_64 0xc000003eu
#define AUDIT_ARCH_I386 0x40000003u

struct vviolation {
	const char *name;
	const char *about;
	struct sigsys_violation v;
};

static const struct vviolation violations[] = {
	{ "violation-zeros", "every scalar zero: only the six packed zero args remain", { 0 } },
	{ "violation-errno-openat", "typical enforce-mode denial: openat -> EPERM",
	  { .time_ns = 1732363200123456789ull, .seq = 41, .pid = 4242, .tid = 4243, .nr = 257,
	    .arch = AUDIT_ARCH_X86_64,
	    .args = { 0xffffff9cull, 0x7ffc12345678ull, 0x80000ull, 0, 0, 0 },
	    .ip = 0x7f1234567abcull, .action = 4, .outcome = 1, .errno_ret = 1, .mode = 1 } },
	{ "violation-max", "every field at its maximum (enums and int32 sign-extended)",
	  { .time_ns = UINT64_MAX, .seq = UINT64_MAX, .pid = UINT32_MAX, .tid = UINT32_MAX,
	    .nr = INT32_MAX, .arch = UINT32_MAX,
	    .args = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX },
	    .ip = UINT64_MAX, .action = 0x7fffffff, .outcome = 0x7fffffff,
	    .errno_ret = INT32_MAX, .ret = INT64_MAX, .mode = 0x7fffffff } },
	{ "violation-min", "most negative int32/sint64 values",
	  { .nr = INT32_MIN, .errno_ret = INT32_MIN, .ret = INT64_MIN, .seq = 1 } },
	{ "violation-negative-nr", "nr -1 (as seen for bogus syscall numbers)",
	  { .nr = -1, .arch = AUDIT_ARCH_X86_64, .action = 1, .outcome = 3, .mode = 1 } },
	{ "violation-negative-ret", "audit mode: the re-issued call returned -ENOSYS",
	  { .nr = 321, .arch = AUDIT_ARCH_X86_64, .action = 4, .outcome = 2, .errno_ret = 0,
	    .ret = -38, .mode = 2, .seq = 7 } },
	{ "violation-all-args", "six distinct args across varint byte boundaries",
	  { .nr = 9, .arch = AUDIT_ARCH_X86_64,
	    .args = { 0x8000000000000000ull, 0x7fffffffffffffffull, 1, 0x80, 0x3fff, 0x4000 },
	    .action = 3, .outcome = 1, .mode = 1 } },
	{ "violation-i386", "a foreign-arch (i386) call",
	  { .nr = 5, .arch = AUDIT_ARCH_I386, .args = { 0xffffffffull, 0, 0, 0, 0, 0 },
	    .action = 1, .outcome = 3, .mode = 1, .pid = 1, .tid = 1 } },
	{ "violation-action-kill-process", "KILL_PROCESS -> killed",
	  { .nr = 101, .arch = AUDIT_ARCH_X86_64, .action = 1, .outcome = 3, .mode = 1 } },
	{ "violation-action-kill-thread", "KILL_THREAD -> killed",
	  { .nr = 101, .arch = AUDIT_ARCH_X86_64, .action = 2, .outcome = 3, .mode = 1 } },
	{ "violation-action-trap", "TRAP -> denied",
	  { .nr = 101, .arch = AUDIT_ARCH_X86_64, .action = 3, .outcome = 1, .mode = 1 } },
	{ "violation-action-errno", "ERRNO(EACCES) -> denied",
	  { .nr = 101, .arch = AUDIT_ARCH_X86_64, .action = 4, .outcome = 1, .errno_ret = 13,
	    .mode = 1 } },
	{ "violation-action-trace", "TRACE without a tracer -> denied (ENOSYS)",
	  { .nr = 101, .arch = AUDIT_ARCH_X86_64, .action = 5, .outcome = 1, .errno_ret = 38,
	    .mode = 1 } },
	{ "violation-action-log", "LOG -> allowed, real return value",
	  { .nr = 101, .arch = AUDIT_ARCH_X86_64, .action = 6, .outcome = 2, .ret = 3,
	    .mode = 1 } },
	{ "violation-action-user-notif", "USER_NOTIF without a supervisor -> denied",
	  { .nr = 101, .arch = AUDIT_ARCH_X86_64, .action = 7, .outcome = 1, .errno_ret = 38,
	    .mode = 1 } },
	{ "violation-action-allow", "ALLOW seen in audit mode -> allowed",
	  { .nr = 101, .arch = AUDIT_ARCH_X86_64, .action = 8, .outcome = 2, .mode = 2 } },
	{ "violation-outcome-unspecified", "outcome 0 is omitted on the wire",
	  { .nr = 0, .arch = AUDIT_ARCH_X86_64, .action = 4, .outcome = 0, .mode = 1 } },
};

/* ---- RingMeta vectors ---- */

struct vmeta {
	const char *name;
	const char *about;
	struct sigsys_ring_meta m;
	/* Expected decoded values where they differ from the input (truncation):
	 * NULL means "same as input". */
	const char *want_exe, *want_cgroup, *want_host;
	int want_argc; /* -1: all of argv */
	int want_maps; /* -1: all mappings */
};

static const char *const argv_full[] = { "/usr/bin/curl", "-s", "https://example.com/", NULL };
static const char *const argv_utf8[] = { "prog", "", "h\xc3\xa9llo w\xc3\xb6rld", "\xf0\x9f\x90\xa7",
					 NULL };
static const uint64_t m3_start[] = { 0x55d4c0a00000ull, 0x7f3a11200000ull, 0xffffffffff600000ull };
static const uint64_t m3_end[] = { 0x55d4c0a21000ull, 0x7f3a11395000ull, 0xffffffffff601000ull };
static const uint64_t m3_off[] = { 0x2000, 0x26000, 0 };
static const char *const m3_path[] = { "/usr/bin/curl", "/usr/lib/x86_64-linux-gnu/libc.so.6",
				       "[vsyscall]" };
static const uint8_t hash_a[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

static char long_exe[1001], long_exe_want[513], long_cgroup[701], long_cgroup_want[513],
	long_host[301], long_host_want[256], long_arg[101];
static const char *argv_long[21];
static uint64_t many_start[40], many_end[40], many_off[40];
static const char *many_path[40];

static struct vmeta metas[] = {
	{ "meta-minimal", "only a pid", { .pid = 1 }, NULL, NULL, NULL, -1, -1 },
	{ "meta-full", "every field, three mappings",
	  { .host = "node-7.example.internal", .pid = 31337, .ppid = 1, .pid_ns = 4026531836ull,
	    .cgroup = "0::/kubepods.slice/kubepods-pod1234.slice/"
		      "cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n",
	    .exe = "/usr/bin/curl", .argv = argv_full,
	    .boot_id = "7f3c2a8e-6b1d-4c8e-9a0f-2d1e3c4b5a69", .policy_hash = hash_a,
	    .pod = "web-6d4cf56db6-abcde", .namespace_ = "production", .mode = 1,
	    .start_ns = 1732363200000000000ull, .comm = "curl", .map_start = m3_start,
	    .map_end = m3_end, .map_offset = m3_off, .map_path = m3_path, .n_maps = 3 },
	  NULL, NULL, NULL, -1, -1 },
	{ "meta-utf8", "non-ASCII strings, an empty argument, audit mode",
	  { .host = "h\xc3\xb4te", .pid = 2, .exe = "/opt/\xe6\x97\xa5\xe6\x9c\xac/app",
	    .argv = argv_utf8, .mode = 2, .comm = "app" },
	  NULL, NULL, NULL, -1, -1 },
	{ "meta-long", "long strings and argv cut to their caps, 40 mappings",
	  { .pid = 3, .ppid = 2 }, long_exe_want, long_cgroup_want, long_host_want, 10,
	  /* Before the maps: host 1+2+255, pid+ppid 4, cgroup and exe 1+2+512
	   * each, argv 10 x 102 = 2312 bytes, leaving 1784 of 4096.  A mapping
	   * takes 2 + start 8 + end 8 + offset (0, 3 below 0x4000, else 4) +
	   * path 43: 61, then 3 x 64, then 65 each: 4 + 23 = 27 mappings. */
	  27 },
};

static void fill_long(void)
{
	struct sigsys_ring_meta *m = &metas[3].m;
	int i;

	memset(long_exe, 'x', 1000);
	memset(long_exe_want, 'x', 512);   /* META_EXE_MAX */
	memset(long_cgroup, 'c', 700);
	memset(long_cgroup_want, 'c', 512); /* META_CGROUP_MAX */
	memset(long_host, 'h', 300);
	memset(long_host_want, 'h', 255);   /* META_HOST_MAX */
	memset(long_arg, 'a', 100);
	/* 20 args of 100 bytes, 102 on the wire each: 10 fit the 1024-byte argv budget. */
	for (i = 0; i < 20; i++)
		argv_long[i] = long_arg;
	argv_long[20] = NULL;
	for (i = 0; i < 40; i++) {
		many_start[i] = 0x7f0000000000ull + (uint64_t)i * 0x100000;
		many_end[i] = many_start[i] + 0x80000;
		many_off[i] = (uint64_t)i * 0x1000;
		many_path[i] = "/usr/lib/x86_64-linux-gnu/libexample.so.1";
	}
	m->host = long_host;
	m->exe = long_exe;
	m->cgroup = long_cgroup;
	m->argv = argv_long;
	m->map_start = many_start;
	m->map_end = many_end;
	m->map_offset = many_off;
	m->map_path = many_path;
	m->n_maps = 40;
}

/* ---- JSON output ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f); /* UTF-8 passes through */
	}
	fputc('"', f);
}

static void json_u64(FILE *f, const char *key, uint64_t v, int comma)
{
	fprintf(f, "\"%s\": \"%" PRIu64 "\"%s", key, v, comma ? ", " : "");
}

static int write_file(const char *dir, const char *name, const uint8_t *buf, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

static void json_violation(FILE *f, const struct vviolation *t, size_t len, int last)
{
	const struct sigsys_violation *v = &t->v;
	int i;

	fprintf(f, "    {\n      \"name\": ");
	json_str(f, t->name);
	fprintf(f, ",\n      \"file\": \"%s.bin\",\n      \"bytes\": %zu,\n      \"about\": ", t->name,
		len);
	json_str(f, t->about);
	fprintf(f, ",\n      \"fields\": {");
	json_u64(f, "timeNs", v->time_ns, 1);
	json_u64(f, "seq", v->seq, 1);
	fprintf(f, "\"pid\": %" PRIu32 ", \"tid\": %" PRIu32 ", \"nr\": %" PRId32
		", \"arch\": %" PRIu32 ",\n        \"args\": [", v->pid, v->tid, v->nr, v->arch);
	for (i = 0; i < 6; i++)
		fprintf(f, "\"%" PRIu64 "\"%s", v->args[i], i < 5 ? ", " : "");
	fprintf(f, "],\n        ");
	json_u64(f, "ip", v->ip, 1);
	fprintf(f, "\"action\": %" PRId32 ", \"outcome\": %" PRId32 ", \"errnoRet\": %" PRId32
		", \"ret\": \"%" PRId64 "\", \"mode\": %" PRId32 "}\n    }%s\n",
		(int32_t)v->action, (int32_t)v->outcome, v->errno_ret, v->ret, (int32_t)v->mode,
		last ? "" : ",");
}

static void json_meta(FILE *f, const struct vmeta *t, size_t len, int last)
{
	const struct sigsys_ring_meta *m = &t->m;
	size_t i;
	int argc = 0;

	fprintf(f, "    {\n      \"name\": ");
	json_str(f, t->name);
	fprintf(f, ",\n      \"file\": \"%s.bin\",\n      \"bytes\": %zu,\n      \"about\": ", t->name,
		len);
	json_str(f, t->about);
	fprintf(f, ",\n      \"fields\": {\n        \"host\": ");
	json_str(f, t->want_host ? t->want_host : m->host);
	fprintf(f, ", \"pid\": %" PRIu32 ", \"ppid\": %" PRIu32 ", ", m->pid, m->ppid);
	json_u64(f, "pidNs", m->pid_ns, 0);
	fprintf(f, ",\n        \"cgroup\": ");
	json_str(f, t->want_cgroup ? t->want_cgroup : m->cgroup);
	fprintf(f, ",\n        \"exe\": ");
	json_str(f, t->want_exe ? t->want_exe : m->exe);
	fprintf(f, ",\n        \"argv\": [");
	for (i = 0; m->argv && m->argv[i]; i++) {
		if (t->want_argc >= 0 && (int)i >= t->want_argc)
			break;
		fprintf(f, "%s", argc++ ? ", " : "");
		json_str(f, m->argv[i]);
	}
	fprintf(f, "],\n        \"bootId\": ");
	json_str(f, m->boot_id);
	fprintf(f, ", \"policyHash\": \"");
	for (i = 0; m->policy_hash && i < 32; i++)
		fprintf(f, "%02x", m->policy_hash[i]);
	fprintf(f, "\",\n        \"pod\": ");
	json_str(f, m->pod);
	fprintf(f, ", \"namespace\": ");
	json_str(f, m->namespace_);
	fprintf(f, ", \"mode\": %" PRId32 ", ", (int32_t)m->mode);
	json_u64(f, "startNs", m->start_ns, 0);
	fprintf(f, ", \"comm\": ");
	json_str(f, m->comm);
	fprintf(f, ",\n        \"maps\": [");
	for (i = 0; i < m->n_maps; i++) {
		if (t->want_maps >= 0 && (int)i >= t->want_maps)
			break;
		fprintf(f, "%s\n          {", i ? "," : "");
		json_u64(f, "start", m->map_start[i], 1);
		json_u64(f, "end", m->map_end[i], 1);
		json_u64(f, "offset", m->map_offset[i], 1);
		fprintf(f, "\"path\": ");
		json_str(f, m->map_path[i]);
		fprintf(f, "}");
	}
	fprintf(f, "]\n      }\n    }%s\n", last ? "" : ",");
}

int main(int argc, char **argv)
{
	const size_t nv = sizeof(violations) / sizeof(violations[0]);
	const size_t nm = sizeof(metas) / sizeof(metas[0]);
	uint8_t buf[4096];
	char path[4096];
	FILE *f;
	size_t i;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	fill_long();
	snprintf(path, sizeof(path), "%s/vectors.json", argv[1]);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	fprintf(f, "{\n  \"generator\": \"native/tools/gen_vectors.c\",\n"
		   "  \"schema\": \"proto/sigsys/v1/violation.proto\",\n"
		   "  \"violations\": [\n");
	for (i = 0; i < nv; i++) {
		n = sigsys_encode_violation(&violations[i].v, buf, SIGSYS_VIOLATION_MAX);
		if (n < 0 || write_file(argv[1], violations[i].name, buf, (size_t)n)) {
			fprintf(stderr, "%s: encode failed (%d)\n", violations[i].name, n);
			return 1;
		}
		json_violation(f, &violations[i], (size_t)n, i + 1 == nv);
	}
	fprintf(f, "  ],\n  \"ringMetas\": [\n");
	for (i = 0; i < nm; i++) {
		/* The preload encodes into the header's meta area: same cap. */
		n = sigsys_encode_ring_meta(&metas[i].m, buf, 4096);
		if (n < 0 || write_file(argv[1], metas[i].name, buf, (size_t)n)) {
			fprintf(stderr, "%s: encode failed (%d)\n", metas[i].name, n);
			return 1;
		}
		json_meta(f, &metas[i], (size_t)n, i + 1 == nm);
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}
