/*
 * policy.c - write and validate sigsys policy images (see policy.h).
 *
 * The parser is the gate between a file anybody could have written and a
 * seccomp filter about to be installed on a process, so it checks the BPF
 * program the same way the kernel will (bpf_check_classic() followed by
 * seccomp_check_filter()).  A policy the kernel would refuse is refused
 * here, with a message naming the instruction, instead of surfacing later as
 * a bare EINVAL from seccomp(2) inside somebody's container.
 *
 * Nothing here allocates: the preload calls sigsys_policy_parse() on an
 * mmap'd file from its constructor.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "errbuf.h"
#include "policy.h"

_Static_assert(sizeof(struct sigsys_policy_header) == 96, "policy header layout is ABI");
_Static_assert(sizeof(struct sigsys_action) == 16, "action layout is ABI");
_Static_assert(sizeof(struct sock_filter) == 8, "sock_filter layout");

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) ---- */

/* Bitwise, no table: 4096 insns + 256 actions is ~37 KiB, parsed once per
 * process; a table would be 1 KiB of relocation-free data for no gain. */
uint32_t sigsys_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

size_t sigsys_policy_size(uint32_t n_insns, uint32_t n_actions)
{
	return sizeof(struct sigsys_policy_header) +
	       (size_t)n_insns * sizeof(struct sock_filter) +
	       (size_t)n_actions * sizeof(struct sigsys_action);
}

int sigsys_policy_write(void *buf, size_t len, const struct sigsys_policy_header *hdr,
			const struct sock_filter *insns, const struct sigsys_action *actions)
{
	struct sigsys_policy_header h;
	uint8_t *p = buf;
	size_t need, body;

	if (!buf || !hdr || !insns || (hdr->n_actions && !actions))
		return -EINVAL;
	if (hdr->n_insns == 0 || hdr->n_insns > SIGSYS_POLICY_MAX_INSNS ||
	    hdr->n_actions > SIGSYS_POLICY_MAX_ACTIONS)
		return -E2BIG;
	need = sigsys_policy_size(hdr->n_insns, hdr->n_actions);
	if (len < need)
		return -ENOSPC;

	h = *hdr;
	memcpy(h.magic, SIGSYS_POLICY_MAGIC, sizeof(h.magic));
	h.version = SIGSYS_POLICY_VERSION;
	h.header_size = sizeof(h);
	body = (size_t)h.n_insns * sizeof(*insns);
	memcpy(p + sizeof(h), insns, body);
	if (h.n_actions)
		memcpy(p + sizeof(h) + body, actions, (size_t)h.n_actions * sizeof(*actions));
	h.checksum = sigsys_crc32(p + sizeof(h), need - sizeof(h));
	memcpy(p, &h, sizeof(h));
	return 0;
}

/* ---- validation ---- */

/*
 * Mirror of the kernel's check_load_and_stores() (net/core/filter.c): a load
 * from scratch memory M[k] must be preceded, on every path, by a store to it.
 * Jumps only go forward, so one pass propagating "cells valid" masks to jump
 * targets suffices.  Like the kernel, a ret does not reset the running mask.
 */
static int check_mem(const struct sock_filter *f, uint32_t n, char *why, size_t whylen)
{
	uint16_t masks[SIGSYS_POLICY_MAX_INSNS]; /* 8 KiB of stack, no malloc */
	uint16_t valid = 0;
	uint32_t pc;

	memset(masks, 0xff, n * sizeof(masks[0]));
	for (pc = 0; pc < n; pc++) {
		valid &= masks[pc];
		switch (f[pc].code) {
		case BPF_ST:
		case BPF_STX:
			valid |= (uint16_t)(1u << f[pc].k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & (1u << f[pc].k))) {
				sigsys_errbuf(why, whylen, "bad BPF: insn %u reads scratch M[%u] before any store",
				    pc, f[pc].k);
				return -EINVAL;
			}
			break;
		case BPF_JMP | BPF_JA:
			masks[pc + 1 + f[pc].k] &= valid;
			valid = 0xffff;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			masks[pc + 1 + f[pc].jt] &= valid;
			masks[pc + 1 + f[pc].jf] &= valid;
			valid = 0xffff;
			break;
		}
	}
	return 0;
}

int sigsys_bpf_check(const struct sock_filter *f, uint32_t n, char *why, size_t whylen)
{
	uint32_t pc;

	if (n == 0 || n > SIGSYS_POLICY_MAX_INSNS) {
		sigsys_errbuf(why, whylen, "program has %u instructions; the kernel accepts 1..%u", n,
		    SIGSYS_POLICY_MAX_INSNS);
		return n ? -E2BIG : -EINVAL;
	}
	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];

		/* The union of bpf_check_classic()'s and seccomp_check_filter()'s
		 * rules: seccomp accepts only this explicit list of opcodes. */
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k >= sizeof(struct seccomp_data) || (i->k & 3)) {
				sigsys_errbuf(why, whylen,
				    "bad BPF: insn %u loads seccomp_data offset %u (must be < %zu, aligned)",
				    pc, i->k, sizeof(struct seccomp_data));
				return -EINVAL;
			}
			break;
		case BPF_LD | BPF_W | BPF_LEN:
		case BPF_LDX | BPF_W | BPF_LEN:
		case BPF_RET | BPF_K:
		case BPF_RET | BPF_A:
		case BPF_ALU | BPF_ADD | BPF_K:
		case BPF_ALU | BPF_ADD | BPF_X:
		case BPF_ALU | BPF_SUB | BPF_K:
		case BPF_ALU | BPF_SUB | BPF_X:
		case BPF_ALU | BPF_MUL | BPF_K:
		case BPF_ALU | BPF_MUL | BPF_X:
		case BPF_ALU | BPF_DIV | BPF_X:
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_AND | BPF_X:
		case BPF_ALU | BPF_OR | BPF_K:
		case BPF_ALU | BPF_OR | BPF_X:
		case BPF_ALU | BPF_XOR | BPF_K:
		case BPF_ALU | BPF_XOR | BPF_X:
		case BPF_ALU | BPF_LSH | BPF_X:
		case BPF_ALU | BPF_RSH | BPF_X:
		case BPF_ALU | BPF_NEG:
		case BPF_LD | BPF_IMM:
		case BPF_LDX | BPF_IMM:
		case BPF_MISC | BPF_TAX:
		case BPF_MISC | BPF_TXA:
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
			if (i->k == 0) {
				sigsys_errbuf(why, whylen, "bad BPF: insn %u divides by constant 0", pc);
				return -EINVAL;
			}
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (i->k >= 32) {
				sigsys_errbuf(why, whylen, "bad BPF: insn %u shifts by %u (max 31)", pc, i->k);
				return -EINVAL;
			}
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (i->k >= BPF_MEMWORDS) {
				sigsys_errbuf(why, whylen, "bad BPF: insn %u uses scratch M[%u] (max %u)", pc,
				    i->k, BPF_MEMWORDS - 1);
				return -EINVAL;
			}
			break;
		case BPF_JMP | BPF_JA:
			if (i->k >= n - pc - 1) {
				sigsys_errbuf(why, whylen,
				    "bad BPF: insn %u jumps to %llu, past the end (%u insns)", pc,
				    (unsigned long long)pc + 1 + i->k, n);
				return -EINVAL;
			}
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			if (pc + 1 + i->jt >= n || pc + 1 + i->jf >= n) {
				sigsys_errbuf(why, whylen,
				    "bad BPF: insn %u jumps to %u/%u, past the end (%u insns)", pc,
				    pc + 1 + i->jt, pc + 1 + i->jf, n);
				return -EINVAL;
			}
			break;
		default:
			sigsys_errbuf(why, whylen, "bad BPF: insn %u has opcode 0x%04x, which seccomp rejects",
			    pc, i->code);
			return -EINVAL;
		}
	}
	if (BPF_CLASS(f[n - 1].code) != BPF_RET) {
		sigsys_errbuf(why, whylen, "bad BPF: last insn %u is not a ret", n - 1);
		return -EINVAL;
	}
	return check_mem(f, n, why, whylen);
}

static int action_valid(const struct sigsys_action *a)
{
	return a->kind >= SIGSYS_ACT_KILL_PROCESS && a->kind <= SIGSYS_ACT_ALLOW;
}

/*
 * A pair of trusted-ip jeqs at lo, hi of n insns: the preload writes
 * the ip into their k's, so make sure they really are the ip comparisons,
 * not some jeq of the profile's own logic.
 */
static int check_ip_pair(const struct sock_filter *insns, uint32_t n, uint32_t lo, uint32_t hi,
			 const char *what, char *why, size_t whylen)
{
	if (lo >= n || hi >= n || lo == hi) {
		sigsys_errbuf(why, whylen, "%s index out of range: lo %u, hi %u, %u insns", what, lo,
		    hi, n);
		return -EINVAL;
	}
	if (insns[lo].code != (BPF_JMP | BPF_JEQ | BPF_K) ||
	    insns[hi].code != (BPF_JMP | BPF_JEQ | BPF_K)) {
		sigsys_errbuf(why, whylen, "%s index does not point at a jeq #k (lo %u, hi %u)", what,
		    lo, hi);
		return -EINVAL;
	}
	if (lo == 0 || hi == 0 || insns[lo - 1].code != (BPF_LD | BPF_W | BPF_ABS) ||
	    insns[lo - 1].k != offsetof(struct seccomp_data, instruction_pointer) ||
	    insns[hi - 1].code != (BPF_LD | BPF_W | BPF_ABS) ||
	    insns[hi - 1].k != offsetof(struct seccomp_data, instruction_pointer) + 4) {
		sigsys_errbuf(why, whylen, "%s jeq does not follow a load of the ip (lo %u, hi %u)",
		    what, lo, hi);
		return -EINVAL;
	}
	return 0;
}

void sigsys_policy_profile_program(const struct sigsys_policy *p,
				   struct sigsys_policy_header *hbuf, struct sigsys_policy *out)
{
	uint32_t k = p->hdr->prologue_len;
	const struct sock_filter *insns = p->insns + k;
	const struct sigsys_action *actions = p->actions;

	*hbuf = *p->hdr;
	hbuf->n_insns -= k;
	hbuf->trusted_ip_lo_at -= k;
	hbuf->trusted_ip_hi_at -= k;
	hbuf->prologue_len = 0;
	hbuf->prologue_ip_lo_at = 0;
	hbuf->prologue_ip_hi_at = 0;
	out->hdr = hbuf;
	out->insns = insns;
	out->actions = actions;
}

int sigsys_policy_check(const void *buf, size_t len, uint32_t expect_arch,
			struct sigsys_policy *out, char *why, size_t whylen)
{
	struct sigsys_policy_header h;
	const uint8_t *p = buf;
	const struct sock_filter *insns;
	const struct sigsys_action *actions;
	size_t need;
	uint32_t i, crc;
	int rc;

	if (!buf || !out) {
		sigsys_errbuf(why, whylen, "no buffer");
		return -EINVAL;
	}
	if (len < sizeof(h)) {
		sigsys_errbuf(why, whylen, "truncated: %zu bytes, a header alone is %zu", len, sizeof(h));
		return -EINVAL;
	}
	/* Copy: an mmap'd file may be unaligned or change under us; every
	 * decision below is made on this one snapshot of the header. */
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.magic, SIGSYS_POLICY_MAGIC, sizeof(h.magic)) != 0) {
		sigsys_errbuf(why, whylen, "bad magic: not a sigsys policy file");
		return -EINVAL;
	}
	if (h.version != SIGSYS_POLICY_VERSION) {
		sigsys_errbuf(why, whylen, "unsupported version %u (this sigsys reads %u)", h.version,
		    SIGSYS_POLICY_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (h.header_size != sizeof(h)) {
		sigsys_errbuf(why, whylen, "bad header_size %u (expected %zu)", h.header_size, sizeof(h));
		return -EINVAL;
	}
	if (expect_arch && h.arch != expect_arch) {
		sigsys_errbuf(why, whylen, "wrong arch: policy is for 0x%08x, this process is 0x%08x",
		    h.arch, expect_arch);
		return -ENOEXEC;
	}
	if (h.mode != SIGSYS_MODE_ENFORCE && h.mode != SIGSYS_MODE_AUDIT) {
		sigsys_errbuf(why, whylen, "bad mode %u (1 enforce, 2 audit)", h.mode);
		return -EINVAL;
	}
	if (h.flags != 0) {
		sigsys_errbuf(why, whylen, "unknown flags 0x%x", h.flags);
		return -EINVAL;
	}
	if (h.n_insns == 0 || h.n_insns > SIGSYS_POLICY_MAX_INSNS) {
		sigsys_errbuf(why, whylen, "bad n_insns %u (1..%u)", h.n_insns, SIGSYS_POLICY_MAX_INSNS);
		return -EINVAL;
	}
	if (h.n_actions > SIGSYS_POLICY_MAX_ACTIONS) {
		sigsys_errbuf(why, whylen, "bad n_actions %u (max %u)", h.n_actions,
		    SIGSYS_POLICY_MAX_ACTIONS);
		return -EINVAL;
	}
	need = sigsys_policy_size(h.n_insns, h.n_actions);
	if (len < need) {
		sigsys_errbuf(why, whylen, "truncated: %zu bytes, header says %zu", len, need);
		return -EINVAL;
	}
	if (len > need) {
		sigsys_errbuf(why, whylen, "trailing data: %zu bytes, header says %zu", len, need);
		return -EINVAL;
	}
	crc = sigsys_crc32(p + sizeof(h), need - sizeof(h));
	if (crc != h.checksum) {
		sigsys_errbuf(why, whylen, "checksum mismatch");
		return -EBADMSG;
	}
	/* The sections are 8- and 16-byte structs after an 80-byte header: an
	 * 8-aligned image (malloc, mmap) gives aligned views. */
	if ((uintptr_t)p & 7) {
		sigsys_errbuf(why, whylen, "image not 8-byte aligned in memory");
		return -EINVAL;
	}
	insns = (const struct sock_filter *)(p + sizeof(h));
	actions = (const struct sigsys_action *)(p + sizeof(h) +
						 (size_t)h.n_insns * sizeof(*insns));
	rc = sigsys_bpf_check(insns, h.n_insns, why, whylen);
	if (rc)
		return rc;
	rc = check_ip_pair(insns, h.n_insns, h.trusted_ip_lo_at, h.trusted_ip_hi_at, "trusted ip",
			   why, whylen);
	if (rc)
		return rc;
	if (h.reserved != 0) {
		sigsys_errbuf(why, whylen, "reserved header field is 0x%x, not 0", h.reserved);
		return -EINVAL;
	}
	if (h.prologue_len >= h.n_insns) {
		sigsys_errbuf(why, whylen, "prologue of %u insns in a program of %u", h.prologue_len,
		    h.n_insns);
		return -EINVAL;
	}
	if (h.prologue_len) {
		rc = check_ip_pair(insns, h.prologue_len, h.prologue_ip_lo_at, h.prologue_ip_hi_at,
				   "prologue trusted ip", why, whylen);
		if (rc)
			return rc;
		if (h.trusted_ip_lo_at < h.prologue_len || h.trusted_ip_hi_at < h.prologue_len) {
			sigsys_errbuf(why, whylen, "trusted ip jeqs (lo %u, hi %u) inside the prologue "
			    "(%u insns)", h.trusted_ip_lo_at, h.trusted_ip_hi_at, h.prologue_len);
			return -EINVAL;
		}
		/* The handler and sigsys-exec run the part after the prologue
		 * on its own: it must be a program the kernel would take. */
		rc = sigsys_bpf_check(insns + h.prologue_len, h.n_insns - h.prologue_len, why,
				      whylen);
		if (rc)
			return rc;
	} else if (h.prologue_ip_lo_at || h.prologue_ip_hi_at) {
		sigsys_errbuf(why, whylen, "prologue trusted ip indexes without a prologue");
		return -EINVAL;
	}
	for (i = 0; i < h.n_actions; i++) {
		if (!action_valid(&actions[i])) {
			sigsys_errbuf(why, whylen, "action %u has unknown kind %u", i, actions[i].kind);
			return -EINVAL;
		}
	}
	out->hdr = (const struct sigsys_policy_header *)p;
	out->insns = insns;
	out->actions = actions;
	return 0;
}

int sigsys_policy_parse(const void *buf, size_t len, uint32_t expect_arch,
			struct sigsys_policy *out, const char **why)
{
	/* Per thread so that concurrent parses in the addon do not garble each
	 * other's message; in the preload this lives in static TLS. */
	static __thread char msg[160];
	int rc;

	msg[0] = '\0';
	rc = sigsys_policy_check(buf, len, expect_arch, out, msg, sizeof(msg));
	if (why)
		*why = rc ? msg : NULL;
	return rc;
}
