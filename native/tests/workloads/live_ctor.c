/*
 * live_ctor.c - a library the live workload links against, whose
 * constructor makes calls the test policies trap.  After execve the
 * inherited filter is active while library constructors run; libsigsys
 * (-z initfirst) must have its handler in place before this one runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("default"))) long wl_ctor_ppid, wl_ctor_prio, wl_ctor_prio_errno;

/* Only when asked (WL_CTOR_CALLS=1), so other tests count only their calls. */
__attribute__((constructor)) static void wl_ctor(void)
{
	if (!getenv("WL_CTOR_CALLS"))
		return;
	wl_ctor_ppid = syscall(SYS_getppid);
	errno = 0;
	wl_ctor_prio = syscall(SYS_getpriority, 0, 0);
	wl_ctor_prio_errno = errno;
}
