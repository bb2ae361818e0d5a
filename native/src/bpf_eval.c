/*
 * bpf_eval.c - classic BPF over struct seccomp_data (see bpf_eval.h).
 */
#include <stddef.h>
#include <string.h>

#include "bpf_eval.h"

uint32_t sigsys_bpf_eval(const struct sock_filter *prog, uint32_t n,
			 const struct seccomp_data *d, uint32_t *ret_at)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS];
	uint32_t pc, k;

	memset(M, 0, sizeof(M));
	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &prog[pc];

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
