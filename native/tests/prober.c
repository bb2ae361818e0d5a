/*
 * prober.c - sigsys-prober: run ONE syscall under a compiled sigsys policy
 * and report, as one JSON line, what the kernel did with it.
 *
 *   sigsys-prober [-32] POLICY NR [ARG0 .. ARG5]  (args: decimal or 0x hex, 64-bit)
 *
 * -32 issues the call through `int $0x80` (the i386 entry: seccomp sees
 * AUDIT_ARCH_I386 and the low 32 bits of each argument), to check a policy's
 * x86 sub-arch handling on x86_64.
 *
 * A forked child installs the policy's BPF program exactly as stored, the
 * prologue included (parsed with sigsys_policy_parse, nothing patched: the
 * trusted-ip placeholder never equals a real ip, so every non-ALLOW path
 * traps, and a clone3 the prologue answers comes back with its errno,
 * untrapped), sets NO_NEW_PRIVS and a
 * SIGSYS handler, then issues syscall(NR, args...).  The handler decodes
 * si_errno (SIGSYS_TRAP_MAGIC | index) through the policy's action table.
 * Results go through a shared mapping, so the child needs no syscall to
 * report; the parent prints:
 *
 *   {"nr":135,"trapped":false,"ret":0,"errno":0}
 *   {"nr":39,"trapped":true,"action":"ERRNO","data":1,"index":2,
 *    "si_syscall":39,"si_arch":3221225534,"ours":true}
 *
 * Exit status 0 when the probe ran, 2 on usage/policy errors.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy.h"
#include "rewrite.h"

struct result {
	volatile int phase; /* 1: probing, 2: probe returned */
	volatile int trapped;
	volatile int ours;
	volatile uint32_t kind, data, index;
	volatile int sys_nr;
	volatile uint32_t sys_arch;
	volatile long ret;
	volatile int err;
};

static struct result *res;
static struct sigsys_policy pol;
static int probe_nr;
static int use_int80;

static long int80(long nr, const uint64_t *a)
{
	long ret = nr;
	/* i386 syscall ABI: eax nr, ebx ecx edx esi edi (ebp, the sixth, is
	 * left alone: touching rbp from inline asm is not safe here). */
	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"((uint32_t)a[0]), "c"((uint32_t)a[1]), "d"((uint32_t)a[2]),
			   "S"((uint32_t)a[3]), "D"((uint32_t)a[4])
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return ret;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (res->phase != 1 || si->si_syscall != probe_nr) {
		/* A trap after the probe (exit_group denied, ...): die.  Issued
		 * inside the handler, with SIGSYS blocked, a second trap makes the
		 * kernel kill us outright. */
		syscall(SYS_exit_group, 0);
		return;
	}
	if (res->trapped)
		return;
	res->trapped = 1;
	res->sys_nr = si->si_syscall;
	res->sys_arch = si->si_arch;
	uint32_t e = (uint32_t)si->si_errno;
	if ((e & SIGSYS_TRAP_MAGIC_MASK) == SIGSYS_TRAP_MAGIC) {
		uint32_t idx = e & SIGSYS_TRAP_INDEX_MASK;
		res->ours = 1;
		res->index = idx;
		if (idx < pol.hdr->n_actions) {
			res->kind = pol.actions[idx].kind;
			res->data = pol.actions[idx].data;
		}
	} else {
		res->ours = 0;
		res->data = e;
	}
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-')
		return -1;
	*out = strtoull(s, &end, 0);
	return (errno || *end || end == s) ? -1 : 0;
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	uint64_t args[6] = {0};
	uint64_t nr64;
	if (argc > 1 && strcmp(argv[1], "-32") == 0) {
		use_int80 = 1;
		argv++;
		argc--;
	}
	if (argc < 3 || argc > 9 || parse_u64(argv[2], &nr64) || nr64 > 0x7fffffff) {
		fprintf(stderr, "usage: sigsys-prober [-32] POLICY NR [ARG0..ARG5]\n");
		return 2;
	}
	probe_nr = (int)nr64;
	for (int i = 3; i < argc; i++) {
		if (parse_u64(argv[i], &args[i - 3])) {
			fprintf(stderr, "sigsys-prober: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	size_t len = 0;
	void *buf = read_file(argv[1], &len);
	if (!buf) {
		fprintf(stderr, "sigsys-prober: cannot read %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	const char *why = NULL;
	if (sigsys_policy_parse(buf, len, AUDIT_ARCH_X86_64, &pol, &why) < 0) {
		fprintf(stderr, "sigsys-prober: %s: %s\n", argv[1], why ? why : "invalid policy");
		return 2;
	}
	res = mmap(NULL, sizeof *res, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("sigsys-prober: mmap");
		return 2;
	}
	memset((void *)res, 0, sizeof *res);

	/* The program the kernel gets: an unmodified copy of the policy's. */
	struct sock_filter *insns = malloc(pol.hdr->n_insns * sizeof *insns);
	if (!insns)
		return 2;
	memcpy(insns, pol.insns, pol.hdr->n_insns * sizeof *insns);
	struct sock_fprog prog = {.len = (unsigned short)pol.hdr->n_insns, .filter = insns};

	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("sigsys-prober: fork");
		return 2;
	}
	if (pid == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		if (sigaction(SIGSYS, &sa, NULL) < 0)
			_exit(3);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(4);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(5);
		res->phase = 1;
		long r;
		int e;
		if (use_int80) {
			r = int80(probe_nr, args);
			e = (r < 0 && r > -4096) ? (int)-r : 0;
			r = e ? -1 : r;
		} else {
			r = syscall(probe_nr, args[0], args[1], args[2], args[3], args[4], args[5]);
			e = r < 0 ? errno : 0;
		}
		res->ret = r;
		res->err = e;
		res->phase = 2;
		syscall(SYS_exit_group, 0);
		for (;;)
			syscall(SYS_exit, 0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("sigsys-prober: waitpid");
			return 2;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) >= 3 && WEXITSTATUS(status) <= 5) {
		fprintf(stderr, "sigsys-prober: child could not install the filter (step %d)\n",
			WEXITSTATUS(status));
		return 2;
	}
	if (res->phase == 0) {
		fprintf(stderr, "sigsys-prober: child died before the probe\n");
		return 2;
	}
	printf("{\"nr\":%d,\"trapped\":%s", probe_nr, res->trapped ? "true" : "false");
	if (res->trapped) {
		/* Upper case, like the SCMP_ACT_* names the tests compare with. */
		char kind[32] = "FOREIGN";
		if (res->ours) {
			const char *k = sigsys_action_kind_name(res->kind);
			size_t i;
			for (i = 0; k[i] && i < sizeof kind - 1; i++)
				kind[i] = (char)toupper((unsigned char)k[i]);
			kind[i] = '\0';
		}
		printf(",\"ours\":%s,\"action\":\"%s\",\"data\":%" PRIu32 ",\"index\":%" PRIu32
		       ",\"si_syscall\":%d,\"si_arch\":%" PRIu32,
		       res->ours ? "true" : "false", kind,
		       (uint32_t)res->data, (uint32_t)res->index, res->sys_nr,
		       (uint32_t)res->sys_arch);
	} else {
		printf(",\"ret\":%ld,\"errno\":%d", (long)res->ret, res->err);
	}
	if (WIFSIGNALED(status))
		printf(",\"signal\":%d", WTERMSIG(status));
	else
		printf(",\"exit\":%d", WEXITSTATUS(status));
	printf("}\n");
	free(insns);
	free(buf);
	return 0;
}
