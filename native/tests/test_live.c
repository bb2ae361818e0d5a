/*
 * test_live.c - filter-03 (label "live"): the evaluator against the real
 * kernel.  A forked child installs a rewritten policy with
 * prctl(PR_SET_NO_NEW_PRIVS) + seccomp(SECCOMP_SET_MODE_FILTER) and a SIGSYS
 * handler that records si_code, si_errno and si_syscall; it then makes a
 * table of syscalls from two call sites of known address (one patched in as
 * the trusted instruction, one not) and checks, for each, that the kernel
 * did exactly what sigsys_bpf_eval() predicted on the same seccomp_data:
 * allowed calls ran, trapped calls delivered si_errno == MAGIC|idx for the
 * action the table expects.  Separate children check that the reserved kill
 * numbers kill (the process, or only the calling thread), and that hand
 * written programs exercising every ALU op compute the same value in the
 * kernel as in the evaluator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "bpf_eval.h"
#include "build.h"
#include "filter_test.h"
#include "policy.h"
#include "rewrite.h"

/* Two raw syscall sites whose return addresses (the seccomp_data ip) we know. */
long ft_syscall_trusted(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
long ft_syscall_other(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern char ft_ip_trusted[], ft_ip_other[];
__asm__(".text\n"
	".globl ft_syscall_trusted\n.type ft_syscall_trusted,@function\n"
	"ft_syscall_trusted:\n"
	"  movq %rdi, %rax\n  movq %rsi, %rdi\n  movq %rdx, %rsi\n  movq %rcx, %rdx\n"
	"  movq %r8, %r10\n  movq %r9, %r8\n  movq 8(%rsp), %r9\n  syscall\n"
	".globl ft_ip_trusted\nft_ip_trusted:\n  ret\n"
	".size ft_syscall_trusted, .-ft_syscall_trusted\n"
	".globl ft_syscall_other\n.type ft_syscall_other,@function\n"
	"ft_syscall_other:\n"
	"  movq %rdi, %rax\n  movq %rsi, %rdi\n  movq %rdx, %rsi\n  movq %rcx, %rdx\n"
	"  movq %r8, %r10\n  movq %r9, %r8\n  movq 8(%rsp), %r9\n  syscall\n"
	".globl ft_ip_other\nft_ip_other:\n  ret\n"
	".size ft_syscall_other, .-ft_syscall_other\n");

static volatile int g_traps, g_code, g_errno, g_nr;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	g_traps++;
	g_code = si->si_code;
	g_errno = si->si_errno;
	g_nr = si->si_syscall;
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
}

/* Child-side reporting: no stdio buffering, the filter may deny fstat. */
static int c_fail;
static void cfail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void cfail(const char *fmt, ...)
{
	char buf[300];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	c_fail++;
	/* raw write: allowed by every policy below */
	ft_syscall_other(SYS_write, 2, (long)buf, n, 0, 0, 0);
}

static void install(const struct sock_filter *insns, uint32_t n)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = (struct sock_filter *)insns };
	struct sigaction sa;
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS kills dump core otherwise */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	if (sigaction(SIGSYS, &sa, NULL) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("install filter");
		_exit(100);
	}
}

/* ---- policies ---- */

struct policy {
	struct sock_filter insns[SIGSYS_POLICY_MAX_INSNS];
	uint32_t n;
	struct sigsys_action actions[SIGSYS_POLICY_MAX_ACTIONS];
	uint32_t n_actions;
};

static void make_policy(struct policy *p, uint32_t mode, uint32_t def, int deny_list)
{
	struct sigsys_build_opts o = { .mode = mode };
	scmp_filter_ctx ctx = seccomp_init(def);
	struct sigsys_policy pol;
	struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, 5);
	uint8_t *img;
	size_t len;
	char err[256];

	T_REQUIRE(ctx && sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	if (!deny_list) {
		T_REQUIRE(!seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 0) &&
				  !seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0) &&
				  !seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit), 0) &&
				  !seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getppid), 0) &&
				  !seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(geteuid), 1, c) &&
				  !seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(getgid), 0) &&
				  !seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(gettid), 0) &&
				  !seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(uname), 0),
			  "allow-list rules");
	}
	T_REQUIRE(!seccomp_rule_add(ctx, SCMP_ACT_ERRNO(13), SCMP_SYS(getuid), 0) &&
			  !seccomp_rule_add(ctx, SCMP_ACT_ERRNO(38), SCMP_SYS(getpid), 0),
		  "rules");
	T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s", err);
	seccomp_release(ctx);
	T_REQUIRE(sigsys_policy_check(img, len, AUDIT_ARCH_X86_64, &pol, err, sizeof(err)) == 0,
		  "%s", err);
	p->n = pol.hdr->n_insns;
	p->n_actions = pol.hdr->n_actions;
	memcpy(p->insns, pol.insns, p->n * sizeof(p->insns[0]));
	memcpy(p->actions, pol.actions, p->n_actions * sizeof(p->actions[0]));
	/* What the preload does: every trusted-ip jeq, prologue included. */
	T_REQUIRE(sigsys_policy_trust_ip(pol.hdr, p->insns, p->n,
					 (uint64_t)(uintptr_t)ft_ip_trusted) == 0, "patch");
	free(img);
}

/* ---- the call table ---- */

enum expect { ALLOW = 0, TRAP = 1 };

struct call {
	const char *what;
	long nr;
	long a0;
	int trusted;
	enum expect enforce, audit; /* for the allow-list policy */
	uint32_t kind;              /* action kind when trapped (allow-list) */
};

#define X32(nr) ((nr) | 0x40000000L)
static const struct call calls[] = {
	{ "getppid allowed", SYS_getppid, 0, 0, ALLOW, ALLOW, 0 },
	{ "getppid allowed, trusted site", SYS_getppid, 0, 1, ALLOW, ALLOW, 0 },
	{ "getuid errno", SYS_getuid, 0, 0, TRAP, TRAP, SIGSYS_ACT_ERRNO },
	{ "getuid errno, trusted", SYS_getuid, 0, 1, TRAP, ALLOW, SIGSYS_ACT_ERRNO },
	{ "getgid log", SYS_getgid, 0, 0, TRAP, TRAP, SIGSYS_ACT_LOG },
	{ "getgid log, trusted", SYS_getgid, 0, 1, ALLOW, ALLOW, SIGSYS_ACT_LOG },
	{ "getpid errno (harmless)", SYS_getpid, 0, 0, TRAP, TRAP, SIGSYS_ACT_ERRNO },
	{ "getpid errno, trusted", SYS_getpid, 0, 1, ALLOW, ALLOW, SIGSYS_ACT_ERRNO },
	{ "gettid trap", SYS_gettid, 0, 0, TRAP, TRAP, SIGSYS_ACT_TRAP },
	{ "gettid trap, trusted (harmless)", SYS_gettid, 0, 1, ALLOW, ALLOW, SIGSYS_ACT_TRAP },
	{ "uname kill -> trap", SYS_uname, 0, 0, TRAP, TRAP, SIGSYS_ACT_KILL_PROCESS },
	{ "uname kill, trusted", SYS_uname, 0, 1, TRAP, ALLOW, SIGSYS_ACT_KILL_PROCESS },
	{ "geteuid arg0 == 5", SYS_geteuid, 5, 0, ALLOW, ALLOW, 0 },
	{ "geteuid arg0 == 6: default", SYS_geteuid, 6, 0, TRAP, TRAP, SIGSYS_ACT_ERRNO },
	{ "getegid: default", SYS_getegid, 0, 0, TRAP, TRAP, SIGSYS_ACT_ERRNO },
	{ "getegid: default, trusted", SYS_getegid, 0, 1, TRAP, ALLOW, SIGSYS_ACT_ERRNO },
	{ "x32 getpid", X32(SYS_getpid), 0, 0, TRAP, TRAP, SIGSYS_ACT_KILL_THREAD },
};

static void run_calls(const struct policy *p, uint32_t mode, int deny_list)
{
	long ppid = getppid(), pid = getpid();
	uint32_t pred[sizeof(calls) / sizeof(calls[0])];
	size_t i;

	/* Predict before the filter exists: the evaluator on the same data. */
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct seccomp_data d;

		memset(&d, 0, sizeof(d));
		d.nr = (int)calls[i].nr;
		d.arch = AUDIT_ARCH_X86_64;
		d.instruction_pointer =
			(uint64_t)(uintptr_t)(calls[i].trusted ? ft_ip_trusted : ft_ip_other);
		d.args[0] = (uint64_t)calls[i].a0;
		pred[i] = sigsys_bpf_eval(p->insns, p->n, &d, NULL);
	}
	install(p->insns, p->n);
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const struct call *c = &calls[i];
		enum expect want = mode == SIGSYS_MODE_AUDIT ? c->audit : c->enforce;
		long r;
		int traps;

		/* Deny-list: only getuid and getpid are denied (getpid is harmless
		 * from the trusted site), and x32 numbers meet libseccomp's
		 * bad-arch action, as in the allow-list. */
		if (deny_list && c->nr != X32(SYS_getpid))
			want = (c->nr == SYS_getuid || c->nr == SYS_getpid) &&
					       !(c->trusted && (mode == SIGSYS_MODE_AUDIT ||
								c->nr == SYS_getpid))
				       ? TRAP
				       : ALLOW;
		g_traps = 0;
		r = (c->trusted ? ft_syscall_trusted : ft_syscall_other)(c->nr, c->a0, 0, 0, 0, 0,
									  0);
		traps = g_traps;
		if ((pred[i] == SECCOMP_RET_ALLOW) != (want == ALLOW))
			cfail("%s: evaluator predicts 0x%x, table says %s", c->what, pred[i],
			      want == ALLOW ? "allow" : "trap");
		if (pred[i] == SECCOMP_RET_ALLOW) {
			if (traps)
				cfail("%s: predicted allow, kernel trapped (si_errno 0x%x)", c->what,
				      g_errno);
			if (c->nr == SYS_getppid && r != ppid)
				cfail("%s: returned %ld, not %ld", c->what, r, ppid);
			if (c->nr == SYS_getpid && r != pid)
				cfail("%s: returned %ld, not %ld", c->what, r, pid);
			continue;
		}
		if (traps != 1 || g_code != 1 /* SYS_SECCOMP */ || g_nr != (int)c->nr ||
		    (uint32_t)g_errno != (pred[i] & SECCOMP_RET_DATA)) {
			cfail("%s: predicted 0x%x; kernel: %d traps, code %d, nr %d, si_errno 0x%x",
			      c->what, pred[i], traps, g_code, g_nr, g_errno);
			continue;
		}
		if (r != -ENOSYS)
			cfail("%s: trapped call returned %ld, not the handler's -ENOSYS", c->what, r);
		if ((pred[i] & ~SIGSYS_TRAP_INDEX_MASK) != (SECCOMP_RET_TRAP | SIGSYS_TRAP_MAGIC) ||
		    (pred[i] & SIGSYS_TRAP_INDEX_MASK) >= p->n_actions) {
			cfail("%s: 0x%x is not one of our traps", c->what, pred[i]);
			continue;
		}
		if (!deny_list && p->actions[pred[i] & SIGSYS_TRAP_INDEX_MASK].kind != c->kind)
			cfail("%s: action %s, table says %s", c->what,
			      sigsys_action_kind_name(p->actions[pred[i] & SIGSYS_TRAP_INDEX_MASK].kind),
			      sigsys_action_kind_name(c->kind));
	}
	_exit(c_fail > 100 ? 100 : c_fail);
}

static int wait_child(pid_t pid)
{
	int st;

	T_REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
	return st;
}

static void test_calls(const char *name, uint32_t mode, uint32_t def, int deny_list)
{
	static struct policy p;
	pid_t pid;
	int st;

	make_policy(&p, mode, def, deny_list);
	fflush(NULL);
	pid = fork();
	T_REQUIRE(pid >= 0, "fork");
	if (pid == 0)
		run_calls(&p, mode, deny_list);
	st = wait_child(pid);
	T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status 0x%x (%d failures)",
		name, st, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- the reserved kill numbers ---- */

static volatile int thread_survived;

static void *kill_thread_main(void *arg)
{
	(void)arg;
	ft_syscall_other(SIGSYS_NR_KILL_THREAD, 0, 0, 0, 0, 0, 0);
	thread_survived = 1;
	return NULL;
}

enum kill_case { KILL_PROC, KILL_THREAD_ALONE, KILL_THREAD_OF_MANY };

static void test_kill(const char *name, uint32_t mode, uint32_t def, int deny_list,
		      enum kill_case kc)
{
	static struct policy p;
	struct seccomp_data d;
	uint32_t pred;
	pid_t pid;
	int st;

	make_policy(&p, mode, def, deny_list);
	memset(&d, 0, sizeof(d));
	d.nr = kc == KILL_PROC ? SIGSYS_NR_KILL_PROCESS : SIGSYS_NR_KILL_THREAD;
	d.arch = AUDIT_ARCH_X86_64;
	d.instruction_pointer = (uint64_t)(uintptr_t)ft_ip_other;
	pred = sigsys_bpf_eval(p.insns, p.n, &d, NULL);
	T_CHECK(pred == (kc == KILL_PROC ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_KILL_THREAD),
		"%s: evaluator predicts 0x%x", name, pred);
	fflush(NULL);
	pid = fork();
	T_REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		pthread_t t;

		install(p.insns, p.n);
		if (kc == KILL_THREAD_OF_MANY) {
			if (pthread_create(&t, NULL, kill_thread_main, NULL) ||
			    pthread_join(t, NULL))
				_exit(50);
			_exit(thread_survived ? 51 : 0);
		}
		ft_syscall_other(d.nr, 0, 0, 0, 0, 0, 0);
		_exit(g_traps ? 52 : 53); /* survived: trapped (52) or allowed (53) */
	}
	st = wait_child(pid);
	if (kc == KILL_THREAD_OF_MANY)
		T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"%s: want only the thread killed, status 0x%x", name, st);
	else /* a lone thread's KILL_THREAD is delivered as a fatal SIGSYS too */
		T_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
			"%s: want death by SIGSYS, status 0x%x", name, st);
}

/* ---- the trusted instruction cannot switch reporting off ---- */

/* Through the harmless rt_sigaction / rt_sigprocmask at the trusted ip, code
 * in the process can ignore or block SIGSYS; the next denied call must then
 * kill (the kernel resets a forced trap signal to its default), not run. */
static void test_sigsys_off(int block)
{
	static struct policy p;
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} ksa = { SIG_IGN, 0, NULL, 0 };
	uint64_t set = 1ull << (SIGSYS - 1);
	pid_t pid;
	int st;

	make_policy(&p, SIGSYS_MODE_ENFORCE, SCMP_ACT_ERRNO(1), 0);
	fflush(NULL);
	pid = fork();
	T_REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		long r;

		install(p.insns, p.n);
		if (block)
			r = ft_syscall_trusted(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 8, 0, 0);
		else
			r = ft_syscall_trusted(SYS_rt_sigaction, SIGSYS, (long)&ksa, 0, 8, 0, 0);
		if (r != 0)
			_exit(60); /* the harmless call itself was refused */
		ft_syscall_other(SYS_getuid, 0, 0, 0, 0, 0, 0);
		_exit(g_traps ? 61 : 62);
	}
	st = wait_child(pid);
	T_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "SIGSYS %s: status 0x%x",
		block ? "blocked" : "ignored", st);
}

/* ---- ALU semantics: hand-written programs, value returned as errno ---- */

#define S(c, k) ((struct sock_filter)BPF_STMT((c), (k)))
#define J(c, k, t, f) ((struct sock_filter)BPF_JUMP((c), (k), (t), (f)))

struct alu_prog {
	const char *name;
	struct sock_filter body[8]; /* computes A from A = arg0 low, X = arg1 low */
	unsigned n;
	int no_zero_x; /* divides by X: X == 0 would kill the thread */
};

static const struct alu_prog alu_progs[] = {
	{ "add x", { S(BPF_ALU | BPF_ADD | BPF_X, 0) }, 1, 0 },
	{ "sub x", { S(BPF_ALU | BPF_SUB | BPF_X, 0) }, 1, 0 },
	{ "mul x", { S(BPF_ALU | BPF_MUL | BPF_X, 0) }, 1, 0 },
	{ "div x", { S(BPF_ALU | BPF_DIV | BPF_X, 0) }, 1, 1 },
	{ "and/or/xor x", { S(BPF_ALU | BPF_AND | BPF_X, 0), S(BPF_ALU | BPF_OR | BPF_K, 0x10203),
			    S(BPF_ALU | BPF_XOR | BPF_X, 0) }, 3, 0 },
	{ "lsh x", { S(BPF_ALU | BPF_LSH | BPF_X, 0) }, 1, 0 },
	{ "rsh x", { S(BPF_ALU | BPF_RSH | BPF_X, 0) }, 1, 0 },
	{ "neg", { S(BPF_ALU | BPF_NEG, 0) }, 1, 0 },
	{ "k ops", { S(BPF_ALU | BPF_ADD | BPF_K, 0xfffff001), S(BPF_ALU | BPF_MUL | BPF_K, 2654435761u),
		     S(BPF_ALU | BPF_DIV | BPF_K, 7), S(BPF_ALU | BPF_LSH | BPF_K, 3),
		     S(BPF_ALU | BPF_RSH | BPF_K, 1), S(BPF_ALU | BPF_SUB | BPF_K, 99) }, 6, 0 },
	{ "mem, txa, tax, len", { S(BPF_ST, 5), S(BPF_STX, 6), S(BPF_LD | BPF_MEM, 6),
				  S(BPF_LDX | BPF_MEM, 5), S(BPF_ALU | BPF_SUB | BPF_X, 0),
				  S(BPF_LDX | BPF_W | BPF_LEN, 0), S(BPF_ALU | BPF_ADD | BPF_X, 0) },
	  7, 0 },
	{ "jgt/jge/jset x", { J(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), S(BPF_ALU | BPF_ADD | BPF_K, 1000),
			      J(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1), S(BPF_ALU | BPF_ADD | BPF_K, 100),
			      J(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 1), S(BPF_ALU | BPF_ADD | BPF_K, 10),
			      J(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1), S(BPF_ALU | BPF_ADD | BPF_K, 1) },
	  8, 0 },
};

static const uint64_t alu_args[][2] = {
	{ 0, 0 }, { 1, 0 }, { 0, 1 }, { 7, 3 }, { 3, 7 }, { 0xffffffff, 1 }, { 0x80000000, 31 },
	{ 0x12345678, 32 }, { 0x12345678, 33 }, { 0xdeadbeef, 0xfeedface }, { 5, 5 },
	{ 0x100000007ull, 0x200000002ull }, /* high halves must not matter */
};

static unsigned alu_build(const struct alu_prog *a, struct sock_filter *f)
{
	unsigned n = 0, i;

	f[n++] = S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	f[n++] = J(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0);
	f[n++] = S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]));
	f[n++] = S(BPF_MISC | BPF_TAX, 0);
	f[n++] = S(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	for (i = 0; i < a->n; i++)
		f[n++] = a->body[i];
	/* Fold 32 bits into the 12 an errno can carry: A ^= A>>12 ^ A>>24. */
	f[n++] = S(BPF_ST, 0);
	f[n++] = S(BPF_ALU | BPF_RSH | BPF_K, 12);
	f[n++] = S(BPF_MISC | BPF_TAX, 0);
	f[n++] = S(BPF_LD | BPF_MEM, 0);
	f[n++] = S(BPF_ALU | BPF_XOR | BPF_X, 0);
	f[n++] = S(BPF_ST, 1);
	f[n++] = S(BPF_LD | BPF_MEM, 0);
	f[n++] = S(BPF_ALU | BPF_RSH | BPF_K, 24);
	f[n++] = S(BPF_MISC | BPF_TAX, 0);
	f[n++] = S(BPF_LD | BPF_MEM, 1);
	f[n++] = S(BPF_ALU | BPF_XOR | BPF_X, 0);
	f[n++] = S(BPF_ALU | BPF_AND | BPF_K, 0xfff);
	f[n++] = S(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO);
	f[n++] = S(BPF_RET | BPF_A, 0);
	return n;
}

static void test_alu(void)
{
	size_t p, i;

	for (p = 0; p < sizeof(alu_progs) / sizeof(alu_progs[0]); p++) {
		struct sock_filter f[64];
		unsigned n = alu_build(&alu_progs[p], f);
		char err[200];
		pid_t pid;
		int st;

		T_REQUIRE(sigsys_bpf_check(f, n, err, sizeof(err)) == 0, "%s: %s",
			  alu_progs[p].name, err);
		fflush(NULL);
		pid = fork();
		T_REQUIRE(pid >= 0, "fork");
		if (pid == 0) {
			uint32_t pred[sizeof(alu_args) / sizeof(alu_args[0])];

			for (i = 0; i < sizeof(alu_args) / sizeof(alu_args[0]); i++) {
				struct seccomp_data d;

				memset(&d, 0, sizeof(d));
				d.nr = SYS_getppid;
				d.arch = AUDIT_ARCH_X86_64;
				d.args[0] = alu_args[i][0];
				d.args[1] = alu_args[i][1];
				pred[i] = sigsys_bpf_eval(f, n, &d, NULL);
			}
			install(f, n);
			for (i = 0; i < sizeof(alu_args) / sizeof(alu_args[0]); i++) {
				long r;

				if (alu_progs[p].no_zero_x && (uint32_t)alu_args[i][1] == 0)
					continue;
				r = ft_syscall_other(SYS_getppid, (long)alu_args[i][0],
						     (long)alu_args[i][1], 0, 0, 0, 0);
				if ((pred[i] & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ERRNO ||
				    r != -(long)(pred[i] & 0xfff))
					cfail("alu %s (0x%llx, 0x%llx): evaluator 0x%x, kernel %ld",
					      alu_progs[p].name,
					      (unsigned long long)alu_args[i][0],
					      (unsigned long long)alu_args[i][1], pred[i], r);
			}
			_exit(c_fail > 100 ? 100 : c_fail);
		}
		st = wait_child(pid);
		T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "alu %s: child status 0x%x",
			alu_progs[p].name, st);
	}
}

/* Division by X == 0 ends the program with 0, i.e. KILL_THREAD. */
static void test_div_zero(void)
{
	struct sock_filter f[64];
	struct seccomp_data d;
	uint32_t at;
	unsigned n = alu_build(&alu_progs[3], f);
	pid_t pid;
	int st;

	memset(&d, 0, sizeof(d));
	d.nr = SYS_getppid;
	d.arch = AUDIT_ARCH_X86_64;
	d.args[0] = 9;
	T_CHECK(sigsys_bpf_eval(f, n, &d, &at) == SECCOMP_RET_KILL_THREAD && at == 6,
		"evaluator: div by X=0 -> kill_thread at insn 6 (got %u)", at);
	fflush(NULL);
	pid = fork();
	T_REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		install(f, n);
		ft_syscall_other(SYS_getppid, 9, 0, 0, 0, 0, 0);
		_exit(0);
	}
	st = wait_child(pid);
	T_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "kernel: div by 0, status 0x%x", st);
}

int main(void)
{
	test_calls("allow-list enforce", SIGSYS_MODE_ENFORCE, SCMP_ACT_ERRNO(1), 0);
	test_calls("allow-list audit", SIGSYS_MODE_AUDIT, SCMP_ACT_ERRNO(1), 0);
	test_calls("deny-list enforce", SIGSYS_MODE_ENFORCE, SCMP_ACT_ALLOW, 1);
	test_calls("deny-list audit", SIGSYS_MODE_AUDIT, SCMP_ACT_ALLOW, 1);
	test_kill("kill process, allow-list", SIGSYS_MODE_ENFORCE, SCMP_ACT_ERRNO(1), 0, KILL_PROC);
	test_kill("kill process, deny-list", SIGSYS_MODE_ENFORCE, SCMP_ACT_ALLOW, 1, KILL_PROC);
	test_kill("kill process, audit", SIGSYS_MODE_AUDIT, SCMP_ACT_ALLOW, 1, KILL_PROC);
	test_kill("kill lone thread", SIGSYS_MODE_ENFORCE, SCMP_ACT_ERRNO(1), 0,
		  KILL_THREAD_ALONE);
	test_kill("kill one thread of two", SIGSYS_MODE_ENFORCE, SCMP_ACT_ALLOW, 1,
		  KILL_THREAD_OF_MANY);
	test_sigsys_off(0);
	test_sigsys_off(1);
	test_alu();
	test_div_zero();
	return t_done("filter-03-live");
}
