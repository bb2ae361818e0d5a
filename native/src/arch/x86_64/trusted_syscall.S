/* trusted_syscall.S - placeholder until implemented. */
	.section .note.GNU-stack,"",@progbits
