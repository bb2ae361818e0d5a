/*
 * test_eval.c - filter-05: the evaluator on hand-written programs (each
 * row: program, input, expected return value and ret index), its
 * kernel-cache emulation, the execution path, and sigsys_policy_verdict()
 * on a built policy (what `sigsys explain` prints).  Kernel agreement of the
 * same evaluator is filter-03 (live).
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

#define S(c, k) BPF_STMT((c), (k))
#define J(c, k, t, f) BPF_JUMP((c), (k), (t), (f))
#define LD(off) S(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(k) S(BPF_RET | BPF_K, (k))
#define OFF_NR offsetof(struct seccomp_data, nr)
#define OFF_ARCH offsetof(struct seccomp_data, arch)
#define OFF_A0 offsetof(struct seccomp_data, args[0])
#define OFF_A0HI (offsetof(struct seccomp_data, args[0]) + 4)
#define OFF_IP offsetof(struct seccomp_data, instruction_pointer)

struct row {
	const char *name;
	struct sock_filter prog[12];
	uint32_t n;
	uint32_t nr;
	uint64_t a0;
	uint32_t want, want_at;
};

static const struct row rows[] = {
	{ "01 ret k", { RET(0x7fff0000) }, 1, 0, 0, 0x7fff0000, 0 },
	{ "02 jeq taken", { LD(OFF_NR), J(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1), RET(1), RET(2) },
	  4, 39, 0, 1, 2 },
	{ "03 jeq not taken", { LD(OFF_NR), J(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1), RET(1), RET(2) },
	  4, 40, 0, 2, 3 },
	{ "04 ja", { S(BPF_JMP | BPF_JA, 1), RET(1), RET(2) }, 3, 0, 0, 2, 2 },
	{ "05 jgt/jge boundary", { LD(OFF_NR), J(BPF_JMP | BPF_JGT | BPF_K, 10, 2, 0),
				   J(BPF_JMP | BPF_JGE | BPF_K, 10, 2, 0), RET(1), RET(2), RET(3) },
	  6, 10, 0, 3, 5 },
	{ "06 jset", { LD(OFF_A0), J(BPF_JMP | BPF_JSET | BPF_K, 4, 0, 1), RET(1), RET(2) }, 4, 0,
	  6, 1, 2 },
	{ "08 ret a", { LD(OFF_A0), S(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
			S(BPF_RET | BPF_A, 0) },
	  3, 0, 0x1234, SECCOMP_RET_ERRNO | 0x1234, 2 },
	{ "09 div by x = 0 returns 0", { S(BPF_LDX | BPF_IMM, 0), S(BPF_LD | BPF_IMM, 5),
					 S(BPF_ALU | BPF_DIV | BPF_X, 0), RET(7) },
	  4, 0, 0, 0, 2 },
	{ "10 len", { S(BPF_LD | BPF_W | BPF_LEN, 0), S(BPF_RET | BPF_A, 0) }, 2, 0, 0, 64, 1 },
	{ "11 scratch", { S(BPF_LD | BPF_IMM, 9), S(BPF_ST, 15), S(BPF_LD | BPF_IMM, 1),
			  S(BPF_LDX | BPF_MEM, 15), S(BPF_MISC | BPF_TXA, 0),
			  S(BPF_RET | BPF_A, 0) },
	  6, 0, 0, 9, 5 },
	{ "12 shift by x masks to 5 bits", { S(BPF_LDX | BPF_IMM, 33), S(BPF_LD | BPF_IMM, 1),
					     S(BPF_ALU | BPF_LSH | BPF_X, 0),
					     S(BPF_RET | BPF_A, 0) },
	  4, 0, 0, 2, 3 },
	{ "13 32-bit wrap", { S(BPF_LD | BPF_IMM, 0xffffffff), S(BPF_ALU | BPF_ADD | BPF_K, 2),
			      S(BPF_RET | BPF_A, 0) },
	  3, 0, 0, 1, 2 },
	{ "14 off the end", { LD(OFF_NR) }, 1, 0, 0, 0, 1 },
};

static void test_rows(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct seccomp_data d;
		uint32_t at = 99, r;

		memset(&d, 0, sizeof(d));
		d.nr = (int)rows[i].nr;
		d.arch = AUDIT_ARCH_X86_64;
		d.args[0] = rows[i].a0;
		r = sigsys_bpf_eval(rows[i].prog, rows[i].n, &d, &at);
		T_CHECK(r == rows[i].want && at == rows[i].want_at, "%s: 0x%x at %u, want 0x%x at %u",
			rows[i].name, r, at, rows[i].want, rows[i].want_at);
	}
}

static void test_high_half(void)
{
	/* Args are 64-bit: offset 20 is the high half of args[0] on LE. */
	struct sock_filter p[] = { LD(OFF_A0HI), S(BPF_RET | BPF_A, 0) };
	struct seccomp_data d;

	memset(&d, 0, sizeof(d));
	d.args[0] = 0x1122334455667788ull;
	T_CHECK(sigsys_bpf_eval(p, 2, &d, NULL) == 0x11223344u, "high half");
	p[0].k = OFF_A0;
	T_CHECK(sigsys_bpf_eval(p, 2, &d, NULL) == 0x55667788u, "low half");
	p[0].k = OFF_IP + 4;
	d.instruction_pointer = 0x00007fff00001000ull;
	T_CHECK(sigsys_bpf_eval(p, 2, &d, NULL) == 0x7fffu, "ip high half");
}

/* The kernel's cache emulation gives up on anything but nr/arch loads,
 * `and #k` and #k jumps; it must not call an arg-dependent allow constant. */
static void test_const_allow(void)
{
	struct sock_filter by_nr[] = { LD(OFF_ARCH), J(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
				       LD(OFF_NR), S(BPF_ALU | BPF_AND | BPF_K, 0xff),
				       J(BPF_JMP | BPF_JEQ | BPF_K, 39, 1, 0),
				       RET(SECCOMP_RET_ERRNO | 1), RET(SECCOMP_RET_ALLOW) };
	struct sock_filter by_arg[] = { LD(OFF_NR), J(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 3), LD(OFF_A0),
					J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), RET(SECCOMP_RET_ALLOW),
					RET(SECCOMP_RET_ERRNO | 1) };
	struct sock_filter with_x[] = { S(BPF_LDX | BPF_IMM, 39), LD(OFF_NR),
					J(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1), RET(SECCOMP_RET_ALLOW),
					RET(SECCOMP_RET_ALLOW) };

	T_CHECK(sigsys_bpf_is_const_allow(by_nr, 7, AUDIT_ARCH_X86_64, 39), "nr 39");
	T_CHECK(sigsys_bpf_is_const_allow(by_nr, 7, AUDIT_ARCH_X86_64, 39 + 256), "and #0xff");
	T_CHECK(!sigsys_bpf_is_const_allow(by_nr, 7, AUDIT_ARCH_X86_64, 40), "nr 40 denied");
	T_CHECK(!sigsys_bpf_is_const_allow(by_nr, 7, AUDIT_ARCH_I386, 39), "other arch");
	T_CHECK(!sigsys_bpf_is_const_allow(by_arg, 6, AUDIT_ARCH_X86_64, 39), "reads an arg");
	T_CHECK(!sigsys_bpf_is_const_allow(by_arg, 6, AUDIT_ARCH_X86_64, 40) ,
		"40 falls to ret errno... after reading nothing else");
	T_CHECK(!sigsys_bpf_is_const_allow(with_x, 5, AUDIT_ARCH_X86_64, 39),
		"the kernel gives up on X (even though both paths allow)");
}

static void test_verdict(void)
{
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));
	struct sigsys_policy p;
	struct sigsys_verdict v;
	struct seccomp_data d;
	uint32_t path[64], len;
	char err[256];
	uint8_t *img;
	size_t n;

	T_REQUIRE(ctx && sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getpid), 0) == 0, "rule");
	T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(13), SCMP_SYS(openat), 0) == 0, "rule");
	T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(getuid), 0) == 0, "rule");
	T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &n, err, sizeof(err)) == 0, "%s", err);
	T_REQUIRE(sigsys_policy_check(img, n, AUDIT_ARCH_X86_64, &p, err, sizeof(err)) == 0,
		  "%s", err);
	seccomp_release(ctx);

	memset(&d, 0, sizeof(d));
	d.arch = AUDIT_ARCH_X86_64;
	d.instruction_pointer = 0x401000;

	d.nr = SCMP_SYS(getpid);
	sigsys_policy_verdict(&p, &d, &v);
	T_CHECK(v.ret == SECCOMP_RET_ALLOW && v.kind == SIGSYS_ACT_ALLOW && v.action_idx == -1 &&
			v.denied_at == UINT32_MAX && p.insns[v.ret_at].code == (BPF_RET | BPF_K),
		"getpid: ret 0x%x kind %u idx %d at %u", v.ret, v.kind, v.action_idx, v.denied_at);

	d.nr = SCMP_SYS(openat);
	sigsys_policy_verdict(&p, &d, &v);
	T_CHECK(v.kind == SIGSYS_ACT_ERRNO && v.data == 13 && v.action_idx >= 0 &&
			p.actions[v.action_idx].seccomp == SCMP_ACT_ERRNO(13),
		"openat: kind %u data %u", v.kind, v.data);
	T_CHECK(v.denied_at < p.hdr->n_insns && p.insns[v.denied_at].code == (BPF_JMP | BPF_JA),
		"openat denied at %u", v.denied_at);
	/* The path ends at the trap ret and passes the denying insn. */
	sigsys_bpf_eval_path(p.insns, p.hdr->n_insns, &d, NULL, path, 64, &len);
	T_CHECK(len > 3 && path[0] == 0 && path[len - 1] == v.ret_at, "path len %u", len);

	d.nr = SCMP_SYS(getuid);
	sigsys_policy_verdict(&p, &d, &v);
	T_CHECK(v.kind == SIGSYS_ACT_LOG && (v.ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP,
		"getuid: log, reported through a trap (kind %u ret 0x%x)", v.kind, v.ret);

	d.nr = SCMP_SYS(getgid); /* default */
	sigsys_policy_verdict(&p, &d, &v);
	T_CHECK(v.kind == SIGSYS_ACT_ERRNO && v.data == 1, "getgid: default errno(1)");

	d.nr = SIGSYS_NR_KILL_PROCESS;
	sigsys_policy_verdict(&p, &d, &v);
	T_CHECK(v.ret == SECCOMP_RET_KILL_PROCESS && v.kind == SIGSYS_ACT_KILL_PROCESS,
		"reserved kill: ret 0x%x", v.ret);

	d.arch = AUDIT_ARCH_I386;
	d.nr = SCMP_SYS(getpid);
	sigsys_policy_verdict(&p, &d, &v);
	T_CHECK(v.kind == SIGSYS_ACT_KILL_THREAD && v.action_idx >= 0,
		"foreign arch: libseccomp's bad-arch action, trapped (kind %u)", v.kind);
	free(img);
}

static void test_disasm(void)
{
	static const struct {
		struct sock_filter insn;
		uint32_t pc;
		const char *want;
	} t[] = {
		{ LD(OFF_NR), 0, "ld [nr]" },
		{ LD(OFF_ARCH), 0, "ld [arch]" },
		{ LD(OFF_A0 + 8), 0, "ld [args[1]]" },
		{ LD(OFF_A0 + 12), 0, "ld [args[1]_hi]" },
		{ LD(OFF_IP + 4), 0, "ld [ip_hi]" },
		{ J(BPF_JMP | BPF_JEQ | BPF_K, 39, 2, 0), 10, "jeq #0x27, 13, 11" },
		{ J(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 1), 3, "jset x, 4, 5" },
		{ S(BPF_JMP | BPF_JA, 7), 2, "ja 10" },
		{ S(BPF_LDX | BPF_IMM, 0x3a001), 0, "ldx #0x3a001" },
		{ S(BPF_LD | BPF_MEM, 3), 0, "ld M[3]" },
		{ S(BPF_STX, 4), 0, "stx M[4]" },
		{ S(BPF_ALU | BPF_AND | BPF_K, 0x7fffffff), 0, "and #0x7fffffff" },
		{ S(BPF_ALU | BPF_RSH | BPF_X, 0), 0, "rsh x" },
		{ S(BPF_ALU | BPF_NEG, 0), 0, "neg" },
		{ S(BPF_MISC | BPF_TXA, 0), 0, "txa" },
		{ S(BPF_LD | BPF_W | BPF_LEN, 0), 0, "ld len" },
		{ RET(SECCOMP_RET_ALLOW), 0, "ret #0x7fff0000" },
		{ S(BPF_RET | BPF_A, 0), 0, "ret a" },
		{ S(BPF_LD | BPF_B | BPF_IND, 1), 0, ".insn 0x0050, 0, 0, 0x1" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sock_filter prog[16];
		char buf[64];

		memset(prog, 0, sizeof(prog));
		prog[t[i].pc] = t[i].insn;
		sigsys_bpf_disasm(prog, t[i].pc, buf, sizeof(buf));
		T_CHECK(strcmp(buf, t[i].want) == 0, "disasm %zu: '%s', want '%s'", i, buf,
			t[i].want);
	}
}

int main(void)
{
	test_disasm();
	test_rows();
	test_high_half();
	test_const_allow();
	test_verdict();
	return t_done("filter-05-eval");
}
