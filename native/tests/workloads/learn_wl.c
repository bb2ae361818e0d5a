/*
 * learn_wl.c - a workload for the learning tests (live_launcher.c, cases
 * learn-*): each step makes one call that nothing else in the program
 * makes, from a different kind of task, so a test can tell exactly which
 * tasks a learner saw.  Built with musl-gcc -static (no loader, no libc
 * start-up noise beyond musl's few calls).
 *
 *   main      sysinfo()               (99)  from the main thread
 *   thread    getrusage() in a pthread (98), joined
 *   fork      times() in a forked child (100), waited for
 *   exec      fork + exec this program with "getpgid", waited for
 *   getpgid   getpgid(0)              (121)
 *   unshare   unshare(CLONE_NEWUTS)   (272; learned with its argument)
 *   i386      `int $0x80` with i386 number 83 (symlink(NULL, NULL): EFAULT);
 *             native 83 is mkdir, which nothing here makes
 *   pause     print "ready" (stdout, flushed) and wait for SIGUSR1
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

static void *thread_main(void *arg)
{
	long ru[18];

	(void)arg;
	syscall(SYS_getrusage, 0, ru);
	return NULL;
}

static long i386_call(long nr)
{
	long ret = nr;

	__asm__ volatile("int $0x80" : "+a"(ret) : "b"(0), "c"(0) : "memory", "cc", "r8", "r9",
			 "r10", "r11");
	return ret;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "main") == 0) {
			long si[16];

			syscall(SYS_sysinfo, si);
		} else if (strcmp(s, "thread") == 0) {
			pthread_t t;

			if (pthread_create(&t, NULL, thread_main, NULL) != 0)
				return 3;
			pthread_join(t, NULL);
		} else if (strcmp(s, "fork") == 0) {
			pid_t p = fork();
			long tms[4];

			if (p == 0) {
				syscall(SYS_times, tms);
				_exit(0);
			}
			waitpid(p, NULL, 0);
		} else if (strcmp(s, "exec") == 0) {
			pid_t p = fork();

			if (p == 0) {
				execl("/proc/self/exe", argv[0], "getpgid", (char *)NULL);
				_exit(127);
			}
			waitpid(p, NULL, 0);
		} else if (strcmp(s, "getpgid") == 0) {
			syscall(SYS_getpgid, 0);
		} else if (strcmp(s, "unshare") == 0) {
			printf("unshare ret=%ld\n", syscall(SYS_unshare, 0x04000000L));
		} else if (strcmp(s, "i386") == 0) {
			printf("i386 ret=%ld\n", i386_call(83));
		} else if (strcmp(s, "pause") == 0) {
			sigset_t usr1, none;

			/* Blocked until sigsuspend: a signal sent right after
			 * "ready" cannot slip in before the wait. */
			sigemptyset(&usr1);
			sigaddset(&usr1, SIGUSR1);
			sigemptyset(&none);
			signal(SIGUSR1, on_usr1);
			sigprocmask(SIG_BLOCK, &usr1, NULL);
			printf("ready\n");
			fflush(stdout);
			while (!got)
				sigsuspend(&none);
		} else {
			fprintf(stderr, "learn_wl: unknown step %s\n", s);
			return 2;
		}
	}
	fflush(stdout);
	return 0;
}
