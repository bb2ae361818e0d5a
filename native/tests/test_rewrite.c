/*
 * test_rewrite.c - filter-02: the ret rewrite, checked on real libseccomp
 * output (allow-list, deny-list, argument comparisons, binary tree,
 * multi-arch like Docker's profile) in both modes:
 *
 *   - structure: no non-ALLOW ret left in the original range; ALLOW rets and
 *     every other original insn byte-identical (so all jump offsets hold);
 *     each rewritten ret jumps to the stub of its own action; the ip is read
 *     in exactly one place.
 *   - meaning (via the evaluator): for a grid of seccomp_data, the rewritten
 *     program allows exactly what the original allows, at the same ret insn;
 *     every denial becomes TRAP|MAGIC|idx with actions[idx] the original ret;
 *     from the trusted ip, audit allows everything, enforce only LOG actions
 *     and the handler's harmless calls; the reserved numbers kill.
 *   - kernel cache: every nr is "constant allow" for the rewritten program
 *     exactly when it was for the original (kernel seccomp_is_const_allow).
 *   - limits: more than 4096 insns after the rewrite -> -E2BIG, clear message.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "bpf_eval.h"
#include "build.h"
#include "filter_test.h"
#include "policy.h"
#include "rewrite.h"

#define TRUSTED_IP 0x00007f5566778899ull

typedef void (*rules_fn)(scmp_filter_ctx ctx);

static void add(scmp_filter_ctx ctx, uint32_t act, int nr, unsigned n,
		const struct scmp_arg_cmp *c)
{
	int rc = seccomp_rule_add_array(ctx, act, nr, n, c);

	T_REQUIRE(rc == 0, "rule nr %d: %d", nr, rc);
}

static void allow_list(scmp_filter_ctx ctx)
{
	static const int ok[] = { SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(getpid),
				  SCMP_SYS(exit_group), SCMP_SYS(close), SCMP_SYS(futex) };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		add(ctx, SCMP_ACT_ALLOW, ok[i], 0, NULL);
	add(ctx, SCMP_ACT_ERRNO(13), SCMP_SYS(openat), 0, NULL);
	add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(ptrace), 0, NULL);
	add(ctx, SCMP_ACT_LOG, SCMP_SYS(getuid), 0, NULL);
	add(ctx, SCMP_ACT_TRAP, SCMP_SYS(reboot), 0, NULL);
	add(ctx, SCMP_ACT_ERRNO(13), SCMP_SYS(mkdir), 0, NULL); /* same action as openat */
}

static void deny_list(scmp_filter_ctx ctx)
{
	add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(mount), 0, NULL);
	add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(ptrace), 0, NULL);
	add(ctx, SCMP_ACT_TRAP, SCMP_SYS(reboot), 0, NULL);
	add(ctx, SCMP_ACT_KILL_THREAD, SCMP_SYS(swapon), 0, NULL);
	add(ctx, SCMP_ACT_LOG, SCMP_SYS(getgid), 0, NULL);
	add(ctx, SCMP_ACT_ERRNO(38), SCMP_SYS(getpid), 0, NULL); /* a harmless call denied */
}

static void arg_rules(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp c[2];

	c[0] = SCMP_A0(SCMP_CMP_EQ, 1); /* AF_UNIX */
	add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, c);
	c[0] = SCMP_A0(SCMP_CMP_EQ, 10); /* AF_INET6 */
	add(ctx, SCMP_ACT_ERRNO(97), SCMP_SYS(socket), 1, c);
	c[0] = SCMP_A0(SCMP_CMP_EQ, 0);
	add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, c);
	c[0] = SCMP_A0(SCMP_CMP_EQ, 0xffffffffu);
	add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, c);
	c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, 4 /* PROT_EXEC */, 0);
	add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, c);
	c[0] = SCMP_A1(SCMP_CMP_GT, 0x5400);
	c[1] = SCMP_A0(SCMP_CMP_LT, 3);
	add(ctx, SCMP_ACT_ERRNO(25), SCMP_SYS(ioctl), 2, c);
	c[0] = SCMP_A0(SCMP_CMP_GE, 0x100000000ull);
	add(ctx, SCMP_ACT_LOG, SCMP_SYS(munmap), 1, c);
	c[0] = SCMP_A3(SCMP_CMP_NE, 7);
	add(ctx, SCMP_ACT_TRAP, SCMP_SYS(kill), 1, c);
	add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getpid), 0, NULL);
	add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 0, NULL);
}

/* Enough rules that a linear chain and a binary tree differ. */
static void many_rules(scmp_filter_ctx ctx)
{
	int nr;

	for (nr = 0; nr < 330; nr += 3)
		if (nr != SCMP_SYS(rt_sigreturn))
			add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
	for (nr = 1; nr < 330; nr += 29)
		add(ctx, SCMP_ACT_ERRNO((uint32_t)(nr % 7 + 2)), nr, 0, NULL);
	arg_rules(ctx);
}

static void docker_like(scmp_filter_ctx ctx)
{
	/* x86 and x32 next to the native arch, as Docker's default profile has:
	 * libseccomp adds per-arch sections and an x32 check; the reserved
	 * rules were added before, for the native arch only. */
	T_REQUIRE(seccomp_arch_add(ctx, SCMP_ARCH_X86) == 0, "arch x86");
	T_REQUIRE(seccomp_arch_add(ctx, SCMP_ARCH_X32) == 0, "arch x32");
	allow_list(ctx);
}

struct program {
	const char *name;
	uint32_t def;
	rules_fn rules;
	int binary_tree;
};

static const struct program programs[] = {
	{ "allow-list", SCMP_ACT_ERRNO(1), allow_list, 0 },
	{ "allow-list kill default", SCMP_ACT_KILL_THREAD, allow_list, 0 },
	{ "deny-list", SCMP_ACT_ALLOW, deny_list, 0 },
	{ "args", SCMP_ACT_ERRNO(38), arg_rules, 0 },
	{ "args tree", SCMP_ACT_ERRNO(38), arg_rules, 1 },
	{ "many rules", SCMP_ACT_ERRNO(1), many_rules, 0 },
	{ "many rules tree", SCMP_ACT_ERRNO(1), many_rules, 1 },
	{ "multi-arch", SCMP_ACT_ERRNO(1), docker_like, 0 },
	{ "multi-arch tree", SCMP_ACT_ERRNO(1), docker_like, 1 },
};

static int export_program(const struct program *p, struct sock_filter **insns, uint32_t *n)
{
	scmp_filter_ctx ctx = seccomp_init(p->def);
	char err[256];
	int rc;

	T_REQUIRE(ctx, "seccomp_init");
	T_REQUIRE(sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	p->rules(ctx);
	if (p->binary_tree)
		T_REQUIRE(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) == 0, "optimize");
	rc = sigsys_build_export(ctx, insns, n, err, sizeof(err));
	T_REQUIRE(rc == 0, "%s: export: %s", p->name, err);
	seccomp_release(ctx);
	return rc;
}

static int is_harmless(uint32_t nr)
{
	uint32_t n, i;
	const uint32_t *t = sigsys_handler_syscalls(AUDIT_ARCH_X86_64, &n);

	for (i = 0; i < n; i++)
		if (t[i] == nr)
			return 1;
	return 0;
}

static void check_structure(const char *name, const struct sock_filter *in, uint32_t n,
			    const struct sigsys_rewrite_out *rw)
{
	uint32_t pc, ip_loads = 0, rewritten = 0;

	T_CHECK(rw->orig_n_insns == n, "%s: orig_n_insns", name);
	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *o = &in[pc], *r = &rw->insns[pc];

		if (o->code == (BPF_RET | BPF_K) && o->k != SECCOMP_RET_ALLOW) {
			uint32_t stub, idx;

			rewritten++;
			T_CHECK(r->code == (BPF_JMP | BPF_JA), "%s: insn %u still a ret", name, pc);
			stub = pc + 1 + r->k;
			T_CHECK(stub >= n && stub < rw->n_insns, "%s: insn %u jumps to %u", name, pc,
				stub);
			if (stub >= rw->n_insns)
				continue;
			T_CHECK(rw->insns[stub].code == (BPF_LDX | BPF_IMM), "%s: stub %u", name,
				stub);
			idx = rw->insns[stub].k & SIGSYS_TRAP_INDEX_MASK;
			T_CHECK((rw->insns[stub].k & ~SIGSYS_REWRITE_LOGFLAG) ==
					(SECCOMP_RET_TRAP | SIGSYS_TRAP_MAGIC | idx),
				"%s: stub %u k 0x%x", name, stub, rw->insns[stub].k);
			T_CHECK(idx < rw->n_actions && rw->actions[idx].seccomp == o->k,
				"%s: insn %u ret 0x%x went to action %u", name, pc, o->k, idx);
		} else {
			T_CHECK(memcmp(o, r, sizeof(*o)) == 0, "%s: insn %u changed", name, pc);
		}
		T_CHECK(!(r->code == (BPF_RET | BPF_K) && r->k != SECCOMP_RET_ALLOW),
			"%s: denied ret left at %u", name, pc);
	}
	T_CHECK(rewritten == rw->n_rewritten && rewritten > 0, "%s: %u rewritten", name,
		rewritten);
	/* Dedupe: no two table entries with the same ret value. */
	for (pc = 0; pc < rw->n_actions; pc++) {
		uint32_t j;

		for (j = pc + 1; j < rw->n_actions; j++)
			T_CHECK(rw->actions[pc].seccomp != rw->actions[j].seccomp,
				"%s: action 0x%x twice", name, rw->actions[pc].seccomp);
	}
	/* The ip is read in one place: on the shared trap path. */
	for (pc = 0; pc < rw->n_insns; pc++)
		if (rw->insns[pc].code == (BPF_LD | BPF_W | BPF_ABS) &&
		    (rw->insns[pc].k == 8 || rw->insns[pc].k == 12)) {
			ip_loads++;
			T_CHECK(pc >= n, "%s: ip read at %u inside the original program", name, pc);
		}
	T_CHECK(ip_loads == 2, "%s: %u ip loads", name, ip_loads);
	T_CHECK(rw->insns[rw->trusted_ip_lo_at].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
			rw->insns[rw->trusted_ip_lo_at - 1].k == 8 &&
			rw->insns[rw->trusted_ip_hi_at].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
			rw->insns[rw->trusted_ip_hi_at - 1].k == 12,
		"%s: trusted ip indexes %u/%u", name, rw->trusted_ip_lo_at, rw->trusted_ip_hi_at);
	{
		char err[200];

		T_CHECK(sigsys_bpf_check(rw->insns, rw->n_insns, err, sizeof(err)) == 0,
			"%s: rewritten program fails the kernel checks: %s", name, err);
	}
}

static const uint64_t arg_values[] = { 0, 1, 3, 4, 7, 10, 0x5400, 0x5401, 0xffffffffull,
				       0x100000000ull, 0xffffffffffffffffull };
#define N_ARGV (sizeof(arg_values) / sizeof(arg_values[0]))

static void check_meaning(const char *name, const struct sock_filter *in, uint32_t n,
			  const struct sigsys_rewrite_out *rw, uint32_t mode)
{
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0x12345678 };
	static struct sock_filter patched[SIGSYS_POLICY_MAX_INSNS];
	uint32_t a, nr, v, checked = 0;

	memcpy(patched, rw->insns, rw->n_insns * sizeof(patched[0]));
	T_REQUIRE(sigsys_policy_patch_trusted_ip(patched, rw->n_insns, rw->trusted_ip_lo_at,
						 rw->trusted_ip_hi_at, TRUSTED_IP) == 0, "patch");
	for (a = 0; a < 3; a++) {
		for (nr = 0; nr < 470 + 4; nr++) {
			struct seccomp_data d;
			uint32_t the_nr = nr;

			if (nr >= 470) /* the reserved ones and x32 numbers */
				the_nr = (uint32_t[]){ SIGSYS_NR_KILL_PROCESS, SIGSYS_NR_KILL_THREAD,
						       0x40000027u, 0xffffffffu }[nr - 470];
			for (v = 0; v < N_ARGV; v++) {
				uint32_t o_at, r_at, t_at, o, r, t, j, idx;

				memset(&d, 0, sizeof(d));
				d.nr = (int)the_nr;
				d.arch = arches[a];
				for (j = 0; j < 6; j++)
					d.args[j] = arg_values[(v + j * 3) % N_ARGV];
				d.instruction_pointer = 0x401000 + nr;
				o = sigsys_bpf_eval(in, n, &d, &o_at);
				r = sigsys_bpf_eval(patched, rw->n_insns, &d, &r_at);
				/* Same low half, other high half: not trusted. */
				d.instruction_pointer = TRUSTED_IP ^ (1ull << 40);
				t = sigsys_bpf_eval(patched, rw->n_insns, &d, &t_at);
				T_CHECK(t == r, "%s: nr %u: half-matching ip -> 0x%x, not 0x%x", name,
					the_nr, t, r);
				d.instruction_pointer = TRUSTED_IP;
				t = sigsys_bpf_eval(patched, rw->n_insns, &d, &t_at);
				checked++;

				if (o == SECCOMP_RET_ALLOW) {
					T_CHECK(r == o && r_at == o_at && t == o && t_at == o_at,
						"%s: nr %u allowed at %u, rewritten 0x%x at %u", name,
						the_nr, o_at, r, r_at);
					continue;
				}
				if (the_nr == SIGSYS_NR_KILL_PROCESS || the_nr == SIGSYS_NR_KILL_THREAD) {
					uint32_t want = the_nr == SIGSYS_NR_KILL_PROCESS
								? SECCOMP_RET_KILL_PROCESS
								: SECCOMP_RET_KILL_THREAD;
					T_CHECK(r == want && t == want, "%s: reserved %x -> 0x%x/0x%x",
						name, the_nr, r, t);
					continue;
				}
				idx = r & SIGSYS_TRAP_INDEX_MASK;
				T_CHECK((r & ~SIGSYS_TRAP_INDEX_MASK) ==
						(SECCOMP_RET_TRAP | SIGSYS_TRAP_MAGIC) &&
						idx < rw->n_actions && rw->actions[idx].seccomp == o,
					"%s: nr %u arch %x: original 0x%x, rewritten 0x%x", name,
					the_nr, arches[a], o, r);
				if (arches[a] != AUDIT_ARCH_X86_64 || (the_nr & 0x40000000u)) {
					/* i386 (int $0x80 ending at the ip) and x32
					 * numbers never pass as the handler's calls. */
					T_CHECK(t == r, "%s: foreign/x32 at the trusted ip: nr %x arch %x -> 0x%x not 0x%x",
						name, the_nr, arches[a], t, r);
				} else if (mode == SIGSYS_MODE_AUDIT) {
					T_CHECK(t == SECCOMP_RET_ALLOW,
						"%s: audit, trusted ip, nr %u -> 0x%x", name, the_nr, t);
				} else if ((o & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG ||
					   is_harmless(the_nr)) {
					T_CHECK(t == SECCOMP_RET_ALLOW,
						"%s: enforce, trusted ip, nr %u (0x%x) -> 0x%x", name,
						the_nr, o, t);
				} else {
					T_CHECK(t == r, "%s: enforce, trusted ip, nr %u -> 0x%x not 0x%x",
						name, the_nr, t, r);
				}
			}
		}
	}
	T_CHECK(checked > 10000, "%s: only %u cases", name, checked);
}

static void check_cache(const char *name, const struct sock_filter *in, uint32_t n,
			const struct sigsys_rewrite_out *rw, int expect_some)
{
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386 };
	uint32_t a, nr, consts = 0;

	for (a = 0; a < 2; a++)
		for (nr = 0; nr < 512; nr++) {
			int o = sigsys_bpf_is_const_allow(in, n, arches[a], nr);
			int r = sigsys_bpf_is_const_allow(rw->insns, rw->n_insns, arches[a], nr);

			T_CHECK(o == r, "%s: nr %u arch %x const-allow %d -> %d", name, nr, arches[a],
				o, r);
			consts += (uint32_t)r;
		}
	if (expect_some)
		T_CHECK(consts > 0, "%s: no constant-allow syscalls at all", name);
}

static void test_programs(void)
{
	static struct sigsys_rewrite_out rw;
	size_t i;
	int m;

	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		struct sock_filter *in;
		uint32_t n;
		char err[256], name[96];

		export_program(&programs[i], &in, &n);
		for (m = SIGSYS_MODE_ENFORCE; m <= SIGSYS_MODE_AUDIT; m++) {
			snprintf(name, sizeof(name), "%s/%s", programs[i].name,
				 m == SIGSYS_MODE_AUDIT ? "audit" : "enforce");
			T_REQUIRE(sigsys_rewrite(in, n, AUDIT_ARCH_X86_64, (uint32_t)m, &rw, err,
						 sizeof(err)) == 0, "%s: %s", name, err);
			check_structure(name, in, n, &rw);
			check_meaning(name, in, n, &rw, (uint32_t)m);
			check_cache(name, in, n, &rw, 1);
		}
		free(in);
	}
}

/* The known constant-allow set of one program, so check_cache's equality
 * is not satisfied by both sides being wrong the same way. */
static void test_cache_known(void)
{
	static struct sigsys_rewrite_out rw;
	struct sock_filter *in;
	uint32_t n;
	char err[256];

	export_program(&programs[3], &in, &n); /* args */
	T_REQUIRE(sigsys_rewrite(in, n, AUDIT_ARCH_X86_64, SIGSYS_MODE_ENFORCE, &rw, err,
				 sizeof(err)) == 0, "%s", err);
	T_CHECK(sigsys_bpf_is_const_allow(rw.insns, rw.n_insns, AUDIT_ARCH_X86_64,
					  SCMP_SYS(getpid)), "getpid allowed outright");
	T_CHECK(sigsys_bpf_is_const_allow(rw.insns, rw.n_insns, AUDIT_ARCH_X86_64,
					  SCMP_SYS(rt_sigreturn)), "rt_sigreturn (reserved)");
	T_CHECK(!sigsys_bpf_is_const_allow(rw.insns, rw.n_insns, AUDIT_ARCH_X86_64,
					   SCMP_SYS(socket)), "socket depends on arg0");
	T_CHECK(!sigsys_bpf_is_const_allow(rw.insns, rw.n_insns, AUDIT_ARCH_X86_64,
					   SCMP_SYS(openat)), "openat is denied");
	T_CHECK(!sigsys_bpf_is_const_allow(rw.insns, rw.n_insns, AUDIT_ARCH_I386,
					   SCMP_SYS(getpid)), "foreign arch");
	free(in);
}

static void test_limits(void)
{
	static struct sigsys_rewrite_out rw;
	static struct sock_filter big[SIGSYS_POLICY_MAX_INSNS];
	char err[256] = "";
	uint32_t i, n;
	int rc;

	/* 4090 insns + one denied action: the epilogue pushes it over. */
	n = 4090;
	for (i = 0; i + 1 < n; i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
	big[n - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1);
	rc = sigsys_rewrite(big, n, AUDIT_ARCH_X86_64, SIGSYS_MODE_ENFORCE, &rw, err,
			    sizeof(err));
	T_CHECK(rc == -E2BIG, "rc %d", rc);
	T_CHECK(strcmp(err, "program has 4120 instructions; the kernel limit is 4096") == 0,
		"message '%s'", err);
	/* Audit has no harmless list: 12 insns shorter, and still too long. */
	rc = sigsys_rewrite(big, n, AUDIT_ARCH_X86_64, SIGSYS_MODE_AUDIT, &rw, err,
			    sizeof(err));
	T_CHECK(rc == -E2BIG && strstr(err, "program has 4108 instructions"), "audit: %d %s",
		rc, err);
	/* Shorter: fits exactly at the limit in enforce mode. */
	n = 4096 - 30;
	big[n - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1);
	rc = sigsys_rewrite(big, n, AUDIT_ARCH_X86_64, SIGSYS_MODE_ENFORCE, &rw, err,
			    sizeof(err));
	T_CHECK(rc == 0 && rw.n_insns == 4096, "at the limit: rc %d, %u insns (%s)", rc,
		rw.n_insns, err);

	/* 257 distinct actions. */
	n = 0;
	big[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
	for (i = 0; i < 257; i++) {
		big[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, i, 0, 1);
		big[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (i + 1));
	}
	big[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	rc = sigsys_rewrite(big, n, AUDIT_ARCH_X86_64, SIGSYS_MODE_ENFORCE, &rw, err,
			    sizeof(err));
	T_CHECK(rc == -E2BIG && strcmp(err, "more than 256 distinct actions") == 0,
		"actions: %d %s", rc, err);

	/* `ret a` has no static action: refused, not guessed. */
	big[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ERRNO | 1);
	big[1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	rc = sigsys_rewrite(big, 2, AUDIT_ARCH_X86_64, SIGSYS_MODE_ENFORCE, &rw, err,
			    sizeof(err));
	T_CHECK(rc == -EINVAL && strstr(err, "insn 1 is `ret a`"), "ret a: %d %s", rc, err);

	/* Unknown arch: no harmless table, refused. */
	rc = sigsys_rewrite(big, 2, 0x1234, SIGSYS_MODE_ENFORCE, &rw, err, sizeof(err));
	T_CHECK(rc == -EINVAL && strstr(err, "unsupported arch"), "arch: %d %s", rc, err);
}

/* Through libseccomp: a profile too big for the kernel fails in the builder
 * with the same clear message, not later in seccomp(2). */
static void test_limits_libseccomp(void)
{
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));
	char err[256] = "";
	uint8_t *img = NULL;
	size_t len;
	uint32_t i;
	int rc;

	T_REQUIRE(ctx && sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	for (i = 0; i < 1500; i++) {
		struct scmp_arg_cmp c[2] = { SCMP_A0(SCMP_CMP_EQ, i * 7),
					     SCMP_A1(SCMP_CMP_EQ, 0x100000000ull * i + 3) };

		add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2, c);
	}
	rc = sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err));
	T_CHECK(rc == -E2BIG && strstr(err, "program has ") &&
			strstr(err, "instructions before the trap epilogue; the kernel limit is 4096"),
		"rc %d '%s'", rc, err);
	T_CHECK(img == NULL, "no image on failure");
	seccomp_release(ctx);
}

int main(void)
{
	test_programs();
	test_cache_known();
	test_limits();
	test_limits_libseccomp();
	return t_done("filter-02-rewrite");
}
