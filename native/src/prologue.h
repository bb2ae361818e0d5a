/*
 * prologue.h - the instructions the policy builder (build.c) puts in front
 * of the rewritten program, so that the policy file holds the whole program
 * the kernel runs (docs/filter.md, "The prologue"; docs/preload.md).
 *
 *   ld [arch]; jeq #ARCH, 0, pass; ld [nr]
 *   jeq #rt_sigaction -> ip; jeq #rt_sigprocmask -> ip, else [clone3] pass
 *   [jeq #clone3, 0, pass; ret #ANSWER]              when clone3 always traps
 *   ip:   trusted ip (lo, hi) -> pass                 <- prologue_ip_lo/hi_at
 *   args: ld [nr]; jeq #rt_sigaction -> sa, pm
 *   sa:   sig == SIGSYS -> trap; act != NULL -> trap; pass
 *   pm:   how == SIG_UNBLOCK -> pass; set != NULL -> trap; pass
 *   trap: ret #(TRAP | MAGIC | SIGSYS_TRAP_IDX_SIGNALS)
 *   pass: the rewritten program (the profile's own, rewrite.h)
 *
 * Only compares arch and nr with constants before those two syscalls' own
 * paths, so the kernel's action cache sees every other syscall as the
 * program alone would (filter-07 checks it).  The trusted-ip jeqs hold the
 * placeholder until the preload patches them, together with the epilogue's
 * (sigsys_policy_trust_ip, policy.h): the only change the preload makes.
 */
#ifndef SIGSYS_PROLOGUE_H
#define SIGSYS_PROLOGUE_H

#include <stdint.h>
#include <linux/filter.h>

#include "policy.h"

/* Longest prologue sigsys_prologue() builds. */
#define SIGSYS_PROLOGUE_MAX 32u

/*
 * The trap index of the prologue's rt_sigaction/rt_sigprocmask traps:
 * outside any policy's table (at most 256 entries).  The handler asks the
 * profile's program (the policy's after the prologue) what the profile says
 * about such a call.
 */
#define SIGSYS_TRAP_IDX_SIGNALS 0x0FFFu

struct sigsys_prologue_out {
	struct sock_filter insns[SIGSYS_PROLOGUE_MAX];
	uint32_t n;
	uint32_t ip_lo_at, ip_hi_at; /* the trusted-ip jeqs, indexes into insns */
	uint32_t clone3_ret;         /* the clone3 answer, 0 when left to the program */
};

/*
 * Build the prologue for the rewritten program `prog` (n insns, for `arch`
 * and `mode`, with its action table) into `out`.  0, or -EINVAL for an arch
 * sigsys does not know.
 */
int sigsys_prologue(uint32_t arch, uint32_t mode, const struct sock_filter *prog, uint32_t n,
		    const struct sigsys_action *actions, uint32_t n_actions,
		    struct sigsys_prologue_out *out);

#endif
