/*
 * bench_native.c - what a syscall costs under sigsys.
 *
 *   sigsys-bench allowed|trapped ITERS REPS [--install allow-all|bare-trap]
 *                [--lockstep IN_FIFO OUT_FIFO]
 *
 * allowed: getppid, which every filter here allows (the kernel's constant
 *          action cache answers it without running the filter);
 * trapped: getpriority, which the sigsys policies deny (bench/native/run.sh
 *          runs this binary under libsigsys.so for enforce and audit) or
 *          which --install bare-trap answers with SECCOMP_RET_TRAP and an
 *          empty SIGSYS handler: the floor of any trap-based reporter.
 * --install allow-all installs a one-instruction "ret ALLOW" filter.
 *
 * --lockstep: before each run, wait for a byte on IN_FIFO; after it, write
 * one to OUT_FIFO.  bench/native/run.sh chains every configuration's
 * process into one ring of FIFOs, so run k of each configuration is taken
 * back to back with run k of the others: their ratio is not moved by this
 * VM's speed drifting between runs.
 *
 * Prints the median ns per call over REPS runs of ITERS calls and every
 * run's time in order (each=, ns, comma-separated).  Under the
 * preload, the ring is drained between runs (cursor = head, outside the
 * timed part), so every timed event is really written, never dropped;
 * dropped= is printed so run.sh can check that.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "ring.h"

static inline long raw0(long nr)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static inline long raw2(long nr, long a0, long a1)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "rcx", "r11", "memory");
	return ret;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void bare_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = -EPERM;
}

static int install(const char *what)
{
	struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_filter bare[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpriority, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog;

	if (!strcmp(what, "allow-all")) {
		prog.len = 1;
		prog.filter = allow_all;
	} else if (!strcmp(what, "bare-trap")) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = bare_handler;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK; /* as sigsys's */
		if (sigaction(SIGSYS, &sa, NULL) != 0)
			return -1;
		prog.len = 4;
		prog.filter = bare;
	} else {
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Our own ring (the preload's), mapped to drain it between runs. */
static struct sigsys_ring_reader ring;
static int have_ring;

static void find_ring(void)
{
	const char *spool = getenv("SIGSYS_SPOOL");
	struct dirent *d;
	DIR *dir;

	if (!spool || !(dir = opendir(spool)))
		return;
	while ((d = readdir(dir)) && !have_ring) {
		char path[1024];
		struct stat st;
		const char *why;
		void *map;
		int fd;

		if (strncmp(d->d_name, "sigsys-", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", spool, d->d_name);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0) {
			map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (map != MAP_FAILED &&
			    sigsys_ring_open_reader(&ring, map, (size_t)st.st_size, &why) == 0) {
				struct sigsys_ring_stats s;

				sigsys_ring_stats(&ring, &s);
				if (s.owner_pid == (uint32_t)getpid())
					have_ring = 1;
			}
		}
		close(fd);
	}
	closedir(dir);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One byte through a lockstep FIFO (-1: not in lockstep). */
static int token_wait(int fd)
{
	char c;

	return fd < 0 || read(fd, &c, 1) == 1 ? 0 : -1;
}

static int token_pass(int fd)
{
	return fd < 0 || write(fd, "t", 1) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	long iters, reps;
	int trapped, in_fd = -1, out_fd = -1;
	uint64_t *per = NULL, *each = NULL;
	long sink = 0;

	if (argc < 4)
		goto usage;
	trapped = !strcmp(argv[1], "trapped");
	if (!trapped && strcmp(argv[1], "allowed"))
		goto usage;
	iters = strtol(argv[2], NULL, 0);
	reps = strtol(argv[3], NULL, 0);
	if (iters <= 0 || reps <= 0 || reps > 1000)
		goto usage;
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--install") && i + 1 < argc) {
			if (install(argv[++i]) != 0) {
				perror("install");
				return 1;
			}
		} else if (!strcmp(argv[i], "--lockstep") && i + 2 < argc) {
			/* O_RDWR: a FIFO opened so never blocks in open, whatever
			 * order the ring's processes start in. */
			in_fd = open(argv[i + 1], O_RDWR | O_CLOEXEC);
			out_fd = open(argv[i + 2], O_RDWR | O_CLOEXEC);
			if (in_fd < 0 || out_fd < 0) {
				perror("lockstep");
				return 1;
			}
			i += 2;
		} else {
			goto usage;
		}
	}
	per = calloc((size_t)reps, sizeof(*per));
	each = calloc((size_t)reps, sizeof(*each));
	if (!per || !each)
		return 1;
	/* Warm up: first-trap lazy work (tid cache, page faults in the ring). */
	for (long i = 0; i < 1000; i++)
		sink += trapped ? raw2(SYS_getpriority, 0, 0) : raw0(SYS_getppid);
	/* After the warm-up: a supervisor's ring (bench/launcher) is created
	 * on the first denied call; the preload's exists from the start. */
	/* SIGSYS_BENCH_DRAIN=0 (bench/loop/run.sh): a collector reads the
	 * ring; moving its cursor here would skip events it has not read. */
	if (!getenv("SIGSYS_BENCH_DRAIN") || strcmp(getenv("SIGSYS_BENCH_DRAIN"), "0"))
		find_ring();
	for (long r = 0; r < reps; r++) {
		uint64_t t0, t1;

		if (have_ring)
			sigsys_ring_set_cursor(&ring, sigsys_ring_head(&ring));
		if (token_wait(in_fd) != 0) {
			perror("lockstep read");
			return 1;
		}
		t0 = mono_ns();
		if (trapped)
			for (long i = 0; i < iters; i++)
				sink += raw2(SYS_getpriority, 0, 0);
		else
			for (long i = 0; i < iters; i++)
				sink += raw0(SYS_getppid);
		t1 = mono_ns();
		if (token_pass(out_fd) != 0) {
			perror("lockstep write");
			return 1;
		}
		per[r] = each[r] = (t1 - t0) * 1000 / (uint64_t)iters; /* picoseconds per call */
	}
	qsort(per, (size_t)reps, sizeof(*per), cmp_u64);
	printf("ns_per_call=%.1f min=%.1f max=%.1f ring=%d dropped=%llu head=%llu sink=%ld each=",
	       per[reps / 2] / 1000.0, per[0] / 1000.0, per[reps - 1] / 1000.0, have_ring,
	       have_ring ? (unsigned long long)sigsys_ring_dropped(&ring) : 0ull,
	       have_ring ? (unsigned long long)sigsys_ring_head(&ring) : 0ull, sink & 1);
	for (long r = 0; r < reps; r++)
		printf("%s%.1f", r ? "," : "", each[r] / 1000.0);
	printf("\n");
	free(per);
	free(each);
	return 0;
usage:
	fprintf(stderr, "usage: sigsys-bench allowed|trapped ITERS REPS [--install allow-all|bare-trap]"
			" [--lockstep IN_FIFO OUT_FIFO]\n");
	return 2;
}
