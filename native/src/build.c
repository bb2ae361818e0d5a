/*
 * build.c - libseccomp filter -> sigsys policy image (see build.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "build.h"
#include "policy.h"
#include "rewrite.h"

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *sigsys_build_reserved_nr(int nr)
{
	if (nr == SCMP_SYS(rt_sigreturn))
		return "sigsys's SIGSYS handler returns through rt_sigreturn; it stays allowed";
	if (nr == SIGSYS_NR_KILL_PROCESS || nr == SIGSYS_NR_KILL_THREAD)
		return "syscall number reserved by sigsys to carry out kill actions";
	return NULL;
}

static int reserve_nr(scmp_filter_ctx ctx, uint32_t action, int nr, char *err, size_t errlen)
{
	int rc = seccomp_rule_add(ctx, action, nr, 0);

	/* libseccomp cannot translate a number it does not know to a second
	 * arch and fails with -EFAULT; while only the native arch is present
	 * the number is taken as is. */
	if (rc == -EFAULT)
		say(err, errlen,
		    "cannot reserve syscall 0x%x: the filter already has a second arch; "
		    "call sigsys_build_reserve() before seccomp_arch_add()", (unsigned)nr);
	else if (rc)
		say(err, errlen, "cannot reserve syscall 0x%x: %s", (unsigned)nr, strerror(-rc));
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
		say(err, errlen, "cannot read the default action: %s", strerror(-rc));
		return rc;
	}
	/* Under a default-ALLOW profile rt_sigreturn is allowed already, and
	 * libseccomp refuses (-EACCES) a rule equal to the default action. */
	if (def != SCMP_ACT_ALLOW) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigreturn), 0);
		if (rc) {
			say(err, errlen, "cannot allow rt_sigreturn: %s", strerror(-rc));
			return rc;
		}
	}
	/* The kill numbers must always reach the epilogue.  If the default is
	 * already exactly this kill action, the default path reaches it too. */
	if (def != SCMP_ACT_KILL_PROCESS) {
		rc = reserve_nr(ctx, SCMP_ACT_KILL_PROCESS, SIGSYS_NR_KILL_PROCESS, err, errlen);
		if (rc)
			return rc;
	}
	if (def != SCMP_ACT_KILL_THREAD) {
		rc = reserve_nr(ctx, SCMP_ACT_KILL_THREAD, SIGSYS_NR_KILL_THREAD, err, errlen);
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
		say(err, errlen, "memfd_create: %s", strerror(errno));
		return rc;
	}
	rc = seccomp_export_bpf(ctx, fd);
	if (rc) {
		say(err, errlen, "libseccomp could not generate BPF: %s", strerror(-rc));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		say(err, errlen, "fstat(memfd): %s", strerror(errno));
		goto out;
	}
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter)) {
		rc = -EINVAL;
		say(err, errlen, "libseccomp exported %lld bytes, not a BPF program",
		    (long long)st.st_size);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		rc = -ENOMEM;
		say(err, errlen, "out of memory");
		goto out;
	}
	got = pread(fd, buf, (size_t)st.st_size, 0);
	if (got != st.st_size) {
		rc = got < 0 ? -errno : -EIO;
		say(err, errlen, "reading the exported BPF back failed");
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
	struct sigsys_policy_header h;
	uint8_t *img = NULL;
	size_t len;
	int rc;

	*out = NULL;
	*out_len = 0;
	rw = malloc(sizeof(*rw));
	if (!rw) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sigsys_rewrite(insns, n, arch, o->mode, rw, err, errlen);
	if (rc)
		goto out;
	memset(&h, 0, sizeof(h));
	h.arch = arch;
	h.mode = o->mode;
	h.n_insns = rw->n_insns;
	h.n_actions = rw->n_actions;
	h.trusted_ip_lo_at = rw->trusted_ip_lo_at;
	h.trusted_ip_hi_at = rw->trusted_ip_hi_at;
	if (o->profile_hash)
		memcpy(h.profile_hash, o->profile_hash, sizeof(h.profile_hash));
	len = sigsys_policy_size(h.n_insns, h.n_actions);
	img = malloc(len);
	if (!img) {
		rc = -ENOMEM;
		say(err, errlen, "out of memory");
		goto out;
	}
	rc = sigsys_policy_write(img, len, &h, rw->insns, rw->actions);
	if (rc) {
		say(err, errlen, "cannot serialise the policy: %s", strerror(-rc));
		goto out;
	}
	*out = img;
	*out_len = len;
	img = NULL;
out:
	free(img);
	free(rw);
	return rc;
}

int sigsys_build_policy(scmp_filter_ctx ctx, const struct sigsys_build_opts *o,
			uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
	struct sock_filter *insns = NULL;
	uint32_t n = 0;
	int rc;

	if (!ctx || !o || !out || !out_len)
		return -EINVAL;
	if (o->binary_tree) {
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
		if (rc) {
			say(err, errlen, "libseccomp refused the binary tree optimisation: %s",
			    strerror(-rc));
			return rc;
		}
	}
	rc = sigsys_build_export(ctx, &insns, &n, err, errlen);
	if (rc)
		return rc;
	/* libseccomp's arch tokens are the AUDIT_ARCH_* values. */
	rc = sigsys_build_from_bpf(insns, n, seccomp_arch_native(), o, out, out_len, err,
				   errlen);
	free(insns);
	return rc;
}
