/*
 * live_wl.c - the workload the live preload tests run under libsigsys.so.
 * One command per run (argv[1]); results go to stdout as key=value lines the
 * tests parse.  Syscalls under test are issued with an inline `syscall` whose
 * following address is exported (wl_after_syscall), so a test can check the
 * exact call address the handler recorded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Built with musl-gcc too, whose include path has no kernel headers. */
#define WL_FUTEX_WAIT 0 /* FUTEX_WAIT, linux/futex.h */

extern char **environ;
extern const char wl_after_syscall[];
extern long wl_ctor_ppid, wl_ctor_prio, wl_ctor_prio_errno; /* live_ctor.c */

__attribute__((noipa)) static long raw6(long nr, long a0, long a1, long a2, long a3, long a4,
					   long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;

	__asm__ volatile("syscall\n"
			 ".globl wl_after_syscall\n"
			 "wl_after_syscall:\n"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static long num(const char *s)
{
	return strtol(s, NULL, 0);
}

static int status_field(const char *key)
{
	char buf[8192], *p;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, key);
	return p ? atoi(p + strlen(key)) : -1;
}

static void print_raw(const char *who, long nr, long *a)
{
	long ret;

	errno = 4242; /* the handler must not change it */
	ret = raw6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	printf("%sret=%ld errno=%d pid=%d tid=%d ip=%#lx filters=%d ctor_ppid=%ld ctor_prio=%ld "
	       "ctor_prio_errno=%ld\n",
	       who, ret, errno, getpid(), gettid(), (unsigned long)wl_after_syscall,
	       status_field("Seccomp_filters:"), wl_ctor_ppid, wl_ctor_prio, wl_ctor_prio_errno);
	fflush(stdout);
}

/* ---- threads ---- */
struct loop_arg {
	long nr, n, expect;
	int tid;
	long bad;
};

static void *loop_thread(void *p)
{
	struct loop_arg *a = p;

	a->tid = gettid();
	for (long i = 0; i < a->n; i++)
		if (raw6(a->nr, i, 0, 0, 0, 0, 0) != a->expect)
			a->bad++;
	return NULL;
}

static int cmd_loop(char **v)
{
	long nr = num(v[0]), n = num(v[1]), threads = num(v[2]), expect = num(v[3]);
	struct loop_arg args[64];
	pthread_t th[64];

	if (threads > 64)
		return 2;
	for (long t = 0; t < threads; t++) {
		args[t] = (struct loop_arg){ .nr = nr, .n = n, .expect = expect };
		if (pthread_create(&th[t], NULL, loop_thread, &args[t]) != 0)
			return 3;
	}
	for (long t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		printf("tid=%d bad=%ld\n", args[t].tid, args[t].bad);
	}
	return 0;
}

/*
 * hotfork NR N THREADS FORKS EXPECT: FORKS children, then every process
 * (parent included) runs `loop` with THREADS threads of N calls each.  All
 * share the parent's ring (MAP_SHARED, inherited): hot-loop counts per pid.
 */
static int cmd_hotfork(char **v)
{
	long forks = num(v[3]);
	char *lv[] = { v[0], v[1], v[2], v[4], NULL };
	pid_t kids[64];
	int st, bad = 0;

	if (forks > 64)
		return 2;
	fflush(stdout);
	for (long k = 0; k < forks; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			int r;

			printf("proc pid=%d\n", getpid());
			r = cmd_loop(lv);
			fflush(stdout); /* _exit flushes nothing */
			_exit(r);
		}
	}
	printf("proc pid=%d\n", getpid());
	bad |= cmd_loop(lv);
	for (long k = 0; k < forks; k++)
		bad |= waitpid(kids[k], &st, 0) != kids[k] || !WIFEXITED(st) || WEXITSTATUS(st);
	printf("hotfork_bad=%d\n", bad);
	return bad;
}

/* hotexec NR N EXPECT: N calls, then exec this binary for N more (`loop`,
 * one thread): the new image writes a new ring with its own counters. */
static int cmd_hotexec(char **v)
{
	char *args[] = { "/proc/self/exe", "loop", v[0], v[1], "1", v[2], NULL };
	char *lv[] = { v[0], v[1], "1", v[2], NULL };

	if (cmd_loop(lv))
		return 1;
	fflush(stdout);
	execve("/proc/self/exe", args, environ);
	perror("execve");
	return 1;
}

/* ---- the application's own SIGSYS handler ---- */
static volatile sig_atomic_t app_hits, app_code, app_errno, app_syscall;
static volatile long app_nr, app_inner_ret;

static void app_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	app_hits++;
	app_code = si->si_code;
	app_errno = si->si_errno;
	app_syscall = si->si_syscall;
	/* A denied call inside the application's own SIGSYS handler. */
	if (si->si_code != 1 /* SYS_SECCOMP */)
		app_inner_ret = raw6(app_nr, 0, 0, 0, 0, 0, 0);
}

/* Another signal's handler, installed with a full mask, making a denied
 * call: SIGSYS must not be blocked there. */
static volatile long usr1_ret = 1;

static void usr1_handler(int sig)
{
	(void)sig;
	usr1_ret = raw6(app_nr, 0, 0, 0, 0, 0, 0);
}

static volatile sig_atomic_t sysv_hits;

static void sysv_handler(int sig)
{
	(void)sig;
	sysv_hits++;
}

static int cmd_apphandler(char **v)
{
	struct sigaction sa, got;
	sigset_t block, now;
	long a[6] = { 0 };
	long nr = num(v[0]);

	app_nr = nr;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sigfillset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("usr1_inner_ret=%ld\n", (long)usr1_ret);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_handler;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return 2;
	sigaction(SIGSYS, NULL, &got);
	printf("query_is_app=%d\n", got.sa_sigaction == app_handler);
	print_raw("denied1 ", nr, a);
	printf("hits_after_denied=%d\n", (int)app_hits);
	raise(SIGSYS);
	printf("hits_after_raise=%d code=%d inner_ret=%ld\n", (int)app_hits, (int)app_code,
	       (long)app_inner_ret);
	kill(getpid(), SIGSYS);
	printf("hits_after_kill=%d code=%d\n", (int)app_hits, (int)app_code);
	sigemptyset(&block);
	sigaddset(&block, SIGSYS);
	sigprocmask(SIG_BLOCK, &block, NULL);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("sigsys_blocked=%d\n", sigismember(&now, SIGSYS));
	print_raw("denied2 ", nr, a);
	signal(SIGSYS, SIG_IGN);
	raise(SIGSYS);
	printf("survived_ignored_raise=1\n");
	/* The System V API goes through glibc internals, not sigaction. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	sighold(SIGSYS);
	print_raw("denied3 ", nr, a);
	sigset(SIGSYS, sysv_handler);
	raise(SIGSYS);
#pragma GCC diagnostic pop
	printf("sysv_hits=%d\n", (int)sysv_hits);
	return 0;
}

/* The profile's own TRAP action, delivered to the application's handler. */
static int cmd_apptrap(char **v)
{
	struct sigaction sa;
	long a[6] = { 0 };

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_handler;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return 2;
	print_raw("", num(v[0]), a);
	printf("hits=%d code=%d si_errno=%d si_syscall=%d\n", (int)app_hits, (int)app_code,
	       (int)app_errno, (int)app_syscall);
	return 0;
}

/* rt_sigaction(SIGSYS) without libc (the interposer does not see it). */
static int cmd_rawsigaction(char **v)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} ksa = { (void *)app_handler, SA_SIGINFO | 0x04000000 /* SA_RESTORER */, NULL, 0 }, old;
	long a[6] = { 0 };

	app_nr = num(v[0]);
	if (syscall(SYS_rt_sigaction, SIGSYS, &ksa, NULL, 8) != 0)
		return 2;
	if (syscall(SYS_rt_sigaction, SIGSYS, NULL, &old, 8) != 0)
		return 3;
	printf("query_is_app=%d\n", old.handler == (void *)app_handler);
	print_raw("denied ", app_nr, a);
	raise(SIGSYS);
	printf("hits=%d code=%d inner_ret=%ld\n", (int)app_hits, (int)app_code, (long)app_inner_ret);
	return 0;
}

/* ---- process life ---- */
static int cmd_fork(char **v)
{
	long a[6] = { 0 };
	long nr = num(v[0]);
	int st;
	pid_t pid;

	print_raw("parent ", nr, a);
	pid = fork();
	if (pid == 0) {
		print_raw("child ", nr, a);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	print_raw("parent2 ", nr, a);
	printf("child_status=%d\n", st);
	return 0;
}

/* fork by a raw syscall: no libc atfork handler runs in the child. */
static int cmd_rawfork(char **v)
{
	long a[6] = { 0 };
	long nr = num(v[0]), pid;
	int st;

	print_raw("parent ", nr, a);
	fflush(stdout);
	pid = raw6(SYS_fork, 0, 0, 0, 0, 0, 0);
	if (pid == 0) {
		print_raw("child ", nr, a);
		_exit(0);
	}
	waitpid((pid_t)pid, &st, 0);
	print_raw("parent2 ", nr, a);
	printf("child_status=%d\n", st);
	return 0;
}

/* exec NR [PATH]: PATH (default: this binary) makes the call NR(1..6). */
static int cmd_exec(char **v)
{
	char *args[] = { "live_wl", "raw", v[0], "1", "2", "3", "4", "5", "6", NULL };
	long a[6] = { 0 };

	print_raw("before_exec ", num(v[0]), a);
	execve(v[1] ? v[1] : "/proc/self/exe", args, environ);
	perror("execve");
	return 2;
}

/* A blocking call that only a signal handler can end (the self-pipe trick
 * of libuv and friends): read() waits for the byte SIGUSR1's handler writes. */
static int self_pipe[2];

static void usr1_to_pipe(int sig)
{
	char c = (char)sig;

	(void)!write(self_pipe[1], &c, 1);
}

static int cmd_selfpipe(char **v)
{
	struct sigaction sa;
	char c = 0;
	ssize_t n;
	pid_t pid;
	int st;

	(void)v;
	if (pipe(self_pipe) != 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_to_pipe;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	pid = fork();
	if (pid == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	n = read(self_pipe[0], &c, 1);
	waitpid(pid, &st, 0);
	printf("woke=%zd sig=%d\n", n, c);
	return 0;
}

/*
 * hotblock RESTART [ALTSTACK]: audited read() from one call site; the first
 * ones are full events, later ones are handed off to the trusted syscall
 * after the handler returns.  The 9th blocks on an empty pipe; a helper
 * thread waits until the kernel shows it blocked in read, notes the blocked
 * mask, the instruction pointer of the blocked call and whether the word
 * above its stack pointer returns straight into raw6() (the hand-off's
 * frame; a call re-issued from the handler returns into the handler),
 * sends SIGUSR2 (handler with or without SA_RESTART), then (RESTART) writes
 * a byte.  ALTSTACK 1: the thread has an alternate stack (the handler runs
 * there).  Prints what the read returned, what the helper saw.
 */
static int hb_pipe[2];
static volatile sig_atomic_t hb_sigs;
static pid_t hb_tid;
static char hb_blk[64], hb_pc[32], hb_sp[32];
static uintptr_t hb_ret_at, hb_sp_at, hb_frame;
static int hb_restart;

static void hb_handler(int sig)
{
	(void)sig;
	hb_sigs++;
}

/* Field n (0-based, space-separated) of a /proc file's first line. */
static int proc_field(const char *path, const char *key, int n, char *out, size_t len)
{
	char buf[1024], *p;
	int fd = open(path, O_RDONLY), i;
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	p = key ? strstr(buf, key) : buf;
	if (!p)
		return -1;
	if (key)
		p += strlen(key);
	for (i = 0; i < n && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	while (*p == '\t' || *p == ' ')
		p++;
	for (i = 0; i + 1 < (int)len && p[i] && p[i] != ' ' && p[i] != '\n'; i++)
		out[i] = p[i];
	out[i] = 0;
	return 0;
}

static void *hb_helper(void *arg)
{
	char path[128], nr[16] = "";
	int spins;

	(void)arg;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)hb_tid);
	/* Wait for the kernel to show the main thread blocked in read (0);
	 * bounded, yielding: a condition, not a timed sleep. */
	for (spins = 0; spins < 10000000; spins++) {
		if (proc_field(path, NULL, 0, nr, sizeof(nr)) == 0 && !strcmp(nr, "0"))
			break;
		sched_yield();
	}
	/* "nr a0..a5 sp pc": the pc of the blocked call. */
	proc_field(path, NULL, 7, hb_sp, sizeof(hb_sp));
	proc_field(path, NULL, 8, hb_pc, sizeof(hb_pc));
	/* The word above the blocked call's stack pointer (same address
	 * space, the thread is blocked: it stays put). */
	if (strtoull(hb_sp, NULL, 16)) {
		const uintptr_t *sp = (const uintptr_t *)(uintptr_t)strtoull(hb_sp, NULL, 16);

		hb_ret_at = sp[1];
		hb_sp_at = sp[2];
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)hb_tid);
	proc_field(path, "SigBlk:", 0, hb_blk, sizeof(hb_blk));
	syscall(SYS_tgkill, getpid(), hb_tid, SIGUSR2);
	for (spins = 0; spins < 10000000 && !hb_sigs; spins++)
		sched_yield();
	if (hb_restart)
		(void)!write(hb_pipe[1], "z", 1);
	return NULL;
}

static int cmd_hotblock(char **v)
{
	struct sigaction sa;
	pthread_t th;
	char b = 0;
	long ret;
	int bad = 0;

	hb_restart = atoi(v[0]);
	if (v[1] && atoi(v[1])) {
		static char alt[64 * 1024];
		stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0 };

		if (sigaltstack(&ss, NULL) != 0)
			return 2;
	}
	if (pipe(hb_pipe) != 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hb_handler;
	sa.sa_flags = hb_restart ? SA_RESTART : 0;
	sigaction(SIGUSR2, &sa, NULL);
	if (write(hb_pipe[1], "abcdefgh", 8) != 8)
		return 2;
	for (int i = 0; i < 8; i++) {
		ret = raw6(SYS_read, hb_pipe[0], (long)&b, 1, 0, 0, 0);
		bad += ret != 1 || b != "abcdefgh"[i];
	}
	hb_tid = gettid();
	if (pthread_create(&th, NULL, hb_helper, NULL) != 0)
		return 3;
	b = 0;
	hb_frame = (uintptr_t)__builtin_frame_address(0);
	ret = raw6(SYS_read, hb_pipe[0], (long)&b, 1, 0, 0, 0);
	pthread_join(th, NULL);
	/* Handed off: the blocked call returns into raw6() with raw6's own
	 * stack pointer (just below this frame), not into the handler. */
	printf("warm_bad=%d ret=%ld byte=%d sigs=%d blk=0x%s pc=%s returns_to_raw6=%d\n", bad,
	       ret, b, (int)hb_sigs, hb_blk, hb_pc,
	       hb_ret_at > (uintptr_t)raw6 && hb_ret_at < (uintptr_t)raw6 + 256 &&
		       hb_sp_at < hb_frame && hb_sp_at + 4096 > hb_frame);
	return 0;
}

/*
 * hotregs N: N audited getppid() calls from one call site, with a pattern in
 * ymm0 across each `syscall`, at 8 stack depths 16 bytes apart (every
 * alignment of the signal frame's xsave area).  The later calls are handed
 * off: the full register state (the xsave area rt_sigreturn restores) must
 * come back intact, as it does around a real syscall.  Prints how many
 * calls lost any of ymm0's 32 bytes (regs_bad), and how many came back
 * other than a real `syscall` leaves them (gprs_bad): the argument
 * registers, rbx and r12-r14 as they were, rcx = the address after the
 * instruction, r11 = the rflags of the call, rax = the parent's pid.
 */
static int hot_gprs_bad;
static long hot_ppid;

__attribute__((noipa)) static void hotgprs(long i)
{
	uint64_t o[13];
	long ret = SYS_getppid;

	o[12] = (uint64_t)i << 8;
	/* xor sets ZF and PF and clears CF, SF and OF just before the call:
	 * r11 must come back with exactly those (a real syscall's r11 is the
	 * rflags of that moment). */
	__asm__ volatile("movq 96(%[o]), %%rdi\n\t"
			 "leaq 1(%%rdi), %%rsi\n\t"
			 "leaq 2(%%rdi), %%rdx\n\t"
			 "leaq 3(%%rdi), %%r10\n\t"
			 "leaq 4(%%rdi), %%r8\n\t"
			 "leaq 5(%%rdi), %%r9\n\t"
			 "leaq 6(%%rdi), %%r12\n\t"
			 "leaq 7(%%rdi), %%r13\n\t"
			 "leaq 8(%%rdi), %%rbx\n\t"
			 "leaq 9(%%rdi), %%r14\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "syscall\n"
			 "1:\n\t"
			 "movq %%rdi, 0(%[o])\n\t"
			 "movq %%rsi, 8(%[o])\n\t"
			 "movq %%rdx, 16(%[o])\n\t"
			 "movq %%r10, 24(%[o])\n\t"
			 "movq %%r8, 32(%[o])\n\t"
			 "movq %%r9, 40(%[o])\n\t"
			 "movq %%r12, 48(%[o])\n\t"
			 "movq %%r13, 56(%[o])\n\t"
			 "movq %%rbx, 64(%[o])\n\t"
			 "movq %%r14, 72(%[o])\n\t"
			 "movq %%r11, 80(%[o])\n\t"
			 "leaq 1b(%%rip), %%r11\n\t"
			 "subq %%r11, %%rcx\n\t"
			 "movq %%rcx, 88(%[o])"
			 : "+a"(ret)
			 : [o] "r"(o)
			 : "rcx", "r11", "rdi", "rsi", "rdx", "r8", "r9", "r10", "r12", "r13", "rbx",
			   "r14", "cc", "memory");
	for (int k = 0; k < 10; k++)
		hot_gprs_bad += o[k] != o[12] + (uint64_t)k ? 1 : 0;
	/* CF PF ZF SF OF as xor left them, bit 1 and IF as always. */
	hot_gprs_bad += (o[10] & 0xac7) != 0x246 || o[11] != 0;
	/* The first calls are full events, re-issued from the handler; the
	 * handed-off ones must return the same parent pid. */
	if (!hot_ppid)
		hot_ppid = ret;
	hot_gprs_bad += ret <= 0 || ret != hot_ppid;
}

__attribute__((noipa)) static int hotregs_at(int depth, long calls)
{
	volatile char *pad = __builtin_alloca((size_t)depth * 16 + 1);
	unsigned char in[32], out[32];
	int bad = 0;

	pad[0] = 0;
	for (long i = 0; i < calls; i++) {
		long ret = SYS_getppid;

		for (int k = 0; k < 32; k++)
			in[k] = (unsigned char)(0xa5 ^ (k * 7) ^ (int)i ^ depth);
		__asm__ volatile("vmovdqu (%[in]), %%ymm0\n\t"
				 "syscall\n\t"
				 "vmovdqu %%ymm0, (%[out])"
				 : "+a"(ret)
				 : [in] "r"(in), [out] "r"(out)
				 : "rcx", "r11", "xmm0", "memory");
		bad += memcmp(in, out, sizeof(in)) != 0;
		hotgprs(i);
	}
	return bad;
}

static int cmd_hotregs(char **v)
{
	long calls = num(v[0]);
	int bad = 0;

	if (!__builtin_cpu_supports("avx")) {
		for (long i = 0; i < calls; i++)
			hotgprs(i);
		printf("regs_bad=0 avx=0 gprs_bad=%d\n", hot_gprs_bad);
		return 0;
	}
	for (int depth = 0; depth < 8; depth++)
		bad += hotregs_at(depth, calls);
	printf("regs_bad=%d avx=1 gprs_bad=%d\n", bad, hot_gprs_bad);
	return 0;
}

/* A 32-bit syscall (int $0x80) from a 64-bit process: a foreign arch. */
static int cmd_int80(char **v)
{
	long ret, nr = num(v[0]);

	fflush(stdout);
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(7), "c"(8) : "memory");
	printf("int80_ret=%ld\n", ret);
	return 0;
}

/* Relative SIGSYS_POLICY/SIGSYS_SPOOL, then chdir and exec. */
static int cmd_cdexec(char **v)
{
	char *args[] = { "live_wl", "raw", v[0], "1", "2", "3", "4", "5", "6", NULL };

	if (chdir("/") != 0)
		return 3;
	execve("/proc/self/exe", args, environ);
	perror("execve");
	return 2;
}

static int cmd_vfork(char **v)
{
	int st = -1;
	pid_t pid;

	(void)v;
	pid = vfork();
	if (pid == 0)
		_exit(7);
	if (pid < 0)
		return 2;
	waitpid(pid, &st, 0);
	printf("vfork_child_status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static int cmd_spawn(char **v)
{
	char *args[] = { "live_wl", "raw", v[0], "0", "0", "0", "0", "0", "0", NULL };
	pid_t pid;
	int st = -1, err;

	err = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
	if (err) {
		printf("spawn_err=%d\n", err);
		return 2;
	}
	fflush(stdout);
	waitpid(pid, &st, 0);
	printf("spawn_child_status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static void *noop_thread(void *p)
{
	*(int *)p = gettid();
	return NULL;
}

static void *denied_thread(void *p)
{
	*(int *)p = gettid();
	raw6(app_nr, 0, 0, 0, 0, 0, 0); /* KILL_THREAD: never returns */
	*(int *)p = -1;
	return NULL;
}

/* KILL_THREAD in a multi-threaded process: only that thread dies. */
static int cmd_killthread(char **v)
{
	pthread_t th;
	int tid = 0;

	app_nr = num(v[0]);
	if (pthread_create(&th, NULL, denied_thread, &tid) != 0)
		return 2;
	pthread_join(th, NULL);
	printf("killed_tid=%d main_tid=%d survived=1\n", tid, gettid());
	return 0;
}

static int cmd_pthread(char **v)
{
	pthread_t th;
	int tid = 0;

	(void)v;
	if (pthread_create(&th, NULL, noop_thread, &tid) != 0)
		return 2;
	pthread_join(th, NULL);
	printf("thread_tid=%d main_tid=%d\n", tid, gettid());
	return 0;
}

/* A thread made with glibc's clone(): raw clone syscall with a new stack. */
static volatile int clone_flag;
static volatile uintptr_t clone_sp;
static char *clone_stack;

static int clone_child(void *arg)
{
	int local;

	clone_sp = (uintptr_t)&local;
	clone_flag = (int)(intptr_t)arg;
	return 0;
}

static int cmd_rawclone(char **v)
{
	size_t sz = 256 * 1024;
	pid_t ctid = 1, ptid = 0;
	int tid;

	(void)v;
	clone_stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
			   -1, 0);
	if (clone_stack == MAP_FAILED)
		return 2;
	tid = clone(clone_child, clone_stack + sz,
		    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			    CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
		    (void *)(intptr_t)42, &ptid, NULL, &ctid);
	if (tid < 0) {
		printf("clone_err=%d\n", errno);
		return 3;
	}
	/* CLONE_CHILD_CLEARTID: the kernel zeroes ctid and wakes us at exit. */
	while (__atomic_load_n(&ctid, __ATOMIC_ACQUIRE) != 0)
		syscall(SYS_futex, &ctid, WL_FUTEX_WAIT, ctid, NULL, NULL, 0);
	printf("clone_tid=%d ptid=%d flag=%d sp_in_stack=%d\n", tid, ptid, clone_flag,
	       clone_sp > (uintptr_t)clone_stack && clone_sp < (uintptr_t)clone_stack + sz);
	return 0;
}

/* A small alternate stack: the handler (SA_ONSTACK) runs on it. */
static volatile sig_atomic_t alt_handler_onstack = -1;

static void alt_probe(int sig)
{
	stack_t cur;

	(void)sig;
	if (sigaltstack(NULL, &cur) == 0)
		alt_handler_onstack = !!(cur.ss_flags & SS_ONSTACK);
}

static void *alt_probe_thread(void *arg)
{
	static char big[64 * 1024];
	stack_t ss = { .ss_sp = big, .ss_size = sizeof(big), .ss_flags = 0 };

	(void)arg;
	if (sigaltstack(&ss, NULL) == 0)
		syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	return NULL;
}

static int cmd_altstack(char **v)
{
	long a[6] = { 0 };
#ifdef _SC_MINSIGSTKSZ
	long min = sysconf(_SC_MINSIGSTKSZ);
#else
	long min = MINSIGSTKSZ; /* musl: a constant */
#endif
	size_t sz = (size_t)(min > 0 ? min : MINSIGSTKSZ) + 2048;
	stack_t ss = { .ss_sp = malloc(sz), .ss_size = sz, .ss_flags = 0 };

	if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
		return 2;
	stack_t cur;

	if (sigaltstack(NULL, &cur) != 0)
		return 3;
	/* Not inside a handler: the application is not on its alt stack. */
	printf("altstack_size=%zu altstack_set=%d onstack=%d\n", sz,
	       cur.ss_sp == ss.ss_sp && cur.ss_size == sz && !(cur.ss_flags & SS_DISABLE),
	       !!(cur.ss_flags & SS_ONSTACK));
	/* Inside an SA_ONSTACK handler: it is (the kernel's answer).  On a
	 * new thread (no alternate stack yet: setting one is not a change
	 * made from our handler's stack) with room for two frames: the
	 * handler's sigaltstack traps, and the SIGSYS frame nests there. */
	pthread_t th;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alt_probe;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	if (pthread_create(&th, NULL, alt_probe_thread, NULL) != 0 || pthread_join(th, NULL) != 0)
		return 4;
	printf("handler_onstack=%d\n", (int)alt_handler_onstack);
	print_raw("", num(v[0]), a);
	return 0;
}

int main(int argc, char **argv)
{
	long a[6] = { 0 };

	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "raw") && argc >= 3) {
		for (int i = 0; i < 6 && i + 3 < argc; i++)
			a[i] = num(argv[i + 3]);
		print_raw("", num(argv[2]), a);
		return 0;
	}
	if (!strcmp(argv[1], "loop") && argc >= 6)
		return cmd_loop(argv + 2);
	if (!strcmp(argv[1], "hotfork") && argc >= 7)
		return cmd_hotfork(argv + 2);
	if (!strcmp(argv[1], "hotexec") && argc >= 5)
		return cmd_hotexec(argv + 2);
	if (!strcmp(argv[1], "apphandler") && argc >= 3)
		return cmd_apphandler(argv + 2);
	if (!strcmp(argv[1], "rawsigaction") && argc >= 3)
		return cmd_rawsigaction(argv + 2);
	if (!strcmp(argv[1], "apptrap") && argc >= 3)
		return cmd_apptrap(argv + 2);
	if (!strcmp(argv[1], "fork") && argc >= 3)
		return cmd_fork(argv + 2);
	if (!strcmp(argv[1], "rawfork") && argc >= 3)
		return cmd_rawfork(argv + 2);
	if (!strcmp(argv[1], "exec") && argc >= 3)
		return cmd_exec(argv + 2);
	if (!strcmp(argv[1], "hotblock") && argc >= 3)
		return cmd_hotblock(argv + 2);
	if (!strcmp(argv[1], "hotregs") && argc >= 3)
		return cmd_hotregs(argv + 2);
	if (!strcmp(argv[1], "selfpipe"))
		return cmd_selfpipe(argv + 2);
	if (!strcmp(argv[1], "int80") && argc >= 3)
		return cmd_int80(argv + 2);
	if (!strcmp(argv[1], "cdexec") && argc >= 3)
		return cmd_cdexec(argv + 2);
	if (!strcmp(argv[1], "vfork"))
		return cmd_vfork(argv + 2);
	if (!strcmp(argv[1], "spawn") && argc >= 3)
		return cmd_spawn(argv + 2);
	if (!strcmp(argv[1], "killthread") && argc >= 3)
		return cmd_killthread(argv + 2);
	if (!strcmp(argv[1], "pthread"))
		return cmd_pthread(argv + 2);
	if (!strcmp(argv[1], "rawclone"))
		return cmd_rawclone(argv + 2);
	if (!strcmp(argv[1], "altstack") && argc >= 3)
		return cmd_altstack(argv + 2);
	if (!strcmp(argv[1], "status")) {
		printf("seccomp=%d filters=%d\n", status_field("Seccomp:"),
		       status_field("Seccomp_filters:"));
		return 0;
	}
	return 2;
}
