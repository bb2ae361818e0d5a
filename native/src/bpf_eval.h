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

/*
 * Mirror of the kernel's seccomp_is_const_allow() (kernel/seccomp.c, the
 * 5.11+ action cache): 1 if `prog` returns SECCOMP_RET_ALLOW for (arch, nr)
 * whatever the args and ip are, judged the way the kernel judges it (only
 * loads of nr/arch, `and #k`, jumps with #k; anything else gives up).
 */
int sigsys_bpf_is_const_allow(const struct sock_filter *prog, uint32_t n, uint32_t arch,
			      uint32_t nr);

#endif
