/*
 * adv_wl.c - a hostile workload for the adversarial tests
 * (native/tests/live_adversarial.c).  Under libsigsys.so in enforce mode it
 * tries to make a call the profile denies (mkdir, mknod, umask) run anyway:
 * through the trusted page (rewritten, remapped, replaced), with other ABIs
 * (int $0x80, x32), with forged SIGSYS, by calling the handler itself, and
 * by taking SIGSYS away from the handler with raw rt_sigaction and
 * rt_sigprocmask.  One attack per run (argv[1]); it prints key=value lines
 * the test parses, and the test checks the side effect (the directory or
 * device must not exist) and the rings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define NR32_MKNOD 14
#define NR32_MKDIR 39
#define NR32_UMASK 60
#define X32_BIT 0x40000000L
#define MAGIC 0xA000

extern char **environ;

/* The trusted page from SIGSYS_INSTALLED (<hash>:<page hex>:<mode>). */
static uint64_t trusted_page(void)
{
	const char *m = getenv("SIGSYS_INSTALLED");
	const char *c = m ? strchr(m, ':') : NULL;

	return c ? strtoull(c + 1, NULL, 16) : 0;
}

/* Address of the page's `syscall` instruction (0f 05). */
static uint64_t syscall_insn(uint64_t page)
{
	const unsigned char *p = (const unsigned char *)(uintptr_t)page;

	for (int i = 0; i + 1 < 64; i++)
		if (p[i] == 0x0f && p[i + 1] == 0x05)
			return page + (uint64_t)i;
	return 0;
}

/*
 * Jump to `at` (a syscall or int $0x80 instruction followed by ret) with
 * the given registers: what code that found the page would do.  The red
 * zone is skipped so the call's return address clobbers nothing.
 */
static long jump_syscall(uint64_t at, long rax, long rdi, long rsi, long rbx, long rcx,
			 long rdx)
{
	register long r8 __asm__("r8") = 0;
	register long r9 __asm__("r9") = 0;
	register long r10 __asm__("r10") = 0;
	register uint64_t t __asm__("r12") = at; /* not rsp-relative: rsp moves */

	__asm__ volatile("sub $128, %%rsp\n\t"
			 "call *%[t]\n\t"
			 "add $128, %%rsp"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+b"(rbx), "+c"(rcx), "+d"(rdx),
			   "+r"(r8), "+r"(r9), "+r"(r10)
			 : [t] "r"(t)
			 : "r11", "memory", "cc");
	return rax;
}

/* i386 calls take 32-bit pointers: copy the path below 4 GiB. */
static char *low_copy(const char *s)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	snprintf(p, 4096, "%s", s);
	return p;
}

/* An i386 call with up to three arguments from instruction `at`. */
static long i386_call(uint64_t at, long nr, long a0, long a1, long a2)
{
	return jump_syscall(at, nr, 0, 0, a0, a1, a2);
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The denied call the normal way, through the trusted instruction: denied
 * by the handler with the profile's errno and reported. */
static void denied_mkdir(const char *tag, uint64_t insn, const char *path)
{
	long r = jump_syscall(insn, SYS_mkdir, (long)path, 0755, 0, 0, 0);

	out("%s_mkdir=%ld", tag, r);
}

static long i386_nr(const char *what)
{
	return !strcmp(what, "mknod") ? NR32_MKNOD : !strcmp(what, "umask") ? NR32_UMASK : NR32_MKDIR;
}

static long i386_attack(uint64_t insn, const char *what, const char *path)
{
	char *low = low_copy(path);
	long nr = i386_nr(what);

	if (!low)
		return -ENOMEM;
	if (nr == NR32_MKNOD)
		return i386_call(insn, nr, (long)(uintptr_t)low, S_IFCHR | 0666, 0x103 /* 1:3 */);
	if (nr == NR32_UMASK)
		return i386_call(insn, nr, 0, 0, 0);
	return i386_call(insn, nr, (long)(uintptr_t)low, 0755, 0);
}

/* 1. Rewrite the trusted `syscall` into `int $0x80` through /proc/self/mem
 * (mseal does not stop FOLL_FORCE writes) and make an i386 call there. */
static int cmd_procmem(const char *what, const char *path)
{
	uint64_t insn = syscall_insn(trusted_page());
	static const unsigned char int80[2] = { 0xcd, 0x80 };
	int fd = open("/proc/self/mem", O_RDWR);
	ssize_t n;

	if (!insn || fd < 0)
		return 2;
	n = pwrite(fd, int80, 2, (off_t)insn);
	out("patched=%d", n == 2);
	out("ret=%ld", i386_attack(insn, what, path));
	return 0;
}

/* 2. Make the page writable / move it / replace it; then the i386 call at
 * the trusted ip if that worked, and the denied call the normal way. */
static int cmd_memop(const char *op, const char *path)
{
	uint64_t page = trusted_page(), insn = syscall_insn(page);
	void *p = (void *)(uintptr_t)page;
	long r = 0;
	int staged = 0;

	if (!insn)
		return 2;
	errno = 0;
	if (!strcmp(op, "mprotect")) {
		r = mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
	} else if (!strcmp(op, "pkey_mprotect")) {
		r = syscall(SYS_pkey_mprotect, p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, -1);
	} else if (!strcmp(op, "mremap")) {
		void *q = mremap(p, 4096, 8192, MREMAP_MAYMOVE);

		r = q == MAP_FAILED ? -1 : 0;
	} else if (!strcmp(op, "mremap_fixed")) {
		void *dst = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *q = mremap(p, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, dst);

		r = q == MAP_FAILED ? -1 : 0;
	} else if (!strcmp(op, "munmap")) {
		/* Unmap, then map a page of our own at the same address. */
		r = munmap(p, 4096);
		if (r == 0 && mmap(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != p)
			r = -1;
	} else if (!strcmp(op, "map_fixed")) {
		void *q = mmap(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		r = q == MAP_FAILED ? -1 : 0;
	} else if (!strcmp(op, "madvise")) {
		r = madvise(p, 4096, MADV_DONTNEED);
	} else if (!strcmp(op, "shmat")) {
		int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		void *q = id < 0 ? (void *)-1 : shmat(id, p, SHM_REMAP);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
		r = q == (void *)-1 ? -1 : 0;
	} else {
		return 2;
	}
	out("op_ret=%ld op_errno=%d", r, r ? errno : 0);
	if (r == 0) {
		/* It worked: stage `int $0x80; ret` at the trusted address. */
		unsigned char *w = (unsigned char *)(uintptr_t)(insn & ~4095ull);

		if (mprotect(w, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == 0) {
			w[insn & 4095] = 0xcd;
			w[(insn & 4095) + 1] = 0x80;
			w[(insn & 4095) + 2] = 0xc3;
			staged = 1;
		}
	}
	out("staged=%d", staged);
	if (staged)
		out("i386_ret=%ld", i386_attack(insn, "mkdir", path));
	denied_mkdir("after", insn, path);
	return 0;
}

/* 3. An x32 call (nr | 0x40000000) from the trusted instruction. */
static int cmd_x32(const char *path)
{
	uint64_t insn = syscall_insn(trusted_page());

	if (!insn)
		return 2;
	out("ret=%ld", jump_syscall(insn, X32_BIT | SYS_mkdir, (long)path, 0755, 0, 0, 0));
	return 0;
}

/* 4. The page is not mapped: this image was exec'd without the preload
 * (environment scrubbed) and maps its own page at the trusted address. */
static int cmd_ownpage(const char *page_hex, const char *kind, const char *path)
{
	uint64_t page = strtoull(page_hex, NULL, 16);
	unsigned char *p = mmap((void *)(uintptr_t)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	/* Where the stub's `syscall` was (passed by cmd_scrubbed_exec): this
	 * copy must end its call at the trusted ip. */
	uint64_t off = strtoull(getenv("ADV_INSN_OFF") ? getenv("ADV_INSN_OFF") : "0", NULL, 0);
	long r;

	if (p == MAP_FAILED || (uint64_t)(uintptr_t)p != page) {
		out("mapped=0 errno=%d", errno);
		return 3;
	}
	out("mapped=1");
	p[off] = 0x0f;
	p[off + 1] = 0x05;
	p[off + 2] = 0xc3;
	/* What the address grants: the handler's harmless calls. */
	r = jump_syscall(page + off, SYS_getpid, 0, 0, 0, 0, 0);
	out("own_getpid_ok=%d", r == getpid());
	if (!strcmp(kind, "i386")) {
		p[off] = 0xcd;
		p[off + 1] = 0x80;
		out("ret=%ld", i386_attack(page + off, "mkdir", path));
	} else {
		out("ret=%ld", jump_syscall(page + off, SYS_mkdir, (long)path, 0755, 0, 0, 0));
	}
	return 0;
}

/* Run this binary again without the preload and its marker. */
static int cmd_scrubbed_exec(const char *kind, const char *path)
{
	uint64_t page = trusted_page(), insn = syscall_insn(page);
	char hex[32], off[32];
	char *args[] = { "adv_wl", "ownpage", hex, (char *)kind, (char *)path, NULL };
	char *env[] = { off, NULL };

	if (!insn)
		return 2;
	snprintf(hex, sizeof(hex), "%llx", (unsigned long long)page);
	snprintf(off, sizeof(off), "ADV_INSN_OFF=%llu", (unsigned long long)(insn - page));
	fflush(stdout);
	execve("/proc/self/exe", args, env);
	return 4;
}

static int sigsys_blocked(void);

/* ---- forged signals and a fake frame ---- */
static volatile sig_atomic_t app_hits, app_code;

static void app_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	app_hits++;
	app_code = si->si_code;
}

static void install_app_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
}

static void fake_info(siginfo_t *si, int idx, long nr, uint64_t call_addr)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = SIGSYS;
	si->si_code = 1; /* SYS_SECCOMP */
	si->si_errno = MAGIC | idx;
	si->si_call_addr = (void *)(uintptr_t)call_addr;
	si->si_syscall = (int)nr;
	si->si_arch = 0xc000003e;
}

/* 5. rt_sigqueueinfo to itself with a seccomp-looking siginfo whose index is
 * a LOG action (the handler would re-issue it). */
static int cmd_forge_self(const char *how, const char *logidx, const char *path)
{
	siginfo_t si;
	long r;

	(void)path; /* a re-issue would take it from the frame: rdi at the call */
	install_app_handler();
	fake_info(&si, atoi(logidx), SYS_mkdir, (uint64_t)(uintptr_t)cmd_forge_self);
	if (!strcmp(how, "thread")) /* rt_tgsigqueueinfo: only to the calling thread */
		r = syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGSYS, &si);
	else
		r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGSYS, &si);
	out("queue_ret=%ld hits=%d code=%d", r, (int)app_hits, (int)app_code);
	return 0;
}

/* 6. The same from a second thread, lined up so the frame matches: the
 * target thread spins at one instruction with rax = mkdir, rdi = path. */
extern const char adv_spin[];
static volatile pid_t spin_tid;
static int done_pipe[2];
static const char *spin_path;

static void *spinner(void *arg)
{
	int tid = gettid();

	(void)arg;
	/* Publish the tid only when the next instruction is the loop: a
	 * signal taken after the store finds rip == adv_spin. */
	__asm__ volatile("movl %[tid], %[flag]\n"
			 ".globl adv_spin\n"
			 "adv_spin: jmp adv_spin\n"
			 : [flag] "=m"(spin_tid)
			 : [tid] "r"(tid), "a"((long)SYS_mkdir), "D"(spin_path), "S"(0755L)
			 : "memory");
	return NULL;
}

/*
 * "Is the forged SIGSYS done?"  Our handler re-issues the call under the
 * application's mask, so this signal may arrive while it is still inside
 * (rip elsewhere); only back in the loop with rax changed is it done.
 */
static void rt_done(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	char c = uc->uc_mcontext.gregs[REG_RIP] == (greg_t)(uintptr_t)adv_spin &&
			 uc->uc_mcontext.gregs[REG_RAX] != SYS_mkdir
		 ? 'D'
		 : 'R';

	(void)sig;
	(void)si;
	(void)!write(done_pipe[1], &c, 1);
}

/* Returning from a handler restores the frame's mask: one with SIGSYS in
 * it blocks SIGSYS without any rt_sigprocmask (rt_sigreturn is never
 * trapped). */
static void usr2_block_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	sigaddset(&((ucontext_t *)ctx)->uc_sigmask, SIGSYS);
	/* And the signal that says "done", which the spinner must take. */
	sigaddset(&((ucontext_t *)ctx)->uc_sigmask, SIGRTMIN + 1);
}

static int cmd_forge_thread(const char *logidx, const char *path)
{
	pthread_t th;
	siginfo_t si;
	struct sigaction sa;
	char c;
	long r;

	spin_path = path;
	if (pipe(done_pipe) != 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = rt_done;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN + 1, &sa, NULL);
	pthread_create(&th, NULL, spinner, NULL);
	while (!__atomic_load_n(&spin_tid, __ATOMIC_ACQUIRE))
		sched_yield();
	/*
	 * Only the thread-group leader may queue a seccomp-looking siginfo
	 * (si_code >= 0) to its own process, and a process-directed signal
	 * goes to the sender first unless it blocks it.  So: block SIGSYS in
	 * this thread through a handler's frame, then queue; the spinner,
	 * whose frame matches (rip = adv_spin = si_call_addr, rax = mkdir),
	 * takes it.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = usr2_block_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	out("main_blocks_sigsys=%d", sigsys_blocked());
	fake_info(&si, atoi(logidx), SYS_mkdir, (uint64_t)(uintptr_t)adv_spin);
	r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGSYS, &si);
	/* Process-directed too, so it is dequeued after SIGSYS (lower numbers
	 * first; a thread-directed one would come first), and blocked here
	 * (usr2_block_sigsys) so the spinner takes it after our handler. */
	do {
		memset(&si, 0, sizeof(si));
		si.si_code = SI_QUEUE;
		syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 1, &si);
		if (read(done_pipe[0], &c, 1) != 1)
			return 3;
	} while (c == 'R');
	out("queue_ret=%ld queue_errno=%d handled=%d", r, r ? errno : 0, c == 'D');
	_exit(0); /* the spinner never returns */
}

/* 7. Another process: cannot queue a seccomp siginfo (the kernel refuses
 * si_code >= 0 to other processes); kill() is an ordinary SIGSYS. */
static int cmd_forge_other(const char *path)
{
	uint64_t insn = syscall_insn(trusted_page());
	pid_t parent = getpid(), pid;
	int st;

	install_app_handler();
	pid = fork();
	if (pid == 0) {
		siginfo_t si;
		long r;

		fake_info(&si, 0, SYS_mkdir, 0x1000);
		r = syscall(SYS_rt_sigqueueinfo, parent, SIGSYS, &si);
		out("child_queue_ret=%ld child_queue_errno=%d", r, r ? errno : 0);
		kill(parent, SIGSYS);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	out("hits=%d code=%d", (int)app_hits, (int)app_code);
	denied_mkdir("after", insn, path);
	return 0;
}

/* 8. Call the handler directly with a made-up frame that claims a LOG trap
 * of mkdir (the handler would re-issue it through the trusted page). */
static uint64_t lib_base(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	uint64_t base = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long lo, off;

		if (strstr(line, "libsigsys.so") &&
		    sscanf(line, "%llx-%*x %*s %llx", &lo, &off) == 2 && off == 0) {
			base = lo;
			break;
		}
	}
	if (f)
		fclose(f);
	return base;
}

static int cmd_jump_handler(const char *handler_off, const char *logidx, const char *path)
{
	void (*h)(int, siginfo_t *, void *);
	uint64_t base = lib_base();
	siginfo_t si;
	ucontext_t uc;

	if (!base)
		return 2;
	h = (void (*)(int, siginfo_t *, void *))(uintptr_t)(base + strtoull(handler_off, NULL, 0));
	getcontext(&uc);
	fake_info(&si, atoi(logidx), SYS_mkdir, 0x401000);
	uc.uc_mcontext.gregs[REG_RIP] = 0x401000;
	uc.uc_mcontext.gregs[REG_RAX] = SYS_mkdir;
	uc.uc_mcontext.gregs[REG_RDI] = (greg_t)(uintptr_t)path;
	uc.uc_mcontext.gregs[REG_RSI] = 0755;
	h(SIGSYS, &si, &uc);
	out("frame_rax=%lld", (long long)uc.uc_mcontext.gregs[REG_RAX]);
	return 0;
}

/* ---- raw signal calls (not through libc) ---- */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* sa_restorer for the raw rt_sigaction calls (what libc's would be). */
extern void adv_restorer(void);
__asm__(".text\n.globl adv_restorer\nadv_restorer:\n\tmov $15, %rax\n\tsyscall\n");

static volatile long usr1_ret = 1;
static const char *usr1_path;

static void usr1_handler(int sig)
{
	(void)sig;
	usr1_ret = syscall(SYS_mkdir, usr1_path, 0755);
	if (usr1_ret < 0)
		usr1_ret = -errno;
}

static int sigsys_blocked(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
	return !!(m & (1ull << (SIGSYS - 1)));
}

/* 9-12. rt_sigaction(SIGSYS, own handler | SIG_DFL | SIG_IGN),
 * rt_sigprocmask(SIG_BLOCK, SIGSYS), and another handler with a full mask,
 * each followed by the denied call. */
static int cmd_raw(const char *what, const char *path)
{
	struct ksigaction ksa = { 0 }, old = { 0 };
	long r = 0;

	if (!strcmp(what, "sigaction") || !strcmp(what, "sigaction_dfl") ||
	    !strcmp(what, "sigaction_ign")) {
		ksa.handler = !strcmp(what, "sigaction") ? (void *)app_handler
			      : !strcmp(what, "sigaction_dfl") ? SIG_DFL : SIG_IGN;
		ksa.flags = SA_SIGINFO | 0x04000000 /* SA_RESTORER */;
		ksa.restorer = (void *)adv_restorer;
		r = syscall(SYS_rt_sigaction, SIGSYS, &ksa, NULL, 8);
		syscall(SYS_rt_sigaction, SIGSYS, NULL, &old, 8);
		out("set_ret=%ld query_is_set=%d", r, old.handler == ksa.handler);
	} else if (!strcmp(what, "sigprocmask")) {
		uint64_t m = 1ull << (SIGSYS - 1);

		r = syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 8);
		out("set_ret=%ld", r);
	} else if (!strcmp(what, "fullmask")) {
		ksa.handler = (void *)usr1_handler;
		ksa.flags = 0x04000000;
		ksa.restorer = (void *)adv_restorer;
		ksa.mask = ~0ull;
		usr1_path = path;
		r = syscall(SYS_rt_sigaction, SIGUSR1, &ksa, NULL, 8);
		syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8);
		out("set_ret=%ld mask_has_sigsys=%d", r, !!(old.mask & (1ull << (SIGSYS - 1))));
		raise(SIGUSR1);
		out("in_handler_mkdir=%ld", (long)usr1_ret);
	} else {
		return 2;
	}
	out("sigsys_blocked=%d", sigsys_blocked());
	r = syscall(SYS_mkdir, path, 0755);
	out("mkdir=%ld errno=%d hits=%d", r, r ? errno : 0, (int)app_hits);
	if (!strcmp(what, "sigaction")) {
		raise(SIGSYS);
		out("hits_after_raise=%d", (int)app_hits);
	}
	return 0;
}

/*
 * tgkill to another process from the trusted instruction, with a profile
 * that denies tgkill: the victim (a child waiting on a pipe) must not get
 * the SIGKILL.  Afterwards it is ended with kill(SIGTERM), so its status
 * says which signal reached it first.  @D is created by nobody: the
 * on-disk check holds trivially; the event and victim_sig say it all.
 */
static int cmd_tgkill_other(void)
{
	uint64_t insn = syscall_insn(trusted_page());
	int fds[2], st = 0;
	pid_t victim;
	char c;
	long r;

	if (!insn || pipe(fds) < 0)
		return 3;
	victim = fork();
	if (victim == 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(fds[0]);
	r = jump_syscall(insn, SYS_tgkill, victim, victim, 0, 0, SIGKILL);
	out("tgkill_ret=%ld", r);
	kill(victim, SIGTERM);
	waitpid(victim, &st, 0);
	out("victim_sig=%d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (strcmp(argv[1], "ownpage") != 0)
		out("pid=%d", getpid());
	if (!strcmp(argv[1], "procmem") && argc >= 4)
		return cmd_procmem(argv[2], argv[3]);
	if (!strcmp(argv[1], "memop") && argc >= 4)
		return cmd_memop(argv[2], argv[3]);
	if (!strcmp(argv[1], "x32"))
		return cmd_x32(argv[2]);
	if (!strcmp(argv[1], "scrubbed") && argc >= 4)
		return cmd_scrubbed_exec(argv[2], argv[3]);
	if (!strcmp(argv[1], "ownpage") && argc >= 5)
		return cmd_ownpage(argv[2], argv[3], argv[4]);
	if (!strcmp(argv[1], "forge_self") && argc >= 5)
		return cmd_forge_self(argv[2], argv[3], argv[4]);
	if (!strcmp(argv[1], "forge_thread") && argc >= 4)
		return cmd_forge_thread(argv[2], argv[3]);
	if (!strcmp(argv[1], "forge_other"))
		return cmd_forge_other(argv[2]);
	if (!strcmp(argv[1], "jump_handler") && argc >= 5)
		return cmd_jump_handler(argv[2], argv[3], argv[4]);
	if (!strcmp(argv[1], "raw") && argc >= 4)
		return cmd_raw(argv[2], argv[3]);
	if (!strcmp(argv[1], "tgkill_other"))
		return cmd_tgkill_other();
	return 2;
}
