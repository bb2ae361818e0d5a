/*
 * supervisor.h - the user-notification supervisor of sigsys-exec.
 *
 * The workload runs under the NOTIFY variant of the policy (variant.h): its
 * denied paths return SECCOMP_RET_USER_NOTIF, and the kernel parks the
 * calling thread until this supervisor answers on the listener fd.  For each
 * notification the supervisor
 *
 *   1. evaluates the policy's own (trap) program on the notification's
 *      seccomp_data, which names the action-table entry the profile chose;
 *   2. writes a sigsys.v1.Violation into a ring for the calling process
 *      (one ring per process and image, created on its first event, with
 *      RingMeta read from /proc/<pid>, source = SOURCE_SUPERVISOR and
 *      writer_pid = the supervisor), exactly the ring format of the preload;
 *   3. answers: the profile's errno (enforce), CONTINUE (audit, and LOG),
 *      ENOSYS (TRACE, USER_NOTIF: no tracer, no listener of the profile's),
 *      or, for KILL_PROCESS / KILL_THREAD in enforce mode, SIGKILL to the
 *      whole process through a pidfd (the call never returns; see
 *      docs/launcher.md "Kill actions").
 *
 * The event is committed before the answer, so an event is in the ring
 * before its caller can run again.  /proc reads are checked afterwards with
 * SECCOMP_IOCTL_NOTIF_ID_VALID: if the notifying task died meanwhile, its
 * pid may have been reused and what was read is not trusted.
 *
 * It also reaps: it runs as PR_SET_CHILD_SUBREAPER, so every process the
 * workload leaves behind becomes its child; forwards the signals listed in
 * supervisor.c to the command (those sent by a process; a terminal's
 * signals already reached the whole foreground group); and returns when the
 * command and every descendant have exited.
 */
#ifndef SIGSYS_SUPERVISOR_H
#define SIGSYS_SUPERVISOR_H

#include <stdint.h>
#include <sys/types.h>

#include "encode.h"
#include "policy.h"

struct sigsys_bpf_learn;

/*
 * --report-once (sigsys learn): each kind of denied call is recorded once for
 * the whole tree; a kind is (arch, nr), or (arch, nr, arg0 & mask) for the
 * native-arch numbers listed here (calls whose risk is in their first
 * argument: clone flags, socket family, ...).  Later calls of a kind are
 * answered as usual, without an event: a learning run of a busy loop costs
 * the round trip, not an event per call.
 */
#define SIGSYS_SUP_ONCE_MAX 16
struct sigsys_sup_once {
	uint32_t nr[SIGSYS_SUP_ONCE_MAX], mask[SIGSYS_SUP_ONCE_MAX];
	int n;
};

struct sigsys_sup_opts {
	const struct sigsys_policy *policy; /* parsed; outlives the run */
	uint32_t mode;          /* enum sigsys_mode the answers follow */
	const char *spool;      /* directory for the rings */
	uint32_t ring_records;  /* 0: SIGSYS_RING_DEFAULT_RECORDS */
	int listener;           /* seccomp notification fd */
	int sigfd;              /* signalfd for SIGCHLD + forwarded signals */
	pid_t child;            /* the command */
	uint64_t trusted_off;   /* preload stub: offset of its trusted ip */
	int report_once;        /* record each kind of call once (see above) */
	struct sigsys_sup_once once;
	/* --learn-via bpf: the kernel counts the calls the filter allows; the
	 * supervisor marks each call of another arch it CONTINUEs so that
	 * the counter skips it (bpf_learn.h).  NULL otherwise. */
	const struct sigsys_bpf_learn *bpf;
};

struct sigsys_sup_result {
	int status;             /* wait status of the command */
	int seccomp_killed;     /* the supervisor killed it for a KILL action */
	uint64_t events;        /* events written */
	uint64_t lost;          /* events that could not be written (no ring) */
	char lost_why[160];     /* the first reason */
};

/* Signals forwarded to the command; the caller blocks them (and SIGCHLD)
 * and passes a signalfd for them. */
void sigsys_sup_forwarded(sigset_t *set);

/* Run until the command and all its descendants exited.  0 or -errno. */
int sigsys_supervise(const struct sigsys_sup_opts *o, struct sigsys_sup_result *res);

/*
 * After the run: write v[0..n) (seq filled in here) into one new ring about
 * process `owner` (the command, exited by now) and close it - the events of
 * calls the kernel counted instead of the supervisor (bpf_learn.h).  Counts
 * into res->events, or res->lost with the reason.  0 or -errno.
 */
int sigsys_sup_write_events(const struct sigsys_sup_opts *o, uint32_t owner,
			    struct sigsys_violation *v, size_t n, struct sigsys_sup_result *res);

#endif
