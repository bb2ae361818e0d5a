/*
 * variant.c - NOTIFY and NATIVE programs from a policy's trap program
 * (layout and reasons in variant.h).
 */
#include <errno.h>
#include <string.h>

#include <linux/seccomp.h>

#include "errbuf.h"
#include "variant.h"

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
	*n_out = cut;
	return sigsys_bpf_check(out, cut, why, whylen);
}
