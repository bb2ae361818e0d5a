/*
 * preload.c - the constructor of libsigsys.so (LD_PRELOAD).
 *
 * Order matters and is the point of this file; setup() runs four steps:
 *   1. bootstrap_handler: map the trusted syscall page (below), install the
 *      SIGSYS handler (SA_SIGINFO|SA_ONSTACK) with SIGSYS unblocked, and
 *      find out whether a filter of ours is already in place (execve);
 *   2. load_policy: read and validate $SIGSYS_POLICY (no JSON, no
 *      libseccomp at run time) and give the handler its action table;
 *   3. create_ring: collect the process metadata and create + map the ring
 *      in $SIGSYS_SPOOL, so that recording an event never needs a syscall;
 *   4. install_policy_filter: the policy's program as the file holds it
 *      (the prologue is in it: build.c), with only the trusted ip patched
 *      in, installed with NO_NEW_PRIVS and SECCOMP_FILTER_FLAG_TSYNC (every
 *      thread).
 * The handler comes first because after execve the inherited filter is
 * already active: any call of ours could trap before the handler exists.
 * Any failure before 4 prints ONE line `sigsys: <what>: <cause>` and exits
 * 126, unless SIGSYS_ON_ERROR=open: then the line is a warning and the
 * workload runs unfiltered.
 *
 * execve.  The filter survives execve, our handler does not.  The first
 * constructor exports SIGSYS_INSTALLED=<policy hash prefix>:<trusted page>;
 * a constructor that finds it, together with "Seccomp: 2" in
 * /proc/self/status and the same policy, re-installs only the handler and
 * creates a NEW ring for the new image (new exe, argv and mappings, so new
 * metadata; the old image's ring stays complete on disk for the collector).
 * It never stacks a second filter.
 *
 * The trusted ip and ASLR.  The installed filter holds one absolute address;
 * after execve libsigsys.so is mapped elsewhere.  So the filter does not
 * trust the stub inside libsigsys.so: the first constructor copies the stub
 * (trusted_syscall.S, position independent) into one anonymous page at a
 * random address in an otherwise unused part of the address space
 * (16 TiB + up to 64 GiB, MAP_FIXED_NOREPLACE), and exports that address in
 * SIGSYS_INSTALLED.  After execve the new constructor maps the same page at
 * the same address before anything else could have taken it (only ld.so and
 * the libraries have been mapped, all near the top or at the PIE base).  The
 * address is random per process tree, not per policy, so it is not a
 * syscall gadget at a predictable address.
 *
 * Limits (documented in the README): syscalls the dynamic loader makes after
 * execve and before this constructor have no handler yet, so a trapped one
 * kills the process; a static binary exec'd later never gets a handler; an
 * application that exec's with a scrubbed environment (no LD_PRELOAD or no
 * SIGSYS_INSTALLED) loses reporting or stacks a second filter.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "bpf_eval.h"
#include "handler.h"
#include "libc_neutral.h"
#include "meta.h"
#include "policy.h"
#include "ksignal.h"
#include "ring.h"
#include "trusted_page.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define MARKER_ENV "SIGSYS_INSTALLED"
#define POLICY_MAX_BYTES (1u << 20)

struct sigsys_state sigsys_g;

/*
 * libsigsys.so is linked with -z initfirst: after execve the inherited
 * filter is already active, and every library constructor that runs before
 * ours (libselinux's statfs, say) would meet it without a handler.  So ours
 * runs before all others, even before libc's own initialisation, which is
 * what sets `environ`: we read the environment from the constructor's envp,
 * and export SIGSYS_INSTALLED only once libc owns `environ` (in the
 * __libc_start_main wrapper below, or at once when libc is already up).
 * musl ignores initfirst but runs preloads' constructors first anyway,
 * after its own initialisation and without arguments: there `environ` is
 * read and written at once (docs/preload.md, "One library for glibc and
 * musl").
 */
static char **init_envp;
static char marker_pending[96];
/* SIGSYS_POLICY / SIGSYS_SPOOL made absolute for children that chdir. */
static char *abs_policy, *abs_spool;

/* getenv() that works in a -z initfirst constructor (see above). */
static const char *sigsys_env(const char *name)
{
	size_t n = strlen(name);
	char **e = init_envp ? init_envp : environ;

	for (; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/*
 * libc's setenv, not whatever `setenv` the program exports: bash, for one,
 * has its own that only updates bash's variable table, which bash then
 * rebuilds from `environ`.
 */
static void export_marker(void)
{
	int (*set)(const char *, const char *, int);

	if (!environ)
		return;
	set = (int (*)(const char *, const char *, int))dlsym(RTLD_NEXT, "setenv");
	if (!set)
		set = setenv;
	if (marker_pending[0]) {
		set(MARKER_ENV, marker_pending, 1);
		marker_pending[0] = 0;
	}
	if (abs_policy) {
		set("SIGSYS_POLICY", abs_policy, 1);
		free(abs_policy);
		abs_policy = NULL;
	}
	if (abs_spool) {
		set("SIGSYS_SPOOL", abs_spool, 1);
		free(abs_spool);
		abs_spool = NULL;
	}
}

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void),
			void *);

/* Runs after every library constructor, before the program's own init. */
__attribute__((visibility("default"))) int
__libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
		  void (*rtld_fini)(void), void *stack_end)
{
	start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");

	export_marker();
	if (!real)
		_exit(127);
	return real(main, argc, argv, init, fini, rtld_fini, stack_end);
}

struct err {
	char what[512];
	char cause[256];
};

static void set_err(struct err *e, const char *what, const char *cause)
{
	snprintf(e->what, sizeof(e->what), "%s", what);
	snprintf(e->cause, sizeof(e->cause), "%s", cause);
}

static int read_file(const char *path, void **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > POLICY_MAX_BYTES) {
		ret = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

/*
 * Some filter is already installed (seccomp mode 2).  prctl rather than
 * /proc/self/status: works without /proc (chroots), and is made after our
 * handler is back, so even a profile that traps prctl is answered.
 */
static int have_filter(void)
{
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == SECCOMP_MODE_FILTER;
}

static void hash_prefix(const uint8_t *hash, char out[17])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 15];
	}
	out[16] = 0;
}

/*
 * SIGSYS_INSTALLED=<hash16>:<page hex>:<mode>.  Parsed without a syscall:
 * after execve, the inherited filter may trap anything we call before our
 * handler is back.  Returns the page or 0.
 */
static uint64_t marker_parse(char hash[17], uint32_t *mode)
{
	const char *m = sigsys_env(MARKER_ENV);
	char *end;
	uint64_t page;
	unsigned long md;

	if (!m || strlen(m) < 18 || m[16] != ':')
		return 0;
	page = sigsys_strtoull(m + 17, &end, 16);
	if (*end != ':' || !page || (page & 4095))
		return 0;
	md = sigsys_strtoul(end + 1, &end, 10);
	if (*end || (md != SIGSYS_MODE_ENFORCE && md != SIGSYS_MODE_AUDIT))
		return 0;
	memcpy(hash, m, 16);
	hash[16] = 0;
	*mode = (uint32_t)md;
	return page;
}

/*
 * Seal the trusted page (mseal, Linux 6.10+): it can no longer be made
 * writable, unmapped, remapped, moved or replaced (mprotect, munmap,
 * mremap, mmap MAP_FIXED, madvise(DONTNEED), shmat(SHM_REMAP) all fail with
 * EPERM), in this process and in every fork child, until execve.  The
 * filter does not depend on it (the trusted path checks arch, x32 bit and
 * number, so nothing else at that address gains anything: docs/security.md);
 * sealing keeps the handler's own calls working whatever the workload does
 * to its memory.  Issued through the page itself: after execve the inherited
 * filter allows mseal from there (it is in the harmless list) and no
 * handler exists yet.  ENOSYS (older kernel): left unsealed, noted in
 * sigsys_g.sealed.
 */
static int seal_page(void *p)
{
	long r = sigsys_tsys(SIGSYS_NR_MSEAL, p, 4096, 0, 0, 0, 0);

	sigsys_g.sealed = r == 0;
	return r == 0 || r == -ENOSYS ? 0 : (int)r;
}

/* Map the trusted stub copy at `addr` exactly, sealed; 0 or -errno. */
static int map_stub_at(uint64_t addr)
{
	size_t len = (size_t)(sigsys_trusted_end - (const char *)sigsys_trusted_syscall);
	void *p;

	/* The handler's stub_intact() compares whole words. */
	if (len < 8 || len > 4096)
		return -EINVAL;
	p = mmap((void *)(uintptr_t)addr, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if ((uint64_t)(uintptr_t)p != addr) {
		/* Pre-4.17 kernels treat the flag as a hint. */
		munmap(p, 4096);
		return -EEXIST;
	}
	memcpy(p, (const void *)sigsys_trusted_syscall, len);
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0) {
		int e = -errno;

		munmap(p, 4096);
		return e;
	}
	__builtin___clear_cache((char *)p, (char *)p + len);
	sigsys_g.trusted = (sigsys_trusted_fn)p;
	sigsys_g.trusted_ip = addr + (uint64_t)(sigsys_trusted_ip -
						(const char *)sigsys_trusted_syscall);
	return seal_page(p);
}

/*
 * Where the trusted page goes when no SIGSYS_INSTALLED marker says so:
 * derived from SIGSYS_POLICY and SIGSYS_SPOOL of the initial environment
 * and SIGSYS_PAGE_SEED when set (sigsys_trusted_page_derive, trusted_page.h),
 * the same in every process that inherits them.  Runtimes that start without glibc's __libc_start_main (Go
 * with cgo) never see the marker we export and pass their own initial
 * environment to their children: those children still find the page the
 * inherited filter trusts.  Not a secret (docs/security.md).
 */
static uint64_t derived_page(void)
{
	return sigsys_trusted_page_derive(sigsys_env("SIGSYS_POLICY"), sigsys_env("SIGSYS_SPOOL"),
					  sigsys_env("SIGSYS_PAGE_SEED"));
}

static int map_stub_random(uint64_t *addr)
{
	int ret = -EEXIST;

	for (int tries = 0; tries < 16 && ret == -EEXIST; tries++) {
		uint32_t r = 0;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)getpid() * 2654435761u + (uint32_t)tries;
		*addr = SIGSYS_TRUSTED_BASE + (uint64_t)(r % SIGSYS_TRUSTED_SPAN_PAGES) * 4096u;
		ret = map_stub_at(*addr);
	}
	return ret;
}

/*
 * Seccomp_filters from /proc/self/status: how many filters this process
 * runs under; -1 when it cannot be read.
 */
static int filter_count(void)
{
	char buf[2048];
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "Seccomp_filters:");
	if (!p)
		return -1;
	return (int)sigsys_strtoul(p + 16, NULL, 10);
}

/*
 * sigsys-exec sets SIGSYS_BASE_FILTERS to the number of filters its child
 * runs under once the launcher's own (user-notification) filter is
 * installed.  With exactly that many, none of them is a sigsys trap filter,
 * so there is nothing to probe: the probe's rt_sigprocmask would go to the
 * supervisor and be answered and reported as the workload's own call.  A
 * workload that forges the variable only makes its children stack a
 * second trap filter (more restriction, never less).
 */
static int only_launcher_filters(void)
{
	const char *v = sigsys_env("SIGSYS_BASE_FILTERS");
	char *end;
	unsigned long base;

	if (!v || !*v)
		return 0;
	base = sigsys_strtoul(v, &end, 10);
	return !*end && base > 0 && filter_count() == (int)base;
}

/*
 * Is the filter this process inherited one of ours?  Without the marker
 * (see derived_page) Seccomp: 2 alone does not say: a container runtime's
 * filter looks the same.  Ours traps an rt_sigprocmask that may block (the
 * policy's prologue, prologue.h), from any address but the trusted one; the
 * handler notes it.  Made with a libc-free inline syscall from here, after
 * the handler is installed; the mask is unchanged (SIG_BLOCK of nothing).
 */
static int inherited_filter_is_ours(void)
{
	uint64_t none = 0;
	register long r10 __asm__("r10") = 8;
	long ret;

	sigsys_g.saw_prologue = 0;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)SYS_rt_sigprocmask), "D"((long)SIG_BLOCK), "S"(&none),
			   "d"(0L), "r"(r10)
			 : "rcx", "r11", "memory");
	(void)ret;
	return __atomic_load_n(&sigsys_g.saw_prologue, __ATOMIC_ACQUIRE);
}

/*
 * Whether clock_gettime is answered by the vDSO without a syscall: only for
 * clocksources the vDSO can read (see handler.c now_ns()).
 */
static int vdso_clock_ok(void)
{
	static const char *const ok[] = { "tsc", "kvm-clock", "hyperv_clocksource_tsc_page",
					  "arch_sys_counter" };
	char buf[64] = { 0 };
	int fd;
	ssize_t n;

	if (!getauxval(AT_SYSINFO_EHDR))
		return 0;
	fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (n > 0 && strcmp(buf, ok[i]) == 0)
			return 1;
	return 0;
}

/*
 * A page every forked child sees zeroed: the handler's fork detection
 * (handler.c fork_pid).  Not pthread_atfork: glibc's links a call to
 * __register_atfork into the library, which musl does not have, and a raw
 * fork syscall runs no atfork handler anyway.  NULL where the kernel lacks
 * MADV_WIPEONFORK (before 4.14).
 */
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

static int32_t *wipe_on_fork_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, 4096, MADV_WIPEONFORK) != 0) {
		munmap(p, 4096);
		return NULL;
	}
	return p;
}

static int install_handler(void)
{
	struct sigsys_ksigaction sa = { 0 }, prev = { 0 };
	struct sigaction app;
	uint64_t unblock = SIGSYS_KSIGSYS_BIT;
	long ret;

	/*
	 * SA_ONSTACK: runtimes that insist on it (Go) keep working, and a
	 * thread near the end of its stack still gets its trap reported.  No
	 * SA_RESTART: a seccomp trap is not an interrupted syscall, the flag
	 * would mean nothing.  No SA_NODEFER: a SIGSYS inside the handler is a
	 * bug we want the kernel to end.  Every other signal is blocked while
	 * the handler runs (a few microseconds): an application handler that
	 * interrupted ours and made a trapped call would find SIGSYS blocked,
	 * which is fatal.  Where the handler hands control back to application
	 * code (chaining, clone, exec) it sets the application's mask first.
	 *
	 * Raw rt_sigaction through the trusted stub rather than libc's: after
	 * execve the inherited filter may deny rt_sigaction to everyone else
	 * (learn mode), and there is no handler yet to catch that trap.
	 */
	sa.handler = (void *)sigsys_handler;
	sa.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER;
	sa.mask = ~0ull;
	sa.restorer = sigsys_restore_rt;
	ret = sigsys_tsys(SYS_rt_sigaction, SIGSYS, &sa, &prev, SIGSYS_KSIGSET_SIZE, 0, 0);
	if (ret < 0)
		return (int)ret;
	/* Inherited across exec (SIG_IGN, SIG_DFL): the application's. */
	if (prev.handler != (void *)sigsys_handler) {
		memset(&app, 0, sizeof(app));
		app.sa_handler = (__sighandler_t)prev.handler;
		app.sa_flags = (int)(prev.flags & ~(unsigned long)SA_RESTORER);
		memcpy(&app.sa_mask, &prev.mask, sizeof(prev.mask));
		sigsys_chain_init(&app);
	}
	/* execve keeps the mask; a blocked seccomp SIGSYS is fatal. */
	sigsys_tsys(SYS_rt_sigprocmask, SIG_UNBLOCK, &unblock, NULL, SIGSYS_KSIGSET_SIZE, 0, 0);
	return 0;
}

static int install_filter(struct sock_filter *insns, uint32_t n)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = insns };
	long ret;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (ret < 0)
		return -errno;
	if (ret > 0)
		return -EBUSY; /* thread `ret` has a filter we cannot sync with */
	return 0;
}

/* What step 1 found out about the filter this process may have inherited. */
struct boot {
	uint64_t page;       /* the trusted page mapped */
	int reinstall;       /* a filter of ours is in place: handler and ring only */
	char marker_hash[17];
	uint32_t marker_mode; /* 0: no marker, or not known until the policy is read */
};

/*
 * Step 1, handler bootstrap: the trusted page and the handler come first,
 * before any libc call that could trap under a filter inherited across
 * execve.  With no filter yet they are harmless.  Then: is a filter of ours
 * already installed (marker, or the prologue probe)?
 */
static int bootstrap_handler(struct err *e, struct boot *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->page = marker_parse(b->marker_hash, &b->marker_mode);
	if (b->page) {
		/* The inherited filter trusts exactly this address; a second
		 * filter trusting another one would trap our own calls. */
		ret = map_stub_at(b->page);
		if (ret < 0) {
			set_err(e, "trusted syscall page after execve",
				ret == -EEXIST ? "its address is taken in the new image"
					       : strerror(-ret));
			return ret;
		}
		sigsys_g.mode = b->marker_mode;
		sigsys_g.bootstrap = 1;
	} else {
		b->page = derived_page();
		ret = b->page ? map_stub_at(b->page) : -EEXIST;
		if (ret == -EEXIST) {
			b->page = 0;
			ret = map_stub_random(&b->page);
		}
		if (ret < 0) {
			set_err(e, "trusted syscall page", strerror(-ret));
			return ret;
		}
	}
	/* The only arch a policy loaded here can have (checked when parsed);
	 * the handler compares trap arches with it from the first trap on. */
	sigsys_g.arch = SIGSYS_AUDIT_ARCH;
	ret = install_handler();
	if (ret < 0) {
		set_err(e, "rt_sigaction(SIGSYS)", strerror(-ret));
		return ret;
	}
	sigsys_g.pid = (int32_t)sigsys_tsys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	sigsys_handler_fork_init(wipe_on_fork_page());
	sigsys_g.active = 1;
	if (sigsys_g.bootstrap) {
		b->reinstall = have_filter();
	} else if (have_filter() && !only_launcher_filters() && inherited_filter_is_ours()) {
		/* Exec'd by a process that never exported the marker (Go): the
		 * filter trusts the derived address, which we just mapped. */
		if (b->page != derived_page()) {
			set_err(e, "trusted syscall page after execve",
				"its address is taken in the new image");
			return -EEXIST;
		}
		b->reinstall = 1;
		b->marker_mode = 0; /* unknown until the policy file is read */
		sigsys_g.mode = SIGSYS_MODE_ENFORCE; /* bootstrap answers EPERM */
		sigsys_g.bootstrap = 1;
	}
	return 0;
}

/*
 * Step 2, policy load: read and check $SIGSYS_POLICY (no JSON, no
 * libseccomp at run time) into *image, and give the handler its table and
 * the profile's program.  The caller frees *image.
 */
static int load_policy(struct err *e, const char *path, const struct boot *b, void **image,
		       struct sigsys_policy *pol, char hash[17])
{
	struct sigsys_policy_header prof_hdr;
	struct sigsys_policy prof;
	const char *why = NULL;
	size_t len = 0;
	int ret;

	if (!path || !*path) {
		set_err(e, "SIGSYS_POLICY", "not set (path of a policy from `sigsys compile`)");
		return -EINVAL;
	}
	ret = read_file(path, image, &len);
	if (ret < 0) {
		set_err(e, path, strerror(-ret));
		return ret;
	}
	ret = sigsys_policy_parse(*image, len, SIGSYS_AUDIT_ARCH, pol, &why);
	if (ret < 0) {
		set_err(e, path, why ? why : strerror(-ret));
		return ret;
	}
	if (pol->hdr->mode != SIGSYS_MODE_ENFORCE && pol->hdr->mode != SIGSYS_MODE_AUDIT) {
		set_err(e, path, "unknown mode");
		return -EINVAL;
	}
	/* Without the prologue a runtime could block SIGSYS and die of the
	 * next trap: never install such a program. */
	if (!pol->hdr->prologue_len) {
		set_err(e, path, "has no prologue (not built by sigsys compile)");
		return -EINVAL;
	}
	hash_prefix(pol->hdr->profile_hash, hash);
	if (b->reinstall && b->marker_mode &&
	    (strcmp(hash, b->marker_hash) != 0 || pol->hdr->mode != b->marker_mode)) {
		set_err(e, path, "differs from the policy of the filter a parent process "
				 "installed before execve (" MARKER_ENV ")");
		return -EINVAL;
	}
	sigsys_g.mode = pol->hdr->mode;
	sigsys_g.arch = pol->hdr->arch;
	/* The profile's program (after the prologue), unpatched: the handler
	 * evaluates it for SIGNALS traps (the placeholder ip never equals a
	 * real call address). */
	sigsys_policy_profile_program(pol, &prof_hdr, &prof);
	memcpy(sigsys_g.prog, prof.insns, prof.hdr->n_insns * sizeof(prof.insns[0]));
	__atomic_store_n(&sigsys_g.n_prog, prof.hdr->n_insns, __ATOMIC_RELEASE);
	memcpy(sigsys_g.actions, pol->actions, pol->hdr->n_actions * sizeof(pol->actions[0]));
	/* Release: a handler that sees the count sees the table. */
	__atomic_store_n(&sigsys_g.n_actions, pol->hdr->n_actions, __ATOMIC_RELEASE);
	sigsys_g.bootstrap = 0;
	return 0;
}

/*
 * Step 3, the ring: collect the process metadata and create + map the ring
 * in $SIGSYS_SPOOL, before any filter of ours exists, so that recording an
 * event never needs a syscall.
 */
static int create_ring(struct err *e, const struct sigsys_policy *pol)
{
	const char *spool = sigsys_env("SIGSYS_SPOOL");
	const char *records = sigsys_env("SIGSYS_RING_RECORDS");
	const char *hot = sigsys_env("SIGSYS_HOT");
	uint32_t n_records = 0;
	uint8_t *meta;
	int ret, meta_len;

	if (!spool || !*spool) {
		set_err(e, "SIGSYS_SPOOL", "not set (directory for the event ring)");
		return -EINVAL;
	}
	if (records && *records) {
		char *end;
		unsigned long n = sigsys_strtoul(records, &end, 10);

		if (*end || n == 0 || n > SIGSYS_RING_MAX_RECORDS) {
			set_err(e, "SIGSYS_RING_RECORDS", "not a number of records in 1..4194304");
			return -EINVAL;
		}
		n_records = (uint32_t)n;
	}
	/* Hot-loop counting (ring.h) is on unless SIGSYS_HOT=0: then every
	 * call is a full event (ring stress tests, per-thread accounting). */
	if (hot && *hot) {
		if (strcmp(hot, "0") != 0 && strcmp(hot, "1") != 0) {
			set_err(e, "SIGSYS_HOT", "not 0 (every call a full event) or 1 (count repeats)");
			return -EINVAL;
		}
		sigsys_g.hot_off = hot[0] == '0';
	}
	meta = malloc(SIGSYS_RING_META_MAX);
	if (!meta) {
		set_err(e, "metadata", strerror(ENOMEM));
		return -ENOMEM;
	}
	{
		struct sigsys_meta_in in = {
			.proc = "/proc/self",
			.pid = (uint32_t)getpid(),
			.ppid = (uint32_t)getppid(),
			.policy_hash = pol->hdr->profile_hash,
			.mode = sigsys_g.mode,
			.pod = sigsys_env("POD_NAME") ? sigsys_env("POD_NAME")
						      : sigsys_env("KUBERNETES_POD_NAME"),
			.namespace_ = sigsys_env("POD_NAMESPACE"),
		};

		meta_len = sigsys_meta_collect(&in, meta, SIGSYS_RING_META_MAX);
	}
	if (meta_len < 0)
		meta_len = 0; /* metadata is best effort; events are not */
	ret = sigsys_ring_create(&sigsys_g.ring, spool, n_records, meta, (size_t)meta_len, NULL,
				 0);
	free(meta);
	if (ret < 0) {
		set_err(e, spool, strerror(-ret));
		return ret;
	}
	sigsys_g.vdso_time = vdso_clock_ok();
	return 0;
}

/*
 * Step 4, filter install: the policy's program exactly as the file holds it
 * (prologue included, built by build.c), with the trusted page's ip patched
 * into its trusted-ip jeqs: the only thing that depends on this process
 * tree.  Installed with NO_NEW_PRIVS and TSYNC (every thread); then the
 * marker for the processes we exec.
 */
static int install_policy_filter(struct err *e, const char *path, const struct sigsys_policy *pol,
				 const struct boot *b, const char hash[17])
{
	const char *spool = sigsys_env("SIGSYS_SPOOL");
	uint32_t n = pol->hdr->n_insns;
	struct sock_filter *insns;
	int ret;

	insns = malloc(n * sizeof(*insns));
	if (!insns) {
		set_err(e, "filter", strerror(ENOMEM));
		return -ENOMEM;
	}
	memcpy(insns, pol->insns, n * sizeof(*insns));
	ret = sigsys_policy_trust_ip(pol->hdr, insns, n, sigsys_g.trusted_ip);
	if (ret < 0) {
		set_err(e, path, "trusted ip slots are not jeq instructions");
		goto out;
	}
	ret = install_filter(insns, n);
	if (ret < 0) {
		set_err(e, "seccomp filter", strerror(-ret));
		goto out;
	}
	snprintf(marker_pending, sizeof(marker_pending), "%s:%" PRIx64 ":%u", hash, b->page,
		 sigsys_g.mode);
	/* Children that chdir before exec must still find both. */
	if (path[0] != '/')
		abs_policy = realpath(path, NULL);
	if (spool[0] != '/')
		abs_spool = realpath(spool, NULL);
	export_marker(); /* now if libc is initialised (musl, dlopen), else before main */
out:
	free(insns);
	return ret;
}

static int setup(struct err *e)
{
	const char *policy_path = sigsys_env("SIGSYS_POLICY");
	struct sigsys_policy pol;
	struct boot b;
	void *image = NULL;
	char hash[17];
	int ret;

	ret = bootstrap_handler(e, &b);
	if (ret < 0)
		return ret;
	ret = load_policy(e, policy_path, &b, &image, &pol, hash);
	if (ret == 0)
		ret = create_ring(e, &pol);
	/* After execve the filter from before is still there: never a second. */
	if (ret == 0 && !b.reinstall)
		ret = install_policy_filter(e, policy_path, &pol, &b, hash);
	free(image);
	return ret;
}

__attribute__((constructor)) static void sigsys_init(int argc, char **argv, char **envp)
{
	const char *on_error;
	int open_mode;
	struct err e;

	/*
	 * glibc passes (argc, argv, envp) to constructors and, with -z
	 * initfirst, has not set `environ` yet.  musl passes nothing (the
	 * registers hold garbage) but has set `environ` before any constructor
	 * runs.  So: `environ` whenever it is set, else glibc's envp.
	 */
	init_envp = environ ? NULL : envp;
	on_error = sigsys_env("SIGSYS_ON_ERROR");
	open_mode = on_error && strcmp(on_error, "open") == 0;

	(void)argc;
	(void)argv;
	/* Until the filter exists any copy of the stub is as good as another. */
	sigsys_g.trusted = sigsys_trusted_syscall;
	if (setup(&e) == 0)
		return;
	/*
	 * "open" means running unfiltered, which is only true when no filter
	 * is in place.  After an execve (or under sigsys-exec) the inherited
	 * filter stays whatever we do: without our handler its first trapped
	 * call would kill the process unreported, so stop here instead.
	 */
	if (!open_mode || have_filter()) {
		dprintf(2, "sigsys: %s: %s%s\n", e.what, e.cause,
			open_mode ? " (SIGSYS_ON_ERROR=open ignored: a seccomp filter is already installed)" : "");
		_exit(126);
	}
	dprintf(2, "sigsys: %s: %s (SIGSYS_ON_ERROR=open: running unfiltered)\n", e.what,
		e.cause);
	/* No filter was installed (every failure is before it); let the
	 * application own SIGSYS again. */
	if (sigsys_g.active) {
		struct sigaction app;

		sigsys_chain_get(&app);
		sigsys_g.active = 0;
		sigsys_real_sigaction(SIGSYS, &app, NULL);
	}
}
