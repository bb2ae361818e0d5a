/*
 * handler.c - the SIGSYS handler: decode a sigsys trap, record it in the
 * ring, then do what the profile (enforce) or the mode (audit) says.
 *
 * Runs in signal context, possibly on a small alternate stack, possibly
 * interrupting the application inside malloc or while it holds a lock, and
 * possibly in several threads at once.  So, like Chromium's trap.cc:
 *   - async-signal-safe only: no malloc, no stdio, no locks; the ring push is
 *     a bounded lock-free CAS, the encoder writes into a stack buffer;
 *   - errno is saved on entry and restored on exit;
 *   - every syscall the handler itself makes goes through the trusted stub
 *     (sigsys_tsys), so a profile that denies getpid or rt_sigprocmask (learn
 *     mode denies nearly everything) cannot make the handler trap inside
 *     itself: SIGSYS is blocked while we run, and a blocked forced SIGSYS
 *     makes the kernel kill the process;
 *   - the frame stays small (about 1 KiB on the deepest path: one encoded
 *     event, the violation, a few words per call) so alternate stacks sized
 *     for the application still fit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "arch/arch.h"
#include "bpf_eval.h"
#include "encode.h"
#include "handler.h"
#include "ksignal.h"
#include "policy.h"
#include "ring.h"
#include "schema.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

enum { OUT_DENIED = SIGSYS_OUTCOME_DENIED, OUT_ALLOWED = SIGSYS_OUTCOME_ALLOWED, OUT_KILLED = SIGSYS_OUTCOME_KILLED };

/*
 * pid and tid of this thread, fetched lazily through the trusted stub.
 * initial-exec: libsigsys is always in the initial set (LD_PRELOAD), so the
 * variable lives in static TLS and reading it never calls __tls_get_addr
 * (which may allocate).  Reset in a fork child (the handler's own fork path,
 * and fork_pid below).  A thread that shares its creator's TLS (raw
 * clone with CLONE_VM and no CLONE_SETTLS, posix_spawn's child before exec)
 * reports its creator's ids: documented limit.
 */
struct ids {
	int32_t pid, tid;
};
static __thread struct ids tc __attribute__((tls_model("initial-exec")));

/*
 * Fork detection that needs nothing from libc (musl has no
 * __register_atfork, and a raw fork or clone syscall runs no atfork handler
 * anyway): the process's pid on a MADV_WIPEONFORK page, which every child
 * with its own memory sees zeroed.  A thread whose cached pid is not that
 * one fetches its ids again.  NULL (kernel before 4.14): always fetch them.
 * The constructor maps the page (preload.c).
 */
static int32_t *fork_pid;

void sigsys_handler_fork_init(int32_t *wipe_on_fork)
{
	if (wipe_on_fork)
		*wipe_on_fork = (int32_t)sigsys_tsys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	fork_pid = wipe_on_fork;
}

void sigsys_handler_atfork_child(void)
{
	tc.pid = 0;
	tc.tid = 0;
	/* This child owns a copy of the memory now (fork, not vfork). */
	sigsys_g.pid = (int32_t)sigsys_tsys(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

/*
 * The pid whose memory this is.  A forked child sees the WIPEONFORK page
 * zeroed and stores its own pid; a child that shares our memory (vfork)
 * sees its parent's.  Without the page (kernel before 4.14) the value the
 * constructor and the handler's own fork path keep in sigsys_g.pid.
 */
static int32_t memory_owner_pid(void)
{
	int32_t pid;

	if (!fork_pid)
		return sigsys_g.pid;
	pid = __atomic_load_n(fork_pid, __ATOMIC_RELAXED);
	if (!pid) {
		pid = (int32_t)sigsys_tsys(SYS_getpid, 0, 0, 0, 0, 0, 0);
		__atomic_store_n(fork_pid, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

static void get_ids(struct sigsys_violation *v)
{
	int32_t pid = fork_pid ? __atomic_load_n(fork_pid, __ATOMIC_RELAXED) : 0;

	if (!tc.tid || !pid || tc.pid != pid) {
		tc.pid = (int32_t)sigsys_tsys(SYS_getpid, 0, 0, 0, 0, 0, 0);
		tc.tid = (int32_t)sigsys_tsys(SYS_gettid, 0, 0, 0, 0, 0, 0);
		if (fork_pid)
			__atomic_store_n(fork_pid, tc.pid, __ATOMIC_RELAXED);
	}
	v->pid = (uint32_t)tc.pid;
	v->tid = (uint32_t)tc.tid;
}

/*
 * CLOCK_REALTIME.  glibc's clock_gettime is async-signal-safe and answers
 * from the vDSO without a syscall when the clocksource allows it; the
 * constructor checked that (vdso_time).  Otherwise the vDSO would fall back
 * to a real syscall from its own address, which a profile denying
 * clock_gettime would trap while SIGSYS is blocked, so we go through the
 * trusted stub instead.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	if (sigsys_g.vdso_time) {
		if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
			return 0;
	} else if (sigsys_tsys(SYS_clock_gettime, CLOCK_REALTIME, &ts, 0, 0, 0, 0) != 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * A repeat of a call already reported (same pid, syscall, call site,
 * action, outcome, errno) past its first few full events: one fetch-add in
 * the ring's hot-loop table instead of an event (ring.h).  Kills are never
 * counted (nothing comes after them) and neither are ALLOW entries.
 */
static int counted(const struct sigsys_violation *v)
{
	struct sigsys_hot_key k;

	if (v->outcome == OUT_KILLED || sigsys_g.hot_off)
		return 0;
	k.ip = v->ip;
	k.nr = v->nr;
	k.arch = v->arch;
	k.pid = v->pid;
	k.tid = v->tid;
	k.errno_ret = v->errno_ret;
	k.action = (uint8_t)v->action;
	k.outcome = (uint8_t)v->outcome;
	k.mode = (uint8_t)v->mode;
	k.args = v->args;
	return sigsys_ring_hot_count(&sigsys_g.ring, sigsys_hot_hash(&k), &k);
}

/* A full event in the ring (no hot-loop counting). */
static void record_full(struct sigsys_violation *v)
{
	uint8_t buf[SIGSYS_VIOLATION_MAX];
	int64_t ticket;
	int n;

	ticket = sigsys_ring_reserve(&sigsys_g.ring);

	/* No ring yet (constructor after execve) or full: the ring counted the
	 * drop; nothing else we could do here. */
	if (ticket < 0)
		return;
	v->seq = (uint64_t)ticket;
	/* Read the clock only for a full event: a counted call needs no time. */
	if (!v->time_ns)
		v->time_ns = now_ns();
	n = sigsys_encode_violation(v, buf, sizeof(buf));
	/* A reserved ticket must be committed, even if empty. */
	sigsys_ring_commit(&sigsys_g.ring, (uint64_t)ticket, buf, n > 0 ? (uint32_t)n : 0);
}

static void record(struct sigsys_violation *v)
{
	/* ALLOW is not a violation: the prologue trapped the call only so the
	 * handler carries it out with SIGSYS kept deliverable (on_signals_trap),
	 * or a hand-made policy has an ALLOW entry.  Never reported. */
	if (v->action == SIGSYS_ACT_ALLOW)
		return;
	if (counted(v))
		return;
	record_full(v);
}

static uint64_t uc_mask(const ucontext_t *uc)
{
	uint64_t m;

	memcpy(&m, &uc->uc_sigmask, sizeof(m));
	return m;
}

static void uc_set_mask(ucontext_t *uc, uint64_t m)
{
	/* Only the kernel's 64 bits exist in the signal frame. */
	memcpy(&uc->uc_sigmask, &m, sizeof(m));
}

static long set_mask(uint64_t m, uint64_t *old)
{
	return sigsys_tsys(SYS_rt_sigprocmask, SIG_SETMASK, &m, old, SIGSYS_KSIGSET_SIZE, 0, 0);
}

/* What the kernel does with a SIGSYS whose disposition is the default. */
static void die_by_sigsys(void)
{
	struct sigsys_ksigaction dfl = { SIG_DFL, 0, NULL, 0 };
	uint64_t unblock = SIGSYS_KSIGSYS_BIT;

	/* Prefer the seccomp kill: exactly what the kernel does for a trap with
	 * no handler (SIGSYS, core dump). */
	sigsys_tsys(SIGSYS_NR_KILL_PROCESS, 0, 0, 0, 0, 0, 0);
	/* Not ours to kill with (filter gone?): default action by hand.  The
	 * tgkill is not among the filter's harmless calls: if the profile
	 * denies it, it traps here with SIGSYS blocked, and the kernel kills
	 * by SIGSYS, which is the point. */
	sigsys_tsys(SYS_rt_sigaction, SIGSYS, &dfl, NULL, SIGSYS_KSIGSET_SIZE, 0, 0);
	sigsys_tsys(SYS_tgkill, sigsys_tsys(SYS_getpid, 0, 0, 0, 0, 0, 0),
		    sigsys_tsys(SYS_gettid, 0, 0, 0, 0, 0, 0), SIGSYS, 0, 0, 0);
	sigsys_tsys(SYS_rt_sigprocmask, SIG_UNBLOCK, &unblock, NULL, SIGSYS_KSIGSET_SIZE, 0, 0);
	sigsys_tsys(SYS_exit_group, 128 + SIGSYS, 0, 0, 0, 0, 0);
}

/*
 * Hand a SIGSYS to the application as if we were not there.  `forced` is
 * true for a seccomp trap: the kernel kills when such a SIGSYS is ignored or
 * has the default disposition.  Returns 1 if an application handler ran.
 */
static int chain(int sig, siginfo_t *info, void *ctx, int forced)
{
	struct sigaction app;
	uint64_t block, old;

	sigsys_chain_get(&app);
	if (!(app.sa_flags & SA_SIGINFO) && app.sa_handler == SIG_IGN) {
		if (forced)
			die_by_sigsys();
		return 0;
	}
	if (!(app.sa_flags & SA_SIGINFO) && app.sa_handler == SIG_DFL)
		die_by_sigsys();

	/* The mask the kernel would have given the application's handler:
	 * the interrupted code's plus its sa_mask.  Minus SIGSYS, always: a
	 * call the profile denies inside the application's handler must trap
	 * into us again, not find SIGSYS blocked (fatal). */
	memcpy(&block, &app.sa_mask, sizeof(block));
	block |= uc_mask(ctx);
	set_mask(block & ~SIGSYS_KSIGSYS_BIT, &old);
	if (app.sa_flags & SA_RESETHAND)
		sigsys_chain_reset_to_default();
	if (app.sa_flags & SA_SIGINFO)
		app.sa_sigaction(sig, info, ctx);
	else
		app.sa_handler(sig);
	set_mask(old, NULL);
	return 1;
}

static void deny(struct sigsys_violation *v, ucontext_t *uc, int err)
{
	v->outcome = OUT_DENIED;
	v->errno_ret = err;
	sigsys_uc_set_ret(uc, -(int64_t)err);
	record(v);
}

static void kill_now(struct sigsys_violation *v, uint32_t kind)
{
	v->outcome = OUT_KILLED;
	record(v); /* committed before the kernel kills: nothing is lost */
	sigsys_tsys(kind == SIGSYS_ACT_KILL_THREAD ? SIGSYS_NR_KILL_THREAD : SIGSYS_NR_KILL_PROCESS,
		    0, 0, 0, 0, 0, 0);
	die_by_sigsys();
}

/*
 * rt_sigprocmask re-issued from the handler would change the handler's
 * mask, which sigreturn then overwrites with the frame's.  So run it against
 * the application's mask and store the result in the frame.  The kernel
 * still does the validation (EINVAL, EFAULT) and writes oldset.
 */
static long emulate_sigprocmask(ucontext_t *uc, const uint64_t *a)
{
	uint64_t app = uc_mask(uc), handler_mask, now;
	long ret;

	set_mask(app, &handler_mask);
	ret = sigsys_tsys(SYS_rt_sigprocmask, a[0], a[1], a[2], a[3], 0, 0);
	set_mask(handler_mask, &now);
	/* A blocked SIGSYS from a later trap would be fatal: never block it. */
	uc_set_mask(uc, now & ~SIGSYS_KSIGSYS_BIT);
	return ret;
}

/* Is sp on the stack [base, base + size)?  As the kernel's on_sig_stack():
 * a stack pointer at the very top has pushed nothing there yet. */
static int on_stack(uint64_t sp, const void *base, size_t size)
{
	return size && sp - 1 - (uint64_t)(uintptr_t)base < size;
}

/*
 * sigaltstack re-issued from the handler.  The handler may itself be running
 * on the alternate stack (SA_ONSTACK), so the kernel would report SS_ONSTACK
 * to an application that is not on it, and refuse changes (EPERM).  Report
 * the application's own on-stack state (saved in the frame), and keep the
 * frame's saved stack equal to the new setting so sigreturn cannot undo it.
 * A change while the handler runs on the alternate stack stays refused:
 * nothing better is possible from here (documented).
 */
static long emulate_sigaltstack(ucontext_t *uc, const uint64_t *a)
{
	stack_t cur, *old = (stack_t *)(uintptr_t)a[1];
	long ret = sigsys_tsys(SYS_sigaltstack, a[0], a[1], 0, 0, 0, 0);

	if (ret != 0)
		return ret;
	/* From the trapped stack pointer: the frame's uc_stack.ss_flags holds
	 * the task's flags, not whether the stack was in use. */
	if (old)
		old->ss_flags = (old->ss_flags & ~SS_ONSTACK) |
				(on_stack(sigsys_uc_sp(uc), old->ss_sp, old->ss_size) ? SS_ONSTACK : 0);
	if (a[0] && sigsys_tsys(SYS_sigaltstack, 0, &cur, 0, 0, 0, 0) == 0) {
		cur.ss_flags &= ~SS_ONSTACK;
		uc->uc_stack = cur;
	}
	return ret;
}

/*
 * rt_sigaction(SIGSYS, ...) made directly (not through libc, which the
 * interposer sees): record it as the chain target instead of letting it
 * replace our handler.  Other signals are re-issued as they are.
 */
static long emulate_sigsys_action(const uint64_t *a)
{
	struct sigsys_ksigaction *nsa = (struct sigsys_ksigaction *)(uintptr_t)a[1];
	struct sigsys_ksigaction *osa = (struct sigsys_ksigaction *)(uintptr_t)a[2];
	struct sigaction app;

	if (a[3] != SIGSYS_KSIGSET_SIZE)
		return -EINVAL;
	sigsys_chain_get(&app);
	if (osa) {
		osa->handler = (void *)app.sa_handler;
		osa->flags = (unsigned long)app.sa_flags;
		osa->restorer = NULL;
		memcpy(&osa->mask, &app.sa_mask, sizeof(osa->mask));
	}
	/*
	 * A child that shares our memory without being a thread (vfork, Go's
	 * and posix_spawn's clone(CLONE_VM|CLONE_VFORK)) resets SIGSYS to
	 * SIG_DFL before it execs: publishing that would change the parent's
	 * chain target.  Its own disposition stays ours until the exec, where
	 * the new image's constructor installs the handler again.  A forked
	 * child, raw fork included, owns its memory: memory_owner_pid().
	 */
	if (nsa && (int32_t)sigsys_tsys(SYS_getpid, 0, 0, 0, 0, 0, 0) != memory_owner_pid())
		return 0;
	if (nsa) {
		memset(&app, 0, sizeof(app));
		app.sa_handler = (__sighandler_t)nsa->handler;
		app.sa_flags = (int)(nsa->flags & ~(unsigned long)SA_RESTORER);
		memcpy(&app.sa_mask, &nsa->mask, sizeof(nsa->mask));
		sigsys_chain_set(&app);
	}
	return 0;
}

/*
 * rt_sigaction from the application (trapped by the policy's prologue, or
 * by the profile in audit mode).  SIGSYS: the chain target.  Other signals:
 * carried out, then the handler's sa_mask loses SIGSYS (runtimes install
 * their handlers with a full mask; a trapped call inside one would find
 * SIGSYS blocked, which is fatal).  The second call reads the kernel's copy
 * back instead of the application's struct, so a bad pointer still gets the
 * kernel's EFAULT and never faults in here.
 */
static long emulate_sigaction(const uint64_t *a)
{
	struct sigsys_ksigaction k;
	long ret;

	if (a[0] == SIGSYS)
		return emulate_sigsys_action(a);
	ret = sigsys_tsys(SYS_rt_sigaction, a[0], a[1], a[2], a[3], 0, 0);
	if (ret != 0 || !a[1] || a[3] != SIGSYS_KSIGSET_SIZE)
		return ret;
	if (sigsys_tsys(SYS_rt_sigaction, a[0], 0, &k, SIGSYS_KSIGSET_SIZE, 0, 0) == 0 &&
	    (k.mask & SIGSYS_KSIGSYS_BIT) && k.handler != SIG_DFL && k.handler != SIG_IGN) {
		k.mask &= ~SIGSYS_KSIGSYS_BIT;
		sigsys_tsys(SYS_rt_sigaction, a[0], &k, 0, SIGSYS_KSIGSET_SIZE, 0, 0);
	}
	return ret;
}

/*
 * clone with a new stack: the child must not return into this handler (its
 * stack has no such frame).  Build the trapped register set below the new
 * stack and let the child start in sigsys_clone_child (clone_trampoline.S),
 * which resumes the application's code with rax = 0.
 */
static long clone_new_stack(ucontext_t *uc, const uint64_t *a)
{
	uint64_t *frame = (uint64_t *)(uintptr_t)(a[1] - SIGSYS_CLONE_FRAME_WORDS * 8);
	uint64_t handler_mask;
	int shares_tls = (a[0] & CLONE_VM) && !(a[0] & CLONE_SETTLS);
	struct ids saved = tc;
	long ret;

	sigsys_clone_frame_fill(frame, uc, (uint64_t)(uintptr_t)sigsys_clone_child);
	/* The child inherits the mask of this moment and never passes through
	 * sigreturn: give it the application's (without SIGSYS). */
	set_mask(uc_mask(uc) & ~SIGSYS_KSIGSYS_BIT, &handler_mask);
	if (shares_tls)
		tc.pid = tc.tid = 0; /* the child must fetch its own ids */
	ret = sigsys_tsys(SYS_clone, a[0], frame, a[2], a[3], a[4], 0);
	/* Only the parent gets here. */
	if (shares_tls)
		tc = saved;
	set_mask(handler_mask, NULL);
	return ret;
}

/*
 * fork-like calls without a new stack: the child returns through this very
 * handler and the signal frame, which fork copied, so that just works.  A
 * child that shares our memory (vfork, clone(CLONE_VM) without a stack)
 * would instead unwind the parent's frame while the parent sleeps in the
 * kernel, so we run it as a plain fork: same result for every child that
 * only execs or _exits, which is all POSIX allows a vfork child to do.
 */
static long fork_like(long nr, const uint64_t *a, int *child)
{
	uint64_t flags = a[0];
	long ret;

	if (nr == SYS_vfork) {
		nr = SYS_fork;
	} else if (nr == SYS_clone && (flags & CLONE_VM)) {
		flags &= ~(uint64_t)(CLONE_VM | CLONE_VFORK);
	}
	if (nr == SYS_clone)
		ret = sigsys_tsys(SYS_clone, flags, 0, a[2], a[3], a[4], 0);
	else
		ret = sigsys_tsys(nr, 0, 0, 0, 0, 0, 0);
	*child = ret == 0;
	if (*child)
		sigsys_handler_atfork_child();
	return ret;
}

/*
 * A re-issued call may block (read, epoll_wait, wait4, futex...).  It must
 * do so under the application's mask, not the handler's (every signal
 * blocked): libuv, for one, waits in epoll for a SIGCHLD its handler turns
 * into a pipe write.  SIGSYS stays unblocked so a call trapped in an
 * application handler that runs meanwhile nests into ours.  Nothing is
 * reserved in the ring across the call, so an application handler that
 * longjmps out leaves no ticket pending.  The kernel's own restart rules
 * (SA_RESTART) apply as without sigsys: a restart re-executes the trusted
 * instruction.
 */
static long reissue(const ucontext_t *uc, long nr, const uint64_t *a)
{
	uint64_t handler_mask;
	long ret;

	set_mask(uc_mask(uc) & ~SIGSYS_KSIGSYS_BIT, &handler_mask);
	ret = sigsys_tsys(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	set_mask(handler_mask, NULL);
	return ret;
}

/*
 * A counted audited call (no event to fill, so no result to wait for): run
 * it after the handler returns instead of from here.  The saved context
 * goes to the trusted `syscall` with the application's registers
 * (sigsys_uc_handoff), rt_sigreturn restores the application's mask, the
 * call runs there and returns through sigsys_audit_resume.  No mask switch,
 * no extra syscall; signals, SA_RESTART (the kernel rewinds to the trusted
 * instruction) and blocking behave as for the application's own call.
 *
 * The hand-off needs three words of memory that stay put while the call
 * runs and that rt_sigreturn does not read: they become the stack pointer
 * for the call (a signal during it builds its frame below them).  Where
 * depends on where the kernel put this signal frame:
 *
 *   - below the trapped stack pointer, on the same stack (no alternate
 *     stack, the common case; or the trapped code was already on the
 *     alternate stack): the frame's siginfo is dead once we return
 *     (rt_sigreturn reads the ucontext and the xsave area, arch.h
 *     sigsys_frame_info_is), so the words go there, over the siginfo the
 *     kernel handed us.  Nothing reads info after this.  The application's
 *     stack just below its red zone is NOT free here: that is where the
 *     kernel put the frame (the top of its xsave area).
 *   - on an alternate stack the trapped code was not on: that stack may be
 *     reused from its top by the next signal (with SS_AUTODISARM the kernel
 *     does not see that we are still "on" it), but the application's own
 *     stack below its red zone is free: the kernel put nothing there.
 *
 * Which stack the frame is on comes from the addresses, not from
 * uc_stack.ss_flags: the kernel stores the task's flags there (0 for a
 * thread that never had an alternate stack), not whether it was used.
 * uc_stack's base and size are the alternate stack as it was at the trap.
 */
static uint64_t *handoff_slot(siginfo_t *info, const ucontext_t *uc)
{
	uintptr_t lo = (uintptr_t)uc->uc_stack.ss_sp, size = uc->uc_stack.ss_size;
	uintptr_t frame = (uintptr_t)info, sp = sigsys_uc_sp(uc);
	int frame_on_alt = size && frame - lo < size;
	int trapped_on_alt = on_stack(sp, uc->uc_stack.ss_sp, size);

	if (!sigsys_frame_info_is(uc, info, sizeof(*info)))
		return NULL; /* not the kernel's frame as we know it: re-issue */
	if (frame_on_alt && !trapped_on_alt)
		return (uint64_t *)(sp - SIGSYS_RED_ZONE - SIGSYS_HANDOFF_WORDS * sizeof(uint64_t));
	return (uint64_t *)(void *)info;
}

static void handoff(ucontext_t *uc, uint64_t *slot)
{
	/* A blocked SIGSYS while the call runs would make a trap in an
	 * application handler fatal (as in reissue()). */
	uc_set_mask(uc, uc_mask(uc) & ~SIGSYS_KSIGSYS_BIT);
	sigsys_uc_handoff(uc, slot, sigsys_g.trusted_ip - SIGSYS_SYSCALL_INSN_LEN,
			  (uint64_t)(uintptr_t)sigsys_audit_resume);
}

/* Re-issue the trapped call from the trusted instruction (audit, LOG). */
static void execute(struct sigsys_violation *v, siginfo_t *info, ucontext_t *uc)
{
	const uint64_t *a = v->args;
	long ret;
	int child = 0;
	uint64_t handler_mask;

	v->outcome = OUT_ALLOWED;
	switch (v->nr) {
	case SYS_clone3:
		/* A clone3 child would start on its new stack inside this
		 * handler.  ENOSYS is what an old kernel says; libcs then use
		 * clone, which we can re-issue.  Container runtimes do the same. */
		deny(v, uc, ENOSYS);
		return;
	case SYS_rt_sigreturn:
		/* Compiled policies never trap it; re-issuing it here would
		 * "return" through our own frame. */
		deny(v, uc, ENOSYS);
		return;
	case SYS_clone:
		if (a[1] != 0) {
			ret = clone_new_stack(uc, a);
			break;
		}
		/* fallthrough */
	case SYS_fork:
	case SYS_vfork:
		ret = fork_like(v->nr, a, &child);
		if (child) {
			sigsys_uc_set_ret(uc, 0);
			return; /* the parent records the call */
		}
		break;
	case SYS_rt_sigprocmask:
		ret = emulate_sigprocmask(uc, a);
		break;
	case SYS_sigaltstack:
		ret = emulate_sigaltstack(uc, a);
		break;
	case SYS_rt_sigaction:
		ret = emulate_sigaction(a);
		break;
	case SYS_execve:
	case SYS_execveat:
		/* Success does not come back: record first.  The new image
		 * inherits the thread's mask, so give it the application's. */
		record(v);
		set_mask(uc_mask(uc) & ~SIGSYS_KSIGSYS_BIT, &handler_mask);
		ret = sigsys_tsys(v->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		set_mask(handler_mask, NULL);
		sigsys_uc_set_ret(uc, ret);
		return;
	case SYS_exit:
	case SYS_exit_group:
		record(v);
		sigsys_tsys(v->nr, a[0], 0, 0, 0, 0, 0);
		return;
	default:
		/* A repeat past the first few full events: counted, and run
		 * after sigreturn.  The first ones keep their result (ret). */
		if (v->action != SIGSYS_ACT_ALLOW && counted(v)) {
			uint64_t *slot = handoff_slot(info, uc);

			if (slot) {
				handoff(uc, slot);
				return;
			}
			/* No safe place for the hand-off: run it from here (counted, no event). */
			sigsys_uc_set_ret(uc, reissue(uc, v->nr, a));
			return;
		}
		/* The event's time is the trap's, not the end of a call
		 * that may block. */
		v->time_ns = now_ns();
		ret = reissue(uc, v->nr, a);
		v->ret = ret;
		sigsys_uc_set_ret(uc, ret);
		if (v->action != SIGSYS_ACT_ALLOW)
			record_full(v);
		return;
	}
	v->ret = ret;
	sigsys_uc_set_ret(uc, ret);
	record(v);
}

/*
 * The profile's own SECCOMP_RET_TRAP: the application sees the SIGSYS with
 * the profile's data, or dies as it would have.  Out of line: its siginfo
 * and sigaction copies would otherwise enlarge every trap's frame.
 */
static __attribute__((noinline)) void profile_trap(int sig, siginfo_t *info, ucontext_t *uc,
						   const struct sigsys_action *act,
						   struct sigsys_violation *v)
{
	siginfo_t copy = *info;
	struct sigaction app;

	copy.si_errno = (int)(act->data & 0xffff);
	sigsys_chain_get(&app);
	if ((app.sa_flags & SA_SIGINFO) ||
	    (app.sa_handler != SIG_DFL && app.sa_handler != SIG_IGN)) {
		v->outcome = OUT_DENIED;
		record(v);
		chain(sig, &copy, uc, 1);
		return;
	}
	kill_now(v, SIGSYS_ACT_KILL_PROCESS);
}

static void on_trap(int sig, siginfo_t *info, ucontext_t *uc, const struct sigsys_action *act)
{
	struct sigsys_violation v;
	int foreign;

	memset(&v, 0, sizeof(v));
	v.arch = info->si_arch;
	v.nr = info->si_syscall;
	sigsys_uc_args(uc, v.arch, v.args);
	v.ip = (uint64_t)(uintptr_t)info->si_call_addr;
	v.action = act->kind;
	v.mode = sigsys_g.mode;
	get_ids(&v);
	/* A foreign-arch call (int 0x80) cannot be re-issued from a 64-bit
	 * syscall instruction: it gets the profile's action in both modes. */
	foreign = v.arch != sigsys_g.arch || ((uint32_t)v.nr & SIGSYS_NR_FOREIGN_BIT);

	if (sigsys_g.mode == SIGSYS_MODE_AUDIT && !foreign) {
		execute(&v, info, uc);
		return;
	}
	switch (act->kind) {
	case SIGSYS_ACT_ERRNO:
		/* The kernel caps SECCOMP_RET_DATA errnos at MAX_ERRNO. */
		deny(&v, uc, (int)(act->data > 4095 ? 4095 : act->data));
		return;
	case SIGSYS_ACT_KILL_PROCESS:
	case SIGSYS_ACT_KILL_THREAD:
		kill_now(&v, act->kind);
		return;
	case SIGSYS_ACT_TRAP:
		profile_trap(sig, info, uc, act, &v);
		return;
	case SIGSYS_ACT_TRACE:
	case SIGSYS_ACT_USER_NOTIF:
		/* No tracer, no listener: the kernel answers ENOSYS. */
		deny(&v, uc, ENOSYS);
		return;
	case SIGSYS_ACT_LOG:
	case SIGSYS_ACT_ALLOW:
		if (!foreign) {
			execute(&v, info, uc);
			return;
		}
		/* fallthrough */
	default:
		deny(&v, uc, ENOSYS);
		return;
	}
}

/*
 * A SIGSYS the kernel raised for a seccomp trap has the trapped context in
 * the frame: rip is the address after the syscall instruction (si_call_addr)
 * and rax was rolled back to the number (si_syscall).  rt_sigqueueinfo and
 * rt_tgsigqueueinfo let a process send itself any siginfo, SYS_SECCOMP and
 * our magic included, but the frame is then that of the sending call (rax =
 * its result, rip after it).  This rejects such forgeries from a single
 * thread; another thread can still line up a matching frame, which is why
 * nothing the handler does on a trap grants more than the filter already
 * allows (docs/security.md).
 */
static int from_kernel(const siginfo_t *info, const ucontext_t *uc)
{
	return (uint64_t)(uintptr_t)info->si_call_addr == sigsys_uc_ip(uc) &&
	       sigsys_uc_nr(uc) == info->si_syscall &&
	       (info->si_arch == sigsys_g.arch || info->si_arch == SIGSYS_AUDIT_ARCH_COMPAT);
}

/*
 * A trap of the policy's prologue (rt_sigaction, rt_sigprocmask): what does
 * the profile say about this call?  The profile's program (the policy's after
 * the prologue) answers, as `sigsys explain` asks it (the evaluator is pure
 * and bounded; the program was copied before the filter existed).  Allowed:
 * carried out as an ALLOW entry, not reported.
 */
static void on_signals_trap(int sig, siginfo_t *info, ucontext_t *uc)
{
	static const struct sigsys_action allow = { SIGSYS_ACT_ALLOW, 0, 0, 0 };
	uint32_t n = __atomic_load_n(&sigsys_g.n_prog, __ATOMIC_ACQUIRE), r, idx;
	struct seccomp_data d;

	if (!n) {
		/* After execve, before the policy is read: our constructor runs
		 * first, so this is not yet the workload's code. */
		on_trap(sig, info, uc, &allow);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.nr = info->si_syscall;
	d.arch = info->si_arch;
	d.instruction_pointer = (uint64_t)(uintptr_t)info->si_call_addr;
	sigsys_uc_args(uc, d.arch, (uint64_t *)d.args);
	r = sigsys_bpf_eval(sigsys_g.prog, n, &d, NULL);
	idx = r & SIGSYS_TRAP_INDEX_MASK;
	if (r == SECCOMP_RET_ALLOW)
		on_trap(sig, info, uc, &allow);
	else if ((r & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
		 (r & SIGSYS_TRAP_MAGIC_MASK) == SIGSYS_TRAP_MAGIC &&
		 idx < __atomic_load_n(&sigsys_g.n_actions, __ATOMIC_ACQUIRE))
		on_trap(sig, info, uc, &sigsys_g.actions[idx]);
	else
		die_by_sigsys(); /* program and table disagree: fail closed */
}

/*
 * The trusted stub still holds the bytes the constructor copied.  mseal
 * stops mprotect/munmap/mremap/mmap over it, but not a write through
 * /proc/self/mem or ptrace (FOLL_FORCE).  The filter does not care (the
 * trusted path checks arch and number, so rewritten code there gains
 * nothing), but the handler would then run the workload's code for its own
 * calls: a stub rewritten to `int $0x80` turns our getpid into i386 mkdir,
 * which traps while SIGSYS is blocked, and the process dies unreported.
 */
static int stub_intact(void)
{
	const unsigned char *a = (const unsigned char *)sigsys_g.trusted;
	const unsigned char *b = (const unsigned char *)sigsys_trusted_syscall;
	size_t n = (size_t)(sigsys_trusted_end - (const char *)sigsys_trusted_syscall);
	uint64_t x, y, diff = 0;

	/* A word at a time (the last one overlapping the one before; the stub
	 * is longer than a word): four loads per side on every trap, not a
	 * loop over each byte. */
	for (size_t i = 0; i < n; i += 8) {
		size_t at = i + 8 <= n ? i : n - 8;

		memcpy(&x, a + at, 8);
		memcpy(&y, b + at, 8);
		diff |= x ^ y;
	}
	return diff == 0;
}

/* Tampered stub: report without a syscall of our own, then the seccomp kill
 * (the reserved number kills from any address). */
static __attribute__((noinline, noreturn)) void on_tampered(siginfo_t *info, ucontext_t *uc)
{
	struct sigsys_violation v;
	struct timespec ts;
	long nr = SIGSYS_NR_KILL_PROCESS;

	memset(&v, 0, sizeof(v));
	v.arch = info->si_arch;
	v.nr = info->si_syscall;
	sigsys_uc_args(uc, v.arch, v.args);
	v.ip = (uint64_t)(uintptr_t)info->si_call_addr;
	v.action = SIGSYS_ACT_KILL_PROCESS;
	v.mode = sigsys_g.mode;
	v.pid = (uint32_t)(tc.pid ? tc.pid : sigsys_g.pid);
	v.tid = (uint32_t)tc.tid;
	if (sigsys_g.vdso_time && clock_gettime(CLOCK_REALTIME, &ts) == 0)
		v.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	v.outcome = OUT_KILLED;
	record(&v);
	for (;;)
		__asm__ volatile("syscall" : "+a"(nr) : : "rcx", "r11", "memory");
}

void sigsys_handler(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;
	int saved_errno = errno;
	uint32_t idx;

	if (info->si_code != SYS_SECCOMP ||
	    ((uint32_t)info->si_errno & SIGSYS_TRAP_MAGIC_MASK) != SIGSYS_TRAP_MAGIC) {
		/* kill(), raise(), or another filter's trap: the application's. */
		chain(sig, info, ctx, info->si_code == SYS_SECCOMP);
		goto out;
	}
	if (!from_kernel(info, uc)) {
		/* Queued by the process itself: a signal like kill()'s. */
		chain(sig, info, ctx, 0);
		goto out;
	}
	if (!stub_intact())
		on_tampered(info, uc);
	idx = (uint32_t)info->si_errno & SIGSYS_TRAP_INDEX_MASK;
	if (idx == SIGSYS_TRAP_IDX_SIGNALS) {
		__atomic_store_n(&sigsys_g.saw_prologue, 1, __ATOMIC_RELEASE);
		on_signals_trap(sig, info, uc);
		goto out;
	}
	/* Acquire pairs with the constructor's release store of n_actions
	 * after it filled the table. */
	if (idx < __atomic_load_n(&sigsys_g.n_actions, __ATOMIC_ACQUIRE)) {
		on_trap(sig, info, uc, &sigsys_g.actions[idx]);
	} else if (sigsys_g.bootstrap) {
		/* The constructor after execve: the inherited filter traps
		 * before our policy file is read.  Audit re-issues; enforce
		 * answers EPERM, the conservative errno of a denied call. */
		static const struct sigsys_action boot_audit = { SIGSYS_ACT_LOG, 0, 0, 0 };
		static const struct sigsys_action boot_enforce = { SIGSYS_ACT_ERRNO, EPERM, 0, 0 };

		on_trap(sig, info, uc,
			sigsys_g.mode == SIGSYS_MODE_AUDIT ? &boot_audit : &boot_enforce);
	} else {
		/* The filter and our table disagree: fail closed. */
		die_by_sigsys();
	}
out:
	errno = saved_errno;
}
