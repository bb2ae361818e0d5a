/*
 * bpf_eval.c - classic BPF over struct seccomp_data (see bpf_eval.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bpf_eval.h"
#include "policy.h"

uint32_t sigsys_bpf_eval(const struct sock_filter *prog, uint32_t n,
			 const struct seccomp_data *d, uint32_t *ret_at)
{
	return sigsys_bpf_eval_path(prog, n, d, ret_at, NULL, 0, NULL);
}

uint32_t sigsys_bpf_eval_path(const struct sock_filter *prog, uint32_t n,
			      const struct seccomp_data *d, uint32_t *ret_at, uint32_t *path,
			      uint32_t path_cap, uint32_t *path_len)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS];
	uint32_t pc, k, steps = 0;

	if (path_len)
		*path_len = 0;
	memset(M, 0, sizeof(M));
	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &prog[pc];

		/* Jumps only go forward, so a path has at most n entries. */
		if (path && steps < path_cap)
			path[steps] = pc;
		steps++;
		if (path_len)
			*path_len = steps < path_cap ? steps : path_cap;
		k = i->k;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k > sizeof(*d) - 4 || (k & 3))
				goto bad;
			memcpy(&A, (const uint8_t *)d + k, 4);
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			A = sizeof(*d);
			break;
		case BPF_LDX | BPF_W | BPF_LEN:
			X = sizeof(*d);
			break;
		case BPF_LD | BPF_IMM:
			A = k;
			break;
		case BPF_LDX | BPF_IMM:
			X = k;
			break;
		case BPF_LD | BPF_MEM:
			if (k >= BPF_MEMWORDS)
				goto bad;
			A = M[k];
			break;
		case BPF_LDX | BPF_MEM:
			if (k >= BPF_MEMWORDS)
				goto bad;
			X = M[k];
			break;
		case BPF_ST:
			if (k >= BPF_MEMWORDS)
				goto bad;
			M[k] = A;
			break;
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				goto bad;
			M[k] = X;
			break;
		case BPF_MISC | BPF_TAX:
			X = A;
			break;
		case BPF_MISC | BPF_TXA:
			A = X;
			break;
		case BPF_ALU | BPF_ADD | BPF_K: A += k; break;
		case BPF_ALU | BPF_ADD | BPF_X: A += X; break;
		case BPF_ALU | BPF_SUB | BPF_K: A -= k; break;
		case BPF_ALU | BPF_SUB | BPF_X: A -= X; break;
		case BPF_ALU | BPF_MUL | BPF_K: A *= k; break;
		case BPF_ALU | BPF_MUL | BPF_X: A *= X; break;
		case BPF_ALU | BPF_DIV | BPF_K:
			if (k == 0)
				goto bad;
			A /= k;
			break;
		case BPF_ALU | BPF_DIV | BPF_X:
			/* bpf_convert_filter() emits "if X == 0 return 0". */
			if (X == 0) {
				if (ret_at)
					*ret_at = pc;
				return 0;
			}
			A /= X;
			break;
		case BPF_ALU | BPF_AND | BPF_K: A &= k; break;
		case BPF_ALU | BPF_AND | BPF_X: A &= X; break;
		case BPF_ALU | BPF_OR | BPF_K: A |= k; break;
		case BPF_ALU | BPF_OR | BPF_X: A |= X; break;
		case BPF_ALU | BPF_XOR | BPF_K: A ^= k; break;
		case BPF_ALU | BPF_XOR | BPF_X: A ^= X; break;
		case BPF_ALU | BPF_LSH | BPF_K: A <<= (k & 31); break;
		case BPF_ALU | BPF_LSH | BPF_X: A <<= (X & 31); break;
		case BPF_ALU | BPF_RSH | BPF_K: A >>= (k & 31); break;
		case BPF_ALU | BPF_RSH | BPF_X: A >>= (X & 31); break;
		case BPF_ALU | BPF_NEG: A = 0u - A; break;
		case BPF_JMP | BPF_JA:
			if (k >= n - pc - 1)
				goto bad;
			pc += k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += (A == k) ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JEQ | BPF_X: pc += (A == X) ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += (A >= k) ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGE | BPF_X: pc += (A >= X) ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += (A > k) ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGT | BPF_X: pc += (A > X) ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (A & k) ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JSET | BPF_X: pc += (A & X) ? i->jt : i->jf; break;
		case BPF_RET | BPF_K:
			if (ret_at)
				*ret_at = pc;
			return k;
		case BPF_RET | BPF_A:
			if (ret_at)
				*ret_at = pc;
			return A;
		default:
			goto bad;
		}
	}
bad:
	/* Off the end or an opcode seccomp would have refused at load. */
	if (ret_at)
		*ret_at = n;
	return 0;
}

int sigsys_policy_verdict(const struct sigsys_policy *p, const struct seccomp_data *d,
			  struct sigsys_verdict *v)
{
	uint32_t path[SIGSYS_POLICY_MAX_INSNS]; /* 16 KiB of stack */
	uint32_t len = 0, i, r;

	memset(v, 0, sizeof(*v));
	v->action_idx = -1;
	v->denied_at = UINT32_MAX;
	r = sigsys_bpf_eval_path(p->insns, p->hdr->n_insns, d, &v->ret_at, path,
				 SIGSYS_POLICY_MAX_INSNS, &len);
	v->ret = r;
	switch (r & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		v->kind = SIGSYS_ACT_ALLOW;
		break;
	case SECCOMP_RET_KILL_PROCESS:
		v->kind = SIGSYS_ACT_KILL_PROCESS;
		break;
	case SECCOMP_RET_KILL_THREAD:
		v->kind = SIGSYS_ACT_KILL_THREAD;
		break;
	case SECCOMP_RET_TRAP:
		if ((r & SIGSYS_TRAP_MAGIC_MASK) == SIGSYS_TRAP_MAGIC &&
		    (r & SIGSYS_TRAP_INDEX_MASK) < p->hdr->n_actions) {
			v->action_idx = (int32_t)(r & SIGSYS_TRAP_INDEX_MASK);
			v->kind = p->actions[v->action_idx].kind;
			v->data = p->actions[v->action_idx].data;
		} else {
			v->kind = SIGSYS_ACT_TRAP;
			v->data = r & SECCOMP_RET_DATA;
		}
		break;
	default:
		/* Not produced by the rewrite; report the raw kernel action. */
		v->kind = 0;
		v->data = r & SECCOMP_RET_DATA;
		break;
	}
	/* The original ret this call hit: the insn just before the first stub
	 * (`ldx #TRAP|MAGIC|idx`) on the path; it was rewritten into a ja. */
	for (i = 1; i < len; i++) {
		const struct sock_filter *f = &p->insns[path[i]];

		if (f->code == (BPF_LDX | BPF_IMM) &&
		    (f->k & 0x7fffffffu & ~SIGSYS_TRAP_INDEX_MASK) ==
			    (SECCOMP_RET_TRAP | SIGSYS_TRAP_MAGIC) &&
		    p->insns[path[i - 1]].code == (BPF_JMP | BPF_JA)) {
			v->denied_at = path[i - 1];
			break;
		}
	}
	v->path_len = len;
	return 0;
}

int sigsys_clone3_trap_index(const struct sock_filter *prog, uint32_t n, uint32_t arch,
			     uint32_t n_actions)
{
	const int nr_clone3 = 435; /* the same on x86_64 and aarch64 */
	struct seccomp_data d;
	uint32_t r[2], idx;

	for (int i = 0; i < 2; i++) {
		memset(&d, i ? 0xff : 0, sizeof(d));
		d.nr = nr_clone3;
		d.arch = arch;
		/* Not the trusted ip: neither the placeholder (0) nor a page. */
		d.instruction_pointer = 1;
		r[i] = sigsys_bpf_eval(prog, n, &d, NULL);
	}
	if (r[0] != r[1] || (r[0] & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRAP ||
	    (r[0] & SIGSYS_TRAP_MAGIC_MASK) != SIGSYS_TRAP_MAGIC)
		return -1; /* allowed, not ours, or argument-dependent: leave it */
	idx = r[0] & SIGSYS_TRAP_INDEX_MASK;
	return idx < n_actions ? (int)idx : -1;
}

int sigsys_bpf_is_const_allow(const struct sock_filter *prog, uint32_t n, uint32_t arch,
			      uint32_t nr)
{
	uint32_t reg = 0, pc;
	int res;

	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &prog[pc];
		uint32_t k = i->k;

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k == offsetof(struct seccomp_data, nr))
				reg = nr;
			else if (k == offsetof(struct seccomp_data, arch))
				reg = arch;
			else
				return 0; /* reads args or ip: not constant */
			break;
		case BPF_RET | BPF_K:
			return k == SECCOMP_RET_ALLOW;
		case BPF_JMP | BPF_JA:
			pc += k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			switch (BPF_OP(i->code)) {
			case BPF_JEQ: res = reg == k; break;
			case BPF_JGE: res = reg >= k; break;
			case BPF_JGT: res = reg > k; break;
			default: res = !!(reg & k); break;
			}
			pc += res ? i->jt : i->jf;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			reg &= k;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

static const char *data_name(uint32_t k, char *tmp, size_t len)
{
	switch (k) {
	case offsetof(struct seccomp_data, nr): return "nr";
	case offsetof(struct seccomp_data, arch): return "arch";
	case offsetof(struct seccomp_data, instruction_pointer): return "ip";
	case offsetof(struct seccomp_data, instruction_pointer) + 4: return "ip_hi";
	}
	if (k >= offsetof(struct seccomp_data, args) && k < sizeof(struct seccomp_data)) {
		uint32_t off = k - (uint32_t)offsetof(struct seccomp_data, args);

		/* Little-endian: the low half of args[i] comes first. */
		snprintf(tmp, len, "args[%u]%s", off / 8, off % 8 ? "_hi" : "");
		return tmp;
	}
	snprintf(tmp, len, "%u", k);
	return tmp;
}

char *sigsys_bpf_disasm(const struct sock_filter *prog, uint32_t pc, char *buf, size_t len)
{
	static const char *const alu[16] = { "add", "sub", "mul", "div", "or", "and", "lsh",
					     "rsh", "neg", "mod", "xor" };
	const struct sock_filter *i = &prog[pc];
	const char *op;
	char tmp[24];

	switch (BPF_CLASS(i->code)) {
	case BPF_LD:
	case BPF_LDX:
		op = BPF_CLASS(i->code) == BPF_LD ? "ld" : "ldx";
		if (i->code == (BPF_LD | BPF_W | BPF_ABS))
			snprintf(buf, len, "ld [%s]", data_name(i->k, tmp, sizeof(tmp)));
		else if (BPF_MODE(i->code) == BPF_IMM)
			snprintf(buf, len, "%s #0x%x", op, i->k);
		else if (BPF_MODE(i->code) == BPF_MEM)
			snprintf(buf, len, "%s M[%u]", op, i->k);
		else if (BPF_MODE(i->code) == BPF_LEN)
			snprintf(buf, len, "%s len", op);
		else
			goto unknown;
		return buf;
	case BPF_ST:
		snprintf(buf, len, "st M[%u]", i->k);
		return buf;
	case BPF_STX:
		snprintf(buf, len, "stx M[%u]", i->k);
		return buf;
	case BPF_ALU:
		op = alu[BPF_OP(i->code) >> 4];
		if (!op)
			goto unknown;
		if (BPF_OP(i->code) == BPF_NEG)
			snprintf(buf, len, "neg");
		else if (BPF_SRC(i->code) == BPF_X)
			snprintf(buf, len, "%s x", op);
		else
			snprintf(buf, len, "%s #0x%x", op, i->k);
		return buf;
	case BPF_JMP:
		if (BPF_OP(i->code) == BPF_JA) {
			snprintf(buf, len, "ja %llu", (unsigned long long)pc + 1 + i->k);
			return buf;
		}
		switch (BPF_OP(i->code)) {
		case BPF_JEQ: op = "jeq"; break;
		case BPF_JGT: op = "jgt"; break;
		case BPF_JGE: op = "jge"; break;
		case BPF_JSET: op = "jset"; break;
		default: goto unknown;
		}
		if (BPF_SRC(i->code) == BPF_X)
			snprintf(buf, len, "%s x, %u, %u", op, pc + 1 + i->jt, pc + 1 + i->jf);
		else
			snprintf(buf, len, "%s #0x%x, %u, %u", op, i->k, pc + 1 + i->jt,
				 pc + 1 + i->jf);
		return buf;
	case BPF_RET:
		if (BPF_RVAL(i->code) == BPF_A)
			snprintf(buf, len, "ret a");
		else if (BPF_RVAL(i->code) == BPF_K)
			snprintf(buf, len, "ret #0x%x", i->k);
		else
			goto unknown;
		return buf;
	case BPF_MISC:
		if (BPF_MISCOP(i->code) == BPF_TAX)
			snprintf(buf, len, "tax");
		else if (BPF_MISCOP(i->code) == BPF_TXA)
			snprintf(buf, len, "txa");
		else
			goto unknown;
		return buf;
	}
unknown:
	snprintf(buf, len, ".insn 0x%04x, %u, %u, 0x%x", i->code, i->jt, i->jf, i->k);
	return buf;
}
