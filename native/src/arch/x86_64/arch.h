/*
 * arch/x86_64/arch.h - everything the preload needs to know about x86_64:
 * the AUDIT_ARCH value the filter checks, where the kernel left nr, args and
 * the call address in the signal frame, and how to hand a return value back.
 * aarch64 gets its own arch/aarch64/arch.h with the same names.
 */
#ifndef SIGSYS_ARCH_X86_64_H
#define SIGSYS_ARCH_X86_64_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>
#include <linux/audit.h>

#define SIGSYS_AUDIT_ARCH AUDIT_ARCH_X86_64
/* int $0x80 from a 64-bit process: a "foreign" arch the filter also sees. */
#define SIGSYS_AUDIT_ARCH_COMPAT AUDIT_ARCH_I386
#define SIGSYS_SYSCALL_INSN_LEN 2 /* 0f 05 */
/* x32 calls: arch X86_64, this bit in nr.  The handler never makes one. */
#define SIGSYS_NR_FOREIGN_BIT 0x40000000u
/* mseal(2): same number on every arch (asm-generic and x86_64). */
#define SIGSYS_NR_MSEAL 462

/* The syscall number a trap left in the frame: the kernel rolls rax back to
 * orig_ax before it raises a seccomp SIGSYS (syscall_rollback). */
static inline int32_t sigsys_uc_nr(const ucontext_t *uc)
{
	return (int32_t)uc->uc_mcontext.gregs[REG_RAX];
}

static inline uint64_t sigsys_uc_greg(const ucontext_t *uc, int r)
{
	return (uint64_t)uc->uc_mcontext.gregs[r];
}

/* The six syscall arguments; i386 (int 0x80) uses a different register set. */
static inline void sigsys_uc_args(const ucontext_t *uc, uint32_t arch, uint64_t a[6])
{
	if (arch == SIGSYS_AUDIT_ARCH_COMPAT) {
		a[0] = (uint32_t)sigsys_uc_greg(uc, REG_RBX);
		a[1] = (uint32_t)sigsys_uc_greg(uc, REG_RCX);
		a[2] = (uint32_t)sigsys_uc_greg(uc, REG_RDX);
		a[3] = (uint32_t)sigsys_uc_greg(uc, REG_RSI);
		a[4] = (uint32_t)sigsys_uc_greg(uc, REG_RDI);
		a[5] = (uint32_t)sigsys_uc_greg(uc, REG_RBP);
		return;
	}
	a[0] = sigsys_uc_greg(uc, REG_RDI);
	a[1] = sigsys_uc_greg(uc, REG_RSI);
	a[2] = sigsys_uc_greg(uc, REG_RDX);
	a[3] = sigsys_uc_greg(uc, REG_R10);
	a[4] = sigsys_uc_greg(uc, REG_R8);
	a[5] = sigsys_uc_greg(uc, REG_R9);
}

/* Address after the trapping syscall instruction (== si_call_addr). */
static inline uint64_t sigsys_uc_ip(const ucontext_t *uc)
{
	return sigsys_uc_greg(uc, REG_RIP);
}

static inline uint64_t sigsys_uc_sp(const ucontext_t *uc)
{
	return sigsys_uc_greg(uc, REG_RSP);
}

/* What the interrupted code sees as the syscall's result after sigreturn. */
static inline void sigsys_uc_set_ret(ucontext_t *uc, int64_t ret)
{
	uc->uc_mcontext.gregs[REG_RAX] = (greg_t)ret;
}

/*
 * The register frame the clone trampoline (clone_trampoline.S) pops in a
 * child created from inside the handler.  Order is the pop order; the last
 * slot sits right below the child's stack pointer.
 */
enum {
	SIGSYS_CLONE_FRAME_RET = 0, /* popped by the trusted stub's `ret` */
	SIGSYS_CLONE_FRAME_R15, SIGSYS_CLONE_FRAME_R14, SIGSYS_CLONE_FRAME_R13,
	SIGSYS_CLONE_FRAME_R12, SIGSYS_CLONE_FRAME_R11, SIGSYS_CLONE_FRAME_R10,
	SIGSYS_CLONE_FRAME_R9, SIGSYS_CLONE_FRAME_R8, SIGSYS_CLONE_FRAME_RBP,
	SIGSYS_CLONE_FRAME_RDI, SIGSYS_CLONE_FRAME_RSI, SIGSYS_CLONE_FRAME_RDX,
	SIGSYS_CLONE_FRAME_RCX, SIGSYS_CLONE_FRAME_RBX, SIGSYS_CLONE_FRAME_EFL,
	SIGSYS_CLONE_FRAME_RIP,
	SIGSYS_CLONE_FRAME_WORDS
};

/*
 * Hand an audited call off to the trusted `syscall` (audit_resume.S): after
 * rt_sigreturn the thread runs it with the application's registers and
 * mask, then the stub's `ret` goes to `resume`, which returns to the
 * trapped call's return address and puts the application's stack pointer
 * back.  Three words at `slot` (the handler picks free memory: handler.c,
 * handoff_slot()), which becomes the stack pointer while the call runs:
 *
 *   slot[0]  resume                        <- popped by the stub's `ret`
 *   slot[1]  the trapped call's return address
 *   slot[2]  the application's stack pointer at the trap
 */
#define SIGSYS_RED_ZONE 128u
#define SIGSYS_HANDOFF_WORDS 3u
static inline void sigsys_uc_handoff(ucontext_t *uc, uint64_t *slot, uint64_t syscall_insn,
				     uint64_t resume)
{
	slot[0] = resume;
	slot[1] = sigsys_uc_ip(uc);
	slot[2] = sigsys_uc_sp(uc);
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)slot;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)syscall_insn;
	/* rax still holds the number (syscall_rollback); the arguments are
	 * still in rdi, rsi, rdx, r10, r8, r9.
	 *
	 * rcx and r11 as a `syscall` at the new rip would leave them: the
	 * kernel returns from rt_sigreturn with the fast SYSRET only when
	 * rcx == rip and r11 == rflags (and TF, RF clear: a traced thread
	 * takes IRET as before), and takes IRET otherwise, which costs
	 * 2-3 % of an audited call here (bench/native).  Nothing is lost: the
	 * trapped `syscall` had already overwritten both (rcx = the address
	 * after it, kept in slot[1]; r11 = rflags), and the re-issued call
	 * overwrites them again. */
	uc->uc_mcontext.gregs[REG_RCX] = (greg_t)syscall_insn;
	uc->uc_mcontext.gregs[REG_R11] = uc->uc_mcontext.gregs[REG_EFL];
}

/*
 * Where the kernel's signal frame keeps the siginfo it passed the handler:
 * right after its struct ucontext (arch/x86/include/asm/sigframe.h,
 * struct rt_sigframe: pretcode, uc, info, then the xsave area above).  The
 * kernel's ucontext is glibc's up to uc_sigmask, which is 8 bytes there.
 * rt_sigreturn reads the ucontext and the xsave area, never the siginfo.
 */
static inline int sigsys_frame_info_is(const ucontext_t *uc, const void *info, size_t info_len)
{
	uintptr_t want = (uintptr_t)uc + __builtin_offsetof(ucontext_t, uc_sigmask) + 8;
	uintptr_t fp = (uintptr_t)uc->uc_mcontext.fpregs;

	return (uintptr_t)info == want && (fp == 0 || fp >= want + info_len);
}

static inline void sigsys_clone_frame_fill(uint64_t *f, const ucontext_t *uc, uint64_t child_entry)
{
	static const int map[][2] = {
		{ SIGSYS_CLONE_FRAME_R15, REG_R15 }, { SIGSYS_CLONE_FRAME_R14, REG_R14 },
		{ SIGSYS_CLONE_FRAME_R13, REG_R13 }, { SIGSYS_CLONE_FRAME_R12, REG_R12 },
		{ SIGSYS_CLONE_FRAME_R11, REG_R11 }, { SIGSYS_CLONE_FRAME_R10, REG_R10 },
		{ SIGSYS_CLONE_FRAME_R9, REG_R9 },   { SIGSYS_CLONE_FRAME_R8, REG_R8 },
		{ SIGSYS_CLONE_FRAME_RBP, REG_RBP }, { SIGSYS_CLONE_FRAME_RDI, REG_RDI },
		{ SIGSYS_CLONE_FRAME_RSI, REG_RSI }, { SIGSYS_CLONE_FRAME_RDX, REG_RDX },
		{ SIGSYS_CLONE_FRAME_RCX, REG_RCX }, { SIGSYS_CLONE_FRAME_RBX, REG_RBX },
		{ SIGSYS_CLONE_FRAME_EFL, REG_EFL }, { SIGSYS_CLONE_FRAME_RIP, REG_RIP },
	};
	f[SIGSYS_CLONE_FRAME_RET] = child_entry;
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		f[map[i][0]] = sigsys_uc_greg(uc, map[i][1]);
}

#endif
