/*
 * bpf_eval.h - a classic-BPF interpreter with the kernel's seccomp semantics.
 *
 * `sigsys explain` evaluates the REAL program of a policy (the rewritten BPF
 * the kernel runs, not a model of the profile), and the tests check the
 * evaluator against the kernel on live filters.  Semantics follow what the
 * kernel executes after bpf_convert_filter(): 32-bit ALU, A and X start at 0,
 * division by X == 0 ends the program with return value 0 (KILL_THREAD),
 * shifts by X use the low 5 bits (as x86 and arm64 do for 32-bit shifts),
 * loads read native-endian words of struct seccomp_data.
 *
 * Programs are expected to have passed sigsys_bpf_check() (policy.h); on a
 * malformed one the evaluator stays in bounds and returns 0 with
 * *ret_at == n.
 */
#ifndef SIGSYS_BPF_EVAL_H
#define SIGSYS_BPF_EVAL_H

#include <stdint.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

/* Run `prog` on `d`; returns the SECCOMP_RET_* value and, if ret_at is not
 * NULL, the index of the instruction that produced it. */
uint32_t sigsys_bpf_eval(const struct sock_filter *prog, uint32_t n,
			 const struct seccomp_data *d, uint32_t *ret_at);

/* The same, also recording the indexes of the insns executed, in order, into
 * path[0..path_cap) and their count (capped) into *path_len. */
uint32_t sigsys_bpf_eval_path(const struct sock_filter *prog, uint32_t n,
			      const struct seccomp_data *d, uint32_t *ret_at, uint32_t *path,
			      uint32_t path_cap, uint32_t *path_len);

struct sigsys_policy;

/* What a parsed policy does with one call, for `sigsys explain`. */
struct sigsys_verdict {
	uint32_t ret;        /* what the kernel gets (SECCOMP_RET_*) */
	uint32_t ret_at;     /* index of the ret insn reached */
	uint32_t kind;       /* enum sigsys_action_kind the profile asked for;
				0 for a raw action the rewrite never emits */
	uint32_t data;       /* errno for ERRNO, msg data for TRACE */
	int32_t action_idx;  /* index into the action table, -1 if not a trap */
	uint32_t denied_at;  /* index of the original (rewritten) ret that denied
				the call, UINT32_MAX if none */
	uint32_t path_len;   /* instructions executed */
};

/* Evaluate the policy's real program (trusted ip as patched, or the
 * placeholder) on d.  Uses 16 KiB of stack.  Returns 0. */
int sigsys_policy_verdict(const struct sigsys_policy *p, const struct seccomp_data *d,
			  struct sigsys_verdict *v);

/*
 * The action-table index a rewritten program (prog, n, for `arch`, with
 * n_actions table entries) traps clone3 with whatever its arguments
 * (seccomp_data all zeros and all ones, an ip that is never the trusted
 * one), or -1 when clone3 is allowed, not a sigsys trap, or depends on
 * arguments.  Such a clone3 is answered in the filter itself: by the
 * policy's prologue (prologue.c) and by sigsys-exec's NOTIFY variant
 * (variant.c), because a clone3 child would start inside the handler.
 */
int sigsys_clone3_trap_index(const struct sock_filter *prog, uint32_t n, uint32_t arch,
			     uint32_t n_actions);

/*
 * Mirror of the kernel's seccomp_is_const_allow() (kernel/seccomp.c, the
 * 5.11+ action cache): 1 if `prog` returns SECCOMP_RET_ALLOW for (arch, nr)
 * whatever the args and ip are, judged the way the kernel judges it (only
 * loads of nr/arch, `and #k`, jumps with #k; anything else gives up).
 */
int sigsys_bpf_is_const_allow(const struct sock_filter *prog, uint32_t n, uint32_t arch,
			      uint32_t nr);

/*
 * One instruction in the usual classic-BPF assembler notation, with
 * seccomp_data offsets named and jump targets absolute:
 *   "ld [nr]", "jeq #0x27, 5, 6", "ja 40", "ldx #0x3a001", "ret #0x7fff0000",
 *   "ret a".  Unknown opcodes print as ".insn 0x0030, 0, 0, 0x0".
 * Writes at most len bytes (NUL included); returns buf.
 */
char *sigsys_bpf_disasm(const struct sock_filter *prog, uint32_t pc, char *buf, size_t len);

#endif
