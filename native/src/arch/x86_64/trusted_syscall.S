/*
 * trusted_syscall.S - the one syscall instruction the sigsys filter trusts.
 *
 *   long sigsys_trusted_syscall(long nr, long a0, long a1, long a2,
 *                               long a3, long a4, long a5);
 *
 * Returns the raw kernel result (-errno on failure); never touches errno.
 * The filter's trap epilogue compares seccomp_data.instruction_pointer with
 * the address right after the `syscall` (sigsys_trusted_ip).  The preload
 * does not trust this copy inside libsigsys.so: its address moves with every
 * execve (ASLR) while the filter survives the exec.  Instead it copies the
 * bytes [sigsys_trusted_syscall, sigsys_trusted_end) to one page at an
 * address that is carried across exec (see preload.c) and trusts that copy.
 * So the code here must be position independent and self-contained: register
 * moves, `syscall`, `ret`, nothing else.
 *
 * Clone from the handler: a child created with a new stack returns from the
 * `syscall` below onto that stack, and its `ret` pops the first word there,
 * which the handler set to sigsys_clone_child (clone_trampoline.S).
 */
	.text
	.p2align 4
	.globl sigsys_trusted_syscall
	.hidden sigsys_trusted_syscall
	.type sigsys_trusted_syscall, @function
sigsys_trusted_syscall:
	.cfi_startproc
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
	syscall
	.globl sigsys_trusted_ip
	.hidden sigsys_trusted_ip
sigsys_trusted_ip:
	ret
	.cfi_endproc
	.size sigsys_trusted_syscall, .-sigsys_trusted_syscall
	.globl sigsys_trusted_end
	.hidden sigsys_trusted_end
sigsys_trusted_end:
	int3

/*
 * sigsys_restore_rt: the sa_restorer of our SIGSYS handler, which the
 * constructor installs with a raw rt_sigaction through the trusted stub
 * (after execve the inherited filter may trap libc's sigaction before our
 * handler exists).  The exact bytes of glibc's __restore_rt
 * (48 c7 c0 0f 00 00 00 0f 05), so unwinders and debuggers recognise the
 * signal frame.  rt_sigreturn is never trapped by a compiled policy.
 */
	.p2align 4
	.globl sigsys_restore_rt
	.hidden sigsys_restore_rt
	.type sigsys_restore_rt, @function
sigsys_restore_rt:
	movq $15, %rax
	syscall
	.size sigsys_restore_rt, .-sigsys_restore_rt

	.section .note.GNU-stack,"",@progbits
