/*
 * live_launcher.c - sigsys-exec on real processes: a static musl workload
 * (test/fixtures/confine/denied.c built with musl-gcc -static), which the
 * preload cannot reach, confined by the launcher's filter and reported by
 * its supervisor; the glibc build of the same workload with --preload, where
 * the in-process handler takes precedence; --native; fail-closed errors.
 * Rings are read back with the ring.h consumer API (live_util.c).
 *
 *   live_launcher [NAME-SUBSTRING...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "live_util.h"
#include "policy.h"
#include "ring.h"

#define NR_ACCT 163
#define NR_UNSHARE 272
#define CLONE_NEWUTS_ 0x04000000
#define TIMEOUT_MS 60000

struct xrun {
	pid_t launcher;
	int status;
	char out[16384];
	char err[16384];
};

static void slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : 0;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/*
 * Run sigsys-exec with args (NULL-terminated).  If `sig` is non-zero, wait
 * until the workload printed "ready" on stdout, then send `sig` to the
 * launcher.  The loop bounds a hang; it is not synchronisation.
 */
/* RLIMIT_NOFILE soft limit for the next xrun's sigsys-exec (0: inherit). */
static rlim_t xrun_nofile;
/* uid/gid the next xrun's sigsys-exec runs as (0: ours). */
static uid_t xrun_uid;
/* Called once the workload printed "ready", before `sig` is sent (NULL: none). */
static void (*xrun_on_ready)(void);

static void xrun(const char *dir, const char *const *args, int sig, struct xrun *r)
{
	char outp[600], errp[600];
	const char *argv[40];
	int n = 0, sent = 0;

	snprintf(outp, sizeof(outp), "%s/x.out", dir);
	snprintf(errp, sizeof(errp), "%s/x.err", dir);
	argv[n++] = SIGSYS_EXEC;
	for (int i = 0; args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(NULL);
	r->launcher = fork();
	if (r->launcher == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(o, 1);
		dup2(e, 2);
		unsetenv("SIGSYS_SPOOL");
		if (xrun_uid && (setgroups(0, NULL) < 0 || setgid(xrun_uid) < 0 ||
				 setuid(xrun_uid) < 0))
			_exit(121);
		if (xrun_nofile) {
			struct rlimit rl;

			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = xrun_nofile;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		execv(argv[0], (char *const *)argv);
		_exit(120);
	}
	for (int ms = 0;; ms += 2) {
		struct timespec two = { 0, 2000000 };
		pid_t w = waitpid(r->launcher, &r->status, WNOHANG);

		if (w == r->launcher)
			break;
		if (sig && !sent) {
			slurp(outp, r->out, sizeof(r->out));
			if (strstr(r->out, "ready\n")) {
				if (xrun_on_ready)
					xrun_on_ready();
				kill(r->launcher, sig);
				sent = 1;
			}
		}
		if (ms >= TIMEOUT_MS) {
			fprintf(stderr, "  sigsys-exec hung: killed\n");
			kill(r->launcher, SIGKILL);
			waitpid(r->launcher, &r->status, 0);
			break;
		}
		nanosleep(&two, NULL);
	}
	slurp(outp, r->out, sizeof(r->out));
	slurp(errp, r->err, sizeof(r->err));
}

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- RingMeta fields of every ring: pid (2), source (16), writer_pid (17) ---- */
struct meta {
	uint32_t pid, source, writer_pid;
};

static int read_metas(const char *spool, struct meta *m, int cap)
{
	DIR *d = opendir(spool);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) && n < cap) {
		char path[1024];
		struct sigsys_ring_reader rd;
		const char *why;
		uint8_t buf[SIGSYS_RING_META_MAX];
		struct stat st;
		void *map;
		int fd;

		if (strncmp(e->d_name, "sigsys-", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", spool, e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0 || fstat(fd, &st) < 0)
			continue;
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (map == MAP_FAILED)
			continue;
		memset(&m[n], 0, sizeof(m[n]));
		if (sigsys_ring_open_reader(&rd, map, (size_t)st.st_size, &why) == 0) {
			uint32_t len = sigsys_ring_meta(&rd, buf);
			const uint8_t *p = buf, *end = buf + len;

			while (p < end) {
				uint64_t key = 0, v = 0;
				int s;

				for (s = 0; p < end; s += 7) {
					key |= (uint64_t)(*p & 0x7f) << s;
					if (!(*p++ & 0x80))
						break;
				}
				if ((key & 7) == 0) {
					for (s = 0; p < end; s += 7) {
						v |= (uint64_t)(*p & 0x7f) << s;
						if (!(*p++ & 0x80))
							break;
					}
					if (key >> 3 == 2)
						m[n].pid = (uint32_t)v;
					if (key >> 3 == 16)
						m[n].source = (uint32_t)v;
					if (key >> 3 == 17)
						m[n].writer_pid = (uint32_t)v;
				} else if ((key & 7) == 2) {
					uint64_t l = 0;

					for (s = 0; p < end; s += 7) {
						l |= (uint64_t)(*p & 0x7f) << s;
						if (!(*p++ & 0x80))
							break;
					}
					p += l;
				} else {
					break; /* no other wire types in RingMeta */
				}
			}
		}
		munmap(map, (size_t)st.st_size);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static const char *policy(const char *dir, const char *name, const char *const *args)
{
	static char path[8][600];
	static int k;
	char *p = path[k++ & 7];

	snprintf(p, 600, "%s/%s.pol", dir, name);
	CHECK(live_mkpolicy(p, args) == 0, "mkpolicy %s", name);
	return p;
}

static const char *const DEFAULT_LIKE[] = { "--default", "allow", "--rule", "acct:errno:1",
					    "--rule", "unshare:errno:1", NULL };

/* Every "denied pid=P tid=T NAME ret=R errno=E" line of the workload. */
struct line {
	long pid, tid, ret, err;
	char name[16];
};

static int lines(const char *text, struct line *l, int cap)
{
	int n = 0;

	for (const char *p = strstr(text, "denied pid="); p && n < cap;
	     p = strstr(p + 1, "denied pid=")) {
		if (sscanf(p, "denied pid=%ld tid=%ld %15s ret=%ld errno=%ld", &l[n].pid, &l[n].tid,
			   l[n].name, &l[n].ret, &l[n].err) == 5)
			n++;
	}
	return n;
}

/* Each workload line has exactly one event with the same pid, tid and call. */
static void match_events(const struct line *l, int nl, const struct live_rings *rr,
			 uint32_t outcome, int32_t err)
{
	CHECK((int)rr->n == nl, "%zu events for %d calls", rr->n, nl);
	for (int i = 0; i < nl; i++) {
		int nr = strcmp(l[i].name, "acct") == 0 ? NR_ACCT : NR_UNSHARE, found = 0;

		for (size_t k = 0; k < rr->n; k++) {
			const struct live_ev *e = &rr->ev[k];

			if (e->pid == (uint32_t)l[i].pid && e->tid == (uint32_t)l[i].tid &&
			    e->nr == nr && e->outcome == outcome && e->errno_ret == err &&
			    e->arch == 0xc000003e && e->action == 4 &&
			    (nr != NR_UNSHARE || e->args[0] == CLONE_NEWUTS_))
				found++;
		}
		CHECK(found == 1, "%s by %ld/%ld: %d matching events", l[i].name, l[i].pid,
		      l[i].tid, found);
	}
}

/* ---- cases ---- */

static void t01_enforce_static(void)
{
	const char *d = live_tmpdir("launcher-01"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600];
	struct xrun r;
	struct line l[16];
	struct live_rings rr;
	struct meta m[4];
	int nl, nm;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "threads=3",
				       "acct", "unshare", "exit=7", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 7, "status %d, stderr %s", exit_code(r.status), r.err);
	CHECK(strstr(r.out, "threads=3 sum=7003000\n") != NULL, "stdout %s", r.out);
	nl = lines(r.err, l, 16);
	CHECK(nl == 5, "%d calls: %s", nl, r.err);
	for (int i = 0; i < nl; i++)
		CHECK(l[i].ret == -1 && l[i].err == 1, "%s ret %ld errno %ld", l[i].name, l[i].ret,
		      l[i].err);
	CHECK(live_read_rings(spool, &rr) == 0, "read rings");
	match_events(l, nl, &rr, 1, 1);
	CHECK(rr.n_rings == 1, "%d rings", rr.n_rings);
	live_rings_free(&rr);
	nm = read_metas(spool, m, 4);
	CHECK(nm == 1 && m[0].pid == (uint32_t)l[0].pid && m[0].source == 2 &&
		      m[0].writer_pid == (uint32_t)r.launcher,
	      "meta pid %u source %u writer %u (launcher %d)", m[0].pid, m[0].source,
	      m[0].writer_pid, (int)r.launcher);
}

static void t02_audit_static(void)
{
	const char *const a[] = { "--mode", "audit", "--default", "allow", "--rule",
				  "acct:errno:1", "--rule", "unshare:errno:1", NULL };
	const char *d = live_tmpdir("launcher-02"), *pol = policy(d, "p", a);
	char spool[600];
	struct xrun r;
	struct line l[16];
	struct live_rings rr;
	int nl;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	xrun(d, (const char *const[]){ "--mode", "audit", "--spool", spool, pol, "--",
				       DENIED_STATIC, "threads=2", "acct", "unshare", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 0, "status %d, stderr %s", exit_code(r.status), r.err);
	nl = lines(r.err, l, 16);
	CHECK(nl == 4, "%d calls: %s", nl, r.err);
	for (int i = 0; i < nl; i++)
		CHECK(l[i].ret == 0, "%s ran: ret %ld errno %ld", l[i].name, l[i].ret, l[i].err);
	CHECK(live_read_rings(spool, &rr) == 0, "read rings");
	match_events(l, nl, &rr, 2, 0);
	for (size_t k = 0; k < rr.n; k++)
		CHECK(rr.ev[k].mode == 2, "mode %u", rr.ev[k].mode);
	live_rings_free(&rr);
}

/* KILL_PROCESS and KILL_THREAD (the whole process: a thread cannot be
 * SIGKILLed alone), from the main thread and from a second thread. */
static void t03_kill_static(void)
{
	static const struct {
		const char *rule, *step;
		uint32_t action;
	} rows[] = {
		{ "acct:kill_process", "acct", 1 },
		{ "acct:kill_thread", "acct", 2 },
		{ "acct:kill_process", "threads=1", 1 },
		{ "acct:kill_thread", "threads=1", 2 },
	};
	const char *d = live_tmpdir("launcher-03");

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *const a[] = { "--default", "allow", "--rule", rows[i].rule, NULL };
		char spool[600], name[16];
		const char *pol;
		struct xrun r;
		struct live_rings rr;

		snprintf(name, sizeof(name), "p%zu", i);
		pol = policy(d, name, a);
		snprintf(spool, sizeof(spool), "%s/spool%zu", d, i);
		mkdir(spool, 0700);
		xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "unshare",
					       rows[i].step, "exit=3", NULL },
		     0, &r);
		/* As seccomp's KILL_PROCESS: 128 + SIGSYS, the call never returned. */
		CHECK(exit_code(r.status) == 128 + SIGSYS, "%s %s: status %d, %s", rows[i].rule,
		      rows[i].step, exit_code(r.status), r.err);
		CHECK(strstr(r.err, " acct ret=") == NULL, "acct returned: %s", r.err);
		CHECK(strstr(r.out, "threads=") == NULL, "the process went on: %s", r.out);
		CHECK(strstr(r.err, " unshare ret=0 ") != NULL, "unshare allowed: %s", r.err);
		CHECK(live_read_rings(spool, &rr) == 0, "read rings");
		CHECK(rr.n == 1 && rr.ev[0].nr == NR_ACCT && rr.ev[0].action == rows[i].action &&
			      rr.ev[0].outcome == 3,
		      "%s: %zu events, first nr %d action %u outcome %u", rows[i].rule, rr.n,
		      rr.n ? rr.ev[0].nr : -1, rr.n ? rr.ev[0].action : 0,
		      rr.n ? rr.ev[0].outcome : 0);
		live_rings_free(&rr);
	}
}

static void t04_native(void)
{
	const char *const k[] = { "--default", "allow", "--rule", "acct:kill", NULL };
	const char *d = live_tmpdir("launcher-04"), *pol = policy(d, "p", DEFAULT_LIKE);
	const char *kpol = policy(d, "k", k);
	struct xrun r;
	struct line l[4];

	xrun(d, (const char *const[]){ "--native", pol, "--", DENIED_STATIC, "acct", "unshare",
				       "exit=9", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 9, "status %d, %s", exit_code(r.status), r.err);
	CHECK(lines(r.err, l, 4) == 2 && l[0].err == 1 && l[1].err == 1, "%s", r.err);
	/* The kernel's own kill: sigsys-exec became the workload. */
	xrun(d, (const char *const[]){ "--native", kpol, "--", DENIED_STATIC, "acct", NULL }, 0,
	     &r);
	CHECK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS, "status %#x", r.status);
}

static void t05_orphan_and_child(void)
{
	const char *d = live_tmpdir("launcher-05"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600];
	struct xrun r;
	struct line l[8];
	struct live_rings rr;
	int nl;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	/* The orphan calls acct only after its parent exited: sigsys-exec,
	 * its subreaper, must still be there to answer and report it. */
	xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "child",
				       "orphan", "exit=4", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 4, "status %d, %s", exit_code(r.status), r.err);
	CHECK(strstr(r.out, "child exit=0\n") != NULL, "%s", r.out);
	nl = lines(r.err, l, 8);
	CHECK(nl == 2 && l[0].pid != l[1].pid, "%d calls: %s", nl, r.err);
	CHECK(live_read_rings(spool, &rr) == 0, "read rings");
	match_events(l, nl, &rr, 1, 1);
	CHECK(rr.n_rings == 2, "%d rings", rr.n_rings);
	live_rings_free(&rr);
}

static void t06_signal_forwarded(void)
{
	const char *d = live_tmpdir("launcher-06"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600];
	struct xrun r;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "pause", NULL },
	     SIGTERM, &r);
	CHECK(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 128 + SIGTERM,
	      "status %#x, %s", r.status, r.err);
}

static void t07_preload_precedence(void)
{
	const char *d = live_tmpdir("launcher-07"), *pol = policy(d, "p", DEFAULT_LIKE);
	const char *const au[] = { "--mode", "audit", "--default", "allow", "--rule",
				   "acct:errno:1", "--rule", "unshare:errno:1", NULL };
	const char *apol = policy(d, "a", au);
	char spool[600], aspool[600];
	struct xrun r;
	struct line l[16];
	struct live_rings rr;
	struct meta m[8];
	int nl, nm;

	/* A glibc program with the preload: its handler reports (TRAP outranks
	 * USER_NOTIF), the supervisor never sees the calls: one handler ring. */
	snprintf(spool, sizeof(spool), "%s/spool", d);
	xrun(d, (const char *const[]){ "--spool", spool, "--preload", SIGSYS_LIB, pol, "--",
				       DENIED_GLIBC, "threads=2", "acct", "unshare", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 0, "status %d, %s", exit_code(r.status), r.err);
	nl = lines(r.err, l, 16);
	CHECK(nl == 4, "%d calls: %s", nl, r.err);
	CHECK(live_read_rings(spool, &rr) == 0, "read rings");
	match_events(l, nl, &rr, 1, 1);
	live_rings_free(&rr);
	nm = read_metas(spool, m, 8);
	CHECK(nm == 1 && m[0].source == 0 && m[0].writer_pid == 0, "%d rings, source %u", nm,
	      nm ? m[0].source : 99);

	/* Audit: the handler re-issues each call from its trusted stub, which
	 * the launcher's filter notifies; the supervisor must not report it
	 * a second time. */
	snprintf(aspool, sizeof(aspool), "%s/aspool", d);
	mkdir(aspool, 0700);
	xrun(d, (const char *const[]){ "--spool", aspool, "--preload", SIGSYS_LIB, apol, "--",
				       DENIED_GLIBC, "threads=2", "acct", "unshare", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 0, "status %d, %s", exit_code(r.status), r.err);
	nl = lines(r.err, l, 16);
	CHECK(nl == 4 && l[0].ret == 0, "%d calls: %s", nl, r.err);
	CHECK(live_read_rings(aspool, &rr) == 0, "read rings");
	match_events(l, nl, &rr, 2, 0);
	live_rings_free(&rr);
	nm = read_metas(aspool, m, 8);
	CHECK(nm == 1 && m[0].source == 0, "%d rings, source %u", nm, nm ? m[0].source : 99);
}

/* Fail closed: every case ends with one line, a status, and nothing run. */
static void t08_fail_closed(void)
{
	const char *d = live_tmpdir("launcher-08"), *pol = policy(d, "p", DEFAULT_LIKE);
	const char *const ex[] = { "--default", "allow", "--rule", "execve:errno:1", NULL };
	const char *expol = policy(d, "ex", ex);
	char spool[600], junk[600], marker[600], nospool[600];
	struct {
		const char *name;
		const char *args[10];
		int status;
		const char *msg;
	} cases[] = {
		{ "missing policy", { "--spool", spool, "/nonexistent/p.pol", "--", "MARK" }, 125,
		  "/nonexistent/p.pol: No such file or directory" },
		{ "not a policy", { "--spool", spool, junk, "--", "MARK" }, 125, "bad magic" },
		{ "missing spool", { "--spool", nospool, pol, "--", "MARK" }, 125,
		  "No such file or directory" },
		{ "no spool at all", { pol, "--", "MARK" }, 2, "no spool" },
		{ "profile denies execve", { "--spool", spool, expol, "--", "MARK" }, 125,
		  "denies execve" },
		{ "mode mismatch", { "--mode", "audit", "--spool", spool, pol, "--", "MARK" }, 125,
		  "compiled for enforce mode" },
		{ "no --", { "--spool", spool, pol, "MARK" }, 2, "expected \"--\"" },
		{ "unknown option", { "--bogus", pol, "--", "MARK" }, 2, "unknown option --bogus" },
		{ "command not found", { "--spool", spool, pol, "--", "/nonexistent/cmd" }, 127,
		  "/nonexistent/cmd: No such file or directory" },
		{ "not in PATH", { "--spool", spool, pol, "--", "sigsys-no-such-command" }, 127,
		  "command not found" },
	};

	snprintf(spool, sizeof(spool), "%s/spool", d);
	snprintf(nospool, sizeof(nospool), "%s/nospool", d);
	snprintf(junk, sizeof(junk), "%s/junk.pol", d);
	snprintf(marker, sizeof(marker), "%s/ran", d);
	{
		FILE *f = fopen(junk, "w");

		for (int k = 0; k < 8; k++)
			fputs("this is not a policy file at all, but long enough to be read\n", f);
		fclose(f);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[16];
		struct xrun r;
		int n = 0;

		/* MARK: a command that would leave a file behind if it ran. */
		for (int k = 0; cases[i].args[k]; k++) {
			if (strcmp(cases[i].args[k], "MARK") == 0) {
				argv[n++] = "/usr/bin/touch";
				argv[n++] = marker;
			} else {
				argv[n++] = cases[i].args[k];
			}
		}
		argv[n] = NULL;
		xrun(d, argv, 0, &r);
		CHECK(exit_code(r.status) == cases[i].status, "%s: status %d: %s", cases[i].name,
		      exit_code(r.status), r.err);
		CHECK(strstr(r.err, cases[i].msg) != NULL, "%s: %s", cases[i].name, r.err);
		CHECK(strncmp(r.err, "sigsys-exec: ", 13) == 0 && strchr(r.err, '\n') &&
			      strchr(r.err, '\n')[1] == 0,
		      "%s: not one line: %s", cases[i].name, r.err);
		CHECK(access(marker, F_OK) != 0, "%s: the command ran", cases[i].name);
	}
}

/*
 * The dynamic loader runs before the preload's constructor: a call it makes
 * that the profile denies (access("/etc/ld.so.preload")) had no handler and
 * went unreported under the preload alone; the supervisor reports it.
 */
static void t10_loader_calls_reported(void)
{
	const char *const a[] = { "--default", "allow", "--rule", "access:errno:1", NULL };
	const char *d = live_tmpdir("launcher-10"), *pol = policy(d, "p", a);
	char spool[600];
	struct xrun r;
	struct live_rings rr;
	struct meta m[4];
	int found = 0, nm;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	xrun(d, (const char *const[]){ "--spool", spool, "--preload", SIGSYS_LIB, pol, "--",
				       DENIED_GLIBC, "exit=6", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 6, "status %d, %s", exit_code(r.status), r.err);
	CHECK(live_read_rings(spool, &rr) == 0, "read rings");
	for (size_t k = 0; k < rr.n; k++)
		found += rr.ev[k].nr == 21 && rr.ev[k].errno_ret == 1 && rr.ev[k].outcome == 1;
	CHECK(found >= 1, "%zu events, %d access denials", rr.n, found);
	live_rings_free(&rr);
	/* One ring per writer: the supervisor's (the loader's call) and the
	 * preload's own (created by its constructor, empty). */
	nm = read_metas(spool, m, 4);
	found = 0;
	for (int i = 0; i < nm; i++)
		found += m[i].source == 2 && m[i].writer_pid == (uint32_t)r.launcher;
	CHECK(found == 1, "%d rings, %d from the supervisor", nm, found);
}

/* A workload's own listener would take the supervisor's notifications. */
static void t09_no_workload_listener(void)
{
	const char *d = live_tmpdir("launcher-09"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600];
	struct xrun r;
	struct line l[4];
	struct live_rings rr;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "listener",
				       "acct", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 0, "status %d, %s", exit_code(r.status), r.err);
	CHECK(lines(r.err, l, 4) == 2, "%s", r.err);
	CHECK(strcmp(l[0].name, "seccomp") == 0 && l[0].ret == -1 && l[0].err == 1,
	      "listener refused: %s", r.err);
	CHECK(strcmp(l[1].name, "acct") == 0 && l[1].err == 1, "acct still denied: %s", r.err);
	CHECK(live_read_rings(spool, &rr) == 0 && rr.n == 1 && rr.ev[0].nr == NR_ACCT,
	      "the supervisor still reports: %zu events", rr.n);
	live_rings_free(&rr);
	/* Unconfined, the same step works (the refusal is the launcher's). */
	xrun(d, (const char *const[]){ "--native", policy(d, "allow", (const char *const[]){ "--default", "allow", NULL }), "--", DENIED_STATIC, "listener", NULL }, 0, &r);
	CHECK(strstr(r.err, "seccomp ret=3 errno=0") != NULL, "native: %s", r.err);
}

/*
 * A workload of the supervisor's uid sends it a signal whose default action
 * would end it (the command's parent is the supervisor).  Before, it died:
 * the command got PDEATHSIG and the rest of the tree ran unanswered.  Now
 * every such signal stays blocked; the tree is answered and reported.
 */
static void t11_supervisor_survives_signals(void)
{
	static const int sigs[] = { SIGPWR, SIGIO, SIGPIPE, SIGXCPU, SIGPROF, SIGSYS,
				    SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, 32, 33, 40, 64 };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		const char *d = live_tmpdir("launcher-11"), *pol = policy(d, "p", DEFAULT_LIKE);
		char spool[600], step[32];
		struct xrun r;
		struct line l[8];
		struct live_rings rr;
		int nl;

		snprintf(spool, sizeof(spool), "%s/spool", d);
		snprintf(step, sizeof(step), "sigparent=%d", sigs[i]);
		xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, step,
					       "acct", "child", "exit=3", NULL },
		     0, &r);
		CHECK(exit_code(r.status) == 3, "signal %d: status %d, stderr %s", sigs[i],
		      exit_code(r.status), r.err);
		CHECK(strstr(r.out, "sigparent ret=0\n") && strstr(r.out, "child exit=0\n"),
		      "signal %d: stdout %s", sigs[i], r.out);
		nl = lines(r.err, l, 8);
		CHECK(nl == 2, "signal %d: %d calls: %s", sigs[i], nl, r.err);
		for (int k = 0; k < nl; k++)
			CHECK(l[k].ret == -1 && l[k].err == 1, "signal %d: %s ret %ld errno %ld",
			      sigs[i], l[k].name, l[k].ret, l[k].err);
		CHECK(live_read_rings(spool, &rr) == 0, "read rings");
		match_events(l, nl, &rr, 1, 1);
		live_rings_free(&rr);
	}
}

/* Empty files (rings the workload truncated) cannot be mapped: removed. */
static void remove_empty(const char *spool)
{
	DIR *dir = opendir(spool);
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		char path[1024];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", spool, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
			unlink(path);
	}
	if (dir)
		closedir(dir);
}

/*
 * The workload truncates the ring the supervisor maps for it (same uid, a
 * shared spool): the supervisor's next store into it faulted (SIGBUS) and
 * killed it.  Now the fault is caught, the ring replaced by a new one, and
 * the next events of that process and of its child are recorded.
 */
static void t12_truncated_ring(void)
{
	const char *d = live_tmpdir("launcher-12"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600], step[700];
	struct xrun r;
	struct line l[8];
	struct live_rings rr;
	int nl;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	snprintf(step, sizeof(step), "truncring=%s", spool);
	xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "acct", step,
				       "acct", "child", "exit=5", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 5, "status %d, stderr %s", exit_code(r.status), r.err);
	CHECK(strstr(r.out, "truncated 1\n") && strstr(r.out, "child exit=0\n"), "stdout %s",
	      r.out);
	nl = lines(r.err, l, 8);
	CHECK(nl == 3, "%d calls: %s", nl, r.err);
	for (int k = 0; k < nl; k++)
		CHECK(l[k].ret == -1 && l[k].err == 1, "%s ret %ld errno %ld", l[k].name, l[k].ret,
		      l[k].err);
	remove_empty(spool);
	CHECK(live_read_rings(spool, &rr) == 0, "read rings");
	/* The first event went with the truncated file; the other two are
	 * in the replacement ring and the child's. */
	if (nl == 3)
		match_events(l + 1, 2, &rr, 1, 1);
	CHECK(rr.n_rings == 2, "%d rings", rr.n_rings);
	live_rings_free(&rr);
}

/*
 * The preload's trusted page under sigsys-exec --preload: derived from the
 * policy and spool paths, and a SIGSYS_PAGE_SEED sigsys-exec draws per run.
 * With the same paths, two runs put the page (a `syscall; ret` at a known
 * offset) at different addresses; before the seed they were equal in every
 * run of a deployment with fixed paths.
 */
static void t13_page_seed_per_run(void)
{
	const char *d = live_tmpdir("launcher-13"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600], page[2][64];
	struct xrun r;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	for (int i = 0; i < 2; i++) {
		const char *m;

		xrun(d, (const char *const[]){ "--spool", spool, "--preload", SIGSYS_LIB, pol, "--",
					       DENIED_GLIBC, "marker", "acct", NULL },
		     0, &r);
		CHECK(exit_code(r.status) == 0, "status %d, stderr %s", exit_code(r.status), r.err);
		m = strstr(r.out, "marker=");
		/* <hash16>:<page hex>:<mode> */
		CHECK(m && strlen(m) > 24 && m[23] == ':', "stdout %s", r.out);
		snprintf(page[i], sizeof(page[i]), "%.*s", m ? (int)strcspn(m + 24, ":\n") : 0,
			 m ? m + 24 : "");
	}
	CHECK(page[0][0] && strcmp(page[0], page[1]) != 0, "same trusted page in two runs: %s %s",
	      page[0], page[1]);
}

/*
 * Many live processes with a ring each, under a low soft RLIMIT_NOFILE
 * (the supervisor holds a pidfd per ring).  Before, rings past the limit
 * failed with EMFILE and those processes' denied calls went unreported
 * (a workload could do that on purpose); now sigsys-exec raises its soft
 * limit to the hard one and the command still gets the caller's.
 */
static void t14_many_processes(void)
{
	const char *d = live_tmpdir("launcher-14"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600];
	struct xrun r;
	static struct line l[128];
	struct live_rings rr;
	struct rlimit rl;
	int nl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < 256) {
		CHECK(0, "hard RLIMIT_NOFILE %llu: the case needs 256", (unsigned long long)rl.rlim_max);
		return;
	}
	snprintf(spool, sizeof(spool), "%s/spool", d);
	xrun_nofile = 32;
	xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "procs=60", NULL },
	     0, &r);
	xrun_nofile = 0;
	CHECK(exit_code(r.status) == 0, "status %d, stderr %.400s", exit_code(r.status), r.err);
	CHECK(strstr(r.out, "procs=60 ok=60\n") != NULL, "stdout %s", r.out);
	CHECK(strstr(r.err, "could not be recorded") == NULL, "stderr %.600s", r.err);
	nl = lines(r.err, l, 128);
	CHECK(nl == 60, "%d calls", nl);
	for (int k = 0; k < nl; k++)
		CHECK(l[k].ret == -1 && l[k].err == 1, "%s ret %ld errno %ld", l[k].name, l[k].ret,
		      l[k].err);
	CHECK(live_read_rings(spool, &rr) == 0, "read rings");
	match_events(l, nl, &rr, 1, 1);
	CHECK(rr.n_rings == 60, "%d rings", rr.n_rings);
	live_rings_free(&rr);
}

/*
 * A workload of the supervisor's uid (not root: root could ptrace anyway)
 * goes for the supervisor from its first instructions: pidfd_getfd of its
 * listener, then answer its own notifications; or PTRACE_SEIZE.  The
 * supervisor used to become non-dumpable only after the command's exec, and
 * the workload won that race in about half the runs (listener taken, attach
 * made).  Now it is non-dumpable before the fork: every run gets EPERM.
 * Several runs, because before the fix a single one could lose the race.
 */
static void t15_no_ptrace_window(void)
{
	for (int i = 0; i < 12; i++) {
		const char *d = live_tmpdir("launcher-15"), *pol = policy(d, "p", DEFAULT_LIKE);
		char spool[600];
		struct xrun r;

		snprintf(spool, sizeof(spool), "%s/spool", d);
		mkdir(spool, 0777);
		chmod(d, 0755);
		chmod(spool, 0777);
		chmod(pol, 0644);
		xrun_uid = 65534;
		xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "steal",
					       "acct", NULL },
		     0, &r);
		xrun_uid = 0;
		CHECK(exit_code(r.status) == 0, "run %d: status %d, stderr %s", i,
		      exit_code(r.status), r.err);
		CHECK(strstr(r.out, "steal listeners=0 seize=-1\n") != NULL, "run %d: stdout %s", i,
		      r.out);
	}
}

/*
 * The workload can write the spool's parent: before its first denied call
 * it renames the spool away and puts a symlink to another directory in its
 * place.  The supervisor (root here) used to follow the path and create its
 * ring there; now it creates rings through the directory it checked at
 * start, which the workload cannot swap.
 */
static void t16_spool_swapped(void)
{
	const char *d = live_tmpdir("launcher-16"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600], old[600], other[600], step[700];
	struct xrun r;
	struct live_rings rr, ro;
	struct line l[4];
	int nl;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	snprintf(old, sizeof(old), "%s/spool.old", d);
	snprintf(other, sizeof(other), "%s/elsewhere", d);
	snprintf(step, sizeof(step), "swapspool=%s", d);
	xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, step, "acct",
				       NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 0, "status %d, stderr %s", exit_code(r.status), r.err);
	CHECK(strstr(r.out, "swapspool ret=0\n") != NULL, "stdout %s", r.out);
	nl = lines(r.err, l, 4);
	CHECK(nl == 1, "%d calls: %s", nl, r.err);
	CHECK(live_read_rings(other, &ro) == 0 && ro.n_rings == 0,
	      "%d rings in the directory the workload named", ro.n_rings);
	CHECK(live_read_rings(old, &rr) == 0, "read rings");
	match_events(l, nl, &rr, 1, 1);
	live_rings_free(&rr);
	live_rings_free(&ro);
}

/*
 * One process floods the supervisor from 32 threads, each calling a denied
 * call in a loop; meanwhile another process (the command) and a child it
 * starts make one denied call each.  The kernel queues notifications in
 * order and a parked thread has one at a time, so theirs are answered and
 * reported after at most one answer per flooding thread: the run ends (the
 * harness's timeout would catch a starved call) with both events recorded.
 */
static void t17_flood_does_not_starve(void)
{
	const char *d = live_tmpdir("launcher-17"), *pol = policy(d, "p", DEFAULT_LIKE);
	char spool[600];
	struct xrun r;
	struct line l[4];
	struct live_rings rr;
	int nl, flood_events = 0;

	snprintf(spool, sizeof(spool), "%s/spool", d);
	xrun(d, (const char *const[]){ "--spool", spool, pol, "--", DENIED_STATIC, "flood=32", "acct",
				       "child", "unflood", NULL },
	     0, &r);
	CHECK(exit_code(r.status) == 0, "status %d, stderr %s", exit_code(r.status), r.err);
	CHECK(strstr(r.out, "flooding threads=32\n") && strstr(r.out, "child exit=0\n") &&
		      strstr(r.out, "unflood sig=9\n"),
	      "stdout %s", r.out);
	nl = lines(r.err, l, 4);
	CHECK(nl == 2, "%d calls: %s", nl, r.err);
	CHECK(live_read_rings(spool, &rr) == 0, "read rings");
	for (int i = 0; i < nl; i++) {
		int found = 0;

		for (size_t k = 0; k < rr.n; k++)
			found += rr.ev[k].pid == (uint32_t)l[i].pid && rr.ev[k].nr == NR_ACCT &&
				 rr.ev[k].outcome == 1 && rr.ev[k].errno_ret == 1;
		CHECK(found == 1, "acct by %ld: %d events", l[i].pid, found);
	}
	for (size_t k = 0; k < rr.n; k++)
		flood_events += rr.ev[k].pid != (uint32_t)l[0].pid &&
				(nl < 2 || rr.ev[k].pid != (uint32_t)l[1].pid);
	CHECK(flood_events >= 32, "%d events from the flooding process", flood_events);
	live_rings_free(&rr);
}


/* ---- learning (--report-once --learn-via): the kernel's counter vs the supervisor ---- */

#define NR_GETITIMER 36
#define NR_MKDIR 83
#define NR_GETRUSAGE 98
#define NR_SYSINFO 99
#define NR_TIMES 100
#define NR_GETPGID 121
#define NR_FUTEX 202
#define AUDIT_ARCH_I386_ 0x40000003u
#define AUDIT_ARCH_X86_64_ 0xc000003eu
#define LEARN_NRS 1024

/* A learning base: deny everything (errno 1) but what the launcher needs. */
static const char *const LEARN_BASE[] = { "--mode", "audit", "--default", "errno:1", "--rule",
					  "execve:allow", "--rule", "exit_group:allow", NULL };

struct learned {
	uint8_t native[LEARN_NRS], i386[LEARN_NRS];
	int events, other;
	int not_errno; /* events whose action is not the base's errno:1 */
	uint64_t unshare_arg[4]; /* first arguments of the unshare events */
	int n_unshare;
};

/* Learn LEARN_WL with `via` (auto, bpf, supervisor) and the steps in args. */
static void learn_run(const char *d, const char *name, const char *via, const char *const *steps,
		      int sig, struct xrun *r, struct learned *l)
{
	char spool[600];
	const char *args[32];
	const char *pol = policy(d, name, LEARN_BASE);
	struct live_rings rr;
	int n = 0;

	snprintf(spool, sizeof(spool), "%s/spool-%s", d, name);
	mkdir(spool, 0777);
	chmod(spool, 0777);
	args[n++] = "--mode";
	args[n++] = "audit";
	args[n++] = "--report-once";
	/* clone's flags are learned: clone stays with the supervisor. */
	args[n++] = "--distinct-arg0";
	args[n++] = "56:0x7e020000,272:0x7e020000";
	args[n++] = "--learn-via";
	args[n++] = via;
	args[n++] = "--spool";
	args[n++] = spool;
	args[n++] = pol;
	args[n++] = "--";
	args[n++] = LEARN_WL;
	for (int i = 0; steps[i] && n < 31; i++)
		args[n++] = steps[i];
	args[n] = NULL;
	xrun(d, args, sig, r);
	memset(l, 0, sizeof(*l));
	if (live_read_rings(spool, &rr) != 0) {
		CHECK(0, "read rings of %s", spool);
		return;
	}
	CHECK(rr.bad == 0 && rr.dropped == 0, "%d bad, %llu dropped", rr.bad,
	      (unsigned long long)rr.dropped);
	for (size_t k = 0; k < rr.n; k++) {
		const struct live_ev *e = &rr.ev[k];

		l->events++;
		/* Every learned call is one the base denies (errno:1): the event
		 * carries that action whichever path saw it. */
		if (e->action != SIGSYS_ACT_ERRNO)
			l->not_errno++;
		if (e->nr == NR_UNSHARE && e->arch == AUDIT_ARCH_X86_64_ && l->n_unshare < 4)
			l->unshare_arg[l->n_unshare++] = e->args[0];
		if (e->nr >= 0 && e->nr < LEARN_NRS && e->arch == AUDIT_ARCH_X86_64_)
			l->native[e->nr] = 1;
		else if (e->nr >= 0 && e->nr < LEARN_NRS && e->arch == AUDIT_ARCH_I386_)
			l->i386[e->nr] = 1;
		else
			l->other++;
	}
	live_rings_free(&rr);
}

static int cgroup_left(pid_t launcher)
{
	char line[4096], mnt[1024] = "", path[1200];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	struct stat st;

	while (f && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - cgroup2 ");

		if (dash && sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1)
			break;
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/sigsys-learn.%d", mnt, (int)launcher);
	return *mnt && stat(path, &st) == 0;
}

/*
 * The counter sees every task of the tree: the main thread, a pthread, a
 * forked child, an exec'd static child; the set it learns is exactly the
 * supervisor's (which stops on every call) for the same steps.  Its cgroup
 * is gone afterwards.
 */
static void t18_learn_bpf_tree(void)
{
	const char *const steps[] = { "main", "thread", "fork", "exec", "unshare", NULL };
	const char *d = live_tmpdir("launcher-18");
	struct xrun r;
	struct learned bpf, sup;
	static const int markers[] = { NR_SYSINFO, NR_GETRUSAGE, NR_TIMES, NR_GETPGID };

	learn_run(d, "bpf", "bpf", steps, 0, &r, &bpf);
	CHECK(exit_code(r.status) == 0, "bpf: status %d, stderr %s", exit_code(r.status), r.err);
	CHECK(r.err[0] == 0, "bpf: stderr %s", r.err);
	CHECK(!cgroup_left(r.launcher), "the learning cgroup of %d is left", (int)r.launcher);
	learn_run(d, "sup", "supervisor", steps, 0, &r, &sup);
	CHECK(exit_code(r.status) == 0, "supervisor: status %d, stderr %s", exit_code(r.status),
	      r.err);
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		CHECK(bpf.native[markers[i]] && sup.native[markers[i]], "nr %d: bpf %d sup %d",
		      markers[i], bpf.native[markers[i]], sup.native[markers[i]]);
	/* futex: a contended join or exit, only when the timing says so. */
	for (int nr = 0; nr < LEARN_NRS; nr++)
		CHECK(nr == NR_FUTEX || bpf.native[nr] == sup.native[nr],
		      "nr %d: learned %s only", nr, bpf.native[nr] ? "by the counter" : "by the supervisor");
	CHECK(bpf.other == 0 && sup.other == 0, "other events: bpf %d sup %d", bpf.other, sup.other);
	CHECK(bpf.not_errno == 0 && sup.not_errno == 0,
	      "events without the base's errno action: bpf %d of %d, supervisor %d of %d",
	      bpf.not_errno, bpf.events, sup.not_errno, sup.events);
	/* unshare is learned with its namespace flags, read by the counter. */
	CHECK(strstr(r.out, "unshare ret=0\n") != NULL, "stdout %s", r.out);
	CHECK(bpf.n_unshare == 1 && bpf.unshare_arg[0] == CLONE_NEWUTS_ && sup.n_unshare == 1 &&
		      sup.unshare_arg[0] == CLONE_NEWUTS_,
	      "unshare events: bpf %d (0x%llx), supervisor %d (0x%llx)", bpf.n_unshare,
	      (unsigned long long)bpf.unshare_arg[0], sup.n_unshare,
	      (unsigned long long)sup.unshare_arg[0]);
	/* The launcher's own calls before execve are not the program's. */
	CHECK(!bpf.native[157] && !bpf.native[317], "prctl %d seccomp %d learned", bpf.native[157],
	      bpf.native[317]);
}

/* An i386 call (int $0x80) is learned as i386 83, never as native 83 (mkdir). */
static void t19_learn_bpf_i386(void)
{
	const char *const steps[] = { "main", "i386", NULL };
	const char *d = live_tmpdir("launcher-19");
	struct xrun r;
	struct learned l;

	learn_run(d, "bpf", "bpf", steps, 0, &r, &l);
	CHECK(exit_code(r.status) == 0, "status %d, stderr %s", exit_code(r.status), r.err);
	CHECK(strstr(r.out, "i386 ret=-14\n") != NULL, "stdout %s", r.out);
	CHECK(l.i386[NR_MKDIR], "i386 83 not learned");
	CHECK(!l.native[NR_MKDIR], "i386 83 learned as native mkdir");
	CHECK(l.native[NR_SYSINFO], "sysinfo not learned");
}

static void getitimer_outside(void)
{
	long it[4];

	syscall(NR_GETITIMER, 0, it);
}

/* A process outside the tree (this test) making a call while the tree
 * runs: not learned. */
static void t20_learn_bpf_outside(void)
{
	const char *const steps[] = { "main", "pause", NULL };
	const char *d = live_tmpdir("launcher-20");
	struct xrun r;
	struct learned l;

	xrun_on_ready = getitimer_outside;
	learn_run(d, "bpf", "bpf", steps, SIGUSR1, &r, &l);
	xrun_on_ready = NULL;
	CHECK(exit_code(r.status) == 0, "status %d, stderr %s", exit_code(r.status), r.err);
	CHECK(l.native[NR_SYSINFO] && l.native[130 /* rt_sigsuspend */], "tree's calls not learned");
	CHECK(!l.native[NR_GETITIMER], "getitimer of a process outside the tree learned");
}

/*
 * Where the counter cannot be used the supervisor learns alone and says
 * so in one line; --learn-via bpf refuses instead (125, nothing started).
 */
static void t21_learn_fallback(void)
{
	const char *const steps[] = { "main", "thread", NULL };
	const char *d = live_tmpdir("launcher-21");
	struct xrun r;
	struct learned l;

	chmod(d, 0755);
	xrun_uid = 65534;
	learn_run(d, "auto", "auto", steps, 0, &r, &l);
	xrun_uid = 0;
	CHECK(exit_code(r.status) == 0, "status %d, stderr %s", exit_code(r.status), r.err);
	/* One line, saying why. */
	CHECK(strstr(r.err, "sigsys-exec: learning through the supervisor alone") == r.err &&
		      strstr(r.err, "not root") && strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
	      "stderr %s", r.err);
	CHECK(l.native[NR_SYSINFO] && l.native[NR_GETRUSAGE], "supervisor path incomplete");
	xrun_uid = 65534;
	learn_run(d, "forced", "bpf", steps, 0, &r, &l);
	xrun_uid = 0;
	CHECK(exit_code(r.status) == 125 && strstr(r.err, "--learn-via bpf: not root"),
	      "status %d, stderr %s", exit_code(r.status), r.err);
	CHECK(l.events == 0, "%d events: the command ran", l.events);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "01-enforce-static", t01_enforce_static },
	{ "02-audit-static", t02_audit_static },
	{ "03-kill-static", t03_kill_static },
	{ "04-native", t04_native },
	{ "05-orphan-and-child", t05_orphan_and_child },
	{ "06-signal-forwarded", t06_signal_forwarded },
	{ "07-preload-precedence", t07_preload_precedence },
	{ "08-fail-closed", t08_fail_closed },
	{ "09-no-workload-listener", t09_no_workload_listener },
	{ "10-loader-calls-reported", t10_loader_calls_reported },
	{ "11-supervisor-survives-signals", t11_supervisor_survives_signals },
	{ "12-truncated-ring", t12_truncated_ring },
	{ "13-page-seed-per-run", t13_page_seed_per_run },
	{ "14-many-processes", t14_many_processes },
	{ "15-no-ptrace-window", t15_no_ptrace_window },
	{ "16-spool-swapped", t16_spool_swapped },
	{ "17-flood-does-not-starve", t17_flood_does_not_starve },
	{ "18-learn-bpf-tree", t18_learn_bpf_tree },
	{ "19-learn-bpf-i386", t19_learn_bpf_i386 },
	{ "20-learn-bpf-outside", t20_learn_bpf_outside },
	{ "21-learn-fallback", t21_learn_fallback },
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
	return live_run_cases(sizeof(tests) / sizeof(tests[0]), test_name, test_run, argc, argv, 1);
}
