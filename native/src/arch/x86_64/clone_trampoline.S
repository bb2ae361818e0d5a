/*
 * clone_trampoline.S - where a thread created from inside the SIGSYS handler
 * (audit mode re-issuing clone with a new stack) starts.
 *
 * The kernel starts the child right after the trusted `syscall` with rax = 0
 * and rsp = the stack the handler passed, which is the real new stack minus
 * the frame built by sigsys_clone_frame_fill() (arch.h).  The stub's `ret`
 * popped word 0 and brought us here; the rest of the frame holds the
 * registers of the context that trapped.  We restore them and continue at
 * the trapped rip as if the application's own clone had returned 0 in the
 * child: rsp = the application's new stack, rax = 0, every other register
 * as at the syscall.  The child never runs on the handler's frame, which
 * stays on the parent's stack.
 */
	.text
	.p2align 4
	.globl sigsys_clone_child
	.hidden sigsys_clone_child
	.type sigsys_clone_child, @function
sigsys_clone_child:
	.cfi_startproc
	.cfi_undefined rip
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popfq
	/* rsp now points at the saved rip, the last word below the new stack;
	 * lea and mov leave the just-restored flags alone. */
	leaq 8(%rsp), %rsp
	movl $0, %eax
	jmp *-8(%rsp)
	.cfi_endproc
	.size sigsys_clone_child, .-sigsys_clone_child

	.section .note.GNU-stack,"",@progbits
