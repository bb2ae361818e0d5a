/*
 * handler.h - state shared by the preload's constructor (preload.c), the
 * SIGSYS handler (handler.c) and the signal-API interposer (interpose.c).
 *
 * Everything the handler reads is set up by the constructor before the
 * filter is installed and is not changed afterwards, except the
 * application's own SIGSYS disposition (the "chain" target), which the
 * interposer publishes with a release store so the handler never sees a torn
 * struct sigaction.
 */
#ifndef SIGSYS_HANDLER_H
#define SIGSYS_HANDLER_H

#include <signal.h>
#include <stdint.h>

#include <linux/filter.h>

#include "policy.h"
#include "prologue.h" /* SIGSYS_TRAP_IDX_SIGNALS */
#include "ring.h"


typedef long (*sigsys_trusted_fn)(long nr, long a0, long a1, long a2, long a3, long a4,
				  long a5);

struct sigsys_state {
	uint32_t mode;      /* enum sigsys_mode */
	uint32_t arch;      /* the filter's AUDIT_ARCH */
	uint32_t n_actions;
	int active;         /* handler installed, ring mapped: interpose SIGSYS */
	int vdso_time;      /* clock_gettime is served by the vDSO: no syscall */
	int hot_off;        /* SIGSYS_HOT=0: every call a full event, no counting */
	int bootstrap;      /* after execve, before the policy is read again */
	sigsys_trusted_fn trusted; /* the trusted stub the filter knows */
	uint64_t trusted_ip;
	int sealed;         /* the trusted page is mseal()ed */
	int saw_prologue;   /* a SIGNALS trap arrived (preload.c probe) */
	int32_t pid;        /* process that owns this memory (not a vfork child) */
	uint32_t n_prog;    /* the profile's program (after the prologue), for SIGNALS traps */
	struct sock_filter prog[SIGSYS_POLICY_MAX_INSNS];
	struct sigsys_ring ring;
	struct sigsys_action actions[SIGSYS_POLICY_MAX_ACTIONS];
};

extern struct sigsys_state sigsys_g;

/* Raw syscall through the trusted instruction (before the filter: any copy). */
#define sigsys_tsys(nr, a0, a1, a2, a3, a4, a5)                                          \
	sigsys_g.trusted((long)(nr), (long)(a0), (long)(a1), (long)(a2), (long)(a3),         \
			 (long)(a4), (long)(a5))

/* handler.c */
void sigsys_handler(int sig, siginfo_t *info, void *ctx);
/* Reset the per-thread pid/tid cache (fork child). */
void sigsys_handler_atfork_child(void);
/* Fork detection for that cache: a MADV_WIPEONFORK page or NULL. */
void sigsys_handler_fork_init(int32_t *wipe_on_fork);

/* interpose.c: the application's view of SIGSYS, and libc's real functions. */
int sigsys_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int sigsys_real_sigprocmask(int how, const sigset_t *set, sigset_t *old);
/* Record the disposition SIGSYS had before we installed ours. */
void sigsys_chain_init(const struct sigaction *prev);
/* Copy of the application's current SIGSYS disposition (signal-safe). */
void sigsys_chain_get(struct sigaction *out);
/* Replace the application's SIGSYS disposition (signal-safe). */
void sigsys_chain_set(const struct sigaction *sa);
/* SA_RESETHAND emulation from the handler (signal-safe). */
void sigsys_chain_reset_to_default(void);

/* Symbols of the arch assembly. */
long sigsys_trusted_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern const char sigsys_trusted_ip[];
extern const char sigsys_trusted_end[];
extern const char sigsys_clone_child[];
extern const char sigsys_audit_resume[];
void sigsys_restore_rt(void);

#endif
