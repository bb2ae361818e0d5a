/*
 * variant.c - NOTIFY and NATIVE programs from a policy's trap program
 * (layout and reasons in variant.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/seccomp.h>

#include "bpf_eval.h"
#include "errbuf.h"
#include "variant.h"

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#define CLONE3_PROLOGUE 5u

#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_RET_ACTION_FULL
#define SECCOMP_RET_ACTION_FULL 0xffff0000U
#endif

/* A stub of the epilogue: `ldx #(TRAP|MAGIC|idx)`, optionally | LOGFLAG. */
static int stub_index(const struct sock_filter *f, uint32_t n_actions)
{
	uint32_t k = f->k & 0x7fffffffu;

	if (f->code != (BPF_LDX | BPF_W | BPF_IMM))
		return -1;
	if ((k & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRAP ||
	    (k & SIGSYS_TRAP_MAGIC_MASK) != SIGSYS_TRAP_MAGIC)
		return -1;
	if ((k & SIGSYS_TRAP_INDEX_MASK) >= n_actions)
		return -1;
	return (int)(k & SIGSYS_TRAP_INDEX_MASK);
}

uint32_t sigsys_variant_notify_ret(const struct sigsys_action *a)
{
	switch (a->kind) {
	case SIGSYS_ACT_ALLOW:
		return SECCOMP_RET_ALLOW;
	case SIGSYS_ACT_TRAP:
		/* The kernel's own SIGSYS with the profile's data, as runc does;
		 * a handler in the process (the preload's, the application's)
		 * sees it, a notification could not deliver it. */
		return a->seccomp;
	default:
		return SECCOMP_RET_USER_NOTIF;
	}
}

static int jump_target(const struct sock_filter *f, uint32_t pc, uint32_t *t)
{
	if (BPF_CLASS(f->code) != BPF_JMP)
		return 0;
	if (BPF_OP(f->code) == BPF_JA) {
		t[0] = pc + 1 + f->k;
		return 1;
	}
	t[0] = pc + 1 + f->jt;
	t[1] = pc + 1 + f->jf;
	return 2;
}

/*
 * clone3 in the NOTIFY variant: answered in the filter, exactly as the
 * preload's prologue answers it (preload.c), when the profile treats it the
 * same whatever its arguments (Docker's default: ERRNO(ENOSYS), so that
 * libcs fall back to clone).  The two paths then agree: a glibc program's
 * threads are not reported as clone3 violations under either.  Returns the
 * number of insns written to out (0: no prologue).
 */
static uint32_t clone3_prologue(const struct sigsys_policy *p, struct sock_filter *out)
{
	struct seccomp_data d;
	uint32_t r[2], idx, real;

	if (p->hdr->n_insns + CLONE3_PROLOGUE > SIGSYS_POLICY_MAX_INSNS)
		return 0;
	for (int i = 0; i < 2; i++) {
		memset(&d, i ? 0xff : 0, sizeof(d));
		d.nr = __NR_clone3;
		d.arch = p->hdr->arch;
		d.instruction_pointer = 1;
		r[i] = sigsys_bpf_eval(p->insns, p->hdr->n_insns, &d, NULL);
	}
	if (r[0] != r[1] || (r[0] & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRAP ||
	    (r[0] & SIGSYS_TRAP_MAGIC_MASK) != SIGSYS_TRAP_MAGIC)
		return 0;
	idx = r[0] & SIGSYS_TRAP_INDEX_MASK;
	if (idx >= p->hdr->n_actions || p->actions[idx].kind != SIGSYS_ACT_ERRNO)
		return 0;
	real = p->hdr->mode == SIGSYS_MODE_AUDIT ? SECCOMP_RET_ERRNO | ENOSYS
						  : p->actions[idx].seccomp;
	out[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	out[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, p->hdr->arch, 0, 3);
	out[2] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	out[3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
	out[4] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, real);
	return CLONE3_PROLOGUE;
}

int sigsys_variant_build(const struct sigsys_policy *p, enum sigsys_variant v,
			 struct sock_filter *out, uint32_t *n_out, char *why, size_t whylen)
{
	uint32_t n = p->hdr->n_insns, first_stub = n, cut;

	memcpy(out, p->insns, n * sizeof(*out));
	for (uint32_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &p->insns[pc];
		uint32_t t;
		int idx;

		if (stub_index(f, p->hdr->n_actions) >= 0 && pc < first_stub)
			first_stub = pc;
		if (f->code != (BPF_JMP | BPF_JA))
			continue;
		t = pc + 1 + f->k;
		if (t >= n)
			continue;
		idx = stub_index(&p->insns[t], p->hdr->n_actions);
		if (idx < 0)
			continue;
		out[pc] = (struct sock_filter)BPF_STMT(
			BPF_RET | BPF_K, v == SIGSYS_VARIANT_NATIVE
						 ? p->actions[idx].seccomp
						 : sigsys_variant_notify_ret(&p->actions[idx]));
	}
	if (first_stub == n) {
		sigsys_errbuf(why, whylen, "no trap stubs in the program: not a rewritten policy");
		return -EINVAL;
	}
	/* The epilogue starts at the first stub; cut it if nothing before it
	 * still jumps there (only the replaced jumps did). */
	cut = first_stub;
	for (uint32_t pc = 0; pc < first_stub && cut < n; pc++) {
		uint32_t t[2];
		int nt = jump_target(&out[pc], pc, t);

		for (int i = 0; i < nt; i++)
			if (t[i] >= first_stub)
				cut = n;
	}
	if (v == SIGSYS_VARIANT_NOTIFY) {
		struct sock_filter pro[CLONE3_PROLOGUE];
		uint32_t k = clone3_prologue(p, pro);

		memmove(out + k, out, cut * sizeof(*out));
		memcpy(out, pro, k * sizeof(*out));
		cut += k;
	}
	*n_out = cut;
	return sigsys_bpf_check(out, cut, why, whylen);
}
