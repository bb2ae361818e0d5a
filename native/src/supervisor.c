/*
 * supervisor.c - answer seccomp user notifications with the profile's action
 * and report them into the spool (design in supervisor.h and
 * docs/launcher.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "bpf_eval.h"
#include "bpf_learn.h"
#include "encode.h"
#include "rewrite.h"
#include "ring.h"
#include "schema.h"
#include "sup_meta.h"
#include "supervisor.h"
#include "trusted_page.h"

#include "seccomp_compat.h"

#define OUT_DENIED SIGSYS_OUTCOME_DENIED
#define OUT_ALLOWED SIGSYS_OUTCOME_ALLOWED
#define OUT_KILLED SIGSYS_OUTCOME_KILLED

/* One ring per workload process image. */
struct sup_ring {
	uint32_t tgid;
	int pidfd;          /* readable once the process exited */
	char exe[256];      /* /proc/<tgid>/exe when created: an exec starts a new ring */
	struct sigsys_ring ring;
};

/* tid -> tgid, direct mapped: status files are slow to generate. */
#define TID_CACHE 256u
struct tid_entry {
	uint32_t tid, tgid;
};

/*
 * --report-once: kinds of call already recorded, open addressing.  Full
 * (more kinds than slots, which no real program reaches) means every
 * further call is recorded: never a lost name.
 */
#define SEEN_SLOTS 8192u
struct seen_key {
	uint32_t arch, nr, arg, used;
};

struct sup {
	const struct sigsys_sup_opts *o;
	struct seen_key *seen;
	struct tid_entry tids[TID_CACHE];
	struct sigsys_sup_result *res;
	struct sup_ring *rings;
	size_t n_rings, cap_rings;
	uint8_t *meta;
	const char *pod, *namespace_;
};

static const int forwarded[] = { SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM, SIGUSR1,
				 SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };

void sigsys_sup_forwarded(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
}

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void lost(struct sup *s, const char *what, int err)
{
	if (!s->res->lost++)
		snprintf(s->res->lost_why, sizeof(s->res->lost_why), "%s: %s", what,
			 strerror(err));
}

/*
 * Ring files are shared with the workload's uid: a workload can truncate
 * the ring the supervisor maps for it (or fill the spool's filesystem under
 * a sparse ring), and the supervisor's next store into it raises SIGBUS,
 * which would end the supervisor and leave the rest of the tree unanswered
 * (launcher-12).  So every store into a ring runs under a guard: a SIGBUS
 * inside the guarded mapping jumps back and the ring is dropped (the next
 * event of that process gets a new one).  Single-threaded: plain statics.
 */
static sigjmp_buf *bus_jmp;
static uintptr_t bus_lo, bus_hi;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	if (si->si_code <= 0)
		return; /* sent by a process (kill, sigqueue): ignored */
	if (bus_jmp && a >= bus_lo && a < bus_hi)
		siglongjmp(*bus_jmp, 1);
	/* A fault anywhere else: the default action, when the access repeats. */
	signal(sig, SIG_DFL);
}

/*
 * Guard the stores between BUS_GUARD_BEGIN and BUS_GUARD_END: a SIGBUS in
 * [lo, hi) makes the calling function return -EFAULT.  A macro, not a
 * helper: sigsetjmp must run in the frame siglongjmp returns to, which is
 * the caller's.  `jb` is a sigjmp_buf local of that caller.
 */
#define BUS_GUARD_BEGIN(jb, lo, hi)                                                      \
	do {                                                                             \
		if (sigsetjmp(jb, 1)) {                                                  \
			bus_jmp = NULL;                                                  \
			return -EFAULT;                                                  \
		}                                                                        \
		bus_lo = (lo);                                                           \
		bus_hi = (hi);                                                           \
		bus_jmp = &(jb);                                                         \
	} while (0)
#define BUS_GUARD_END() (bus_jmp = NULL)

/* The launcher keeps SIGBUS blocked until here (a kill from the workload
 * could come before the handler exists). */
static int install_bus_guard(void)
{
	struct sigaction sa;
	sigset_t bus;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	return sigprocmask(SIG_UNBLOCK, &bus, NULL) < 0 ? -errno : 0;
}

/* Mark `r` closed (the collector may finish it); 0, or -EFAULT when its
 * file no longer backs the mapping. */
static int ring_close_flag(struct sigsys_ring *r)
{
	sigjmp_buf jb;

	BUS_GUARD_BEGIN(jb, (uintptr_t)r->hdr, (uintptr_t)r->hdr + r->map_len);
	__atomic_store_n(&r->hdr->closed, 1u, __ATOMIC_RELEASE);
	BUS_GUARD_END();
	return 0;
}

/*
 * sigsys_ring_create_for under the guard: the new file can be truncated
 * between its ftruncate and the header stores (it has a predictable dot
 * name for that moment).  A fault there abandons the half-made ring; its
 * fd and mapping are leaked, one per such race won by the workload.
 */
static int ring_create_guarded(struct sup *s, struct sigsys_ring *ring, uint32_t tgid,
			       uint32_t records, size_t meta_len)
{
	sigjmp_buf jb;
	int ret;

	BUS_GUARD_BEGIN(jb, 0, UINTPTR_MAX);
	ret = sigsys_ring_create_for(ring, s->o->spool, tgid, records, s->meta,
				     meta_len, NULL, 0);
	BUS_GUARD_END();
	return ret;
}

/* Write one encoded event into `r`: 1 written, 0 ring full (counted in
 * the ring's dropped counter), -EFAULT when its file was truncated. */
static int ring_write(struct sigsys_ring *r, struct sigsys_violation *v)
{
	uint8_t buf[SIGSYS_VIOLATION_MAX];
	sigjmp_buf jb;
	int64_t ticket;
	int len;

	BUS_GUARD_BEGIN(jb, (uintptr_t)r->hdr, (uintptr_t)r->hdr + r->map_len);
	ticket = sigsys_ring_reserve(r);
	if (ticket >= 0) {
		v->seq = (uint64_t)ticket;
		len = sigsys_encode_violation(v, buf, sizeof(buf));
		if (len < 0)
			len = 0;
		sigsys_ring_commit(r, (uint64_t)ticket, buf, (uint32_t)len);
	}
	BUS_GUARD_END();
	return ticket >= 0;
}

static void retire(struct sup *s, size_t i)
{
	struct sup_ring *r = &s->rings[i];

	if (r->ring.hdr) {
		/* Nobody writes this ring again: the collector may finish it. */
		ring_close_flag(&r->ring);
		sigsys_ring_unmap(&r->ring);
	}
	if (r->pidfd >= 0)
		close(r->pidfd);
	s->rings[i] = s->rings[--s->n_rings];
}

static int id_valid(const struct sup *s, uint64_t id)
{
	return ioctl(s->o->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static ssize_t read_exe(uint32_t tgid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/*
 * The ring of process `tgid`, created on its first event.  A cached ring is
 * reused only while its process lives (its pidfd is not readable: the pid
 * was not reused) and runs the same image (same exe; a new image gets a new
 * ring, as under the preload).  Returns NULL (and counts the event lost)
 * when the ring cannot be made, or when the notification went stale while
 * /proc was read.
 */
static struct sup_ring *ring_for(struct sup *s, uint32_t tgid, uint64_t id)
{
	struct sigsys_sup_meta_in in;
	struct sup_ring *r;
	char exe[256];
	int meta_len, ret;

	read_exe(tgid, exe, sizeof(exe));
	for (size_t i = 0; i < s->n_rings; i++) {
		struct pollfd p = { .fd = s->rings[i].pidfd, .events = POLLIN };

		if (s->rings[i].tgid != tgid)
			continue;
		if (poll(&p, 1, 0) == 0 && strcmp(s->rings[i].exe, exe) == 0)
			return &s->rings[i];
		retire(s, i); /* pid reused, or a new image */
		break;
	}
	if (s->n_rings == s->cap_rings) {
		size_t cap = s->cap_rings ? 2 * s->cap_rings : 16;
		struct sup_ring *n = realloc(s->rings, cap * sizeof(*n));

		if (!n) {
			lost(s, "ring table", ENOMEM);
			return NULL;
		}
		s->rings = n;
		s->cap_rings = cap;
	}
	r = &s->rings[s->n_rings];
	memset(r, 0, sizeof(*r));
	r->tgid = tgid;
	snprintf(r->exe, sizeof(r->exe), "%s", exe);
	r->pidfd = sys_pidfd_open((pid_t)tgid);
	if (r->pidfd < 0) {
		lost(s, "pidfd_open", errno);
		return NULL;
	}
	memset(&in, 0, sizeof(in));
	in.pid = tgid;
	in.writer_pid = (uint32_t)getpid();
	in.policy_hash = s->o->policy->hdr->profile_hash;
	in.mode = s->o->mode;
	in.pod = s->pod;
	in.namespace_ = s->namespace_;
	meta_len = sigsys_sup_meta_collect(&in, s->meta, SIGSYS_RING_META_MAX);
	if (meta_len < 0)
		meta_len = 0; /* metadata is best effort; events are not */
	/* What was read belongs to the caller only if it is still waiting. */
	if (!id_valid(s, id)) {
		close(r->pidfd);
		return NULL;
	}
	ret = ring_create_guarded(s, &r->ring, tgid, s->o->ring_records, (size_t)meta_len);
	if (ret < 0) {
		close(r->pidfd);
		lost(s, s->o->spool, -ret);
		return NULL;
	}
	s->n_rings++;
	return r;
}

/*
 * The process (tgid) of task `tid`.  A cached answer is confirmed with one
 * stat of /proc/<tgid>/task/<tid>: that thread exists in that process now,
 * and the caller checks the notification is still valid afterwards (the
 * task cannot have died and its tid been reused in between).
 */
static int tgid_of(struct sup *s, uint32_t tid, uint32_t *tgid)
{
	struct tid_entry *e = &s->tids[tid % TID_CACHE];
	uint32_t ppid;
	char path[64];
	struct stat st;
	int ret;

	if (e->tid == tid) {
		snprintf(path, sizeof(path), "/proc/%u/task/%u", e->tgid, tid);
		if (stat(path, &st) == 0) {
			*tgid = e->tgid;
			return 0;
		}
	}
	ret = sigsys_proc_ids(tid, tgid, &ppid);
	if (ret == 0) {
		e->tid = tid;
		e->tgid = *tgid;
	}
	return ret;
}

static void record(struct sup *s, const struct seccomp_notif *req, struct sigsys_violation *v)
{
	struct sup_ring *r;
	uint32_t tgid = 0;
	int ret;

	ret = tgid_of(s, req->pid, &tgid);
	if (ret < 0) {
		/* The caller is gone (killed while waiting): its call never ran. */
		if (!id_valid(s, req->id))
			return;
		lost(s, "/proc/<pid>/status", -ret);
		return;
	}
	v->pid = tgid;
	v->tid = req->pid;
	/* A second try only after the first ring was truncated under us: the
	 * dropped ring is replaced by a new one. */
	for (int attempt = 0; attempt < 2; attempt++) {
		r = ring_for(s, tgid, req->id);
		if (!r)
			return;
		/* tid -> tgid came from /proc (or a cache confirmed there): it
		 * named the caller only if the caller is still parked now. */
		if (!id_valid(s, req->id))
			return;
		ret = ring_write(&r->ring, v);
		if (ret > 0)
			s->res->events++;
		if (ret >= 0)
			return; /* written, or full (the ring's dropped counter) */
		/* Its file no longer backs the mapping: drop it unflagged. */
		sigsys_ring_unmap(&r->ring);
		retire(s, (size_t)(r - s->rings));
	}
	lost(s, "ring file truncated while mapped", EFAULT);
}

/*
 * A call the preload's handler re-issues from its trusted stub (audit mode,
 * LOG actions) passes the preload's own filter and reaches ours: the handler
 * already reported it.  Any code may execute from such an address, but what
 * it gains is only that: no report for a call that runs anyway.
 */
static int from_preload_stub(const struct sup *s, uint64_t ip)
{
	uint64_t base = ip - s->o->trusted_off;

	return ip >= SIGSYS_TRUSTED_BASE + s->o->trusted_off && (base & 4095) == 0 &&
	       base < SIGSYS_TRUSTED_BASE + (uint64_t)SIGSYS_TRUSTED_SPAN_PAGES * 4096u;
}

/*
 * The preload's handler makes a few harmless calls of its own from its
 * trusted stub (rewrite.h: getpid, gettid, rt_sigaction, ...); its own filter
 * grants them even where the profile denies them (learn mode denies nearly
 * everything), and so does the supervisor, for the native arch only.  A
 * workload that forges the stub address gains exactly these calls, as it
 * would in a preloaded process.
 */
static int preload_harmless(const struct sup *s, const struct seccomp_data *d)
{
	uint32_t n = 0;
	const uint32_t *nrs = sigsys_handler_syscalls(s->o->policy->hdr->arch, &n);

	if (d->arch != s->o->policy->hdr->arch || !from_preload_stub(s, d->instruction_pointer))
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if ((uint32_t)d->nr == nrs[i])
			return 1;
	return 0;
}

/* --report-once: 1 when this kind of call was recorded before; else remembers it. */
static int seen_before(struct sup *s, const struct seccomp_data *d)
{
	const struct sigsys_sup_once *once = &s->o->once;
	uint32_t arg = 0, h;

	if (!s->seen)
		return 0;
	for (int i = 0; i < once->n; i++)
		if (d->arch == s->o->policy->hdr->arch && (uint32_t)d->nr == once->nr[i])
			arg = (uint32_t)d->args[0] & once->mask[i];
	h = ((uint32_t)d->nr * 2654435761u) ^ (arg * 40503u) ^ d->arch;
	for (uint32_t k = 0; k < SEEN_SLOTS; k++) {
		struct seen_key *e = &s->seen[(h + k) % SEEN_SLOTS];

		if (!e->used) {
			*e = (struct seen_key){ .arch = d->arch, .nr = (uint32_t)d->nr, .arg = arg, .used = 1 };
			return 0;
		}
		if (e->arch == d->arch && e->nr == (uint32_t)d->nr && e->arg == arg)
			return 1;
	}
	return 0;
}

/* 0 once SIGKILL is on its way to the caller's process, else -errno. */
static int kill_process(struct sup *s, const struct seccomp_notif *req, uint32_t tgid)
{
	int pidfd = -1, own = 0, ret = -ESRCH;

	for (size_t i = 0; i < s->n_rings; i++)
		if (s->rings[i].tgid == tgid)
			pidfd = s->rings[i].pidfd;
	if (pidfd < 0) {
		pidfd = sys_pidfd_open((pid_t)tgid);
		own = pidfd >= 0;
	}
	/*
	 * The caller is parked in the kernel until we answer, so while its
	 * notification id is valid the pidfd (opened for this tgid while it
	 * waited) names its process.  SIGKILL cannot be caught or blocked;
	 * the parked call is abandoned, never run.
	 */
	if (pidfd >= 0 && id_valid(s, req->id) && sys_pidfd_send_signal(pidfd, SIGKILL) == 0) {
		if ((pid_t)tgid == s->o->child)
			s->res->seccomp_killed = 1;
		ret = 0;
	}
	if (own)
		close(pidfd);
	return ret;
}

static void answer(struct sup *s)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct sigsys_violation v;
	uint32_t ret, kind = 0, data = 0, tgid = 0;
	int cont = 0, err = 0, do_kill = 0, skip;

	memset(&req, 0, sizeof(req));
	if (ioctl(s->o->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return; /* ENOENT: the caller died before we read it */

	ret = sigsys_bpf_eval(s->o->policy->insns, s->o->policy->hdr->n_insns, &req.data, NULL);
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		kind = SIGSYS_ACT_KILL_PROCESS; /* the reserved kill numbers */
		break;
	case SECCOMP_RET_KILL_THREAD:
		kind = SIGSYS_ACT_KILL_THREAD;
		break;
	case SECCOMP_RET_TRAP:
		if ((ret & SIGSYS_TRAP_MAGIC_MASK) == SIGSYS_TRAP_MAGIC &&
		    (ret & SIGSYS_TRAP_INDEX_MASK) < s->o->policy->hdr->n_actions) {
			const struct sigsys_action *a =
				&s->o->policy->actions[ret & SIGSYS_TRAP_INDEX_MASK];

			kind = a->kind;
			data = a->data;
		}
		break;
	default:
		break;
	}

	memset(&v, 0, sizeof(v));
	v.time_ns = now_ns();
	v.nr = req.data.nr;
	v.arch = req.data.arch;
	memcpy(v.args, req.data.args, sizeof(v.args));
	v.ip = req.data.instruction_pointer;
	v.action = kind;
	v.mode = s->o->mode;

	if (kind == SIGSYS_ACT_ALLOW || preload_harmless(s, &req.data)) {
		/* The policy allows it (a NOTIFY variant never asks for this),
		 * or the preload's own harmless call: run it, report nothing. */
		cont = 1;
	} else if (s->o->mode == SIGSYS_MODE_AUDIT || kind == SIGSYS_ACT_LOG) {
		cont = 1;
		v.outcome = OUT_ALLOWED;
		if (!from_preload_stub(s, v.ip) && !seen_before(s, &req.data))
			record(s, &req, &v);
	} else if (kind == SIGSYS_ACT_KILL_PROCESS || kind == SIGSYS_ACT_KILL_THREAD) {
		v.outcome = OUT_KILLED;
		record(s, &req, &v);
		do_kill = 1;
	} else {
		/* ERRNO: the profile's errno; TRACE, USER_NOTIF and a raw action
		 * the rewrite never emits (kind 0): ENOSYS, denied. */
		err = kind == SIGSYS_ACT_ERRNO ? (int)(data > 4095 ? 4095 : data) : ENOSYS;
		v.outcome = OUT_DENIED;
		v.errno_ret = err;
		v.ret = -(int64_t)err;
		record(s, &req, &v);
	}
	if (do_kill) {
		if (tgid_of(s, req.pid, &tgid) == 0 && kill_process(s, &req, tgid) == 0)
			return; /* no answer: the caller is being killed */
		/*
		 * The process could not be killed (gone, or /proc unreadable):
		 * answer rather than leave the call parked for ever.  Denied -
		 * the call never runs - with EPERM.
		 */
		err = EPERM;
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	if (cont)
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		resp.error = -err;
	/*
	 * A CONTINUEd call of another arch reaches the kernel's counter next,
	 * numbered by its own ABI (an i386 number read as a native one): mark
	 * its task so that the counter skips exactly that call.  Marked
	 * before the answer, which is what lets the call run.  x32 numbers
	 * carry their bit and are ignored by the counter anyway.
	 */
	skip = cont && s->o->bpf && req.data.arch != s->o->policy->hdr->arch &&
	       sigsys_bpf_learn_skip_next(s->o->bpf, req.pid) == 0;
	/* ENOENT: the caller died meanwhile; nothing to answer. */
	if (ioctl(s->o->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && skip)
		sigsys_bpf_learn_unskip(s->o->bpf, req.pid);
}

/* Reap every child; note the command's status.  1 once none is left. */
static int reap(struct sup *s, int *child_done)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG | __WALL);

		if (p == 0)
			return 0;
		if (p < 0)
			return errno == ECHILD;
		if (p == s->o->child) {
			s->res->status = st;
			*child_done = 1;
		}
	}
}

static void on_signal(struct sup *s, int child_done, int *none_left, int *done)
{
	struct signalfd_siginfo si;

	while (read(s->o->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		/*
		 * A terminal's SIGINT/SIGQUIT/SIGWINCH (si_code SI_KERNEL) went
		 * to the whole foreground process group, the command included;
		 * forwarding it would deliver it twice.
		 */
		if (si.ssi_code == SI_KERNEL || child_done)
			continue;
		kill(s->o->child, (int)si.ssi_signo);
	}
	*none_left = reap(s, done);
}

int sigsys_supervise(const struct sigsys_sup_opts *o, struct sigsys_sup_result *res)
{
	struct sup s;
	struct pollfd *pfd = NULL;
	size_t cap_pfd = 0;
	int child_done = 0, none_left = 0, listening = 1, ret = 0;

	memset(&s, 0, sizeof(s));
	memset(res, 0, sizeof(*res));
	s.o = o;
	s.res = res;
	s.pod = getenv("POD_NAME") ? getenv("POD_NAME") : getenv("KUBERNETES_POD_NAME");
	s.namespace_ = getenv("POD_NAMESPACE");
	s.meta = malloc(SIGSYS_RING_META_MAX);
	if (!s.meta)
		return -ENOMEM;
	ret = install_bus_guard();
	if (ret < 0) {
		free(s.meta);
		return ret;
	}
	/*
	 * The caller sleeps until we answer: a synchronous wake-up (6.6+)
	 * lets the scheduler run us on its CPU right away, several times
	 * cheaper per round trip.  Best effort: older kernels say EINVAL.
	 */
	ioctl(o->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (uint64_t)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	if (o->report_once) {
		s.seen = calloc(SEEN_SLOTS, sizeof(*s.seen));
		if (!s.seen) {
			free(s.meta);
			return -ENOMEM;
		}
	}

	while (!(child_done && none_left)) {
		size_t n = 0, need = 2 + s.n_rings;

		if (need > cap_pfd) {
			struct pollfd *np = realloc(pfd, need * 2 * sizeof(*np));

			if (!np) {
				ret = -ENOMEM;
				break;
			}
			pfd = np;
			cap_pfd = need * 2;
		}
		pfd[n++] = (struct pollfd){ .fd = o->sigfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = listening ? o->listener : -1, .events = POLLIN };
		for (size_t i = 0; i < s.n_rings; i++)
			pfd[n++] = (struct pollfd){ .fd = s.rings[i].pidfd, .events = POLLIN };
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (pfd[1].revents & POLLIN)
			answer(&s);
		else if (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL))
			listening = 0; /* no process uses the filter any more */
		if (pfd[0].revents & POLLIN)
			on_signal(&s, child_done, &none_left, &child_done);
		/* Rings of processes that exited: hand them to the collector.
		 * Backwards, because retire() moves the last entry into i. */
		for (size_t i = n; i-- > 2;)
			if ((pfd[i].revents & (POLLIN | POLLHUP)) && i - 2 < s.n_rings &&
			    s.rings[i - 2].pidfd == pfd[i].fd)
				retire(&s, i - 2);
	}
	while (s.n_rings)
		retire(&s, s.n_rings - 1);
	free(s.rings);
	free(pfd);
	free(s.meta);
	free(s.seen);
	return ret;
}

int sigsys_sup_write_events(const struct sigsys_sup_opts *o, uint32_t owner,
			    struct sigsys_violation *v, size_t n, struct sigsys_sup_result *res)
{
	struct sigsys_sup_meta_in in;
	struct sigsys_ring ring;
	struct sup s;
	uint32_t records;
	int meta_len, ret;

	if (n == 0)
		return 0;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.res = res;
	s.meta = malloc(SIGSYS_RING_META_MAX);
	if (!s.meta) {
		lost(&s, "ring metadata", ENOMEM);
		res->lost += n - 1;
		return -ENOMEM;
	}
	memset(&in, 0, sizeof(in));
	in.pid = owner;
	in.writer_pid = (uint32_t)getpid();
	in.policy_hash = o->policy->hdr->profile_hash;
	in.mode = o->mode;
	in.pod = getenv("POD_NAME") ? getenv("POD_NAME") : getenv("KUBERNETES_POD_NAME");
	in.namespace_ = getenv("POD_NAMESPACE");
	/* Best effort: the owner has exited, its /proc fields stay empty. */
	meta_len = sigsys_sup_meta_collect(&in, s.meta, SIGSYS_RING_META_MAX);
	memset(&ring, 0, sizeof(ring));
	/*
	 * All n events go in at once, after the run, with nobody reading in
	 * between: the ring holds them all whatever --ring-records says.
	 */
	records = o->ring_records ? o->ring_records : SIGSYS_RING_DEFAULT_RECORDS;
	if (records < n)
		records = n > SIGSYS_RING_MAX_RECORDS ? SIGSYS_RING_MAX_RECORDS : (uint32_t)n;
	ret = ring_create_guarded(&s, &ring, owner, records, meta_len < 0 ? 0 : (size_t)meta_len);
	free(s.meta);
	if (ret < 0) {
		lost(&s, o->spool, -ret);
		res->lost += n - 1;
		return ret;
	}
	for (size_t i = 0; i < n; i++) {
		ret = ring_write(&ring, &v[i]);
		if (ret > 0)
			res->events++;
		else if (ret < 0) {
			lost(&s, "ring file truncated while mapped", EFAULT);
			res->lost += n - i - 1;
			break;
		}
	}
	if (ret >= 0)
		ring_close_flag(&ring);
	sigsys_ring_unmap(&ring);
	return ret < 0 ? ret : 0;
}
