/*
 * rewrite.c - ret rewriting and the trap epilogue (layout in rewrite.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "errbuf.h"
#include "rewrite.h"

#include "seccomp_compat.h"

#define OFF_NR offsetof(struct seccomp_data, nr)
#define OFF_ARCH offsetof(struct seccomp_data, arch)
#define OFF_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define OFF_IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)

/*
 * The handler's own harmless syscalls (rewrite.h explains why they exist and
 * why the list is short).  Numbers are spelled out, not taken from
 * <sys/syscall.h>, so a policy for either arch can be built on any host.
 */
static const uint32_t handler_syscalls_x86_64[] = {
	39,  /* getpid */
	186, /* gettid */
	228, /* clock_gettime */
	96,  /* gettimeofday */
	14,  /* rt_sigprocmask */
	13,  /* rt_sigaction */
	131, /* sigaltstack */
	231, /* exit_group */
	60,  /* exit */
	462, /* mseal: the constructor seals the trusted page after execve */
};

static const uint32_t handler_syscalls_aarch64[] = {
	172, /* getpid */
	178, /* gettid */
	113, /* clock_gettime */
	169, /* gettimeofday */
	135, /* rt_sigprocmask */
	134, /* rt_sigaction */
	132, /* sigaltstack */
	94,  /* exit_group */
	93,  /* exit */
	462, /* mseal */
};

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

const uint32_t *sigsys_handler_syscalls(uint32_t arch, uint32_t *n)
{
	switch (arch) {
	case AUDIT_ARCH_X86_64:
		*n = N_ELEM(handler_syscalls_x86_64);
		return handler_syscalls_x86_64;
	case AUDIT_ARCH_AARCH64:
		*n = N_ELEM(handler_syscalls_aarch64);
		return handler_syscalls_aarch64;
	default:
		*n = 0;
		return NULL;
	}
}

void sigsys_action_from_ret(uint32_t ret, struct sigsys_action *a)
{
	uint32_t data = ret & SECCOMP_RET_DATA;

	memset(a, 0, sizeof(*a));
	a->seccomp = ret;
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_THREAD:
		a->kind = SIGSYS_ACT_KILL_THREAD;
		break;
	case SECCOMP_RET_TRAP:
		a->kind = SIGSYS_ACT_TRAP;
		a->data = data;
		break;
	case SECCOMP_RET_ERRNO:
		a->kind = SIGSYS_ACT_ERRNO;
		a->data = data;
		break;
	case SECCOMP_RET_TRACE:
		a->kind = SIGSYS_ACT_TRACE;
		a->data = data;
		break;
	case SECCOMP_RET_LOG:
		a->kind = SIGSYS_ACT_LOG;
		break;
	case SECCOMP_RET_USER_NOTIF:
		a->kind = SIGSYS_ACT_USER_NOTIF;
		break;
	case SECCOMP_RET_ALLOW:
		a->kind = SIGSYS_ACT_ALLOW;
		break;
	case SECCOMP_RET_KILL_PROCESS:
	default:
		/* The kernel treats every unknown action as KILL_PROCESS
		 * (__seccomp_filter's default case); so do we. */
		a->kind = SIGSYS_ACT_KILL_PROCESS;
		break;
	}
}

const char *sigsys_action_kind_name(uint32_t kind)
{
	switch (kind) {
	case SIGSYS_ACT_KILL_PROCESS: return "kill_process";
	case SIGSYS_ACT_KILL_THREAD: return "kill_thread";
	case SIGSYS_ACT_TRAP: return "trap";
	case SIGSYS_ACT_ERRNO: return "errno";
	case SIGSYS_ACT_TRACE: return "trace";
	case SIGSYS_ACT_LOG: return "log";
	case SIGSYS_ACT_USER_NOTIF: return "user_notif";
	case SIGSYS_ACT_ALLOW: return "allow";
	default: return "unknown";
	}
}

static struct sock_filter stmt(uint16_t code, uint32_t k)
{
	struct sock_filter f = { code, 0, 0, k };
	return f;
}

/* A conditional jump from `pc` to absolute targets; both must be forward and
 * within 255 (the epilogue is built so they always are). */
static struct sock_filter jump(uint16_t code, uint32_t k, uint32_t pc, uint32_t t,
			       uint32_t f)
{
	struct sock_filter j = { code, (uint8_t)(t - pc - 1), (uint8_t)(f - pc - 1), k };
	return j;
}

static void emit(struct sigsys_rewrite_out *out, uint32_t *pc, struct sock_filter f)
{
	out->insns[(*pc)++] = f;
}

static int find_or_add_action(struct sigsys_rewrite_out *out, uint32_t ret)
{
	uint32_t i;

	for (i = 0; i < out->n_actions; i++)
		if (out->actions[i].seccomp == ret)
			return (int)i;
	if (out->n_actions >= SIGSYS_POLICY_MAX_ACTIONS)
		return -E2BIG;
	sigsys_action_from_ret(ret, &out->actions[out->n_actions]);
	return (int)out->n_actions++;
}

int sigsys_rewrite(const struct sock_filter *in, uint32_t n, uint32_t arch, uint32_t mode,
		   struct sigsys_rewrite_out *out, char *err, size_t errlen)
{
	uint32_t stub_idx[SIGSYS_POLICY_MAX_INSNS]; /* action idx of each rewritten ret */
	const uint32_t *harmless;
	uint32_t n_harmless, pc, i, m, stubs, common, trap, allow, kp, kt, total;
	uint32_t enforce_len;
	int rc, idx;

	if (!in || !out)
		return -EINVAL;
	if (mode != SIGSYS_MODE_ENFORCE && mode != SIGSYS_MODE_AUDIT) {
		sigsys_errbuf(err, errlen, "bad mode %u", mode);
		return -EINVAL;
	}
	harmless = sigsys_handler_syscalls(arch, &n_harmless);
	if (!harmless) {
		sigsys_errbuf(err, errlen, "unsupported arch 0x%08x", arch);
		return -EINVAL;
	}
	if (n > SIGSYS_POLICY_MAX_INSNS) {
		sigsys_errbuf(err, errlen,
		    "program has %u instructions before the trap epilogue; the kernel limit is %u",
		    n, SIGSYS_POLICY_MAX_INSNS);
		return -E2BIG;
	}
	rc = sigsys_bpf_check(in, n, err, errlen);
	if (rc)
		return rc;

	memset(out, 0, sizeof(*out));
	out->orig_n_insns = n;

	/* Pass 1: collect the distinct non-ALLOW actions in program order. */
	for (pc = 0; pc < n; pc++) {
		if (in[pc].code == (BPF_RET | BPF_A)) {
			sigsys_errbuf(err, errlen, "insn %u is `ret a`: its action is not known statically",
			    pc);
			return -EINVAL;
		}
		if (in[pc].code != (BPF_RET | BPF_K) || in[pc].k == SECCOMP_RET_ALLOW)
			continue;
		idx = find_or_add_action(out, in[pc].k);
		if (idx < 0) {
			sigsys_errbuf(err, errlen, "more than %u distinct actions",
			    SIGSYS_POLICY_MAX_ACTIONS);
			return idx;
		}
		stub_idx[pc] = (uint32_t)idx;
		out->n_rewritten++;
	}

	/* Layout (absolute indexes). */
	m = out->n_actions;
	stubs = n;
	common = stubs + (m ? 2 * m - 1 : 0);
	enforce_len = mode == SIGSYS_MODE_ENFORCE ? n_harmless + 2 : 0;
	trap = common + 11 + enforce_len;
	allow = trap + 3;
	kp = allow + 1;
	kt = kp + 1;
	total = kt + 1;
	if (total > SIGSYS_POLICY_MAX_INSNS) {
		sigsys_errbuf(err, errlen, "program has %u instructions; the kernel limit is %u", total,
		    SIGSYS_POLICY_MAX_INSNS);
		return -E2BIG;
	}

	/* Pass 2: copy, turning denied rets into same-length jumps. */
	for (pc = 0; pc < n; pc++) {
		out->insns[pc] = in[pc];
		if (in[pc].code == (BPF_RET | BPF_K) && in[pc].k != SECCOMP_RET_ALLOW)
			out->insns[pc] = stmt(BPF_JMP | BPF_JA,
					      stubs + 2 * stub_idx[pc] - pc - 1);
	}

	/* Stubs: X = the trap return value of this action (+ LOGFLAG). */
	for (i = 0; i < m; i++) {
		uint32_t x = SECCOMP_RET_TRAP | SIGSYS_TRAP_MAGIC | i;

		if (out->actions[i].kind == SIGSYS_ACT_LOG)
			x |= SIGSYS_REWRITE_LOGFLAG;
		out->insns[stubs + 2 * i] = stmt(BPF_LDX | BPF_IMM, x);
		if (i + 1 < m)
			out->insns[stubs + 2 * i + 1] =
				stmt(BPF_JMP | BPF_JA, common - (stubs + 2 * i + 1) - 1);
	}

	/* Common block. */
	pc = common;
	emit(out, &pc, stmt(BPF_LD | BPF_W | BPF_ABS, OFF_NR));
	emit(out, &pc, jump(BPF_JMP | BPF_JEQ | BPF_K, SIGSYS_NR_KILL_PROCESS, pc, kp, pc + 1));
	emit(out, &pc, jump(BPF_JMP | BPF_JEQ | BPF_K, SIGSYS_NR_KILL_THREAD, pc, kt, pc + 1));
	emit(out, &pc, stmt(BPF_LD | BPF_W | BPF_ABS, OFF_IP_LO));
	out->trusted_ip_lo_at = pc;
	emit(out, &pc, jump(BPF_JMP | BPF_JEQ | BPF_K, SIGSYS_REWRITE_IP_PLACEHOLDER, pc, pc + 1,
			    trap));
	emit(out, &pc, stmt(BPF_LD | BPF_W | BPF_ABS, OFF_IP_HI));
	out->trusted_ip_hi_at = pc;
	emit(out, &pc, jump(BPF_JMP | BPF_JEQ | BPF_K, SIGSYS_REWRITE_IP_PLACEHOLDER, pc, pc + 1,
			    trap));
	/*
	 * The trusted instruction is a 64-bit `syscall`, but the ip alone does
	 * not prove it: code that rewrites or replaces the page (or maps its
	 * own at the address) can end an `int $0x80` there, and i386 numbers
	 * overlap the harmless x86_64 ones (i386 mkdir = 39 = getpid).  So the
	 * trusted path also requires the filter's own arch and no x32 bit:
	 * the handler never makes either kind of call.
	 */
	emit(out, &pc, stmt(BPF_LD | BPF_W | BPF_ABS, OFF_ARCH));
	emit(out, &pc, jump(BPF_JMP | BPF_JEQ | BPF_K, arch, pc, pc + 1, trap));
	emit(out, &pc, stmt(BPF_LD | BPF_W | BPF_ABS, OFF_NR));
	/* Audit: the trusted instruction may re-issue any native call. */
	emit(out, &pc, jump(BPF_JMP | BPF_JSET | BPF_K, SIGSYS_REWRITE_X32_BIT, pc, trap,
			    mode == SIGSYS_MODE_AUDIT ? allow : pc + 1));
	if (mode == SIGSYS_MODE_ENFORCE) {
		for (i = 0; i < n_harmless; i++)
			emit(out, &pc, jump(BPF_JMP | BPF_JEQ | BPF_K, harmless[i], pc, allow, pc + 1));
		/* Profile said LOG: the kernel would run it anyway. */
		emit(out, &pc, stmt(BPF_MISC | BPF_TXA, 0));
		emit(out, &pc, jump(BPF_JMP | BPF_JSET | BPF_K, SIGSYS_REWRITE_LOGFLAG, pc, allow,
				    pc + 1));
	}
	if (pc != trap)
		return -EFAULT; /* layout arithmetic above is wrong: a bug here */
	emit(out, &pc, stmt(BPF_MISC | BPF_TXA, 0));
	emit(out, &pc, stmt(BPF_ALU | BPF_AND | BPF_K, ~SIGSYS_REWRITE_LOGFLAG));
	emit(out, &pc, stmt(BPF_RET | BPF_A, 0));
	emit(out, &pc, stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	emit(out, &pc, stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(out, &pc, stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD));
	out->n_insns = pc;

	/* What we emit must pass the same checks as what we read. */
	rc = sigsys_bpf_check(out->insns, out->n_insns, err, errlen);
	if (rc)
		return rc;
	return 0;
}

int sigsys_policy_patch_trusted_ip(struct sock_filter *insns, uint32_t n, uint32_t lo_at,
				   uint32_t hi_at, uint64_t ip)
{
	if (!insns || lo_at >= n || hi_at >= n || lo_at == hi_at)
		return -EINVAL;
	if (insns[lo_at].code != (BPF_JMP | BPF_JEQ | BPF_K) ||
	    insns[hi_at].code != (BPF_JMP | BPF_JEQ | BPF_K))
		return -EINVAL;
	insns[lo_at].k = (uint32_t)ip;
	insns[hi_at].k = (uint32_t)(ip >> 32);
	return 0;
}

int sigsys_policy_trust_ip(const struct sigsys_policy_header *h, struct sock_filter *insns,
			   uint32_t n, uint64_t ip)
{
	int rc;

	if (!h || n != h->n_insns)
		return -EINVAL;
	rc = sigsys_policy_patch_trusted_ip(insns, n, h->trusted_ip_lo_at, h->trusted_ip_hi_at, ip);
	if (rc || !h->prologue_len)
		return rc;
	return sigsys_policy_patch_trusted_ip(insns, n, h->prologue_ip_lo_at, h->prologue_ip_hi_at,
					      ip);
}
