/*
 * rewrite.h - turn the BPF program libseccomp exports into a sigsys program.
 *
 * Every `ret #k` whose action is not SECCOMP_RET_ALLOW becomes `ja stub_idx`
 * (a BPF_JMP|BPF_JA has the same length as the ret, so every jump offset in
 * the original program stays valid).  `ret ALLOW` instructions are left
 * exactly as they were, so the allowed paths read nothing but nr and arch,
 * and the kernel's constant-action bitmap (5.11+, seccomp_cache) still skips
 * the filter for the syscalls a profile allows unconditionally.
 *
 * The epilogue appended after the original program (N = original length):
 *
 *   stub_0:  ldx #(TRAP|MAGIC|0) [|LOGFLAG]  ; one stub per distinct action
 *            ja common
 *   ...
 *   stub_m:  ldx #(TRAP|MAGIC|m) [|LOGFLAG]  ; the last stub falls through
 *   common:  ld  [nr]
 *            jeq #SIGSYS_NR_KILL_PROCESS, kill_process
 *            jeq #SIGSYS_NR_KILL_THREAD,  kill_thread
 *            ld  [instruction_pointer low]
 *            jeq #TRUSTED_LO, 0, trap          <- trusted_ip_lo_at
 *            ld  [instruction_pointer high]
 *            jeq #TRUSTED_HI, 0, trap          <- trusted_ip_hi_at
 *            ld  [arch]
 *            jeq #ARCH, 0, trap                ; int $0x80 ending at the ip
 *            ld  [nr]
 *   audit:   jset #X32_BIT, trap, allow        ; x32: never the handler's
 *   enforce: jset #X32_BIT, trap, 0
 *            jeq #<harmless nr>, allow   ...   ; SIGSYS_HANDLER_SYSCALLS below
 *            txa
 *            jset #LOGFLAG, allow              ; profile said LOG: runs anyway
 *   trap:    txa
 *            and #~LOGFLAG
 *            ret a                             ; SECCOMP_RET_TRAP|MAGIC|idx
 *   allow:   ret #SECCOMP_RET_ALLOW
 *   kill_process: ret #SECCOMP_RET_KILL_PROCESS
 *   kill_thread:  ret #SECCOMP_RET_KILL_THREAD
 *
 * The trusted path checks the arch and the x32 bit as well as the number:
 * the ip only says where a syscall instruction ended, not which kind it
 * was, and the page's contents are not trusted (docs/security.md).
 *
 * so the trusted ip appears in exactly one pair of jeq insns, the preload
 * patches it once (sigsys_policy_patch_trusted_ip, declared in policy.h), and
 * the ip is only ever compared on paths that were going to trap anyway.
 * LOGFLAG (bit 31 of X) never reaches the kernel: it is masked off before
 * `ret a`.  The stub order is the action table order; identical ret values
 * share one table index.
 *
 * The reserved numbers SIGSYS_NR_KILL_* are answered with the real kill
 * action from any ip: issuing one can only kill the caller, which is what the
 * profile asked for anyway.  They reach the epilogue only if the profile
 * routes them to a non-ALLOW ret; sigsys_build_reserve() (build.h) adds the
 * rules that guarantee it.
 *
 * Harmless calls the SIGSYS handler may make from the trusted instruction in
 * enforce mode, even when the profile denies them (learn mode denies nearly
 * everything).  One table per arch, in rewrite.c (sigsys_handler_syscalls):
 *   getpid, gettid, clock_gettime, gettimeofday, rt_sigprocmask,
 *   rt_sigaction, sigaltstack, exit_group, exit, mseal
 * Each affects the caller only, whatever its arguments.  (mseal only takes
 * rights away from the caller: the constructor seals the trusted page with
 * it after execve, under the inherited filter.)  Not tgkill: its target is
 * an argument, and a workload jumping to the trusted instruction could
 * signal any process of its uid although the profile denies it
 * (adversarial-25).
 * Ask the filter owner before adding to it: every entry is a call a
 * compromised process could make through the trusted instruction.
 */
#ifndef SIGSYS_REWRITE_H
#define SIGSYS_REWRITE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

#include "policy.h"

/* Bit of X marking a LOG action inside the epilogue; never returned. */
#define SIGSYS_REWRITE_LOGFLAG 0x80000000u
/* __X32_SYSCALL_BIT: an x32 call has the x86_64 arch and this bit in nr. */
#define SIGSYS_REWRITE_X32_BIT 0x40000000u
/* Placeholder k of the trusted-ip jeqs until the preload patches them. */
#define SIGSYS_REWRITE_IP_PLACEHOLDER 0u

struct sigsys_rewrite_out {
	struct sock_filter insns[SIGSYS_POLICY_MAX_INSNS];
	uint32_t n_insns;
	struct sigsys_action actions[SIGSYS_POLICY_MAX_ACTIONS];
	uint32_t n_actions;
	uint32_t trusted_ip_lo_at;
	uint32_t trusted_ip_hi_at;
	uint32_t orig_n_insns; /* length of the input: epilogue starts here */
	uint32_t n_rewritten;  /* rets turned into jumps */
};

/*
 * Rewrite `in` (n insns, a program libseccomp exported for `arch`) for
 * `mode` (enum sigsys_mode).  `out` is large (~36 KiB): allocate it.
 * Returns 0, or -EINVAL (not a valid seccomp program, `ret a` in input,
 * unknown arch), -E2BIG (more than 4096 insns after rewriting, or more than
 * 256 distinct actions), with a message in err.
 */
int sigsys_rewrite(const struct sock_filter *in, uint32_t n, uint32_t arch, uint32_t mode,
		   struct sigsys_rewrite_out *out, char *err, size_t errlen);

/* Map a SECCOMP_RET_* value to a table entry (kind, data, seccomp). */
void sigsys_action_from_ret(uint32_t ret, struct sigsys_action *a);

/* "errno(1)", "kill_process", ... for messages; static strings. */
const char *sigsys_action_kind_name(uint32_t kind);

/*
 * The harmless-syscall table for `arch` (see above); NULL and *n = 0 for an
 * arch sigsys does not know.
 */
const uint32_t *sigsys_handler_syscalls(uint32_t arch, uint32_t *n);

#endif
