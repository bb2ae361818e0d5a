/*
 * ksignal.h - the kernel's side of the signal API, for the raw
 * rt_sigaction / rt_sigprocmask calls the preload and the handler make
 * through the trusted instruction (libc's wrappers would trap or be
 * interposed).  The kernel's sigset is 64 bits on x86_64 and aarch64 and its
 * struct sigaction is not libc's (which has a 1024-bit mask and, in glibc,
 * another field order).
 */
#ifndef SIGSYS_KSIGNAL_H
#define SIGSYS_KSIGNAL_H

#include <signal.h>
#include <stdint.h>

/* The kernel's sigset_t: the sigsetsize argument of rt_sig* calls. */
#define SIGSYS_KSIGSET_SIZE 8
/* SIGSYS in a kernel sigset. */
#define SIGSYS_KSIGSYS_BIT (1ull << (SIGSYS - 1))

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* struct sigaction as rt_sigaction reads and writes it. */
struct sigsys_ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#endif
