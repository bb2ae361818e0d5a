/*
 * bpf_learn.h - learning by counting in the kernel (sigsys-exec --learn-via bpf).
 *
 * Learning through the supervisor alone stops the workload on every call (a
 * user-notification round trip, ~6-13 us each): a syscall-heavy program runs
 * several times slower than unconfined, slower than strace.  Here the kernel
 * counts instead:
 *
 *   - an eBPF program on the raw tracepoint sys_enter (BPF_PROG_TYPE_RAW_
 *     TRACEPOINT, attached with BPF_RAW_TRACEPOINT_OPEN: no tracefs, no
 *     clang, no libbpf; hand-assembled below) sets seen[nr] = tgid for the
 *     first call of each native syscall number made by a task of the learned
 *     tree;
 *   - the tree is a fresh cgroup v2 directory the command enters before its
 *     execve; bpf_current_task_under_cgroup() with a CGROUP_ARRAY map covers
 *     every process and thread it starts, and sub-cgroups they create;
 *   - calls whose first argument is learned (--distinct-arg0: clone flags,
 *     socket family, ...) are kept as (nr, arg0 & mask) pairs, the argument
 *     read from the task's pt_regs;
 *   - the learning filter (sigsys_bpf_learn_filter) ALLOWs the calls the
 *     counter can stand for and keeps notifying the supervisor for the rest:
 *     calls of other ABIs (i386 int $0x80: their numbers would alias native
 *     ones), x32 numbers, and calls the policy judges by their arguments or
 *     answers in the kernel (TRAP).
 *
 * Seccomp runs before the sys_enter tracepoint: a call the supervisor
 * answers with CONTINUE reaches the counter afterwards, with its own ABI's
 * number.  For an i386 call that number would be read as a native one, so the
 * supervisor marks the task "skip next" (skip[tid] = 1) before it answers;
 * the program consumes the mark instead of counting that call.  The command's
 * own first calls (the launcher's, between entering the cgroup and execve:
 * prctl, seccomp, execve) are not the program's: the child marks itself
 * skip[tid] = 2 before it enters the cgroup, and a second program on the raw
 * tracepoint sched_process_exec removes the mark when the exec succeeds.
 *
 * Marks are rare (one per run, one per i386 call) but the program runs on
 * every call of the tree: it looks skip[] up (a hash) only while a mark is
 * outstanding.  pending[0] counts them: raised before a mark is made (by
 * the launcher, through an mmap of the array, atomically), lowered by
 * whoever removes one (the program consuming it, the exec hook, unskip),
 * so a mark never exists while pending[0] reads 0.  A mark whose task dies
 * before consuming it leaves the count raised: slower, never wrong.
 * seen[] is mmapped too: read after the run in one copy, not 1024 bpf()
 * calls.
 *
 * After the run the launcher reads seen[] and writes one event per number
 * the policy does not allow into the spool (supervisor.h,
 * sigsys_sup_write_events), the same events --report-once writes: sigsys
 * learn reads them as before.
 *
 * Needs: root (CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN for cgroups), the bpf()
 * syscall, a writable cgroup2 mount, the initial pid namespace (the program
 * sees init-namespace tids, the supervisor its own).  sigsys_bpf_learn_start
 * says which is missing; the launcher then learns through the supervisor
 * alone, and says so.
 */
#ifndef SIGSYS_BPF_LEARN_H
#define SIGSYS_BPF_LEARN_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

#include "policy.h"

/* Native numbers counted: [0, SIGSYS_BPF_LEARN_NRS). */
#define SIGSYS_BPF_LEARN_NRS 1024u
/* Distinct (number, masked first argument) pairs kept; more are counted as lost. */
#define SIGSYS_BPF_LEARN_ARGS 4096u

/* One call learned with its first argument. */
struct sigsys_bpf_learn_arg {
	uint32_t nr, arg, tgid;
};

struct sigsys_bpf_learn {
	int seen_fd, skip_fd, cg_map_fd;   /* maps */
	int pending_fd;                    /* skip marks outstanding (the program's fast path) */
	volatile uint64_t *pending;        /* pending_fd's one value, mmapped (BPF_F_MMAPABLE) */
	const volatile uint32_t *seen;     /* seen_fd's values, mmapped: read in one go after the run */
	int masks_fd, argseen_fd, lost_fd; /* calls learned with their first argument */
	int enter_fd, exec_fd;             /* programs */
	int enter_link, exec_link;         /* raw tracepoint attachments */
	int procs_fd;                      /* <cgroup>/cgroup.procs, for the child */
	char cg_path[PATH_MAX + 64];       /* the cgroup directory, "" if none */
};

/* What the learning filter does with the native numbers below SIGSYS_BPF_LEARN_NRS. */
struct sigsys_bpf_learn_plan {
	uint8_t counted[SIGSYS_BPF_LEARN_NRS];  /* 1: ALLOWed by the filter, counted by BPF */
	uint8_t allowed[SIGSYS_BPF_LEARN_NRS];  /* 1: the policy allows it (never reported) */
};

/*
 * Load, attach and make the cgroup.  The n_distinct calls distinct_nr[] are
 * learned with their first argument under distinct_mask[] (--distinct-arg0).
 * 0, or -errno with a one-line reason in why (then nothing is left behind).
 */
int sigsys_bpf_learn_start(struct sigsys_bpf_learn *b, const uint32_t *distinct_nr,
			   const uint32_t *distinct_mask, int n_distinct, char *why, size_t whylen);

/*
 * In the child, before anything of the command runs: mark this task
 * (skip until exec), then enter the cgroup.  Only raw syscalls (a vfork
 * child).  0 or -errno.
 */
int sigsys_bpf_learn_enter(const struct sigsys_bpf_learn *b);

/* The supervisor, before it CONTINUEs a call of another ABI by task `tid`. */
int sigsys_bpf_learn_skip_next(const struct sigsys_bpf_learn *b, uint32_t tid);
/* ... and when that answer could not be delivered (the mark would stay). */
void sigsys_bpf_learn_unskip(const struct sigsys_bpf_learn *b, uint32_t tid);

/* tgid[nr] = the first process seen making native call nr, 0 if none.  0 or -errno. */
int sigsys_bpf_learn_seen(const struct sigsys_bpf_learn *b, uint32_t tgid[SIGSYS_BPF_LEARN_NRS]);

/* The (number, masked first argument) pairs seen, into out[0..cap), and how
 * many could not be kept (*lost).  0 or -errno. */
int sigsys_bpf_learn_args(const struct sigsys_bpf_learn *b, struct sigsys_bpf_learn_arg *out,
			  size_t cap, size_t *n, uint64_t *lost);

/* Detach, close, remove the cgroup.  0, or -errno (the cgroup could not be
 * removed: a process of the tree left it busy) with the reason in why. */
int sigsys_bpf_learn_stop(struct sigsys_bpf_learn *b, char *why, size_t whylen);

/*
 * The learning filter: `variant` (the policy's NOTIFY variant, n insns)
 * behind a prefix that ALLOWs the native calls the counter stands for,
 * notifies every call of another arch, and leaves the rest to the variant.
 * Fills plan.  Returns 0 or -E2BIG/-ENOMEM with a reason in why.
 */
int sigsys_bpf_learn_filter(const struct sigsys_policy *p, struct sock_filter *variant,
			    uint32_t *n, struct sigsys_bpf_learn_plan *plan, char *why,
			    size_t whylen);

#endif
