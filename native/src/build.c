/*
 * build.c - libseccomp filter -> sigsys policy image (see build.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "errbuf.h"
#include "bpf_eval.h"
#include "build.h"
#include "policy.h"
#include "prologue.h"
#include "rewrite.h"

const char *sigsys_build_reserved_nr(int nr)
{
	if (nr == SCMP_SYS(rt_sigreturn))
		return "sigsys's SIGSYS handler returns through rt_sigreturn; it stays allowed";
	if (nr == SIGSYS_NR_KILL_PROCESS || nr == SIGSYS_NR_KILL_THREAD)
		return "syscall number reserved by sigsys to carry out kill actions";
	return NULL;
}

static int reserve_nr(scmp_filter_ctx ctx, uint32_t def, uint32_t action, int nr, char *err,
		      size_t errlen)
{
	int rc = seccomp_rule_add(ctx, action, nr, 0);

	/* libseccomp takes rule numbers as the build host's and translates
	 * them to each arch of the filter; a number it does not know cannot be
	 * translated (-EFAULT).  With one arch, add it untranslated: the
	 * reserved numbers are the same on every arch.  With several, the
	 * exact form is refused too, so the caller must reserve first. */
	if (rc == -EFAULT && seccomp_rule_add_exact(ctx, action, nr, 0) == 0)
		return 0;
	/* A filter for another arch than the build host's (the addon's
	 * cross-compile): libseccomp cannot take the number at all.  If the
	 * default action denies, the number reaches the epilogue through it;
	 * sigsys_build_policy() verifies that on the exported program. */
	if (rc == -EFAULT && seccomp_arch_exist(ctx, seccomp_arch_native()) != 0 &&
	    def != SCMP_ACT_ALLOW)
		return 0;
	if (rc == -EFAULT && seccomp_arch_exist(ctx, seccomp_arch_native()) != 0)
		sigsys_errbuf(err, errlen,
		    "cannot reserve syscall 0x%x: libseccomp cannot add unknown numbers to a "
		    "foreign arch, and the default action (allow) would not deny it",
		    (unsigned)nr);
	else if (rc == -EFAULT)
		sigsys_errbuf(err, errlen,
		    "cannot reserve syscall 0x%x: the filter already has a second arch; "
		    "call sigsys_build_reserve() before seccomp_arch_add()", (unsigned)nr);
	else if (rc)
		sigsys_errbuf(err, errlen, "cannot reserve syscall 0x%x: %s", (unsigned)nr, strerror(-rc));
	return rc;
}

int sigsys_build_reserve(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	uint32_t def = 0;
	int rc;

	if (!ctx)
		return -EINVAL;
	rc = seccomp_attr_get(ctx, SCMP_FLTATR_ACT_DEFAULT, &def);
	if (rc) {
		sigsys_errbuf(err, errlen, "cannot read the default action: %s", strerror(-rc));
		return rc;
	}
	/* Under a default-ALLOW profile rt_sigreturn is allowed already, and
	 * libseccomp refuses (-EACCES) a rule equal to the default action. */
	if (def != SCMP_ACT_ALLOW) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigreturn), 0);
		if (rc) {
			sigsys_errbuf(err, errlen, "cannot allow rt_sigreturn: %s", strerror(-rc));
			return rc;
		}
	}
	/* The kill numbers must always reach the epilogue.  If the default is
	 * already exactly this kill action, the default path reaches it too. */
	if (def != SCMP_ACT_KILL_PROCESS) {
		rc = reserve_nr(ctx, def, SCMP_ACT_KILL_PROCESS, SIGSYS_NR_KILL_PROCESS, err, errlen);
		if (rc)
			return rc;
	}
	if (def != SCMP_ACT_KILL_THREAD) {
		rc = reserve_nr(ctx, def, SCMP_ACT_KILL_THREAD, SIGSYS_NR_KILL_THREAD, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int sigsys_build_export(scmp_filter_ctx ctx, struct sock_filter **insns, uint32_t *n,
			char *err, size_t errlen)
{
	struct sock_filter *buf = NULL;
	struct stat st;
	ssize_t got;
	int fd, rc;

	*insns = NULL;
	*n = 0;
	fd = memfd_create("sigsys-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		sigsys_errbuf(err, errlen, "memfd_create: %s", strerror(errno));
		return rc;
	}
	rc = seccomp_export_bpf(ctx, fd);
	if (rc) {
		sigsys_errbuf(err, errlen, "libseccomp could not generate BPF: %s", strerror(-rc));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		sigsys_errbuf(err, errlen, "fstat(memfd): %s", strerror(errno));
		goto out;
	}
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter)) {
		rc = -EINVAL;
		sigsys_errbuf(err, errlen, "libseccomp exported %lld bytes, not a BPF program",
		    (long long)st.st_size);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		rc = -ENOMEM;
		sigsys_errbuf(err, errlen, "out of memory");
		goto out;
	}
	got = pread(fd, buf, (size_t)st.st_size, 0);
	if (got != st.st_size) {
		rc = got < 0 ? -errno : -EIO;
		sigsys_errbuf(err, errlen, "reading the exported BPF back failed");
		goto out;
	}
	*insns = buf;
	*n = (uint32_t)(st.st_size / sizeof(struct sock_filter));
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

int sigsys_build_from_bpf(const struct sock_filter *insns, uint32_t n, uint32_t arch,
			  const struct sigsys_build_opts *o, uint8_t **out, size_t *out_len,
			  char *err, size_t errlen)
{
	struct sigsys_rewrite_out *rw;
	struct sigsys_prologue_out pro;
	struct sigsys_policy_header h;
	struct sock_filter *prog = NULL;
	uint8_t *img = NULL;
	size_t len;
	int rc;

	*out = NULL;
	*out_len = 0;
	rw = malloc(sizeof(*rw));
	if (!rw) {
		sigsys_errbuf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sigsys_rewrite(insns, n, arch, o->mode, rw, err, errlen);
	if (rc)
		goto out;
	/*
	 * The prologue (prologue.h) goes in front here, once, so the policy
	 * file holds the program the kernel runs: the preload only patches the
	 * trusted ip, and `sigsys explain` evaluates exactly this.
	 */
	rc = sigsys_prologue(arch, o->mode, rw->insns, rw->n_insns, rw->actions, rw->n_actions, &pro);
	if (rc) {
		sigsys_errbuf(err, errlen, "cannot build the prologue for arch 0x%08x", arch);
		goto out;
	}
	if (pro.n + rw->n_insns > SIGSYS_POLICY_MAX_INSNS) {
		rc = -E2BIG;
		sigsys_errbuf(err, errlen,
		    "program has %u instructions with the %u of the prologue; the kernel limit is %u",
		    pro.n + rw->n_insns, pro.n, SIGSYS_POLICY_MAX_INSNS);
		goto out;
	}
	prog = malloc((pro.n + rw->n_insns) * sizeof(*prog));
	if (!prog) {
		rc = -ENOMEM;
		sigsys_errbuf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(prog, pro.insns, pro.n * sizeof(*prog));
	memcpy(prog + pro.n, rw->insns, rw->n_insns * sizeof(*prog));
	memset(&h, 0, sizeof(h));
	h.arch = arch;
	h.mode = o->mode;
	h.n_insns = pro.n + rw->n_insns;
	h.n_actions = rw->n_actions;
	h.trusted_ip_lo_at = pro.n + rw->trusted_ip_lo_at;
	h.trusted_ip_hi_at = pro.n + rw->trusted_ip_hi_at;
	h.prologue_len = pro.n;
	h.prologue_ip_lo_at = pro.ip_lo_at;
	h.prologue_ip_hi_at = pro.ip_hi_at;
	if (o->profile_hash)
		memcpy(h.profile_hash, o->profile_hash, sizeof(h.profile_hash));
	len = sigsys_policy_size(h.n_insns, h.n_actions);
	img = malloc(len);
	if (!img) {
		rc = -ENOMEM;
		sigsys_errbuf(err, errlen, "out of memory");
		goto out;
	}
	rc = sigsys_policy_write(img, len, &h, prog, rw->actions);
	if (rc) {
		sigsys_errbuf(err, errlen, "cannot serialise the policy: %s", strerror(-rc));
		goto out;
	}
	*out = img;
	*out_len = len;
	img = NULL;
out:
	free(img);
	free(prog);
	free(rw);
	return rc;
}

/*
 * Whatever libseccomp did with the rules (silent conflict resolution, an
 * arch it could not add the reserved numbers to), check the exported
 * program itself: rt_sigreturn must be allowed and the reserved numbers
 * must not be, or the handler could not return / could not kill.
 */
static int verify_reserved(const struct sock_filter *insns, uint32_t n, uint32_t arch,
			   char *err, size_t errlen)
{
	static const uint32_t reserved[] = { SIGSYS_NR_KILL_PROCESS, SIGSYS_NR_KILL_THREAD };
	struct seccomp_data d;
	int sigreturn;
	size_t i;

	memset(&d, 0, sizeof(d));
	d.arch = arch;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		d.nr = (int)reserved[i];
		if (sigsys_bpf_eval(insns, n, &d, NULL) == SECCOMP_RET_ALLOW) {
			sigsys_errbuf(err, errlen,
			    "the filter allows syscall 0x%x, which sigsys reserves for kill actions",
			    reserved[i]);
			return -EINVAL;
		}
	}
	sigreturn = seccomp_syscall_resolve_name_arch(arch, "rt_sigreturn");
	if (sigreturn >= 0) {
		d.nr = sigreturn;
		if (sigsys_bpf_eval(insns, n, &d, NULL) != SECCOMP_RET_ALLOW) {
			sigsys_errbuf(err, errlen, "the filter denies rt_sigreturn: no SIGSYS handler could return");
			return -EINVAL;
		}
	}
	return 0;
}

/* The arch whose handler will run this policy (see opts.arch). */
static uint32_t policy_arch(scmp_filter_ctx ctx, uint32_t want, char *err, size_t errlen)
{
	static const uint32_t supported[] = { SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64 };
	uint32_t found = 0, n = 0;
	size_t i;

	if (want) {
		if (seccomp_arch_exist(ctx, want) != 0) {
			sigsys_errbuf(err, errlen, "the filter has no rules for arch 0x%08x", want);
			return 0;
		}
		return want;
	}
	if (seccomp_arch_exist(ctx, seccomp_arch_native()) == 0)
		return seccomp_arch_native();
	for (i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (seccomp_arch_exist(ctx, supported[i]) == 0) {
			found = supported[i];
			n++;
		}
	if (n == 1)
		return found;
	sigsys_errbuf(err, errlen, n ? "the filter has several arches sigsys supports: set opts.arch"
			   : "the filter has no arch sigsys supports (x86_64, aarch64)");
	return 0;
}

int sigsys_build_policy(scmp_filter_ctx ctx, const struct sigsys_build_opts *o,
			uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
	struct sock_filter *insns = NULL;
	uint32_t n = 0, arch;
	int rc;

	if (!ctx || !o || !out || !out_len)
		return -EINVAL;
	*out = NULL;
	*out_len = 0;
	arch = policy_arch(ctx, o->arch, err, errlen);
	if (!arch)
		return -EINVAL;
	if (o->binary_tree) {
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
		if (rc) {
			sigsys_errbuf(err, errlen, "libseccomp refused the binary tree optimisation: %s",
			    strerror(-rc));
			return rc;
		}
	}
	rc = sigsys_build_export(ctx, &insns, &n, err, errlen);
	if (rc)
		return rc;
	rc = verify_reserved(insns, n, arch, err, errlen);
	if (rc) {
		free(insns);
		return rc;
	}
	/* libseccomp's arch tokens are the AUDIT_ARCH_* values. */
	rc = sigsys_build_from_bpf(insns, n, arch, o, out, out_len, err, errlen);
	free(insns);
	return rc;
}
