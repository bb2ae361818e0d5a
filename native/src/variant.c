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
#define NOTIFY_PROLOGUE_MAX 12u

#include "seccomp_compat.h"

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
 * The NOTIFY variant's prologue, before the policy's program.  Loads only
 * arch, nr and args[0..1], so every other syscall's constant action (the
 * kernel's cache) is unchanged.
 *
 * seccomp(SECCOMP_SET_MODE_FILTER): a workload's own filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER is refused (EPERM).  Its USER_NOTIF
 * would tie with ours, and the kernel gives a tie to the newest filter:
 * the workload's listener would get our notifications and could CONTINUE
 * a call the profile denies.  Any other filter only restricts its caller
 * and is allowed whatever the profile says: the preload installs its own
 * under ours, and profiles learned without the launcher never saw that.
 *
 * clone3: answered in the filter, as the policy's prologue (prologue.c)
 * answers it, when the profile treats it the same whatever its
 * arguments (Docker's default: ERRNO(ENOSYS), so libcs fall back to
 * clone): a glibc program's threads are not reported as clone3 violations
 * under either path.
 */
#define P_SECCOMP_OP 1u /* SECCOMP_SET_MODE_FILTER */
#define P_NEW_LISTENER (1u << 3)

static uint32_t clone3_answer(const struct sigsys_policy *p, uint32_t *real)
{
	int idx = sigsys_clone3_trap_index(p->insns, p->hdr->n_insns, p->hdr->arch,
					   p->hdr->n_actions);

	/* Only an ERRNO answer: any other action the supervisor reports. */
	if (idx < 0 || p->actions[idx].kind != SIGSYS_ACT_ERRNO)
		return 0;
	*real = p->hdr->mode == SIGSYS_MODE_AUDIT ? SECCOMP_RET_ERRNO | ENOSYS
						   : p->actions[idx].seccomp;
	return 1;
}

static uint32_t notify_prologue(const struct sigsys_policy *p, struct sock_filter *out)
{
	uint32_t real = 0, c3 = clone3_answer(p, &real), n = c3 ? 12 : 10, nr_seccomp;

	switch (p->hdr->arch) {
	case 0xc000003eu: /* AUDIT_ARCH_X86_64 */
		nr_seccomp = 317;
		break;
	case 0xc00000b7u: /* AUDIT_ARCH_AARCH64 */
		nr_seccomp = 277;
		break;
	default:
		return 0;
	}
#define LD(off) (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JSET(k, t, f) (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))
#define RET(k) (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, (k))
	/* Jump offsets count from the next insn; the program starts at n. */
	out[0] = LD(offsetof(struct seccomp_data, arch));
	out[1] = JEQ(p->hdr->arch, 0, (uint8_t)(n - 2));  /* other arch -> program */
	out[2] = LD(offsetof(struct seccomp_data, nr));
	out[3] = JEQ(nr_seccomp, 0, 6);                   /* -> 10 (clone3) or program */
	out[4] = LD(offsetof(struct seccomp_data, args[0]));
	out[5] = JEQ(P_SECCOMP_OP, 0, (uint8_t)(n - 6));  /* other op -> program */
	out[6] = LD(offsetof(struct seccomp_data, args[1]));
	out[7] = JSET(P_NEW_LISTENER, 0, 1);              /* no listener -> 9 */
	out[8] = RET(SECCOMP_RET_ERRNO | EPERM);
	out[9] = RET(SECCOMP_RET_ALLOW);
	if (c3) {
		out[10] = JEQ(__NR_clone3, 0, 1);         /* A is still nr */
		out[11] = RET(real);
	}
#undef LD
#undef JEQ
#undef JSET
#undef RET
	return n;
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
		struct sock_filter pro[NOTIFY_PROLOGUE_MAX];
		uint32_t k = cut + NOTIFY_PROLOGUE_MAX <= SIGSYS_POLICY_MAX_INSNS
				     ? notify_prologue(p, pro)
				     : 0;

		memmove(out + k, out, cut * sizeof(*out));
		memcpy(out, pro, k * sizeof(*out));
		cut += k;
	}
	*n_out = cut;
	return sigsys_bpf_check(out, cut, why, whylen);
}

int sigsys_variant_trust_ip(struct sock_filter *f, uint32_t *n, uint32_t arch, uint64_t ip,
			    char *why, size_t whylen)
{
	const uint32_t tail = *n, len = 10, x32 = 0x40000000u;
	uint32_t i;

	if (tail + len > SIGSYS_POLICY_MAX_INSNS)
		return 0;
	for (i = 0; i < tail; i++)
		if (f[i].code == (BPF_RET | BPF_K) && f[i].k == SECCOMP_RET_USER_NOTIF)
			f[i] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, tail - i - 1);
#define LD(off) (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JMP(op, k, t, fl) (struct sock_filter) BPF_JUMP(BPF_JMP | (op) | BPF_K, (k), (t), (fl))
	/* Offsets count from the next insn; tail + 9 notifies. */
	f[tail + 0] = LD(offsetof(struct seccomp_data, instruction_pointer));
	f[tail + 1] = JMP(BPF_JEQ, (uint32_t)ip, 0, 7);
	f[tail + 2] = LD(offsetof(struct seccomp_data, instruction_pointer) + 4);
	f[tail + 3] = JMP(BPF_JEQ, (uint32_t)(ip >> 32), 0, 5);
	f[tail + 4] = LD(offsetof(struct seccomp_data, arch));
	f[tail + 5] = JMP(BPF_JEQ, arch, 0, 3);
	f[tail + 6] = LD(offsetof(struct seccomp_data, nr));
	f[tail + 7] = JMP(BPF_JSET, x32, 1, 0);
	f[tail + 8] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[tail + 9] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
#undef LD
#undef JMP
	*n = tail + len;
	return sigsys_bpf_check(f, *n, why, whylen);
}
