/* clone_trampoline.S - placeholder until implemented. */
	.section .note.GNU-stack,"",@progbits
