/*
 * variant.h - the filters sigsys-exec installs, derived from a policy file.
 *
 * A policy (policy.h) holds the trap program the preload installs: every
 * denied path of the profile was rewritten from `ret #k` into `ja stub_idx`
 * and the stubs lead to `ret TRAP|MAGIC|idx` (rewrite.h).  The launcher
 * installs the SAME program with only those jumps changed back into returns,
 * so the allowed paths are byte for byte what the preload installs (and what
 * the kernel's action cache sees):
 *
 *   NOTIFY  every denied path returns SECCOMP_RET_USER_NOTIF, except table
 *           entries of kind ALLOW (calls trapped only for the handler's
 *           mechanics: ALLOW) and TRAP (the kernel sends its own SIGSYS, as
 *           under Docker).  The supervisor learns what the profile asked for
 *           by evaluating the policy's own program on the notification's
 *           seccomp_data (sigsys_policy_verdict, bpf_eval.h): the action
 *           table stays the one source of truth.
 *   NATIVE  every denied path returns the profile's original SECCOMP_RET_*
 *           value (sigsys_action.seccomp): the filter a container runtime
 *           installs, for `sigsys-exec --native` / `sigsys run --native`.
 *
 * The epilogue (stubs, trusted-ip check) is unreachable afterwards and is
 * cut off when nothing before it jumps into it.
 */
#ifndef SIGSYS_VARIANT_H
#define SIGSYS_VARIANT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

#include "policy.h"

enum sigsys_variant {
	SIGSYS_VARIANT_NOTIFY = 1,
	SIGSYS_VARIANT_NATIVE = 2,
};

/*
 * Build the variant of `p` into out[0..SIGSYS_POLICY_MAX_INSNS); *n_out gets
 * its length.  Returns 0, or -EINVAL with a one-line reason in why (no stub
 * found for a rewritten jump, a program that does not check out).
 */
int sigsys_variant_build(const struct sigsys_policy *p, enum sigsys_variant v,
			 struct sock_filter *out, uint32_t *n_out, char *why, size_t whylen);

/*
 * Audit mode with the preload: the preload's handler runs every trapped call
 * from its trusted instruction at `ip` (the page derived from SIGSYS_POLICY
 * SIGSYS_SPOOL and SIGSYS_PAGE_SEED, prologue.h), and the supervisor would only CONTINUE it
 * unreported (supervisor.c, from_preload_stub) - a notification round trip
 * per audited call.  Answer that in the filter instead: every RET
 * USER_NOTIF of the NOTIFY variant `f` (n insns) becomes a jump to a tail
 * that allows a native-arch, non-x32 call from exactly `ip` and notifies
 * the rest.  Only paths that notified read the ip, so the kernel's action
 * cache of allowed calls is unchanged.  Returns 0 (also when there is no
 * room: the supervisor path stays correct, only slower) or -EINVAL with a
 * reason in why.
 */
int sigsys_variant_trust_ip(struct sock_filter *f, uint32_t *n, uint32_t arch, uint64_t ip,
			    char *why, size_t whylen);

/* The SECCOMP_RET_* value the NOTIFY variant returns for action entry `a`. */
uint32_t sigsys_variant_notify_ret(const struct sigsys_action *a);

#endif
