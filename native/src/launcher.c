/*
 * launcher.c - sigsys-exec: confine a command by the kernel from its first
 * instruction, whatever it is linked against (docs/launcher.md).
 *
 *   sigsys-exec [options] POLICY -- CMD [ARG...]
 *
 * The preload (LD_PRELOAD=libsigsys.so) only reaches dynamically linked
 * programs whose libc loads it; static binaries, Go and musl programs would
 * run with no filter.  sigsys-exec installs the filter itself before execve:
 *
 *   default   a supervisor: the command runs under the NOTIFY variant of the
 *             policy (variant.h) and this process answers and reports every
 *             denied call (supervisor.h).  With --preload the command also
 *             gets the preload, whose SIGSYS path outranks the notification
 *             (the kernel picks TRAP over USER_NOTIF) where it loads.
 *   --native  no supervisor, no preload: the profile's own program, installed
 *             as a container runtime installs it, then execve in place.
 *
 * How the listener reaches the supervisor.  The child installs the filter
 * with SECCOMP_FILTER_FLAG_NEW_LISTENER and must then exec at once: any call
 * it made in between could be one the profile denies, parked until a
 * supervisor answers.  So the child is created with CLONE_FILES (the
 * listener fd lands in the parent's fd table too; execve unshares the table
 * before it closes O_CLOEXEC fds) and CLONE_VFORK (the parent sleeps until
 * the child has exec'd or exited, and then reads the fd number from a
 * shared page).  The only calls after the filter are execve and, if it
 * fails, exit_group; sigsys-exec refuses a policy that denies either.
 *
 * Nothing runs unconfined: every failure to confine ends sigsys-exec with
 * one line on stderr and a non-zero status before CMD starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "arch/arch.h"
#include "bpf_eval.h"
#include "bpf_learn.h"
#include "policy.h"
#include "trusted_page.h"
#include "ring.h"
#include "supervisor.h"
#include "variant.h"

#include "seccomp_compat.h"

/* Exit statuses of sigsys-exec itself (docs/launcher.md). */
#define EXIT_USAGE 2
#define EXIT_CONFINE 125 /* cannot confine: nothing was started */
#define EXIT_NOEXEC 126  /* CMD found but could not be executed */
#define EXIT_NOTFOUND 127

#define POLICY_MAX_BYTES (1u << 20)

/* The preload's trusted stub, linked in for its layout only. */
long sigsys_trusted_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern const char sigsys_trusted_ip[];

extern char **environ;

static const char usage[] =
	"Usage: sigsys-exec [options] POLICY -- CMD [ARG...]\n"
	"\n"
	"Run CMD confined by the seccomp policy POLICY (from `sigsys compile`),\n"
	"installed before execve so static, Go and musl programs are confined from\n"
	"their first instruction.  Denied calls are answered by a supervisor (this\n"
	"process) as the profile says and written as events into the spool.\n"
	"\n"
	"Options:\n"
	"  --mode enforce|audit   the mode the policy was compiled for (checked;\n"
	"                         default: the policy's own)\n"
	"  --spool DIR            directory for the event rings (default $SIGSYS_SPOOL)\n"
	"  --preload LIB          also load LIB (libsigsys.so) into CMD with LD_PRELOAD,\n"
	"                         SIGSYS_POLICY and SIGSYS_SPOOL: its in-process handler\n"
	"                         takes precedence where it loads\n"
	"  --native               install the profile's own filter as a container runtime\n"
	"                         does (no supervisor, no preload, no events) and exec\n"
	"  --ring-records N       records per ring (default 8192)\n"
	"  --report-once          record each kind of denied call once for the whole\n"
	"                         tree (sigsys learn): (arch, nr), or (arch, nr,\n"
	"                         arg0 & MASK) for the calls --distinct-arg0 lists\n"
	"  --distinct-arg0 NR:MASK[,NR:MASK...]\n"
	"                         with --report-once: calls whose first argument\n"
	"                         matters (native arch numbers, masks in hex or decimal)\n"
	"  --learn-via auto|bpf|supervisor\n"
	"                         with --report-once in audit mode: how calls are seen.\n"
	"                         bpf: the kernel counts the calls of CMD's tree (eBPF\n"
	"                         on sys_enter, a cgroup v2 for the tree; the first\n"
	"                         argument of --distinct-arg0 calls read there too);\n"
	"                         only calls of other arches, calls the policy judges\n"
	"                         by their arguments and calls it answers in the kernel\n"
	"                         stop for the supervisor.\n"
	"                         supervisor: every call stops (default).\n"
	"                         auto: bpf where it can be used, else the supervisor,\n"
	"                         with one line on stderr saying why\n"
	"  --status-fd FD         write CMD's end as \"exit N\" or \"signal N\" to FD (not\n"
	"                         with --native, which execs in place), or\n"
	"                         sigsys-exec's own error as \"error STATUS MESSAGE\"\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: CMD's status; 128+N when CMD was killed by signal N (159 when\n"
	"the profile's KILL action ended it); 2 bad usage; 125 CMD could not be\n"
	"confined (policy unreadable or invalid, no seccomp user notification,\n"
	"spool unusable) and was not started; 126 CMD not executable; 127 CMD not found.\n";

struct opts {
	const char *mode, *spool, *preload, *policy;
	int native, status_fd, report_once;
	int learn_via; /* LEARN_VIA_* */
	uint32_t ring_records;
	struct sigsys_sup_once once;
	char **cmd;
};

#define LEARN_VIA_SUPERVISOR 0
#define LEARN_VIA_AUTO 1
#define LEARN_VIA_BPF 2

/* Written by the vfork child, read by the parent once it runs again. */
struct handoff {
	int listener;
	int stage; /* 0 exec'd, 1 seccomp failed, 2 execve failed, 3 no cgroup */
	int err;
};

/* The learning cgroup, removed however sigsys-exec ends (die() exits). */
static struct sigsys_bpf_learn bpf_learn;
static int bpf_on;

static void bpf_cleanup(void)
{
	char why[PATH_MAX + 64];

	if (bpf_on && sigsys_bpf_learn_stop(&bpf_learn, why, sizeof(why)) < 0)
		dprintf(2, "sigsys-exec: %s\n", why);
	bpf_on = 0;
}

/* --status-fd: a caller that reads it (sigsys run) words the error itself. */
static int status_fd = -1;

static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int status, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (status_fd >= 0)
		dprintf(status_fd, "error %d %s\n", status, line);
	else
		dprintf(2, "sigsys-exec: %s\n", line);
	exit(status);
}

static uint32_t parse_u32(const char *flag, const char *s, uint32_t lo, uint32_t hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v < lo || v > hi)
		die(EXIT_USAGE, "%s: \"%s\" is not a number in %u..%u (see --help)", flag, s, lo,
		    hi);
	return (uint32_t)v;
}

/* "NR:MASK,NR:MASK": the calls --report-once tells apart by their first argument. */
static void parse_distinct(const char *flag, const char *val, struct sigsys_sup_once *once)
{
	const char *p = val;

	while (*p) {
		unsigned long long nr, mask;
		char *end;

		if (once->n == SIGSYS_SUP_ONCE_MAX)
			die(EXIT_USAGE, "%s: more than %d entries", flag, SIGSYS_SUP_ONCE_MAX);
		errno = 0;
		nr = strtoull(p, &end, 0);
		if (errno || end == p || *end != ':' || nr > UINT32_MAX)
			die(EXIT_USAGE, "%s: \"%s\" is not NR:MASK[,NR:MASK...]", flag, val);
		p = end + 1;
		mask = strtoull(p, &end, 0);
		if (errno || end == p || (*end && *end != ',') || mask > UINT32_MAX)
			die(EXIT_USAGE, "%s: \"%s\" is not NR:MASK[,NR:MASK...]", flag, val);
		once->nr[once->n] = (uint32_t)nr;
		once->mask[once->n++] = (uint32_t)mask;
		p = *end ? end + 1 : end;
	}
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->status_fd = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else if (strcmp(a, "--native") == 0) {
			o->native = 1;
		} else if (strcmp(a, "--report-once") == 0) {
			o->report_once = 1;
		} else if (strcmp(a, "--learn-via") == 0) {
			if (!val)
				die(EXIT_USAGE, "%s needs a value (see --help)", a);
			if (strcmp(val, "auto") == 0)
				o->learn_via = LEARN_VIA_AUTO;
			else if (strcmp(val, "bpf") == 0)
				o->learn_via = LEARN_VIA_BPF;
			else if (strcmp(val, "supervisor") == 0)
				o->learn_via = LEARN_VIA_SUPERVISOR;
			else
				die(EXIT_USAGE, "--learn-via must be auto, bpf or supervisor, not \"%s\"", val);
			i++;
		} else if (strcmp(a, "--distinct-arg0") == 0) {
			if (!val)
				die(EXIT_USAGE, "%s needs a value (see --help)", a);
			parse_distinct(a, val, &o->once);
			i++;
		} else if (strcmp(a, "--mode") == 0 || strcmp(a, "--spool") == 0 ||
			   strcmp(a, "--preload") == 0 || strcmp(a, "--ring-records") == 0 ||
			   strcmp(a, "--status-fd") == 0) {
			if (!val)
				die(EXIT_USAGE, "%s needs a value (see --help)", a);
			if (strcmp(a, "--mode") == 0)
				o->mode = val;
			else if (strcmp(a, "--spool") == 0)
				o->spool = val;
			else if (strcmp(a, "--preload") == 0)
				o->preload = val;
			else if (strcmp(a, "--ring-records") == 0)
				o->ring_records = parse_u32(a, val, 1, SIGSYS_RING_MAX_RECORDS);
			else
				o->status_fd = (int)parse_u32(a, val, 0, INT_MAX);
			i++;
		} else if (strcmp(a, "--") == 0) {
			die(EXIT_USAGE, "no POLICY before \"--\" (see --help)");
		} else if (a[0] == '-' && a[1]) {
			die(EXIT_USAGE, "unknown option %s (see --help)", a);
		} else {
			o->policy = a;
			i++;
			break;
		}
	}
	if (!o->policy)
		die(EXIT_USAGE, "no POLICY given (sigsys-exec [options] POLICY -- CMD [ARG...])");
	if (i >= argc || strcmp(argv[i], "--") != 0)
		die(EXIT_USAGE, "expected \"--\" after POLICY, then the command (see --help)");
	if (i + 1 >= argc)
		die(EXIT_USAGE, "no command after \"--\"");
	o->cmd = argv + i + 1;
	if (o->mode && strcmp(o->mode, "enforce") != 0 && strcmp(o->mode, "audit") != 0)
		die(EXIT_USAGE, "--mode must be enforce or audit, not \"%s\"", o->mode);
	status_fd = o->status_fd;
	if (o->native && (o->preload || o->spool || o->ring_records || o->report_once))
		die(EXIT_USAGE, "--native takes no --preload, --spool, --ring-records or "
				"--report-once: it reports nothing");
	if (o->once.n && !o->report_once)
		die(EXIT_USAGE, "--distinct-arg0 only applies with --report-once");
	if (o->learn_via != LEARN_VIA_SUPERVISOR && !o->report_once)
		die(EXIT_USAGE, "--learn-via only applies with --report-once");
	/* The preload's trusted-ip tail reads the ip on every notifying path:
	 * the learning prefix could count nothing behind it. */
	if (o->learn_via != LEARN_VIA_SUPERVISOR && o->preload)
		die(EXIT_USAGE, "--learn-via takes no --preload (learning runs without it)");
}

static void *read_policy(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(EXIT_CONFINE, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		die(EXIT_CONFINE, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(EXIT_CONFINE, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > POLICY_MAX_BYTES)
		die(EXIT_CONFINE, "%s: %lld bytes, more than a policy can be (%u)", path,
		    (long long)st.st_size, POLICY_MAX_BYTES);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		die(EXIT_CONFINE, "%s: %s", path, strerror(ENOMEM));
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_CONFINE, "%s: %s", path, strerror(errno));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}

/* Where execve would find CMD: a path with a '/' as is, else $PATH. */
static char *resolve(const char *cmd)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *full = NULL;
	int seen_noexec = 0;

	if (strchr(cmd, '/'))
		return strdup(cmd);
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = strdup(path);
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat st;

		if (asprintf(&full, "%s/%s", *dir ? dir : ".", cmd) < 0)
			break;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(full, X_OK) == 0) {
				free(copy);
				return full;
			}
			seen_noexec = 1;
		}
		free(full);
		full = NULL;
	}
	free(copy);
	if (seen_noexec)
		die(EXIT_NOEXEC, "%s: %s", cmd, strerror(EACCES));
	die(EXIT_NOTFOUND, "%s: command not found", cmd);
}

/* Seccomp_filters of this process (0 when unknown: no filter assumed). */
static int filters_now(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* environ with NAME=VALUE set (replacing NAME) and DROP removed. */
static char **env_with(char **env, const char *name, const char *value, const char *drop)
{
	size_t n = 0, k = 0, nl = strlen(name), dl = drop ? strlen(drop) : 0;
	char **out;

	while (env[n])
		n++;
	out = calloc(n + 2, sizeof(*out));
	if (!out)
		die(EXIT_CONFINE, "environment: %s", strerror(ENOMEM));
	for (size_t i = 0; i < n; i++) {
		if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=')
			continue;
		if (drop && strncmp(env[i], drop, dl) == 0 && env[i][dl] == '=')
			continue;
		out[k++] = env[i];
	}
	if (value && asprintf(&out[k++], "%s=%s", name, value) < 0)
		die(EXIT_CONFINE, "environment: %s", strerror(ENOMEM));
	return out;
}

static const char *env_of(char **env, const char *name)
{
	size_t nl = strlen(name);

	for (; *env; env++)
		if (strncmp(*env, name, nl) == 0 && (*env)[nl] == '=')
			return *env + nl + 1;
	return NULL;
}

/* The calls the launcher itself makes under the filter must be allowed. */
static void check_own_calls(const struct sock_filter *prog, uint32_t n, const char *policy)
{
	static const struct {
		int nr;
		const char *name;
	} own[] = { { SYS_execve, "execve" }, { SYS_exit_group, "exit_group" } };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		struct seccomp_data d;

		memset(&d, 0, sizeof(d));
		d.nr = own[i].nr;
		d.arch = SIGSYS_AUDIT_ARCH;
		d.instruction_pointer = 1;
		if (sigsys_bpf_eval(prog, n, &d, NULL) != SECCOMP_RET_ALLOW)
			die(EXIT_CONFINE, "%s: the profile denies %s, which sigsys-exec must make "
					  "to start the command",
			    policy, own[i].name);
	}
}

static int install(const struct sock_filter *prog, uint32_t n, unsigned flags)
{
	struct sock_fprog fp = { .len = (unsigned short)n, .filter = (struct sock_filter *)prog };
	long ret;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
	return ret < 0 ? -errno : (int)ret;
}

static void report_end(int fd, int status, int seccomp_killed)
{
	if (fd < 0)
		return;
	if (WIFSIGNALED(status))
		dprintf(fd, "signal %d\n", seccomp_killed ? SIGSYS : WTERMSIG(status));
	else
		dprintf(fd, "exit %d\n", WEXITSTATUS(status));
	close(fd);
}

static int exit_status(int status, int seccomp_killed)
{
	if (WIFSIGNALED(status))
		return 128 + (seccomp_killed ? SIGSYS : WTERMSIG(status));
	return WEXITSTATUS(status);
}

/*
 * Every signal whose default action would end the supervisor, beyond the
 * forwarded ones, stays blocked (pending, never delivered): a workload of
 * the same uid could otherwise kill its supervisor with kill(ppid, SIGPWR)
 * (or SIGIO, SIGPIPE, a real-time signal, ...) and leave its other
 * processes unanswered and unreported (launcher-11).  Not SIGKILL and
 * SIGSTOP (impossible: docs/security.md says what that leaves), not the
 * terminal stop signals (Ctrl-Z must still stop sigsys-exec with its
 * command).  SIGBUS too, until the supervisor's ring guard handles it
 * (sigsys_supervise unblocks it then).  Raw
 * rt_sigprocmask: libc's refuses its internal real-time signals, whose
 * default action is to terminate too.  The child restores the caller's
 * mask before execve.
 */
static void block_fatal_signals(void)
{
	static const int keep[] = { SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU };
	uint64_t m = ~0ull;

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		m &= ~(1ull << (keep[i] - 1));
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, sizeof(m)) < 0)
		die(EXIT_CONFINE, "rt_sigprocmask: %s", strerror(errno));
}

static int run_native(const struct opts *o, const struct sock_filter *prog, uint32_t n,
		      char *path, char **env)
{
	int ret;

	ret = install(prog, n, 0);
	if (ret < 0)
		die(EXIT_CONFINE, "seccomp filter: %s", strerror(-ret));
	execve(path, o->cmd, env);
	/* Under the filter now: a denied write only loses this line. */
	die(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC, "%s: %s", o->cmd[0], strerror(errno));
}

/* What the learning filter left to the kernel's counter (bpf_learn.h). */
static struct sigsys_bpf_learn_plan bpf_plan;

/*
 * --learn-via bpf|auto: load the counter, make the cgroup, and put the
 * learning prefix in front of the NOTIFY variant.  bpf: any failure ends
 * sigsys-exec; auto: falls back to the supervisor alone and says why, once
 * (a learned profile is never silently incomplete: the supervisor sees
 * every call).
 */
static void setup_bpf(const struct opts *o, const struct sigsys_policy *pol,
		      struct sock_filter *prog, uint32_t *n_prog)
{
	char why[PATH_MAX + 256];
	int ret = -EINVAL;

	if (pol->hdr->mode != SIGSYS_MODE_AUDIT) {
		/* Denied calls never reach sys_enter (seccomp answers first):
		 * only the supervisor sees them. */
		snprintf(why, sizeof(why), "enforce mode: calls the profile denies never reach "
					   "the kernel's counter");
	} else if (geteuid() != 0) {
		snprintf(why, sizeof(why), "not root (loading eBPF and making a cgroup need it)");
		ret = -EPERM;
	} else if ((ret = sigsys_bpf_learn_start(&bpf_learn, o->once.nr, o->once.mask, o->once.n,
						 why, sizeof(why))) == 0) {
		bpf_on = 1;
		atexit(bpf_cleanup);
		ret = sigsys_bpf_learn_filter(pol, prog, n_prog, &bpf_plan, why, sizeof(why));
		if (ret == 0)
			return;
		bpf_cleanup();
	}
	if (o->learn_via == LEARN_VIA_BPF)
		die(EXIT_CONFINE, "--learn-via bpf: %s", why);
	dprintf(2, "sigsys-exec: learning through the supervisor alone (every call stops; "
		   "slower): %s\n",
		why);
}

/*
 * The calls the kernel counted, as the events --report-once would have
 * written: one per native number, for those the policy does not allow,
 * with the profile's action and outcome "allowed" (audit mode), no
 * arguments (never needed: calls whose arguments are learned stayed with
 * the supervisor).  Into one ring about the command.
 */
static void report_counted(const struct sigsys_sup_opts *so, struct sigsys_sup_result *res,
			   uint32_t owner)
{
	static uint32_t tgid[SIGSYS_BPF_LEARN_NRS];
	static struct sigsys_bpf_learn_arg args[SIGSYS_BPF_LEARN_ARGS];
	static struct sigsys_violation v[SIGSYS_BPF_LEARN_NRS + SIGSYS_BPF_LEARN_ARGS];
	char why[PATH_MAX + 64];
	struct timespec now;
	size_t n = 0, n_args = 0;
	uint64_t lost = 0;
	int ret = sigsys_bpf_learn_seen(&bpf_learn, tgid);

	if (ret == 0)
		ret = sigsys_bpf_learn_args(&bpf_learn, args, SIGSYS_BPF_LEARN_ARGS, &n_args, &lost);
	if (ret < 0)
		die(EXIT_CONFINE, "reading the learning counter: %s", strerror(-ret));
	if (lost) {
		/* Never silent: the names may be missing their argument rules. */
		dprintf(2, "sigsys-exec: %llu first arguments of counted calls could not be "
			   "recorded\n",
			(unsigned long long)lost);
		res->lost += lost;
	}
	if (sigsys_bpf_learn_stop(&bpf_learn, why, sizeof(why)) < 0)
		dprintf(2, "sigsys-exec: %s\n", why);
	bpf_on = 0;
	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < SIGSYS_BPF_LEARN_NRS + n_args; i++) {
		uint32_t nr = i < SIGSYS_BPF_LEARN_NRS ? (uint32_t)i : args[i - SIGSYS_BPF_LEARN_NRS].nr;
		uint32_t who = i < SIGSYS_BPF_LEARN_NRS ? tgid[i] : args[i - SIGSYS_BPF_LEARN_NRS].tgid;
		struct seccomp_data d;
		struct sigsys_verdict vd;

		if (!who || nr >= SIGSYS_BPF_LEARN_NRS || !bpf_plan.counted[nr] ||
		    bpf_plan.allowed[nr])
			continue;
		memset(&d, 0, sizeof(d));
		d.nr = (int)nr;
		d.arch = so->policy->hdr->arch;
		/*
		 * Not the trusted ip: the policy's trusted-ip checks still hold
		 * the placeholder 0 here, and ip 0 would take the trusted path
		 * (ALLOW) instead of the profile's answer.
		 */
		d.instruction_pointer = 1;
		sigsys_policy_verdict(so->policy, &d, &vd);
		memset(&v[n], 0, sizeof(v[n]));
		v[n].time_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
		v[n].pid = v[n].tid = who;
		v[n].nr = (int32_t)nr;
		v[n].arch = d.arch;
		if (i >= SIGSYS_BPF_LEARN_NRS)
			v[n].args[0] = args[i - SIGSYS_BPF_LEARN_NRS].arg; /* masked */
		v[n].action = vd.kind;
		v[n].outcome = 2; /* allowed (audit) */
		v[n].mode = so->mode;
		n++;
	}
	sigsys_sup_write_events(so, owner, v, n, res);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct sigsys_policy pol;
	struct sigsys_policy_header prof_hdr;
	struct sigsys_sup_opts so;
	struct sigsys_sup_result res;
	struct sock_filter *prog;
	struct handoff *h;
	sigset_t block, old;
	struct rlimit nofile = { RLIM_INFINITY, RLIM_INFINITY };
	uint32_t n_prog = 0, want_mode, action = SECCOMP_RET_USER_NOTIF;
	char why[256], spool_abs[PATH_MAX], policy_abs[PATH_MAX], pre_abs[PATH_MAX];
	char spool_dir[64];
	char **env = environ, *path;
	const char *spool, *pwhy = NULL;
	size_t len;
	void *image;
	pid_t child;
	int ret, sigfd;

	parse_args(argc, argv, &o);
	/* Not inherited by CMD; with --native a successful exec closes it
	 * unwritten (the caller then takes the process's own end). */
	if (o.status_fd >= 0 && fcntl(o.status_fd, F_SETFD, FD_CLOEXEC) < 0) {
		status_fd = -1;
		die(EXIT_USAGE, "--status-fd %d: %s", o.status_fd, strerror(errno));
	}

	image = read_policy(o.policy, &len);
	if (sigsys_policy_parse(image, len, SIGSYS_AUDIT_ARCH, &pol, &pwhy) < 0)
		die(EXIT_CONFINE, "%s: %s", o.policy, pwhy ? pwhy : "not a sigsys policy");
	if (pol.hdr->mode != SIGSYS_MODE_ENFORCE && pol.hdr->mode != SIGSYS_MODE_AUDIT)
		die(EXIT_CONFINE, "%s: unknown mode %u", o.policy, pol.hdr->mode);
	if (o.mode) {
		want_mode = strcmp(o.mode, "audit") == 0 ? SIGSYS_MODE_AUDIT : SIGSYS_MODE_ENFORCE;
		if (want_mode != pol.hdr->mode)
			die(EXIT_CONFINE, "%s: compiled for %s mode, not %s (sigsys compile --mode)",
			    o.policy, pol.hdr->mode == SIGSYS_MODE_AUDIT ? "audit" : "enforce",
			    o.mode);
	}
	/* From here on the profile's program alone: the prologue in front of
	 * it is the preload's (its SIGNALS trap needs the preload's handler,
	 * policy.h); ours are variants of the rest (variant.h). */
	sigsys_policy_profile_program(&pol, &prof_hdr, &pol);
	prog = calloc(SIGSYS_POLICY_MAX_INSNS, sizeof(*prog));
	if (!prog)
		die(EXIT_CONFINE, "filter: %s", strerror(ENOMEM));
	ret = sigsys_variant_build(&pol, o.native ? SIGSYS_VARIANT_NATIVE : SIGSYS_VARIANT_NOTIFY,
				   prog, &n_prog, why, sizeof(why));
	if (ret < 0)
		die(EXIT_CONFINE, "%s: %s", o.policy, why);
	path = resolve(o.cmd[0]);
	if (o.native)
		return run_native(&o, prog, n_prog, path, env);

	/* ---- supervised: everything that can fail is checked before the fork ---- */
	check_own_calls(prog, n_prog, o.policy);
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
		die(EXIT_CONFINE, "seccomp user notification is not available here (%s): "
				  "nothing could report denied calls",
		    strerror(errno));
	spool = o.spool ? o.spool : getenv("SIGSYS_SPOOL");
	if (!spool || !*spool)
		die(EXIT_USAGE, "no spool: give --spool DIR or set SIGSYS_SPOOL");
	if (!realpath(spool, spool_abs))
		die(EXIT_CONFINE, "%s: %s", spool, strerror(errno));
	{
		struct stat st;

		if (stat(spool_abs, &st) < 0 || !S_ISDIR(st.st_mode))
			die(EXIT_CONFINE, "%s: not a directory", spool);
		if (access(spool_abs, W_OK | X_OK) < 0)
			die(EXIT_CONFINE, "%s: %s", spool, strerror(errno));
	}
	{
		/*
		 * The supervisor creates its rings through this descriptor of
		 * the directory checked above, not through its path: a
		 * workload that can write the spool's parent could otherwise
		 * rename the spool away and put a symlink in its place, and
		 * the supervisor (perhaps root) would create its files in any
		 * directory the workload names (launcher-16).
		 */
		int dfd = open(spool_abs, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0)
			die(EXIT_CONFINE, "%s: %s", spool, strerror(errno));
		snprintf(spool_dir, sizeof(spool_dir), "/proc/self/fd/%d", dfd);
	}
	if (o.preload) {
		const char *prev;
		char *lp = NULL;

		if (!realpath(o.preload, pre_abs) || access(pre_abs, R_OK) < 0)
			die(EXIT_CONFINE, "%s: %s", o.preload, strerror(errno));
		if (!realpath(o.policy, policy_abs))
			die(EXIT_CONFINE, "%s: %s", o.policy, strerror(errno));
		prev = env_of(env, "LD_PRELOAD");
		/* Ours first: musl runs preload constructors in LD_PRELOAD order
		 * and has no -z initfirst (docs/preload.md). */
		if (asprintf(&lp, prev && *prev ? "%s:%s" : "%s%s", pre_abs,
			     prev && *prev ? prev : "") < 0)
			die(EXIT_CONFINE, "environment: %s", strerror(ENOMEM));
		/* The launcher's filter is not the preload's: the preload must
		 * install its own (a marker would make it skip that). */
		env = env_with(env, "LD_PRELOAD", lp, "SIGSYS_INSTALLED");
		env = env_with(env, "SIGSYS_POLICY", policy_abs, NULL);
		env = env_with(env, "SIGSYS_SPOOL", spool_abs, NULL);
		{
			/* Ours plus those we run under (a container runtime's). */
			char num[16];

			snprintf(num, sizeof(num), "%d", filters_now() + 1);
			env = env_with(env, "SIGSYS_BASE_FILTERS", num, NULL);
		}
		{
			/* A fresh seed per run moves the preload's trusted page
			 * (a `syscall; ret` gadget) away from the address the
			 * two paths alone would give every deployment that uses
			 * them (docs/security.md, "The trusted page"). */
			uint8_t rnd[8];
			char seed[17];

			if (syscall(SYS_getrandom, rnd, sizeof(rnd), 0) != (long)sizeof(rnd))
				die(EXIT_CONFINE, "getrandom: %s", strerror(errno));
			for (int i = 0; i < 8; i++)
				snprintf(seed + 2 * i, 3, "%02x", rnd[i]);
			env = env_with(env, "SIGSYS_PAGE_SEED", seed, NULL);
			/* Audit: the preload runs every trapped call from its
			 * trusted instruction, on the page derived from exactly
			 * these values; let the filter allow those instead of
			 * notifying us for each (variant.h). */
			if (pol.hdr->mode == SIGSYS_MODE_AUDIT &&
			    sigsys_variant_trust_ip(
				    prog, &n_prog, pol.hdr->arch,
				    sigsys_trusted_page_derive(policy_abs, spool_abs, seed) +
					    (uint64_t)(sigsys_trusted_ip -
						       (const char *)sigsys_trusted_syscall),
				    why, sizeof(why)) < 0)
				die(EXIT_CONFINE, "%s: %s", o.policy, why);
		}
		if (o.ring_records) {
			char num[16];

			snprintf(num, sizeof(num), "%u", o.ring_records);
			env = env_with(env, "SIGSYS_RING_RECORDS", num, NULL);
		}
	}

	if (o.learn_via != LEARN_VIA_SUPERVISOR)
		setup_bpf(&o, &pol, prog, &n_prog);

	/* Orphans of the workload become our children: we reap them and
	 * stay until they are gone, so every confined process is answered. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die(EXIT_CONFINE, "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	sigsys_sup_forwarded(&block);
	sigaddset(&block, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &block, &old) < 0)
		die(EXIT_CONFINE, "sigprocmask: %s", strerror(errno));
	block_fatal_signals();
	/*
	 * Not dumpable from before the fork: a workload of the same uid cannot
	 * ptrace the supervisor, or take its listener with pidfd_getfd, and
	 * answer its own notifications.  Set after the exec (as before), the
	 * workload's first instructions raced the supervisor for it, and a
	 * ptrace attach made in that window outlives the flag.  The child's
	 * execve makes the command dumpable again as usual.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die(EXIT_CONFINE, "PR_SET_DUMPABLE: %s", strerror(errno));
	sigfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		die(EXIT_CONFINE, "signalfd: %s", strerror(errno));
	/*
	 * The supervisor holds a pidfd per process with a ring: with the usual
	 * soft limit of 1024 fds, a workload that keeps ~1000 processes alive
	 * after one denied call each made every later ring fail (EMFILE), and
	 * its later denied calls went unreported (launcher-14).  Soft up to
	 * hard here; the child restores the caller's limit before execve.
	 */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		struct rlimit up = { nofile.rlim_max, nofile.rlim_max };

		setrlimit(RLIMIT_NOFILE, &up);
	}
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		die(EXIT_CONFINE, "mmap: %s", strerror(errno));
	h->listener = -1;

	child = (pid_t)syscall(SYS_clone, CLONE_VFORK | CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
	if (child < 0)
		die(EXIT_CONFINE, "clone: %s", strerror(errno));
	if (child == 0) {
		setrlimit(RLIMIT_NOFILE, &nofile);
		/* The caller's mask exactly (raw: see block_fatal_signals). */
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, (size_t)8);
		/* The supervisor gone, denied calls would only get ENOSYS. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* Into the counted tree last before the filter (bpf_learn.h:
		 * the calls from here to execve are marked as the launcher's). */
		if (bpf_on && (ret = sigsys_bpf_learn_enter(&bpf_learn)) < 0) {
			h->stage = 3;
			h->err = -ret;
			_exit(EXIT_CONFINE);
		}
		/*
		 * WAIT_KILLABLE_RECV (5.19+): once the supervisor has received a
		 * notification, only a fatal signal interrupts the caller's
		 * wait.  Otherwise a signal (Go preempts its threads with
		 * SIGURG all the time) withdraws the notification and the call
		 * restarts as a new one: the same call would be reported twice.
		 */
		ret = install(prog, n_prog,
			      SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
		if (ret == -EINVAL)
			ret = install(prog, n_prog, SECCOMP_FILTER_FLAG_NEW_LISTENER);
		if (ret < 0) {
			h->stage = 1;
			h->err = -ret;
			_exit(EXIT_CONFINE);
		}
		h->listener = ret;
		execve(path, o.cmd, env);
		h->stage = 2;
		h->err = errno;
		_exit(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
	}

	/* The child has exec'd or exited (CLONE_VFORK). */
	if (h->stage) {
		waitpid(child, NULL, __WALL);
		if (h->stage == 1)
			die(EXIT_CONFINE, "seccomp filter with a notification listener: %s",
			    strerror(h->err));
		if (h->stage == 3)
			die(EXIT_CONFINE, "entering the learning cgroup %s: %s", bpf_learn.cg_path,
			    strerror(h->err));
		die(h->err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC, "%s: %s", o.cmd[0],
		    strerror(h->err));
	}

	memset(&so, 0, sizeof(so));
	so.policy = &pol;
	so.mode = pol.hdr->mode;
	so.spool = spool_dir;
	so.ring_records = o.ring_records;
	so.listener = h->listener;
	so.sigfd = sigfd;
	so.child = child;
	so.report_once = o.report_once;
	so.once = o.once;
	so.trusted_off = (uint64_t)(sigsys_trusted_ip - (const char *)sigsys_trusted_syscall);
	so.bpf = bpf_on ? &bpf_learn : NULL;
	ret = sigsys_supervise(&so, &res);
	if (ret < 0) {
		/* Stop the workload rather than leave it unanswered. */
		kill(child, SIGKILL);
		die(EXIT_CONFINE, "supervisor: %s", strerror(-ret));
	}
	if (bpf_on)
		report_counted(&so, &res, (uint32_t)child);
	if (res.lost) {
		/* The supervisor names the spool by its descriptor: say its path. */
		size_t dl = strlen(spool_dir);
		int by_fd = strncmp(res.lost_why, spool_dir, dl) == 0;

		dprintf(2, "sigsys-exec: %llu events could not be recorded (first: %s%s)\n",
			(unsigned long long)res.lost, by_fd ? spool_abs : "",
			res.lost_why + (by_fd ? dl : 0));
	}
	report_end(o.status_fd, res.status, res.seccomp_killed);
	return exit_status(res.status, res.seccomp_killed);
}
