/*
 * build.h - the one path from a libseccomp filter to a sigsys policy image.
 * Used by the addon (`sigsys compile`), by sigsys-mkpolicy and by the C tests.
 *
 * Order of calls:
 *
 *   ctx = seccomp_init(default_action);
 *   sigsys_build_reserve(ctx, err, sizeof err);        // FIRST
 *   seccomp_arch_add(ctx, SCMP_ARCH_X86) ...           // then extra arches
 *   for each profile rule:
 *       if (sigsys_build_reserved_nr(nr)) { warn and skip; continue; }
 *       seccomp_rule_add(ctx, ...);
 *   sigsys_build_policy(ctx, &opts, &img, &len, err, sizeof err);
 *
 * Why reserve first and skip conflicts.  libseccomp 2.5 resolves two rules
 * for the same syscall silently (seccomp_rule_add returns 0 for both):
 *   - an unconditional rule added first absorbs every later rule for that
 *     syscall, conditional or not (measured: ALLOW rt_sigreturn, then
 *     ERRNO(5) rt_sigreturn -> the filter allows it);
 *   - an unconditional rule added later replaces earlier conditional ones.
 * Adding the reserved rules first therefore guarantees they hold whatever the
 * profile says, but the profile's rule is dropped without any error, so the
 * caller must not add it at all and must tell the user (e.g. a warning
 * "profile rule for rt_sigreturn ignored: sigsys needs it allowed").
 * seccomp_rule_add() returns -EACCES for a rule whose action equals the
 * default action; sigsys_build_reserve() handles that case for its own rules.
 *
 * Reserved rules:
 *   rt_sigreturn              ALLOW         (no SIGSYS handler could return;
 *                                            skipped under a default-ALLOW
 *                                            profile, where it is allowed anyway)
 *   SIGSYS_NR_KILL_PROCESS    KILL_PROCESS  (these must reach the trap
 *   SIGSYS_NR_KILL_THREAD     KILL_THREAD    epilogue, also under deny-lists)
 * libseccomp accepts the reserved numbers (they are unknown to it and below
 * x86_64's x32 bit) only while the filter has the native arch alone: with a
 * second arch it cannot translate an unknown number and fails (-EFAULT).
 * So reserve before seccomp_arch_add(); rules added to the native arch
 * before an arch_add stay native-only (measured), which is what we want:
 * the handler issues the reserved numbers through the native ABI.
 * For a filter whose only arch is not the build host's (cross compile),
 * libseccomp cannot take the numbers at all: under a denying default they
 * reach the epilogue anyway and the rules are skipped; under a default ALLOW
 * sigsys_build_reserve() fails (-EFAULT) with a message saying why.
 * sigsys_build_policy() checks the exported program in every case
 * (rt_sigreturn allowed, reserved numbers not) and fails with -EINVAL and a
 * message otherwise, e.g. when the caller forgot sigsys_build_reserve().
 */
#ifndef SIGSYS_BUILD_H
#define SIGSYS_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>
#include <seccomp.h>

struct sigsys_build_opts {
	uint32_t mode;               /* enum sigsys_mode */
	const uint8_t *profile_hash; /* 32 bytes (SHA-256 of the profile) or NULL */
	int binary_tree;             /* SCMP_FLTATR_CTL_OPTIMIZE = 2: syscall lookup in
					O(log n) instead of a linear chain */
	uint32_t arch;               /* AUDIT_ARCH_* / SCMP_ARCH_* the policy is for (the
					arch whose handler runs it); 0: the build host's
					native arch if the filter has it, else the one
					supported arch (x86_64, aarch64) it has */
};

/* Add the reserved rules (above) to ctx.  0 or -errno with a message. */
int sigsys_build_reserve(scmp_filter_ctx ctx, char *err, size_t errlen);

/*
 * If the native-arch syscall `nr` is one sigsys reserves, return a short
 * reason ("sigsys's SIGSYS handler returns through rt_sigreturn"), else NULL.
 * A profile rule for such a nr must be skipped with a warning.
 */
const char *sigsys_build_reserved_nr(int nr);

/*
 * Export ctx's BPF (libseccomp 2.5 only exports to an fd: a memfd is used),
 * rewrite it for o->mode, put the prologue in front (prologue.h: the one
 * place that decides how SIGSYS stays deliverable) and write the image into
 * a malloc'd buffer the caller frees.  The image holds the program the
 * kernel runs; only the trusted ip is patched in at load time.  0 or -errno
 * (-E2BIG: too many instructions) with a message.
 */
int sigsys_build_policy(scmp_filter_ctx ctx, const struct sigsys_build_opts *o,
			uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* The same from an already exported program for `arch` (tests, tools). */
int sigsys_build_from_bpf(const struct sock_filter *insns, uint32_t n, uint32_t arch,
			  const struct sigsys_build_opts *o, uint8_t **out, size_t *out_len,
			  char *err, size_t errlen);

/* Export ctx's raw (not rewritten) BPF into a malloc'd array. 0 or -errno. */
int sigsys_build_export(scmp_filter_ctx ctx, struct sock_filter **insns, uint32_t *n,
			char *err, size_t errlen);

#endif
