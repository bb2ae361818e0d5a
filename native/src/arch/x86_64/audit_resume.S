/*
 * audit_resume.S - where an audited call handed off to the trusted
 * instruction returns (handler.c, handoff()).
 *
 * Instead of re-issuing an audited call from inside the handler (two
 * rt_sigprocmask calls around it, so it runs under the application's mask),
 * the handler points the saved context at the trusted `syscall` with the
 * application's registers and returns: rt_sigreturn restores the
 * application's mask and the call runs there, exactly once, with the
 * kernel's own restart rules.  The stub's `ret` after the `syscall` pops
 * the first of three words the handler stored (arch.h, sigsys_uc_handoff):
 *
 *   [rsp + 0]   sigsys_audit_resume        <- rsp at the trusted syscall
 *   [rsp + 8]   the trapped call's return address
 *   [rsp + 16]  the application's stack pointer at the trap
 *
 * Here: pop the return address into rcx (the `syscall` clobbered rcx and
 * r11 anyway, and after a real syscall rcx holds exactly that address),
 * load the application's stack pointer with mov (flags untouched), and
 * jump back.  rax holds the call's result.
 */
	.text
	.p2align 4
	.globl sigsys_audit_resume
	.hidden sigsys_audit_resume
	.type sigsys_audit_resume, @function
sigsys_audit_resume:
	.cfi_startproc
	.cfi_undefined rip
	popq %rcx
	movq (%rsp), %rsp
	jmpq *%rcx
	.cfi_endproc
	.size sigsys_audit_resume, .-sigsys_audit_resume

	.section .note.GNU-stack,"",@progbits
