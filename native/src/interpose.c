/*
 * interpose.c - keep our SIGSYS handler installed and SIGSYS deliverable
 * while the application uses the signal API as usual.
 *
 *   sigaction/signal/bsd_signal/sysv_signal(SIGSYS, ...): the application's
 *     disposition is recorded as the "chain" target (handler.c calls it for
 *     every SIGSYS that is not one of our traps) and reported back by later
 *     calls; the kernel keeps ours.
 *   sigprocmask/pthread_sigmask, and the sa_mask of every other handler:
 *     SIGSYS is silently dropped from masks that would block it.  A seccomp
 *     SIGSYS that arrives blocked makes the kernel reset the handler and
 *     kill the process.
 *
 * Only calls through the dynamic symbols are seen; libc-internal masks (e.g.
 * glibc blocking every signal around clone in pthread_create/posix_spawn)
 * are not: the prologue of the policy's program (prologue.h) traps the raw
 * rt_sigprocmask and rt_sigaction calls that could block or replace SIGSYS
 * instead, so clone itself may trap like any call.  Until the constructor
 * has run (sigsys_g.active == 0) everything goes straight to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "handler.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef int (*sigprocmask_fn)(int, const sigset_t *, sigset_t *);

static sigaction_fn real_sigaction;
static sigprocmask_fn real_sigprocmask;
static sigprocmask_fn real_pthread_sigmask;

/* dlsym is not signal-safe, but runs once, normally from the constructor. */
static void *next(void *_Atomic *slot, const char *name)
{
	void *p = atomic_load_explicit(slot, memory_order_acquire);

	if (!p) {
		p = dlsym(RTLD_NEXT, name);
		atomic_store_explicit(slot, p, memory_order_release);
	}
	return p;
}

int sigsys_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	sigaction_fn f = (sigaction_fn)next((void *_Atomic *)&real_sigaction, "sigaction");

	if (!f) {
		errno = ENOSYS;
		return -1;
	}
	return f(sig, act, old);
}

int sigsys_real_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	sigprocmask_fn f = (sigprocmask_fn)next((void *_Atomic *)&real_sigprocmask, "sigprocmask");

	if (!f) {
		errno = ENOSYS;
		return -1;
	}
	return f(how, set, old);
}

/*
 * The application's SIGSYS disposition: two slots and an index published
 * with release/acquire, so the handler (any thread, any time) reads a
 * complete struct.  Writers are serialised by a spin flag; sigaction is
 * rarely called concurrently and never for long.
 */
static struct sigaction chain_slot[2];
static _Atomic unsigned chain_cur;
static atomic_flag chain_lock = ATOMIC_FLAG_INIT;
/*
 * Bumped after every publish.  A reader copying slot k can only be torn by
 * a second publish after the one that moved chain_cur away from k, and that
 * first publish bumps the generation before the second one starts: so an
 * unchanged generation around the copy proves the copy whole (a seqlock
 * over the two slots).
 */
static _Atomic unsigned chain_gen;

/*
 * bounded: from the SIGSYS handler, which may have interrupted this very
 * thread inside chain_publish (a kill() from elsewhere while the
 * application's sigaction runs): give up rather than spin forever.
 */
static int chain_publish_try(const struct sigaction *sa, int bounded)
{
	unsigned next_slot;
	unsigned tries = 0;

	while (atomic_flag_test_and_set_explicit(&chain_lock, memory_order_acquire))
		if (bounded && ++tries > 100000)
			return -EBUSY;
	next_slot = atomic_load_explicit(&chain_cur, memory_order_relaxed) ^ 1u;
	chain_slot[next_slot] = *sa;
	atomic_store_explicit(&chain_cur, next_slot, memory_order_release);
	atomic_fetch_add_explicit(&chain_gen, 1, memory_order_release);
	atomic_flag_clear_explicit(&chain_lock, memory_order_release);
	return 0;
}

static void chain_publish(const struct sigaction *sa)
{
	chain_publish_try(sa, 0);
}

void sigsys_chain_init(const struct sigaction *prev)
{
	chain_publish(prev);
}

void sigsys_chain_set(const struct sigaction *sa)
{
	chain_publish_try(sa, 1);
}

void sigsys_chain_get(struct sigaction *out)
{
	unsigned tries;

	/*
	 * Bounded: called from the SIGSYS handler, which must not spin on a
	 * writer it may have interrupted.  Torn copies need two sigaction(SIGSYS)
	 * calls racing one delivery, so a retry is rare and eight are plenty.
	 */
	for (tries = 0; tries < 8; tries++) {
		unsigned gen = atomic_load_explicit(&chain_gen, memory_order_acquire);

		*out = chain_slot[atomic_load_explicit(&chain_cur, memory_order_acquire)];
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&chain_gen, memory_order_relaxed) == gen)
			return;
	}
}

void sigsys_chain_reset_to_default(void)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	chain_publish_try(&dfl, 1);
}

static int chain_sigaction(const struct sigaction *act, struct sigaction *old)
{
	if (old)
		sigsys_chain_get(old);
	if (act) {
		struct sigaction copy = *act;
		sigset_t all, saved;

		/* The kernel never blocks SIGKILL/SIGSTOP; neither do we. */
		sigdelset(&copy.sa_mask, SIGKILL);
		sigdelset(&copy.sa_mask, SIGSTOP);
		/* An application handler interrupting us here and calling
		 * sigaction(SIGSYS) itself would spin on the lock forever. */
		sigfillset(&all);
		sigdelset(&all, SIGSYS);
		sigsys_real_sigprocmask(SIG_BLOCK, &all, &saved);
		chain_publish(&copy);
		sigsys_real_sigprocmask(SIG_SETMASK, &saved, NULL);
	}
	return 0;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction copy;

	if (sig == SIGSYS && sigsys_g.active)
		return chain_sigaction(act, old);
	/* Handlers installed with sigfillset() masks would run with SIGSYS
	 * blocked, and a trapped call inside them would be fatal. */
	if (act && sigsys_g.active && sigismember(&act->sa_mask, SIGSYS)) {
		copy = *act;
		sigdelset(&copy.sa_mask, SIGSYS);
		act = &copy;
	}
	return sigsys_real_sigaction(sig, act, old);
}

static __sighandler_t set_handler(int sig, __sighandler_t h, int flags)
{
	struct sigaction sa, old;

	if (sig != SIGSYS || !sigsys_g.active) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = h;
		sa.sa_flags = flags;
		if (sigsys_real_sigaction(sig, &sa, &old) < 0)
			return SIG_ERR;
		return old.sa_handler;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = flags;
	chain_sigaction(&sa, &old);
	return old.sa_handler;
}

/* glibc's signal() has BSD semantics: restart, handler stays installed. */
EXPORT __sighandler_t signal(int sig, __sighandler_t h)
{
	if (sig <= 0 || sig >= NSIG || h == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	return set_handler(sig, h, SA_RESTART);
}

EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t h)
{
	return signal(sig, h);
}

EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t h)
{
	if (sig <= 0 || sig >= NSIG || h == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER);
}

/*
 * The System V API (sigset, sighold, sigignore, sigrelse): glibc implements
 * it with its internal sigaction/sigprocmask, which the symbols above do not
 * see, so SIGSYS needs its own path here.
 */
EXPORT __sighandler_t sigset(int sig, __sighandler_t h)
{
	struct sigaction old;

	if (sig != SIGSYS || !sigsys_g.active) {
		__sighandler_t (*f)(int, __sighandler_t) =
			(__sighandler_t(*)(int, __sighandler_t))dlsym(RTLD_NEXT, "sigset");

		return f ? f(sig, h) : SIG_ERR;
	}
	/* SIG_HOLD would block SIGSYS: never; the disposition stays. */
	sigsys_chain_get(&old);
	if (h != SIG_HOLD)
		set_handler(SIGSYS, h, 0);
	return old.sa_handler;
}

EXPORT int sighold(int sig)
{
	sigset_t one;

	if (sig == SIGSYS && sigsys_g.active)
		return 0; /* never blocked: a blocked seccomp SIGSYS is fatal */
	sigemptyset(&one);
	if (sigaddset(&one, sig) < 0)
		return -1;
	return sigsys_real_sigprocmask(SIG_BLOCK, &one, NULL);
}

EXPORT int sigrelse(int sig)
{
	sigset_t one;

	sigemptyset(&one);
	if (sigaddset(&one, sig) < 0)
		return -1;
	return sigsys_real_sigprocmask(SIG_UNBLOCK, &one, NULL);
}

EXPORT int sigignore(int sig)
{
	return set_handler(sig, SIG_IGN, 0) == SIG_ERR ? -1 : 0;
}

/* Returns the set to pass on: `set` itself, or `tmp` without SIGSYS. */
static const sigset_t *unblock_sigsys(int how, const sigset_t *set, sigset_t *tmp)
{
	if (!set || !sigsys_g.active || how == SIG_UNBLOCK || !sigismember(set, SIGSYS))
		return set;
	*tmp = *set;
	sigdelset(tmp, SIGSYS);
	return tmp;
}

EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t tmp;

	return sigsys_real_sigprocmask(how, unblock_sigsys(how, set, &tmp), old);
}

EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	sigprocmask_fn f = (sigprocmask_fn)next((void *_Atomic *)&real_pthread_sigmask,
						 "pthread_sigmask");
	sigset_t tmp;

	if (!f)
		return ENOSYS;
	return f(how, unblock_sigsys(how, set, &tmp), old);
}
