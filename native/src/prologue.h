/*
 * prologue.h - the instructions the preload puts in front of a policy's
 * program when it installs the filter (docs/preload.md, "The prologue").
 *
 *   ld [arch]; jeq #ARCH, 0, pass; ld [nr]
 *   [jeq #clone3, 0, 1; ret #ANSWER]                 when clone3 always traps
 *   jeq #rt_sigaction -> sa; jeq #rt_sigprocmask -> pm, else pass
 *   sa:  trusted ip -> pass; sig == SIGSYS -> trap; act != NULL -> trap; pass
 *   pm:  trusted ip -> pass; how == SIG_UNBLOCK -> pass; set != NULL -> trap; pass
 *   trap: ret #(TRAP | MAGIC | SIGSYS_TRAP_IDX_SIGNALS)
 *   pass: the policy's program
 *
 * Only compares arch and nr with constants before those two syscalls' own
 * paths, so the kernel's action cache sees every other syscall as the
 * program alone would (filter-07 checks it).
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
 * policy's program what the profile says about such a call.
 */
#define SIGSYS_TRAP_IDX_SIGNALS 0x0FFFu

/*
 * Build the prologue for `pol` (its arch, mode and program) trusting
 * `trusted_ip` into out[SIGSYS_PROLOGUE_MAX].  Returns its length, or 0 if
 * the arch is unknown or the program plus prologue would exceed the kernel's
 * 4096 instructions.
 */
uint32_t sigsys_prologue(const struct sigsys_policy *pol, uint64_t trusted_ip,
			 struct sock_filter *out);

/* Where trusted pages go: SIGSYS_TRUSTED_BASE, _SPAN_PAGES. */
#include "trusted_page.h"

/*
 * The trusted page's address for a process tree whose environment has
 * SIGSYS_POLICY=policy, SIGSYS_SPOOL=spool and optionally
 * SIGSYS_PAGE_SEED=seed (FNV-1a of the values), so that every process
 * inheriting them, marker or not, maps the page the filter trusts.  The
 * seed (sigsys-exec sets a random one per run) keeps the address from being
 * the same in every deployment with the same paths; NULL or "" leaves it
 * out.  0 if policy or spool is NULL or empty.  No syscalls, no allocation.
 */
uint64_t sigsys_trusted_page_derive(const char *policy, const char *spool, const char *seed);

#endif
