/*
 * live_preload.c - the preload and its SIGSYS handler on real processes with
 * real seccomp filters (ctest label "live").  Each case builds a policy with
 * sigsys-mkpolicy, runs tests/workloads/live_wl.c under libsigsys.so and
 * checks what the workload saw (stdout) against what the handler recorded
 * (the rings, read back with the ring.h consumer API).
 *
 *   live_preload            run every case
 *   live_preload NAME...    run the named cases
 *   live_preload --musl ... the same against the musl-gcc build of the
 *                           workload (loader /lib/ld-musl-x86_64.so.1)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "live_util.h"
#include "ring.h"
#include "policy.h"

#define NR_GETPPID "110"
#define NR_GETPRIORITY "140"

enum { OUT_DENIED = 1, OUT_ALLOWED = 2, OUT_KILLED = 3 };

struct ctx {
	char dir[512];
	char spool[600];
	char policy[600];
	struct live_run run;
	struct live_rings rings;
};

static int setup(struct ctx *c, const char *name, const char *const *mkargs)
{
	const char *d = live_tmpdir(name);

	memset(&c->rings, 0, sizeof(c->rings));
	if (!d)
		return -1;
	snprintf(c->dir, sizeof(c->dir), "%s", d);
	snprintf(c->spool, sizeof(c->spool), "%s/spool", d);
	snprintf(c->policy, sizeof(c->policy), "%s/p.pol", d);
	if (mkargs && live_mkpolicy(c->policy, mkargs) != 0) {
		fprintf(stderr, "  sigsys-mkpolicy failed\n");
		return -1;
	}
	return 0;
}

static int run(struct ctx *c, const char *const *env, const char *const *args)
{
	if (live_run(c->policy, c->spool, env, args, &c->run) != 0)
		return -1;
	if (live_read_rings(c->spool, &c->rings) != 0)
		return -1;
	return 0;
}

static int exited0(const struct live_run *r)
{
	return WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 01: enforce ERRNO: the call gets the profile's errno, the event has every
 * handler field right. */
static void t01_enforce_errno(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "raw", NR_GETPRIORITY, "0x11", "0x22", "0x33", "0x44", "0x55",
			       "0x7fffffffffffffff", NULL };
	struct ctx c;
	uint64_t t0 = now_ns(), t1;

	if (setup(&c, "errno", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	t1 = now_ns();
	CHECK(exited0(&c.run), "status %#x err %s", c.run.status, c.run.err);
	CHECK(live_field(c.run.out, "ret") == -13, "%s", c.run.out);
	CHECK(live_field(c.run.out, "errno") == 4242, "errno not preserved: %s", c.run.out);
	CHECK(live_field(c.run.out, "filters") == 1, "%s", c.run.out);
	CHECK(c.rings.n_rings == 1 && c.rings.n == 1 && !c.rings.bad, "rings %d events %zu bad %d",
	      c.rings.n_rings, c.rings.n, c.rings.bad);
	if (c.rings.n != 1)
		return;
	struct live_ev *e = &c.rings.ev[0];
	CHECK(e->nr == 140 && e->arch == AUDIT_ARCH_X86_64, "nr %d arch %#x", e->nr, e->arch);
	CHECK(e->n_args == 6 && e->args[0] == 0x11 && e->args[1] == 0x22 && e->args[2] == 0x33 &&
		      e->args[3] == 0x44 && e->args[4] == 0x55 && e->args[5] == 0x7fffffffffffffffull,
	      "args %d %#llx %#llx", e->n_args, (unsigned long long)e->args[0],
	      (unsigned long long)e->args[5]);
	CHECK(e->pid == (uint32_t)live_field(c.run.out, "pid"), "pid %u", e->pid);
	CHECK(e->tid == (uint32_t)live_field(c.run.out, "tid"), "tid %u", e->tid);
	CHECK(e->ip == (uint64_t)live_field(c.run.out, "ip"), "ip %#llx vs %s",
	      (unsigned long long)e->ip, c.run.out);
	CHECK(e->action == SIGSYS_ACT_ERRNO && e->outcome == OUT_DENIED && e->errno_ret == 13 &&
		      e->mode == SIGSYS_MODE_ENFORCE && e->seq == 0,
	      "action %u outcome %u errno %d mode %u seq %llu", e->action, e->outcome,
	      e->errno_ret, e->mode, (unsigned long long)e->seq);
	CHECK(e->time_ns >= t0 && e->time_ns <= t1, "time %llu not in [%llu, %llu]",
	      (unsigned long long)e->time_ns, (unsigned long long)t0, (unsigned long long)t1);
	live_rings_free(&c.rings);
}

/* 02: audit: the denied call runs (real result) and is recorded with it. */
static void t02_audit_executes(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule",
			     "getppid:errno:13", NULL };
	const char *args[] = { "raw", NR_GETPPID, NULL };
	struct ctx c;

	if (setup(&c, "audit", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "status %#x err %s", c.run.status, c.run.err);
	/* The workload's parent is this test process. */
	CHECK(live_field(c.run.out, "ret") == getpid(), "%s", c.run.out);
	CHECK(c.rings.n == 1, "events %zu", c.rings.n);
	if (c.rings.n == 1) {
		struct live_ev *e = &c.rings.ev[0];

		CHECK(e->nr == 110 && e->outcome == OUT_ALLOWED && e->ret == getpid() &&
			      e->mode == SIGSYS_MODE_AUDIT && e->action == SIGSYS_ACT_ERRNO &&
			      e->errno_ret == 0,
		      "nr %d outcome %u ret %lld mode %u", e->nr, e->outcome, (long long)e->ret,
		      e->mode);
	}
	live_rings_free(&c.rings);
}

/* 03/04: KILL ends the process by SIGSYS after the event is committed. */
static void kill_case(const char *name, const char *rule, uint32_t action)
{
	const char *mk[] = { "--default", "allow", "--rule", rule, NULL };
	const char *args[] = { "raw", NR_GETPRIORITY, "0", "0", NULL };
	struct ctx c;

	if (setup(&c, name, mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(WIFSIGNALED(c.run.status) && WTERMSIG(c.run.status) == SIGSYS, "status %#x",
	      c.run.status);
	CHECK(c.rings.n == 1 && !c.rings.bad, "events %zu bad %d", c.rings.n, c.rings.bad);
	if (c.rings.n == 1)
		CHECK(c.rings.ev[0].outcome == OUT_KILLED && c.rings.ev[0].action == action &&
			      c.rings.ev[0].nr == 140,
		      "outcome %u action %u", c.rings.ev[0].outcome, c.rings.ev[0].action);
	live_rings_free(&c.rings);
}

static void t03_kill_process(void)
{
	kill_case("killp", "getpriority:kill_process", SIGSYS_ACT_KILL_PROCESS);
}

static void t04_kill_thread(void)
{
	kill_case("killt", "getpriority:kill_thread", SIGSYS_ACT_KILL_THREAD);
}

/* 05: LOG in enforce mode: runs and is reported as allowed. */
static void t05_log(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getppid:log", NULL };
	const char *args[] = { "raw", NR_GETPPID, NULL };
	struct ctx c;

	if (setup(&c, "log", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "ret") == getpid(), "%s %s", c.run.out,
	      c.run.err);
	CHECK(c.rings.n == 1 && c.rings.ev[0].outcome == OUT_ALLOWED &&
		      c.rings.ev[0].action == SIGSYS_ACT_LOG && c.rings.ev[0].ret == getpid(),
	      "events %zu", c.rings.n);
	live_rings_free(&c.rings);
}

/* 06/07: 8 threads x 10,000 denied calls: every one recorded with its tid,
 * or, in a small ring, every one recorded or counted as dropped. */
static void threads_case(const char *name, const char *records, int expect_all)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "loop", NR_GETPRIORITY, "10000", "8", "-13", NULL };
	char env_rec[64];
	/* Every call a full event: this is about the ring under 8 producers
	 * (hot-loop counting would fold the loop into one count per key;
	 * 35-threads-counted proves that). */
	const char *env[] = { env_rec, "SIGSYS_HOT=0", NULL };
	struct ctx c;
	int tids[8], counts[8] = { 0 }, other = 0, nt = 0;
	const char *p;

	snprintf(env_rec, sizeof(env_rec), "SIGSYS_RING_RECORDS=%s", records);
	if (setup(&c, name, mk) || run(&c, env, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "status %#x %s", c.run.status, c.run.err);
	for (p = strstr(c.run.out, "tid="); p && nt < 8; p = strstr(p + 1, "\ntid=")) {
		tids[nt] = (int)live_field(p, "tid");
		CHECK(live_field(p, "bad") == 0, "thread %d saw wrong returns", tids[nt]);
		nt++;
	}
	CHECK(nt == 8, "threads %d", nt);
	CHECK(c.rings.bad == 0, "bad records %d", c.rings.bad);
	CHECK(c.rings.n + c.rings.dropped == 80000, "events %zu + dropped %llu != 80000",
	      c.rings.n, (unsigned long long)c.rings.dropped);
	for (size_t i = 0; i < c.rings.n; i++) {
		int k;

		for (k = 0; k < nt && tids[k] != (int)c.rings.ev[i].tid; k++)
			;
		if (k < nt && c.rings.ev[i].seq == i && c.rings.ev[i].nr == 140)
			counts[k]++;
		else
			other++;
	}
	CHECK(other == 0, "%d events with unknown tid or wrong seq", other);
	if (expect_all) {
		CHECK(c.rings.n == 80000 && c.rings.dropped == 0, "events %zu dropped %llu",
		      c.rings.n, (unsigned long long)c.rings.dropped);
		for (int k = 0; k < nt; k++)
			CHECK(counts[k] == 10000, "tid %d has %d events", tids[k], counts[k]);
	} else {
		CHECK(c.rings.dropped > 0, "a %s-record ring cannot hold 80000", records);
	}
	live_rings_free(&c.rings);
}

static void t06_threads_all(void)
{
	threads_case("threads", "131072", 1);
}

static void t07_threads_dropped(void)
{
	threads_case("threads-drop", "4096", 0);
}

/* 08: a fork child keeps reporting into the same ring, with its own pid,
 * under the one inherited filter.  33: the same with a raw fork syscall,
 * which runs no libc atfork handler: the pid cache must still notice. */
static void fork_case(const char *name, const char *cmd)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { cmd, NR_GETPRIORITY, NULL };
	struct ctx c;
	long long ppid, cpid;

	if (setup(&c, name, mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	ppid = live_field_after(c.run.out, "parent ", "pid");
	cpid = live_field_after(c.run.out, "child ", "pid");
	CHECK(exited0(&c.run) && live_field(c.run.out, "child_status") == 0, "%s", c.run.out);
	CHECK(live_field_after(c.run.out, "child ", "ret") == -13 &&
		      live_field_after(c.run.out, "child ", "filters") == 1,
	      "%s", c.run.out);
	CHECK(c.rings.n_rings == 1 && c.rings.n == 3, "rings %d events %zu", c.rings.n_rings,
	      c.rings.n);
	if (c.rings.n == 3)
		CHECK(c.rings.ev[0].pid == ppid && c.rings.ev[1].pid == cpid &&
			      c.rings.ev[1].tid == cpid && c.rings.ev[2].pid == ppid,
		      "pids %u %u %u vs %lld %lld", c.rings.ev[0].pid, c.rings.ev[1].pid,
		      c.rings.ev[2].pid, ppid, cpid);
	live_rings_free(&c.rings);
}

static void t08_fork(void)
{
	fork_case("fork", "fork");
}

static void t33_raw_fork(void)
{
	fork_case("rawfork", "rawfork");
}

/* 09/10: a dynamic binary exec'd under the filter gets our handler back, a
 * new ring, and no second filter; in audit mode (execve itself trapped) the
 * re-issue after exec goes through the trusted page at the same address. */
static void exec_case(const char *name, const char *const *mk, const char *nr, long long want,
		      long long want_ctor_ppid, long long want_ctor_prio_errno, const char *target)
{
	const char *args[] = { "exec", nr, target, NULL };
	const char *env[] = { "WL_CTOR_CALLS=1", NULL };
	struct ctx c;
	const char *after;

	if (setup(&c, name, mk) || run(&c, env, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "status %#x out %s err %s", c.run.status, c.run.out, c.run.err);
	after = strstr(c.run.out, "\nret=");
	CHECK(after && live_field(after, "ret") == want && live_field(after, "filters") == 1 &&
		      live_field(after, "errno") == 4242,
	      "%s", c.run.out);
	/* A library constructor of the new image made trapped calls before
	 * main: our handler was already there (glibc: -z initfirst; musl runs
	 * a preload's constructor before those of the program's libraries). */
	CHECK(after && live_field(after, "ctor_ppid") == want_ctor_ppid &&
		      live_field(after, "ctor_prio_errno") == want_ctor_prio_errno,
	      "constructor calls after exec: %s", c.run.out);
	CHECK(c.rings.n_rings == 2, "rings %d", c.rings.n_rings);
	CHECK(c.rings.bad == 0, "bad %d", c.rings.bad);
	/* The exec'd image's call has its own args (1..6) and its own ring;
	 * the old image's (args 0) was reported before, same pid. */
	int found = 0, before = 0;
	for (size_t i = 0; i < c.rings.n; i++) {
		const struct live_ev *e = &c.rings.ev[i];

		if (e->nr != atoi(nr) || e->pid != live_field(after, "pid"))
			continue;
		found += e->args[0] == 1 && e->args[5] == 6;
		before += e->args[0] == 0 && e->args[5] == 0;
	}
	CHECK(found == 1, "post-exec event found %d times (events %zu)", found, c.rings.n);
	CHECK(before == 1, "pre-exec event found %d times (events %zu)", before, c.rings.n);
	live_rings_free(&c.rings);
}

static void t09_exec_enforce(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };

	/* getpriority in the constructor: denied with EACCES, not killed. */
	exec_case("exec", mk, NR_GETPRIORITY, -13, getpid(), 13, NULL);
}

static void t10_exec_audit(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "getppid:errno:1",
			     "--rule", "execve:errno:1", NULL };

	/* getppid in the constructor: trapped and executed. */
	exec_case("exec-audit", mk, NR_GETPPID, getpid(), getpid(), 0, NULL);
}

/* 24: after execve the constructor's own calls meet the inherited filter
 * before the policy is read again (bootstrap): in audit mode they run.  Here
 * prctl (how it detects the filter) is trapped: answered wrongly, a second
 * filter would be stacked. */
static void t24_exec_audit_bootstrap(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "getppid:errno:1",
			     "--rule", "prctl:errno:1", NULL };

	exec_case("exec-boot", mk, NR_GETPPID, getpid(), getpid(), 0, NULL);
}

/* 25: audit mode clone3.  Trapped whatever its arguments: the preload's
 * prologue answers ENOSYS in the filter itself (no event: see 29).  Trapped
 * only for some arguments: the handler answers ENOSYS without running it (a
 * clone3 child would start inside the handler) and records it as denied.
 * Either way libcs fall back to clone. */
static void t25_audit_clone3(void)
{
	static const struct {
		const char *rule;
		size_t events;
	} cases[] = {
		{ "clone3:errno:1", 0 },
		{ "clone3:errno:1:arg1=88", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule",
				     cases[i].rule, NULL };
		const char *args[] = { "raw", "435", "0", "88", NULL };
		struct ctx c;

		if (setup(&c, "clone3", mk) || run(&c, NULL, args))
			{ CHECK(0, "setup"); return; }
		CHECK(exited0(&c.run) && live_field(c.run.out, "ret") == -38, "%s: %#x %s",
		      cases[i].rule, c.run.status, c.run.out);
		CHECK(c.rings.n == cases[i].events, "%s: events %zu", cases[i].rule, c.rings.n);
		if (c.rings.n == 1)
			CHECK(c.rings.ev[0].nr == 435 && c.rings.ev[0].outcome == OUT_DENIED &&
				      c.rings.ev[0].errno_ret == 38,
			      "%s", cases[i].rule);
		live_rings_free(&c.rings);
	}
}

/* 26: audit mode pthread_create with clone3, clone and rt_sigprocmask all
 * trapped (learn mode traps nearly everything): clone3 gets ENOSYS from the
 * prologue, glibc's block-all-signals before clone goes through our
 * rt_sigprocmask emulation, which keeps SIGSYS deliverable, and the clone
 * fallback is re-issued: the new threads start through the clone
 * trampoline.  8 real pthreads then make 1,000 trapped calls each, all
 * executed and recorded with their tids.  (With rt_sigprocmask NOT trapped,
 * a trapped clone inside pthread_create is fatal: the kernel kills on a
 * blocked seccomp SIGSYS.) */
static void t26_audit_pthreads_learn(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "clone3:errno:1",
			     "--rule", "clone:errno:1", "--rule", "rt_sigprocmask:errno:1", "--rule",
			     "getppid:errno:1", NULL };
	char expect[32];
	const char *args[] = { "loop", NR_GETPPID, "1000", "8", expect, NULL };
	struct ctx c;
	int clones = 0, clone3s = 0, getppids = 0, nt = 0;
	const char *p;

	snprintf(expect, sizeof(expect), "%d", (int)getpid());
	if (setup(&c, "pthreads-learn", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "%#x %s", c.run.status, c.run.out);
	for (p = strstr(c.run.out, "tid="); p; p = strstr(p + 1, "\ntid=")) {
		CHECK(live_field(p, "bad") == 0, "thread %lld saw wrong results",
		      live_field(p, "tid"));
		nt++;
	}
	CHECK(nt == 8, "threads %d", nt);
	for (size_t i = 0; i < c.rings.n; i++) {
		struct live_ev *e = &c.rings.ev[i];

		/* A count record (repeat > 0) stands for that many calls of its
		 * first call's site; its calls' results are not in it. */
		int calls = e->repeat ? (int)e->repeat : 1;

		clone3s += e->nr == 435 && e->errno_ret == 38;
		clones += (e->nr == SYS_clone && (e->repeat || e->ret > 0) &&
			   e->outcome == OUT_ALLOWED) * calls;
		getppids += (e->nr == SYS_getppid && (e->repeat || e->ret == getpid()) &&
			     e->tid != e->pid) * calls;
	}
	CHECK(clone3s == 0 && clones == 8 && getppids == 8000, "clone3 %d clone %d getppid %d",
	      clone3s, clones, getppids);
	live_rings_free(&c.rings);
}

/* 27: relative SIGSYS_POLICY and SIGSYS_SPOOL: exported as absolute paths,
 * so a child that chdirs before exec still finds both. */
static void t27_relative_paths(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "cdexec", NR_GETPRIORITY, NULL };
	struct ctx c;

	if (setup(&c, "relative", mk))
		{ CHECK(0, "setup"); return; }
	live_run_cwd = c.dir;
	if (live_run("p.pol", "spool", NULL, args, &c.run) != 0 ||
	    live_read_rings(c.spool, &c.rings) != 0)
		{ live_run_cwd = NULL; CHECK(0, "run"); return; }
	live_run_cwd = NULL;
	CHECK(exited0(&c.run) && live_field(c.run.out, "ret") == -13, "%#x %s %s", c.run.status,
	      c.run.out, c.run.err);
	CHECK(c.rings.n_rings == 2 && c.rings.n == 1, "rings %d events %zu", c.rings.n_rings,
	      c.rings.n);
	live_rings_free(&c.rings);
}

/* 28: a foreign-arch call (int $0x80 getpid): the profile's bad-arch action
 * (a kill) in both modes, recorded with the i386 arch and registers; audit
 * mode cannot re-issue it from a 64-bit syscall instruction. */
static void t28_foreign_arch(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", NULL };
	const char *args[] = { "int80", "20", NULL };
	struct ctx c;

	if (setup(&c, "int80", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(WIFSIGNALED(c.run.status) && WTERMSIG(c.run.status) == SIGSYS, "%#x %s",
	      c.run.status, c.run.out);
	CHECK(c.rings.n == 1 && c.rings.ev[0].arch == AUDIT_ARCH_I386 && c.rings.ev[0].nr == 20 &&
		      c.rings.ev[0].args[0] == 7 && c.rings.ev[0].args[1] == 8 &&
		      c.rings.ev[0].outcome == OUT_KILLED,
	      "events %zu arch %#x nr %d", c.rings.n, c.rings.n ? c.rings.ev[0].arch : 0,
	      c.rings.n ? c.rings.ev[0].nr : 0);
	live_rings_free(&c.rings);
}

/* 29: enforce mode with Docker's clone3 rule (ERRNO(ENOSYS)) and nothing
 * else trapped around it: glibc issues clone3 with every signal blocked, so
 * a trap there would be fatal; the preload's prologue answers it in the
 * filter and threads come up (8 of them, each making trapped calls). */
static void t29_enforce_clone3_docker(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "clone3:errno:38", "--rule",
			     "getpriority:errno:13", NULL };
	const char *args[] = { "loop", NR_GETPRIORITY, "100", "8", "-13", NULL };
	struct ctx c;
	int nt = 0;

	if (setup(&c, "clone3-docker", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "%#x %s", c.run.status, c.run.out);
	for (const char *p = strstr(c.run.out, "tid="); p; p = strstr(p + 1, "\ntid="))
		nt += live_field(p, "bad") == 0;
	CHECK(nt == 8 && c.rings.calls == 800, "threads %d calls %llu", nt,
	      (unsigned long long)c.rings.calls);
	live_rings_free(&c.rings);
}

/* 30: audit mode, a trapped call that blocks until a signal handler runs
 * (self-pipe: SIGUSR1's handler writes the byte read() waits for).  The
 * re-issued read must wait under the application's mask, not the
 * handler's, or the signal stays pending forever (libuv's SIGCHLD). */
static void t30_audit_blocking_call(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "read:errno:1",
			     NULL };
	const char *args[] = { "selfpipe", NULL };
	struct ctx c;

	if (setup(&c, "selfpipe", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "woke") == 1 &&
		      live_field(c.run.out, "sig") == SIGUSR1,
	      "%#x %s", c.run.status, c.run.out);
	live_rings_free(&c.rings);
}

/* 31: execve into a program of the other libc (glibc -> musl; with --musl,
 * musl -> glibc), enforce and audit: the one inherited filter stays
 * (Seccomp_filters: 1), the new image's libsigsys.so gets the handler back
 * before its library constructors run, and both images report into their
 * own rings (the old image's call before exec, the new one's after). */
static void t31_exec_other_libc(void)
{
	static const char *const enforce[] = { "--default", "allow", "--rule",
					       "getpriority:errno:13", NULL };
	static const char *const audit[] = { "--mode", "audit", "--default", "allow", "--rule",
					     "getppid:errno:1", "--rule", "execve:errno:1", NULL };
	const char *other = strcmp(live_workload, SIGSYS_WORKLOAD) == 0 ? SIGSYS_WORKLOAD_MUSL
									 : SIGSYS_WORKLOAD;

	if (!other[0] || access(other, X_OK) != 0) {
		CHECK(0, "no musl workload: musl-gcc missing at configure time (install "
			 "musl-tools: bash scripts/setup.sh)");
		return;
	}
	exec_case("xlibc", enforce, NR_GETPRIORITY, -13, getpid(), 13, other);
	exec_case("xlibc-audit", audit, NR_GETPPID, getpid(), getpid(), 0, other);
}

/* 32: enforce mode with Docker's default rules for clone and clone3: clone
 * with a namespace flag is denied (EPERM, reported), clone3 ENOSYS (the
 * prologue).  pthread_create, whose libc blocks every signal around clone,
 * still makes 8 threads (their clone matches no rule, so it never traps),
 * and they report their own denied calls. */
static void t32_enforce_docker_clone_rules(void)
{
	/* CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
	static const char *const ns[] = { "0x20000", "0x2000000", "0x4000000", "0x8000000",
					  "0x10000000", "0x20000000", "0x40000000" };
	char rules[7][64];
	const char *mk[24] = { "--default", "allow", "--rule", "clone3:errno:38", "--rule",
			       "getpriority:errno:13" };
	const char *denied[] = { "raw", "56", "0x10000011", NULL }; /* NEWUSER|SIGCHLD */
	const char *threads[] = { "loop", NR_GETPRIORITY, "100", "8", "-13", NULL };
	struct ctx c;
	int n = 6, nt = 0, clones = 0;

	for (int i = 0; i < 7; i++) {
		snprintf(rules[i], sizeof(rules[i]), "clone:errno:1:arg0&%s=%s", ns[i], ns[i]);
		mk[n++] = "--rule";
		mk[n++] = rules[i];
	}
	mk[n] = NULL;
	if (setup(&c, "docker-clone", mk) || run(&c, NULL, denied))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "ret") == -1, "%#x %s", c.run.status,
	      c.run.out);
	CHECK(c.rings.n == 1 && c.rings.ev[0].nr == SYS_clone &&
		      c.rings.ev[0].args[0] == 0x10000011 && c.rings.ev[0].outcome == OUT_DENIED &&
		      c.rings.ev[0].errno_ret == 1 &&
		      c.rings.ev[0].pid == (uint32_t)live_field(c.run.out, "pid"),
	      "events %zu", c.rings.n);
	live_rings_free(&c.rings);
	if (setup(&c, "docker-clone-threads", mk) || run(&c, NULL, threads))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "%#x %s", c.run.status, c.run.out);
	for (const char *p = strstr(c.run.out, "tid="); p; p = strstr(p + 1, "\ntid="))
		nt += live_field(p, "bad") == 0;
	for (size_t i = 0; i < c.rings.n; i++)
		clones += c.rings.ev[i].nr == SYS_clone || c.rings.ev[i].nr == 435;
	CHECK(nt == 8 && c.rings.calls == 800 && clones == 0, "threads %d calls %llu clone events %d",
	      nt, (unsigned long long)c.rings.calls, clones);
	live_rings_free(&c.rings);
}

/* 11: an application with its own SIGSYS handler: sigsys keeps working, the
 * application still gets SIGSYS it sends itself (and can make denied calls
 * inside its handler), blocking SIGSYS does not break reporting, a handler
 * installed with a full mask can make denied calls, SIG_IGN ignores a
 * raised SIGSYS. */
static void t11_app_handler(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "apphandler", NR_GETPRIORITY, NULL };
	struct ctx c;

	if (setup(&c, "apph", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "status %#x %s", c.run.status, c.run.out);
	CHECK(live_field(c.run.out, "query_is_app") == 1, "%s", c.run.out);
	CHECK(live_field_after(c.run.out, "denied1", "ret") == -13 &&
		      live_field(c.run.out, "hits_after_denied") == 0,
	      "%s", c.run.out);
	CHECK(live_field(c.run.out, "hits_after_raise") == 1 &&
		      live_field_after(c.run.out, "hits_after_raise", "code") == SI_TKILL,
	      "%s", c.run.out);
	CHECK(live_field(c.run.out, "inner_ret") == -13, "denied call in the app's SIGSYS "
	      "handler: %s", c.run.out);
	CHECK(live_field(c.run.out, "usr1_inner_ret") == -13, "denied call in a handler with a "
	      "full mask: %s", c.run.out);
	CHECK(live_field(c.run.out, "hits_after_kill") == 2 &&
		      live_field_after(c.run.out, "hits_after_kill", "code") == SI_USER,
	      "%s", c.run.out);
	CHECK(live_field(c.run.out, "sigsys_blocked") == 0, "%s", c.run.out);
	CHECK(live_field_after(c.run.out, "denied2", "ret") == -13 &&
		      live_field_after(c.run.out, "denied2", "errno") == 4242,
	      "%s", c.run.out);
	CHECK(live_field(c.run.out, "survived_ignored_raise") == 1, "%s", c.run.out);
	CHECK(live_field_after(c.run.out, "denied3", "ret") == -13 &&
		      live_field(c.run.out, "sysv_hits") == 1,
	      "sighold/sigset: %s", c.run.out);
	CHECK(c.rings.calls == 6, "calls %llu", (unsigned long long)c.rings.calls);
	live_rings_free(&c.rings);
}

/* 12: the profile's own TRAP reaches the application's handler, with the
 * siginfo the kernel would have given it (SYS_SECCOMP, the profile's data in
 * si_errno, not our trap magic). */
static void t12_profile_trap(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:trap", NULL };
	const char *args[] = { "apptrap", NR_GETPRIORITY, NULL };
	struct ctx c;

	if (setup(&c, "trap", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "status %#x %s", c.run.status, c.run.out);
	CHECK(live_field(c.run.out, "hits") == 1 && live_field(c.run.out, "code") == 1 &&
		      live_field(c.run.out, "si_errno") == 0 &&
		      live_field(c.run.out, "si_syscall") == 140,
	      "%s", c.run.out);
	CHECK(c.rings.n == 1 && c.rings.ev[0].action == SIGSYS_ACT_TRAP &&
		      c.rings.ev[0].outcome == OUT_DENIED,
	      "events %zu", c.rings.n);
	live_rings_free(&c.rings);
}

/* 13: a bad policy stops the workload with one line and status 126. */
static void t13_bad_policy(void)
{
	static const struct {
		const char *name;
		int corrupt; /* byte offset to scribble, -1: none */
		uint32_t word;
		const char *cause;
	} cases[] = {
		{ "missing", -2, 0, "No such file or directory" },
		{ "unset", -3, 0, "not set" },
		{ "magic", 0, 0x41414141, "bad magic" },
		{ "version", 8, 7, "version" },
		{ "arch", 16, AUDIT_ARCH_AARCH64, "arch" },
		{ "truncated", -4, 0, "truncated" },
		{ "checksum", 200, 0xdeadbeef, "checksum" },
		{ "records", -5, 0, "SIGSYS_RING_RECORDS" },
		{ "hot", -6, 0, "SIGSYS_HOT: not 0" },
	};
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "status", NULL };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctx c;
		FILE *f;

		if (setup(&c, cases[i].name, mk))
			{ CHECK(0, "setup"); return; }
		if (cases[i].corrupt >= 0) {
			f = fopen(c.policy, "r+");
			fseek(f, cases[i].corrupt, SEEK_SET);
			fwrite(&cases[i].word, 4, 1, f);
			fclose(f);
		} else if (cases[i].corrupt == -2) {
			unlink(c.policy);
		} else if (cases[i].corrupt == -4) {
			truncate(c.policy, 100);
		}
		const char *bad_records[] = { "SIGSYS_RING_RECORDS=lots", NULL };
		const char *bad_hot[] = { "SIGSYS_HOT=yes", NULL };

		if (live_run(cases[i].corrupt == -3 ? NULL : c.policy, c.spool,
			     cases[i].corrupt == -5 ? bad_records
			     : cases[i].corrupt == -6 ? bad_hot : NULL, args, &c.run) != 0)
			{ CHECK(0, "run"); return; }
		char *nl = strchr(c.run.err, '\n');
		CHECK(WIFEXITED(c.run.status) && WEXITSTATUS(c.run.status) == 126, "%s: status %#x",
		      cases[i].name, c.run.status);
		CHECK(strncmp(c.run.err, "sigsys: ", 8) == 0 && nl && nl[1] == 0 &&
			      strstr(c.run.err, cases[i].cause),
		      "%s: stderr '%s'", cases[i].name, c.run.err);
		CHECK(cases[i].corrupt <= -3 || strstr(c.run.err, c.policy), "%s: no file name: %s",
		      cases[i].name, c.run.err);
		CHECK(c.run.out[0] == 0, "%s: the workload ran: %s", cases[i].name, c.run.out);
	}
}

/* 14: SIGSYS_ON_ERROR=open: warning, no filter, the workload runs. */
static void t14_on_error_open(void)
{
	const char *env[] = { "SIGSYS_ON_ERROR=open", NULL };
	const char *args[] = { "status", NULL };
	struct ctx c;

	if (setup(&c, "open", NULL))
		{ CHECK(0, "setup"); return; }
	if (live_run(c.policy, c.spool, env, args, &c.run) != 0)
		{ CHECK(0, "run"); return; }
	CHECK(exited0(&c.run), "status %#x", c.run.status);
	CHECK(live_field(c.run.out, "seccomp") == 0, "%s", c.run.out);
	CHECK(strstr(c.run.err, "sigsys: ") && strstr(c.run.err, "unfiltered"), "%s", c.run.err);
}

/* 15: audit vfork (trapped): runs as fork, the child's _exit status comes
 * back, the event has the child's pid as result. */
static void t15_audit_vfork(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "vfork:errno:1",
			     NULL };
	const char *args[] = { "vfork", NULL };
	struct ctx c;

	if (setup(&c, "vfork", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "vfork_child_status") == 7, "%#x %s",
	      c.run.status, c.run.out);
	CHECK(c.rings.n == 1 && c.rings.ev[0].nr == SYS_vfork && c.rings.ev[0].ret > 0 &&
		      c.rings.ev[0].outcome == OUT_ALLOWED,
	      "events %zu", c.rings.n);
	live_rings_free(&c.rings);
}

/* 16: audit clone with a new stack (a thread made by glibc's clone()): the
 * child starts on its own stack at the trapped rip (clone trampoline). */
static void t16_audit_clone_thread(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "clone:errno:1",
			     NULL };
	const char *args[] = { "rawclone", NULL };
	struct ctx c;

	if (setup(&c, "clone", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "status %#x %s", c.run.status, c.run.out);
	CHECK(live_field(c.run.out, "flag") == 42 && live_field(c.run.out, "sp_in_stack") == 1 &&
		      live_field(c.run.out, "clone_tid") > 0 &&
		      live_field(c.run.out, "ptid") == live_field(c.run.out, "clone_tid"),
	      "%s", c.run.out);
	CHECK(c.rings.n == 1 && c.rings.ev[0].nr == SYS_clone &&
		      c.rings.ev[0].ret == live_field(c.run.out, "clone_tid"),
	      "events %zu", c.rings.n);
	live_rings_free(&c.rings);
}

/* 17: audit posix_spawn: the child (glibc: clone(CLONE_VM|CLONE_VFORK) on
 * its own stack) execs a dynamic binary that gets the handler back and
 * reports its trapped calls into its own ring; the parent's status comes
 * back.  (A trapped execve in the spawn child: 31.) */
static void t17_audit_spawn(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "getppid:errno:1",
			     NULL };
	const char *args[] = { "spawn", NR_GETPPID, NULL };
	struct ctx c;
	int getppids = 0;

	if (setup(&c, "spawn", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "spawn_child_status") == 0, "%#x %s %s",
	      c.run.status, c.run.out, c.run.err);
	for (size_t i = 0; i < c.rings.n; i++)
		getppids += c.rings.ev[i].nr == SYS_getppid && c.rings.ev[i].ret > 0 &&
			    c.rings.ev[i].outcome == OUT_ALLOWED;
	CHECK(c.rings.n_rings == 2 && getppids == 1, "rings %d getppid %d", c.rings.n_rings,
	      getppids);
	CHECK(live_field(c.run.out, "ret") > 0 && live_field(c.run.out, "filters") == 1, "%s",
	      c.run.out);
	live_rings_free(&c.rings);
}

/* 18: pthread_create in audit mode while clone and clone3 are reported
 * only where it is possible: glibc blocks every signal around clone, so a
 * trapped clone there would be fatal; threads must still come up when the
 * profile leaves them alone and traps other calls. */
static void t18_audit_pthread(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "getppid:errno:1",
			     NULL };
	const char *args[] = { "pthread", NULL };
	struct ctx c;

	if (setup(&c, "pthread", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "thread_tid") > 0, "%#x %s", c.run.status,
	      c.run.out);
	live_rings_free(&c.rings);
}

/* 19: a small alternate stack (SA_ONSTACK): the handler fits. */
static void t19_altstack(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "altstack", NR_GETPRIORITY, NULL };
	struct ctx c;

	if (setup(&c, "alt", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "ret") == -13, "%#x %s", c.run.status,
	      c.run.out);
	CHECK(c.rings.n == 1, "events %zu", c.rings.n);
	live_rings_free(&c.rings);
}

/* 20: audit mode with sigaltstack trapped: the re-issued call sticks, a
 * query made outside any handler does not report SS_ONSTACK although our
 * handler answers it from the alternate stack, and one made inside an
 * SA_ONSTACK handler does (judged from the trapped stack pointer: the
 * frame's uc_stack.ss_flags does not say). */
static void t20_audit_sigaltstack(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule",
			     "sigaltstack:errno:1", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "altstack", NR_GETPRIORITY, NULL };
	struct ctx c;
	int alts = 0;

	if (setup(&c, "audit-alt", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "altstack_set") == 1 &&
		      live_field(c.run.out, "onstack") == 0 &&
		      live_field(c.run.out, "handler_onstack") == 1,
	      "%#x %s", c.run.status, c.run.out);
	for (size_t i = 0; i < c.rings.n; i++)
		alts += c.rings.ev[i].nr == SYS_sigaltstack && c.rings.ev[i].ret == 0;
	CHECK(alts >= 2, "sigaltstack events %d", alts);
	live_rings_free(&c.rings);
}

/* 21: audit mode, rt_sigaction(SIGSYS) made without libc: recorded as the
 * application's handler (it gets its raise), ours stays installed (the denied
 * call is still reported and executed). */
static void t21_audit_raw_sigaction(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule",
			     "rt_sigaction:errno:1", "--rule", "getppid:errno:13", NULL };
	const char *args[] = { "rawsigaction", NR_GETPPID, NULL };
	struct ctx c;

	if (setup(&c, "audit-rawsa", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "%#x %s", c.run.status, c.run.out);
	CHECK(live_field(c.run.out, "query_is_app") == 1 &&
		      live_field_after(c.run.out, "denied ", "ret") == getpid() &&
		      live_field(c.run.out, "hits") == 1 && live_field(c.run.out, "code") == SI_TKILL &&
		      live_field(c.run.out, "inner_ret") == getpid(),
	      "%s", c.run.out);
	live_rings_free(&c.rings);
}

/* 22: the profile's TRAP with no application handler: killed by SIGSYS,
 * as the kernel would, after the event is in the ring. */
static void t22_trap_no_handler(void)
{
	kill_case("trap-dfl", "getpriority:trap", SIGSYS_ACT_TRAP);
}

/* 23: KILL_THREAD in a multi-threaded process: the event is recorded with
 * the killed thread's tid, that thread dies, the process goes on. */
static void t23_kill_thread_only(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:kill_thread", NULL };
	const char *args[] = { "killthread", NR_GETPRIORITY, NULL };
	struct ctx c;

	if (setup(&c, "killt-mt", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "survived") == 1 &&
		      live_field(c.run.out, "killed_tid") > 0,
	      "%#x %s", c.run.status, c.run.out);
	CHECK(c.rings.n == 1 && c.rings.ev[0].outcome == OUT_KILLED &&
		      c.rings.ev[0].action == SIGSYS_ACT_KILL_THREAD &&
		      c.rings.ev[0].tid == live_field(c.run.out, "killed_tid") &&
		      c.rings.ev[0].tid != c.rings.ev[0].pid,
	      "events %zu", c.rings.n);
	live_rings_free(&c.rings);
}

/* 31: audit posix_spawn with execve itself trapped.  glibc's spawn child
 * resets the handlers of the signals blocked at clone time; SIGSYS is never
 * blocked any more (the prologue traps glibc's block-all rt_sigprocmask), so
 * our handler stays and the child's trapped execve is re-issued; the exec'd
 * image reports into its own ring. */
static void t34_audit_spawn_exec_trapped(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "execve:errno:1",
			     "--rule", "getppid:errno:1", NULL };
	const char *args[] = { "spawn", NR_GETPPID, NULL };
	struct ctx c;
	int execs = 0, getppids = 0;

	if (setup(&c, "spawn-exec", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "spawn_child_status") == 0, "%#x %s %s",
	      c.run.status, c.run.out, c.run.err);
	for (size_t i = 0; i < c.rings.n; i++) {
		execs += c.rings.ev[i].nr == SYS_execve && c.rings.ev[i].outcome == OUT_ALLOWED;
		getppids += c.rings.ev[i].nr == SYS_getppid && c.rings.ev[i].ret > 0;
	}
	CHECK(c.rings.n_rings == 2 && execs == 1 && getppids == 1, "rings %d execve %d getppid %d",
	      c.rings.n_rings, execs, getppids);
	live_rings_free(&c.rings);
}

/* Calls of nr per pid over every ring (count records included), and the
 * number of full events among them. */
static uint64_t calls_of(const struct live_rings *r, int32_t nr, uint32_t pid, size_t *full)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct live_ev *e = &r->ev[i];

		if (e->nr != nr || (pid && e->pid != pid))
			continue;
		n += e->repeat ? e->repeat : 1;
		if (full)
			*full += !e->repeat;
	}
	return n;
}

/* 35: 8 threads x 10000 denied calls from one call site into a ring of
 * 8192 records: the first few are full events, the rest are counted in the
 * ring's hot-loop table; count records bring the total to exactly 80000,
 * nothing dropped, and each count record carries the template's fields. */
static void t35_threads_counted(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "loop", NR_GETPRIORITY, "10000", "8", "-13", NULL };
	struct ctx c;
	size_t full = 0, bad_counts = 0;
	int nt = 0;

	if (setup(&c, "threads-counted", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "status %#x %s", c.run.status, c.run.err);
	for (const char *p = strstr(c.run.out, "tid="); p; p = strstr(p + 1, "\ntid="))
		nt += live_field(p, "bad") == 0;
	CHECK(nt == 8, "threads without wrong returns: %d", nt);
	CHECK(c.rings.bad == 0 && c.rings.dropped == 0, "bad %d dropped %llu", c.rings.bad,
	      (unsigned long long)c.rings.dropped);
	CHECK(calls_of(&c.rings, 140, 0, &full) == 80000, "calls %llu",
	      (unsigned long long)calls_of(&c.rings, 140, 0, NULL));
	CHECK(c.rings.calls == 80000, "all calls %llu", (unsigned long long)c.rings.calls);
	/* At least the first SIGSYS_RING_HOT_FULL are full events (a thread
	 * that finds the template unpublished writes one more). */
	CHECK(full >= SIGSYS_RING_HOT_FULL && full < 100, "full events %zu", full);
	CHECK(c.rings.n_counts >= 1, "count records %zu", c.rings.n_counts);
	for (size_t i = 0; i < c.rings.n; i++) {
		const struct live_ev *e = &c.rings.ev[i];

		if (e->repeat)
			bad_counts += !(e->nr == 140 && e->outcome == OUT_DENIED && e->errno_ret == 13 &&
					e->ip == c.rings.ev[0].ip && e->pid == c.rings.ev[0].pid &&
					e->action == SIGSYS_ACT_ERRNO && e->seq == i);
	}
	CHECK(bad_counts == 0, "%zu count records with wrong fields", bad_counts);
	live_rings_free(&c.rings);
}

/* 36: fork: 3 children inherit the mapped ring and its counters; each of
 * the 4 processes makes 2 x 5000 denied calls from the same site.  Counts
 * are kept per pid: exactly 10000 per process, 40000 in all, no drops. */
static void t36_fork_counted(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "hotfork", NR_GETPRIORITY, "5000", "2", "3", "-13", NULL };
	struct ctx c;
	int np = 0;

	if (setup(&c, "fork-counted", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "hotfork_bad") == 0, "status %#x %s",
	      c.run.status, c.run.out);
	CHECK(c.rings.n_rings == 1 && c.rings.dropped == 0, "rings %d dropped %llu",
	      c.rings.n_rings, (unsigned long long)c.rings.dropped);
	for (const char *p = strstr(c.run.out, "proc pid="); p; p = strstr(p + 1, "proc pid=")) {
		uint32_t pid = (uint32_t)live_field(p, "pid");

		CHECK(calls_of(&c.rings, 140, pid, NULL) == 10000, "pid %u: %llu calls", pid,
		      (unsigned long long)calls_of(&c.rings, 140, pid, NULL));
		np++;
	}
	CHECK(np == 4, "processes %d", np);
	CHECK(calls_of(&c.rings, 140, 0, NULL) == 40000, "calls %llu",
	      (unsigned long long)calls_of(&c.rings, 140, 0, NULL));
	live_rings_free(&c.rings);
}

/* 37: exec: the counters of the first image stay in its ring; the new image
 * starts a new ring with its own.  5000 + 5000 calls, exact in each. */
static void t37_exec_counted(void)
{
	const char *mk[] = { "--default", "allow", "--rule", "getpriority:errno:13", NULL };
	const char *args[] = { "hotexec", NR_GETPRIORITY, "5000", "-13", NULL };
	struct ctx c;
	uint64_t first = 0;
	size_t i;

	if (setup(&c, "exec-counted", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run), "status %#x %s %s", c.run.status, c.run.out, c.run.err);
	CHECK(c.rings.n_rings == 2 && c.rings.dropped == 0, "rings %d dropped %llu",
	      c.rings.n_rings, (unsigned long long)c.rings.dropped);
	/* Events are listed ring by ring; each ring's seqs start at 0. */
	for (i = 0; i < c.rings.n && (i == 0 || c.rings.ev[i].seq != 0); i++)
		if (c.rings.ev[i].nr == 140)
			first += c.rings.ev[i].repeat ? c.rings.ev[i].repeat : 1;
	CHECK(first == 5000 && calls_of(&c.rings, 140, 0, NULL) == 10000, "first ring %llu, all %llu",
	      (unsigned long long)first, (unsigned long long)calls_of(&c.rings, 140, 0, NULL));
	live_rings_free(&c.rings);
}

/* 38: audit mode, counted calls handed off to the trusted syscall after
 * the handler returns, on a thread without an alternate stack (the words
 * go in the dead signal frame) and with one (below the red zone): results
 * are right, a call blocked that way sits at the trusted instruction under
 * the application's mask (not the handler's all-blocked one) and returns
 * straight to the application's call site (not into the handler: no
 * re-issue), a signal interrupts it, SA_RESTART restarts it (then it
 * returns the byte written later) and without SA_RESTART it fails with
 * EINTR - as without sigsys.  Every call is in the ring's totals. */
static void t38_audit_handoff_signals(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "read:errno:1",
			     NULL };
	static const struct {
		const char *restart, *altstack;
		long ret;
		int byte;
	} cases[] = {
		{ "1", "0", 1, 'z' },
		{ "0", "0", -EINTR, 0 },
		{ "1", "1", 1, 'z' },
		{ "0", "1", -EINTR, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[] = { "hotblock", cases[i].restart, cases[i].altstack, NULL };
		unsigned long long blk, pc;
		size_t full = 0, events = 0;
		struct ctx c;

		if (setup(&c, "handoff", mk) || run(&c, NULL, args))
			{ CHECK(0, "setup"); return; }
		blk = strtoull(strstr(c.run.out, "blk=") ? strstr(c.run.out, "blk=") + 4 : "0", NULL, 16);
		pc = strtoull(strstr(c.run.out, "pc=") ? strstr(c.run.out, "pc=") + 3 : "0", NULL, 16);
		CHECK(exited0(&c.run) && live_field(c.run.out, "warm_bad") == 0, "%#x %s",
		      c.run.status, c.run.out);
		CHECK(live_field(c.run.out, "ret") == cases[i].ret &&
			      live_field(c.run.out, "byte") == cases[i].byte &&
			      live_field(c.run.out, "sigs") == 1 &&
			      live_field(c.run.out, "returns_to_raw6") == 1,
		      "restart %s altstack %s: %s", cases[i].restart, cases[i].altstack, c.run.out);
		CHECK(!(blk & (1ull << (SIGUSR2 - 1))) && blk != ~0ull && !(blk & (1ull << (SIGSYS - 1))),
		      "mask while blocked: %#llx", blk);
		/* At the trusted page (trusted_page.h range), not in libc. */
		CHECK(pc >= 0x100000000000ull && pc < 0x100000000000ull + (1ull << 36),
		      "pc of the blocked read %#llx", pc);
		/* The workload's own 9 reads: 4 full events, 5 counted (plus the
		 * helper's libc reads, from another site). */
		for (size_t k = 0; k < c.rings.n; k++) {
			const struct live_ev *e = &c.rings.ev[k];

			if (e->nr == 0 && e->ip == c.rings.ev[0].ip) {
				full += e->repeat ? e->repeat : 1;
				events += !e->repeat;
			}
		}
		/* 5 counted: the blocking one went through the handoff. */
		CHECK(c.rings.ev[0].nr == 0 && full == 9 && events == SIGSYS_RING_HOT_FULL,
		      "reads from the loop's site: %zu, full events %zu", full, events);
		live_rings_free(&c.rings);
	}
}

/* 39: audited calls handed off keep the full register state: ymm0 across
 * 8 x 40 getppid() calls (32 of each 40 handed off), at every alignment of
 * the signal frame's xsave area on the application's stack.  A hand-off
 * that wrote into that frame (below the red zone, with no alternate stack)
 * would make rt_sigreturn restore damaged extended state.  And 320 more
 * from a second site with the general registers checked: what a real
 * `syscall` leaves (arguments, rbx and r12-r14 kept, rcx = the next
 * instruction, r11 = the call's rflags, rax = the result), whatever the
 * hand-off set for its own return (arch.h sigsys_uc_handoff). */
static void t39_audit_handoff_keeps_registers(void)
{
	const char *mk[] = { "--mode", "audit", "--default", "allow", "--rule", "getppid:errno:1",
			     NULL };
	const char *args[] = { "hotregs", "40", NULL };
	struct ctx c;

	if (setup(&c, "handoff-regs", mk) || run(&c, NULL, args))
		{ CHECK(0, "setup"); return; }
	CHECK(exited0(&c.run) && live_field(c.run.out, "regs_bad") == 0 &&
		      live_field(c.run.out, "gprs_bad") == 0,
	      "%#x %s %s", c.run.status, c.run.out, c.run.err);
	CHECK(calls_of(&c.rings, 110, 0, NULL) == 640, "calls %llu",
	      (unsigned long long)calls_of(&c.rings, 110, 0, NULL));
	live_rings_free(&c.rings);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "01-enforce-errno", t01_enforce_errno },
	{ "02-audit-executes", t02_audit_executes },
	{ "03-kill-process", t03_kill_process },
	{ "04-kill-thread", t04_kill_thread },
	{ "05-log", t05_log },
	{ "06-threads-80k", t06_threads_all },
	{ "07-threads-dropped", t07_threads_dropped },
	{ "08-fork", t08_fork },
	{ "09-exec-enforce", t09_exec_enforce },
	{ "10-exec-audit", t10_exec_audit },
	{ "11-app-handler", t11_app_handler },
	{ "12-profile-trap", t12_profile_trap },
	{ "13-bad-policy", t13_bad_policy },
	{ "14-on-error-open", t14_on_error_open },
	{ "15-audit-vfork", t15_audit_vfork },
	{ "16-audit-clone-thread", t16_audit_clone_thread },
	{ "17-audit-posix-spawn", t17_audit_spawn },
	{ "18-audit-pthread", t18_audit_pthread },
	{ "19-altstack", t19_altstack },
	{ "20-audit-sigaltstack", t20_audit_sigaltstack },
	{ "21-audit-raw-sigaction", t21_audit_raw_sigaction },
	{ "22-trap-no-handler", t22_trap_no_handler },
	{ "23-kill-thread-only", t23_kill_thread_only },
	{ "24-exec-audit-bootstrap", t24_exec_audit_bootstrap },
	{ "25-audit-clone3", t25_audit_clone3 },
	{ "26-audit-pthreads-learn", t26_audit_pthreads_learn },
	{ "27-relative-paths", t27_relative_paths },
	{ "28-foreign-arch", t28_foreign_arch },
	{ "29-enforce-clone3-docker", t29_enforce_clone3_docker },
	{ "30-audit-blocking-call", t30_audit_blocking_call },
	{ "31-exec-other-libc", t31_exec_other_libc },
	{ "32-enforce-docker-clone-rules", t32_enforce_docker_clone_rules },
	{ "33-raw-fork", t33_raw_fork },
	{ "34-audit-spawn-exec-trapped", t34_audit_spawn_exec_trapped },
	{ "35-threads-counted", t35_threads_counted },
	{ "36-fork-counted", t36_fork_counted },
	{ "37-exec-counted", t37_exec_counted },
	{ "38-audit-handoff-signals", t38_audit_handoff_signals },
	{ "39-audit-handoff-keeps-registers", t39_audit_handoff_keeps_registers },
};

static const char *test_name(size_t i)
{
	return tests[i].name;
}

static void test_run(size_t i)
{
	tests[i].fn();
}

int main(int argc, char **argv)
{
	int first = 1;

	/* --musl: the same cases against the musl-gcc build of the workload. */
	if (argc > 1 && strcmp(argv[1], "--musl") == 0) {
		first = 2;
		live_workload = SIGSYS_WORKLOAD_MUSL;
		if (!live_workload[0] || access(live_workload, X_OK) != 0) {
			printf("FAIL no musl workload (%s): musl-gcc was not found when the tests "
			       "were configured; install musl-tools (bash scripts/setup.sh)\n",
			       live_workload[0] ? live_workload : "not built");
			return 1;
		}
	}
	return live_run_cases(sizeof(tests) / sizeof(tests[0]), test_name, test_run, argc, argv, first);
}
