/*
 * sigsys-mkpolicy - build a sigsys policy file from the command line, without
 * a JSON profile.  For live tests of the preload and for quick experiments:
 *
 *   sigsys-mkpolicy -o out.pol [--mode enforce|audit] [--default ACTION]
 *                   [--rule NAME_OR_NR:ACTION[:COND]...]... [--binary-tree]
 *                   [--hash HEX64] [--print]
 *
 *   ACTION  allow | errno:N | kill | kill_process | kill_thread | trap | log
 *           ("kill" is kill_process: what the process as a whole would see)
 *   COND    argI=V  argI!=V  argI<V  argI<=V  argI>V  argI>=V  argI&MASK=V
 *           (I in 0..5, numbers in C syntax: 10, 0x1f, 017); several CONDs
 *           on one rule must all hold.
 *
 * Rules for rt_sigreturn and the reserved kill numbers are skipped with a
 * warning (see build.h).  Exit status: 0 written, 2 bad usage, 1 failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "bpf_eval.h"
#include "build.h"
#include "policy.h"
#include "rewrite.h"

#define MAX_CONDS 6

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sigsys-mkpolicy -o OUT [--mode enforce|audit] [--default ACTION]\n"
		"                       [--rule NAME_OR_NR:ACTION[:COND]...]... [--binary-tree]\n"
		"                       [--hash HEX64] [--print]\n"
		"  ACTION: allow | errno:N | kill | kill_process | kill_thread | trap | log\n"
		"  COND:   argI=V argI!=V argI<V argI<=V argI>V argI>=V argI&MASK=V\n");
}

static int parse_u64(const char *s, char **end, uint64_t *v)
{
	errno = 0;
	if (!*s || *s == '-')
		return -1;
	*v = strtoull(s, end, 0);
	return errno || *end == s ? -1 : 0;
}

/* Parses an action at *s and advances *s past it. 0 or -1. */
static int parse_action(const char **s, uint32_t *act)
{
	static const struct {
		const char *name;
		uint32_t act;
	} names[] = {
		{ "allow", SCMP_ACT_ALLOW },		{ "kill_process", SCMP_ACT_KILL_PROCESS },
		{ "kill_thread", SCMP_ACT_KILL_THREAD }, { "kill", SCMP_ACT_KILL_PROCESS },
		{ "trap", SCMP_ACT_TRAP },		{ "log", SCMP_ACT_LOG },
	};
	const char *p = *s;
	size_t i, len = strcspn(p, ":");
	uint64_t v;
	char *end;

	if (len == 5 && !strncmp(p, "errno", 5) && p[5] == ':') {
		if (parse_u64(p + 6, &end, &v) || v > 0xffff || (*end && *end != ':'))
			return -1;
		*act = SCMP_ACT_ERRNO((uint32_t)v);
		*s = end;
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == len && !strncmp(p, names[i].name, len)) {
			*act = names[i].act;
			*s = p + len;
			return 0;
		}
	}
	return -1;
}

static int parse_cond(const char *c, size_t len, struct scmp_arg_cmp *out)
{
	char buf[128], *p, *end;
	uint64_t a, b = 0;
	unsigned idx;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, c, len);
	buf[len] = '\0';
	if (strncmp(buf, "arg", 3) || buf[3] < '0' || buf[3] > '5')
		return -1;
	idx = (unsigned)(buf[3] - '0');
	p = buf + 4;
	memset(out, 0, sizeof(*out));
	out->arg = idx;
	if (*p == '&') {
		if (parse_u64(p + 1, &end, &a) || *end != '=' || parse_u64(end + 1, &end, &b) ||
		    *end)
			return -1;
		out->op = SCMP_CMP_MASKED_EQ;
		out->datum_a = a;
		out->datum_b = b;
		return 0;
	}
	if (!strncmp(p, "!=", 2))
		out->op = SCMP_CMP_NE, p += 2;
	else if (!strncmp(p, "<=", 2))
		out->op = SCMP_CMP_LE, p += 2;
	else if (!strncmp(p, ">=", 2))
		out->op = SCMP_CMP_GE, p += 2;
	else if (*p == '<')
		out->op = SCMP_CMP_LT, p++;
	else if (*p == '>')
		out->op = SCMP_CMP_GT, p++;
	else if (*p == '=')
		out->op = SCMP_CMP_EQ, p++;
	else
		return -1;
	if (parse_u64(p, &end, &a) || *end)
		return -1;
	out->datum_a = a;
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const char *spec)
{
	struct scmp_arg_cmp conds[MAX_CONDS];
	unsigned n_conds = 0;
	const char *colon = strchr(spec, ':'), *p, *why;
	char name[64];
	uint32_t act;
	uint64_t v;
	char *end;
	int nr, rc;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(name)) {
		fprintf(stderr, "sigsys-mkpolicy: bad rule '%s' (NAME_OR_NR:ACTION)\n", spec);
		return -1;
	}
	memcpy(name, spec, (size_t)(colon - spec));
	name[colon - spec] = '\0';
	if (name[0] >= '0' && name[0] <= '9') {
		if (parse_u64(name, &end, &v) || *end || v > 0x7fffffff) {
			fprintf(stderr, "sigsys-mkpolicy: bad syscall number '%s'\n", name);
			return -1;
		}
		nr = (int)v;
	} else {
		nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "sigsys-mkpolicy: unknown syscall '%s'\n", name);
			return -1;
		}
	}
	p = colon + 1;
	if (parse_action(&p, &act)) {
		fprintf(stderr, "sigsys-mkpolicy: bad action in rule '%s'\n", spec);
		return -1;
	}
	while (*p == ':') {
		size_t len = strcspn(p + 1, ":");

		if (n_conds == MAX_CONDS || parse_cond(p + 1, len, &conds[n_conds])) {
			fprintf(stderr, "sigsys-mkpolicy: bad condition in rule '%s'\n", spec);
			return -1;
		}
		n_conds++;
		p += 1 + len;
	}
	if (*p) {
		fprintf(stderr, "sigsys-mkpolicy: trailing text in rule '%s'\n", spec);
		return -1;
	}
	why = sigsys_build_reserved_nr(nr);
	if (why) {
		fprintf(stderr, "sigsys-mkpolicy: warning: rule '%s' ignored: %s\n", spec, why);
		return 0;
	}
	rc = seccomp_rule_add_array(ctx, act, nr, n_conds, conds);
	if (rc == -EACCES) {
		fprintf(stderr, "sigsys-mkpolicy: warning: rule '%s' ignored: same as the default\n",
			spec);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "sigsys-mkpolicy: libseccomp refused rule '%s': %s\n", spec,
			strerror(-rc));
		return -1;
	}
	return 0;
}

static int parse_hash(const char *s, uint8_t out[32])
{
	unsigned i, hi, lo;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(s + 2 * i, "%1x%1x", &hi, &lo) != 2)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void print_policy(const uint8_t *img, size_t len)
{
	struct sigsys_policy p;
	char why[160];
	uint32_t i;

	if (sigsys_policy_check(img, len, 0, &p, why, sizeof(why))) {
		printf("invalid: %s\n", why);
		return;
	}
	printf("# mode %s, %u insns, %u actions, trusted ip at %u/%u, prologue %u insns "
	       "(trusted ip at %u/%u)\n",
	       p.hdr->mode == SIGSYS_MODE_AUDIT ? "audit" : "enforce", p.hdr->n_insns,
	       p.hdr->n_actions, p.hdr->trusted_ip_lo_at, p.hdr->trusted_ip_hi_at,
	       p.hdr->prologue_len, p.hdr->prologue_ip_lo_at, p.hdr->prologue_ip_hi_at);
	for (i = 0; i < p.hdr->n_actions; i++)
		printf("# action %u: %s data=%u (seccomp 0x%08x)\n", i,
		       sigsys_action_kind_name(p.actions[i].kind), p.actions[i].data,
		       p.actions[i].seccomp);
	for (i = 0; i < p.hdr->n_insns; i++) {
		char line[64];

		printf("%4u: %s\n", i, sigsys_bpf_disasm(p.insns, i, line, sizeof(line)));
	}
}

int main(int argc, char **argv)
{
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
	const char *out_path = NULL, *def_s = "errno:1";
	uint8_t hash[32], *img = NULL;
	size_t img_len = 0;
	scmp_filter_ctx ctx = NULL;
	uint32_t def;
	char err[256] = "";
	int i, fd, print = 0, rc = 2;

	/* First pass: options that shape seccomp_init(). */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			out_path = argv[++i];
		} else if (!strcmp(a, "--mode") && i + 1 < argc) {
			a = argv[++i];
			if (!strcmp(a, "enforce"))
				o.mode = SIGSYS_MODE_ENFORCE;
			else if (!strcmp(a, "audit"))
				o.mode = SIGSYS_MODE_AUDIT;
			else {
				fprintf(stderr, "sigsys-mkpolicy: bad mode '%s'\n", a);
				return 2;
			}
		} else if (!strcmp(a, "--default") && i + 1 < argc) {
			def_s = argv[++i];
		} else if (!strcmp(a, "--rule") && i + 1 < argc) {
			i++; /* second pass */
		} else if (!strcmp(a, "--binary-tree")) {
			o.binary_tree = 1;
		} else if (!strcmp(a, "--print")) {
			print = 1;
		} else if (!strcmp(a, "--hash") && i + 1 < argc) {
			if (parse_hash(argv[++i], hash)) {
				fprintf(stderr, "sigsys-mkpolicy: --hash wants 64 hex digits\n");
				return 2;
			}
			o.profile_hash = hash;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!out_path && !print) {
		usage(stderr);
		return 2;
	}
	{
		const char *p = def_s;

		if (parse_action(&p, &def) || *p) {
			fprintf(stderr, "sigsys-mkpolicy: bad default action '%s'\n", def_s);
			return 2;
		}
	}
	ctx = seccomp_init(def);
	if (!ctx) {
		fprintf(stderr, "sigsys-mkpolicy: seccomp_init failed\n");
		return 1;
	}
	if (sigsys_build_reserve(ctx, err, sizeof(err))) {
		fprintf(stderr, "sigsys-mkpolicy: %s\n", err);
		rc = 1;
		goto out;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rule")) {
			if (add_rule(ctx, argv[++i]))
				goto out; /* rc 2 */
		} else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--mode") ||
			   !strcmp(argv[i], "--default") || !strcmp(argv[i], "--hash")) {
			i++;
		}
	}
	rc = 1;
	if (sigsys_build_policy(ctx, &o, &img, &img_len, err, sizeof(err))) {
		fprintf(stderr, "sigsys-mkpolicy: %s\n", err);
		goto out;
	}
	if (print)
		print_policy(img, img_len);
	if (out_path) {
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "sigsys-mkpolicy: %s: %s\n", out_path, strerror(errno));
			goto out;
		}
		if (write(fd, img, img_len) != (ssize_t)img_len || close(fd) != 0) {
			fprintf(stderr, "sigsys-mkpolicy: %s: write failed\n", out_path);
			goto out;
		}
	}
	rc = 0;
out:
	free(img);
	seccomp_release(ctx);
	return rc;
}
