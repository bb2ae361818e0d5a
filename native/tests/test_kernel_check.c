/*
 * test_kernel_check.c - filter-06 (label "live"): sigsys_bpf_check(), which
 * policy parsing relies on, accepts exactly what the kernel accepts.  Each
 * row is a program; a forked child tries to install it with seccomp(2) and
 * stores the result in shared memory (a plain store: the child may be unable
 * to make any syscall afterwards), and the parent compares it with the
 * checker's verdict.  Rows cover every class of refusal the checker knows,
 * the kernel's quirks it mirrors (scratch validity survives a ret), and real
 * rewritten libseccomp programs of several shapes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "build.h"
#include "filter_test.h"
#include "policy.h"
#include "rewrite.h"

#define S(c, k) BPF_STMT((c), (k))
#define J(c, k, t, f) BPF_JUMP((c), (k), (t), (f))
#define RET(k) S(BPF_RET | BPF_K, (k))
#define ALLOW RET(SECCOMP_RET_ALLOW)

struct row {
	const char *name;
	struct sock_filter prog[8];
	uint32_t n;
};

static const struct row rows[] = {
	{ "01 ret allow", { ALLOW }, 1 },
	{ "02 load nr", { S(BPF_LD | BPF_W | BPF_ABS, 0), ALLOW }, 2 },
	{ "03 load last arg word", { S(BPF_LD | BPF_W | BPF_ABS, 60), ALLOW }, 2 },
	{ "04 load past the end", { S(BPF_LD | BPF_W | BPF_ABS, 64), ALLOW }, 2 },
	{ "05 unaligned load", { S(BPF_LD | BPF_W | BPF_ABS, 2), ALLOW }, 2 },
	{ "06 half-word load", { S(BPF_LD | BPF_H | BPF_ABS, 0), ALLOW }, 2 },
	{ "07 indirect load", { S(BPF_LD | BPF_W | BPF_IND, 0), ALLOW }, 2 },
	{ "08 ldx abs", { S(BPF_LDX | BPF_W | BPF_ABS, 0), ALLOW }, 2 },
	{ "09 ldx msh", { S(BPF_LDX | BPF_B | BPF_MSH, 0), ALLOW }, 2 },
	{ "10 ld len", { S(BPF_LD | BPF_W | BPF_LEN, 0), ALLOW }, 2 },
	{ "11 ldx len", { S(BPF_LDX | BPF_W | BPF_LEN, 0), ALLOW }, 2 },
	{ "12 mod", { S(BPF_ALU | BPF_MOD | BPF_K, 3), ALLOW }, 2 },
	{ "13 div by 0", { S(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW }, 2 },
	{ "14 div by x", { S(BPF_ALU | BPF_DIV | BPF_X, 0), ALLOW }, 2 },
	{ "15 shift by 31", { S(BPF_ALU | BPF_LSH | BPF_K, 31), ALLOW }, 2 },
	{ "16 shift by 32", { S(BPF_ALU | BPF_RSH | BPF_K, 32), ALLOW }, 2 },
	{ "17 neg", { S(BPF_ALU | BPF_NEG, 0), ALLOW }, 2 },
	{ "18 scratch read first", { S(BPF_LD | BPF_MEM, 0), ALLOW }, 2 },
	{ "19 scratch store then read", { S(BPF_ST, 0), S(BPF_LD | BPF_MEM, 0), ALLOW }, 3 },
	{ "20 scratch M[16]", { S(BPF_ST, 16), ALLOW }, 2 },
	{ "21 scratch on one path only",
	  { S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), S(BPF_ST, 2),
	    S(BPF_LDX | BPF_MEM, 2), ALLOW }, 5 },
	{ "22 scratch on both paths",
	  { S(BPF_LD | BPF_W | BPF_ABS, 0), S(BPF_ST, 2), J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
	    S(BPF_ST, 3), S(BPF_LDX | BPF_MEM, 2), ALLOW }, 6 },
	{ "23 quirk: validity survives a ret",
	  { S(BPF_ST, 0), ALLOW, S(BPF_LD | BPF_MEM, 0), S(BPF_RET | BPF_A, 0) }, 4 },
	{ "24 unreachable scratch read", { ALLOW, S(BPF_LD | BPF_MEM, 0), ALLOW }, 3 },
	{ "25 jump past the end", { J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), ALLOW }, 2 },
	{ "26 jump to the last insn", { J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0), ALLOW }, 2 },
	{ "27 ja past the end", { S(BPF_JMP | BPF_JA, 1), ALLOW }, 2 },
	{ "28 ja to the last insn", { S(BPF_JMP | BPF_JA, 1), ALLOW, ALLOW }, 3 },
	{ "29 jset x, jgt x", { J(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 0), J(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 0),
				ALLOW }, 3 },
	{ "30 last not ret", { ALLOW, S(BPF_LD | BPF_IMM, 0) }, 2 },
	{ "31 ret a", { S(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW), S(BPF_RET | BPF_A, 0) }, 2 },
	{ "32 ret x", { S(BPF_RET | BPF_X, 0) }, 1 },
	{ "33 tax txa", { S(BPF_MISC | BPF_TAX, 0), S(BPF_MISC | BPF_TXA, 0), ALLOW }, 3 },
	{ "34 empty", { ALLOW }, 0 },
};

static int *shared; /* [0] = result of seccomp() in the child, -errno or 0 */

static int kernel_accepts(const struct sock_filter *f, uint32_t n)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = (struct sock_filter *)f };
	pid_t pid;
	int st;

	*shared = 1; /* "did not get there" */
	fflush(NULL);
	pid = fork();
	T_REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		long rc;

		setrlimit(RLIMIT_CORE, &no_core);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(99);
		rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
		*shared = rc == 0 ? 0 : -errno;
		_exit(0); /* may not work under the filter: status is not looked at */
	}
	T_REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
	T_REQUIRE(*shared != 1, "child died before seccomp() returned (status 0x%x)", st);
	return *shared;
}

static void check(const char *name, const struct sock_filter *f, uint32_t n)
{
	char why[200] = "";
	int ours = sigsys_bpf_check(f, n, why, sizeof(why));
	int kernel = kernel_accepts(f, n);

	T_CHECK((ours == 0) == (kernel == 0), "%s: sigsys_bpf_check %d (%s), kernel %d", name,
		ours, why, kernel);
}

static void test_rows(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check(rows[i].name, rows[i].prog, rows[i].n);
}

static void test_sizes(void)
{
	static struct sock_filter big[SIGSYS_POLICY_MAX_INSNS + 1];
	uint32_t i;

	for (i = 0; i < SIGSYS_POLICY_MAX_INSNS + 1; i++)
		big[i] = (struct sock_filter)ALLOW;
	check("35 4096 insns", big, SIGSYS_POLICY_MAX_INSNS);
	check("36 4097 insns", big, SIGSYS_POLICY_MAX_INSNS + 1);
}

static void rules_docker_like(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, 0x7e020000, 0);
	int nr;

	T_REQUIRE(seccomp_arch_add(ctx, SCMP_ARCH_X86) == 0 &&
			  seccomp_arch_add(ctx, SCMP_ARCH_X32) == 0, "arches");
	for (nr = 0; nr < 335; nr++)
		if (nr != SCMP_SYS(rt_sigreturn) && nr != SCMP_SYS(clone) &&
		    nr != SCMP_SYS(ptrace) && nr != SCMP_SYS(personality) && nr % 11)
			T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0, "rule %d", nr);
	T_REQUIRE(seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &c) == 0,
		  "clone");
	T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(38), SCMP_SYS(ptrace), 0) == 0, "ptrace");
	T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(personality), 0) == 0,
		  "personality");
}

static void test_rewritten(void)
{
	static const struct {
		const char *name;
		uint32_t mode;
		int tree;
	} shapes[] = {
		{ "37 docker-like enforce", SIGSYS_MODE_ENFORCE, 0 },
		{ "38 docker-like audit", SIGSYS_MODE_AUDIT, 0 },
		{ "39 docker-like enforce tree", SIGSYS_MODE_ENFORCE, 1 },
		{ "40 docker-like audit tree", SIGSYS_MODE_AUDIT, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct sigsys_build_opts o = { .mode = shapes[i].mode,
					       .binary_tree = shapes[i].tree };
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));
		struct sigsys_policy p;
		char err[256];
		uint8_t *img;
		size_t len;

		T_REQUIRE(ctx && sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
		rules_docker_like(ctx);
		T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s",
			  err);
		T_REQUIRE(sigsys_policy_check(img, len, AUDIT_ARCH_X86_64, &p, err,
					      sizeof(err)) == 0, "%s", err);
		T_CHECK(kernel_accepts(p.insns, p.hdr->n_insns) == 0, "%s: kernel refused (%u insns)",
			shapes[i].name, p.hdr->n_insns);
		free(img);
		seccomp_release(ctx);
	}
}

int main(void)
{
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	T_REQUIRE(shared != MAP_FAILED, "mmap");
	test_rows();
	test_sizes();
	test_rewritten();
	return t_done("filter-06-kernel-check");
}
