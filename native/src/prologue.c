/*
 * prologue.c - the prologue the policy builder (build.c) puts in front of
 * the rewritten program (layout in prologue.h).  Decided here, once, at
 * build time: the policy file holds it, the preload installs it as it is
 * (patching only the trusted ip), and `sigsys explain` evaluates it.
 *
 * clone3 never traps.  glibc (and musl, and Go) issue clone3/clone with
 * every signal blocked, SIGSYS included, and the kernel kills a process
 * whose seccomp SIGSYS arrives blocked: with Docker's default profile
 * (clone3 -> ERRNO(ENOSYS), rewritten to a trap) every pthread_create would
 * die.  The handler could only answer clone3 with ENOSYS anyway (a clone3
 * child would start inside it).  So when the program would trap clone3 the
 * same way whatever its arguments, the prologue answers clone3 directly with
 * the profile's own action (enforce) or ENOSYS (audit); libcs then fall
 * back to clone.  Those clone3 calls are not reported.
 *
 * SIGSYS stays ours.  Runtimes that own their signals (Go, the JVM, glibc's
 * posix_spawn child) call rt_sigaction and rt_sigprocmask directly, not
 * through the libc symbols interpose.c sees: Go's fork child resets SIGSYS to
 * SIG_DFL, and every Go handler runs with a full mask, SIGSYS included.
 * Either way the next trapped call kills the process.  So every
 * rt_sigaction that sets a disposition or touches SIGSYS, and every
 * rt_sigprocmask that may block (how != SIG_UNBLOCK, set != NULL), traps with
 * index SIGSYS_TRAP_IDX_SIGNALS, except from the trusted instruction (the
 * handler's own calls).  The handler asks the policy's program what the
 * profile says about the call: allowed calls are carried out with SIGSYS
 * kept deliverable and installed (not reported), denied ones get the
 * profile's action as any other trap.
 *
 * The prologue compares arch and nr with constants and reads arguments and
 * the ip only on the rt_sigaction/rt_sigprocmask paths, so the kernel's
 * action cache still sees every other syscall exactly as before.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "bpf_eval.h"
#include "prologue.h"
#include "rewrite.h" /* SIGSYS_REWRITE_IP_PLACEHOLDER */

/* Generic Linux values (x86_64 and aarch64 alike). */
#define SIGSYS_SIGNO 31
#define SIGSYS_SIG_UNBLOCK 1

/* Numbers spelled out per arch, as in rewrite.c, so any host can build. */
struct nrs {
	uint32_t arch, rt_sigaction, rt_sigprocmask, clone3;
};

static const struct nrs arch_nrs[] = {
	{ AUDIT_ARCH_X86_64, 13, 14, 435 },
	{ AUDIT_ARCH_AARCH64, 134, 135, 435 },
};

static const struct nrs *nrs_of(uint32_t arch)
{
	for (size_t i = 0; i < sizeof(arch_nrs) / sizeof(arch_nrs[0]); i++)
		if (arch_nrs[i].arch == arch)
			return &arch_nrs[i];
	return NULL;
}

#define OFF_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define OFF_ARG_HI(i) (OFF_ARG_LO(i) + 4)
#define OFF_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define OFF_IP_HI (OFF_IP_LO + 4)

static struct sock_filter ld(uint32_t off)
{
	return (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off);
}

/* jeq k with absolute targets t (true) and f (false) from pc. */
static struct sock_filter jeq(uint32_t k, uint32_t pc, uint32_t t, uint32_t f)
{
	return (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k,
					    (uint8_t)(t - pc - 1), (uint8_t)(f - pc - 1));
}

/* The clone3 answer, or 0 when clone3 is left to the program. */
static uint32_t clone3_answer(uint32_t arch, uint32_t mode, const struct sock_filter *prog,
			      uint32_t n, const struct sigsys_action *actions, uint32_t n_actions)
{
	int idx = sigsys_clone3_trap_index(prog, n, arch, n_actions);

	if (idx < 0)
		return 0;
	return mode == SIGSYS_MODE_AUDIT ? SECCOMP_RET_ERRNO | ENOSYS : actions[idx].seccomp;
}

int sigsys_prologue(uint32_t arch, uint32_t mode, const struct sock_filter *prog, uint32_t n_prog,
		    const struct sigsys_action *actions, uint32_t n_actions,
		    struct sigsys_prologue_out *po)
{
	const struct nrs *k = nrs_of(arch);
	struct sock_filter *out = po->insns;
	uint32_t c3, n = 0, ip, args, sa, pm, trap, pass;

	memset(po, 0, sizeof(*po));
	if (!k)
		return -EINVAL;
	c3 = clone3_answer(arch, mode, prog, n_prog, actions, n_actions);

	ip = c3 ? 7 : 5;
	args = ip + 4;
	sa = args + 2;
	pm = sa + 6;
	trap = pm + 6;
	pass = trap + 1;
	out[n++] = ld(offsetof(struct seccomp_data, arch));
	out[n] = jeq(arch, n, n + 1, pass), n++;
	out[n++] = ld(offsetof(struct seccomp_data, nr));
	out[n] = jeq(k->rt_sigaction, n, ip, n + 1), n++;
	out[n] = jeq(k->rt_sigprocmask, n, ip, c3 ? n + 1 : pass), n++;
	if (c3) {
		out[n] = jeq(k->clone3, n, n + 1, pass), n++;
		out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, c3);
	}
	/* The handler's own calls (from the trusted instruction) pass. */
	out[n++] = ld(OFF_IP_LO);
	po->ip_lo_at = n;
	out[n] = jeq(SIGSYS_REWRITE_IP_PLACEHOLDER, n, n + 1, args), n++;
	out[n++] = ld(OFF_IP_HI);
	po->ip_hi_at = n;
	out[n] = jeq(SIGSYS_REWRITE_IP_PLACEHOLDER, n, pass, args), n++;
	out[n++] = ld(offsetof(struct seccomp_data, nr));
	out[n] = jeq(k->rt_sigaction, n, sa, pm), n++;
	/* rt_sigaction(sig, act, oact): SIGSYS, or any act != NULL. */
	out[n++] = ld(OFF_ARG_LO(0));
	out[n] = jeq(SIGSYS_SIGNO, n, trap, n + 1), n++;
	out[n++] = ld(OFF_ARG_LO(1));
	out[n] = jeq(0, n, n + 1, trap), n++;
	out[n++] = ld(OFF_ARG_HI(1));
	out[n] = jeq(0, n, pass, trap), n++;
	/* rt_sigprocmask(how, set, oset): how != SIG_UNBLOCK, set != NULL. */
	out[n++] = ld(OFF_ARG_LO(0));
	out[n] = jeq(SIGSYS_SIG_UNBLOCK, n, pass, n + 1), n++;
	out[n++] = ld(OFF_ARG_LO(1));
	out[n] = jeq(0, n, n + 1, trap), n++;
	out[n++] = ld(OFF_ARG_HI(1));
	out[n] = jeq(0, n, pass, trap), n++;
	out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP |
					       SIGSYS_TRAP_MAGIC | SIGSYS_TRAP_IDX_SIGNALS);
	po->n = n;
	po->clone3_ret = c3;
	return n == pass ? 0 : -EFAULT; /* -EFAULT: the layout above is wrong */
}
