/*
 * live_adversarial.c - a hostile workload (tests/workloads/adv_wl.c) under
 * libsigsys.so in enforce mode tries to run calls the profile denies
 * (ctest label "adversarial", also "live"; the cases are numbered, not
 * ordered).  Every case ends with the denied
 * call NOT executed (the directory or device it would create is checked on
 * disk) and, where docs/security.md says so, a report in the ring.
 *
 * The profile: everything allowed except mkdir, mkdirat, mknod, mknodat and
 * umask (EPERM), getppid logged; other ABIs (i386, x32) get libseccomp's
 * bad-arch action (kill).  Under it, without sigsys's checks, i386 mkdir
 * (39 = x86_64 getpid), mknod (14 = rt_sigprocmask) and umask (60 = exit)
 * from the trusted instruction would pass as the handler's harmless calls.
 *
 *   live_adversarial            run every case
 *   live_adversarial NAME...    run the cases whose name contains NAME
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live_util.h"
#include "policy.h"

enum { OUT_DENIED = 1, OUT_ALLOWED = 2, OUT_KILLED = 3 };

#define NR_MKDIR 83
#define TRUSTED_LO 0x100000000000ull
#define TRUSTED_HI (TRUSTED_LO + (1ull << 36) + 4096)

/* What a case expects. */
struct adv_case {
	const char *name;
	const char *args[6];   /* @D: the path the denied call would create,
				* @LOG: the LOG action's index, @H: the handler's
				* offset in libsigsys.so */
	int want_sig;          /* 0: exits 0; else killed by this signal */
	const char *want_out[4]; /* substrings of stdout */
	int ev_nr;             /* -1: no event at all may be recorded */
	uint32_t ev_arch;
	uint32_t ev_outcome;
	int ev_errno;          /* -1: any */
	int ev_from_page;      /* the event's ip is the trusted instruction */
};

/* Cases whose profile has one more rule than the common one. */
static const struct {
	const char *name, *rule;
} extra_rules[] = {
	{ "25-tgkill-other-process-from-trusted-ip", "tgkill:errno:1" },
};

static const struct adv_case cases[] = {
	/* The trusted `syscall` rewritten through /proc/self/mem (mseal does
	 * not stop FOLL_FORCE writes) into `int $0x80`: the filter checks the
	 * arch on the trusted path, the handler sees its stub was tampered
	 * with, reports and kills. */
	{ "01-i386-mkdir-via-rewritten-page", { "procmem", "mkdir", "@D" }, SIGSYS,
	  { "patched=1" }, 39, AUDIT_ARCH_I386, OUT_KILLED, -1, 1 },
	{ "02-i386-mknod-via-rewritten-page", { "procmem", "mknod", "@D" }, SIGSYS,
	  { "patched=1" }, 14, AUDIT_ARCH_I386, OUT_KILLED, -1, 1 },
	{ "03-i386-umask-via-rewritten-page", { "procmem", "umask", "@D" }, SIGSYS,
	  { "patched=1" }, 60, AUDIT_ARCH_I386, OUT_KILLED, -1, 1 },
	/* x32 mkdir (83 | 0x40000000) from the intact trusted instruction. */
	{ "04-x32-mkdir-from-trusted-ip", { "x32", "@D" }, SIGSYS, { NULL },
	  0x40000000 | NR_MKDIR, AUDIT_ARCH_X86_64, OUT_KILLED, -1, 1 },
	/* The sealed page cannot be made writable, moved or replaced; the
	 * denied call made the normal way afterwards is denied and reported. */
	{ "05-mprotect-page", { "memop", "mprotect", "@D" }, 0,
	  { "op_ret=-1 op_errno=1", "staged=0", "after_mkdir=-1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	{ "06-pkey-mprotect-page", { "memop", "pkey_mprotect", "@D" }, 0,
	  { "op_ret=-1 op_errno=1", "staged=0", "after_mkdir=-1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	{ "07-mremap-page", { "memop", "mremap", "@D" }, 0,
	  { "op_ret=-1 op_errno=1", "staged=0", "after_mkdir=-1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	{ "08-mremap-page-elsewhere", { "memop", "mremap_fixed", "@D" }, 0,
	  { "op_ret=-1 op_errno=1", "staged=0", "after_mkdir=-1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	{ "09-munmap-then-mmap-page", { "memop", "munmap", "@D" }, 0,
	  { "op_ret=-1 op_errno=1", "staged=0", "after_mkdir=-1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	{ "10-mmap-fixed-over-page", { "memop", "map_fixed", "@D" }, 0,
	  { "op_ret=-1 op_errno=1", "staged=0", "after_mkdir=-1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	{ "11-madvise-dontneed-page", { "memop", "madvise", "@D" }, 0,
	  { "op_ret=-1 op_errno=1", "staged=0", "after_mkdir=-1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	{ "12-shmat-remap-over-page", { "memop", "shmat", "@D" }, 0,
	  { "op_ret=-1", "staged=0", "after_mkdir=-1" }, NR_MKDIR, AUDIT_ARCH_X86_64,
	  OUT_DENIED, EPERM, 1 },
	/* The page is not mapped: an image exec'd with the environment
	 * scrubbed (no preload, no marker) maps its own page at the trusted
	 * address.  That grants the harmless calls only; i386 or x86_64 mkdir
	 * from there traps, and with no handler the kernel kills (no report:
	 * nothing in that image can write one). */
	{ "13-own-page-at-trusted-address-i386", { "scrubbed", "i386", "@D" }, SIGSYS,
	  { "mapped=1", "own_getpid_ok=1" }, -1, 0, 0, 0, 0 },
	{ "14-own-page-at-trusted-address-x86_64", { "scrubbed", "x86_64", "@D" }, SIGSYS,
	  { "mapped=1", "own_getpid_ok=1" }, -1, 0, 0, 0, 0 },
	/* A seccomp-looking SIGSYS queued to itself, naming a LOG action (the
	 * handler would re-issue the call): not from the kernel (the frame is
	 * the sending call's), so it is an ordinary signal for the
	 * application's handler; nothing runs, nothing is reported. */
	{ "15-forged-sigsys-rt_sigqueueinfo", { "forge_self", "process", "@LOG", "@D" }, 0,
	  { "queue_ret=0 hits=1 code=1" }, -1, 0, 0, 0, 0 },
	/* The same taken by another thread whose frame matches (the sender
	 * blocked SIGSYS through a handler's frame): the handler re-issues
	 * mkdir from the trusted instruction, where the filter denies it; the
	 * nested trap is reported. */
	{ "16-forged-sigsys-matching-frame", { "forge_thread", "@LOG", "@D" }, 0,
	  { "main_blocks_sigsys=1", "queue_ret=0 queue_errno=0 handled=1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	/* Another process can only send an ordinary SIGSYS. */
	{ "17-forged-sigsys-other-process", { "forge_other", "@D" }, 0,
	  { "child_queue_ret=-1 child_queue_errno=1", "hits=1 code=0", "after_mkdir=-1" },
	  NR_MKDIR, AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	/* Jumping into the handler with a fake frame claiming a LOG trap. */
	{ "18-jump-into-handler", { "jump_handler", "@H", "@LOG", "@D" }, 0,
	  { "frame_rax=-1" }, NR_MKDIR, AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	/* 15 with rt_tgsigqueueinfo to the calling thread (case 24). */
	{ "24-forged-sigsys-rt_tgsigqueueinfo", { "forge_self", "thread", "@LOG", "@D" }, 0,
	  { "queue_ret=0 hits=1 code=1" }, -1, 0, 0, 0, 0 },
	/* tgkill was a "harmless" call of the trusted instruction, but its
	 * target is an argument: with a profile that denies it, a jump there
	 * signalled another process.  Now it traps and is denied there too. */
	{ "25-tgkill-other-process-from-trusted-ip", { "tgkill_other", "@D" }, 0,
	  { "tgkill_ret=-1", "victim_sig=15" }, 234, AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 1 },
	/* Taking SIGSYS away with raw calls: ours stays, reporting goes on. */
	{ "19-raw-rt_sigaction-own-handler", { "raw", "sigaction", "@D" }, 0,
	  { "set_ret=0 query_is_set=1", "mkdir=-1 errno=1 hits=0", "hits_after_raise=1" },
	  NR_MKDIR, AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 0 },
	{ "20-raw-rt_sigaction-sig_dfl", { "raw", "sigaction_dfl", "@D" }, 0,
	  { "set_ret=0 query_is_set=1", "mkdir=-1 errno=1" }, NR_MKDIR, AUDIT_ARCH_X86_64,
	  OUT_DENIED, EPERM, 0 },
	{ "21-raw-rt_sigaction-sig_ign", { "raw", "sigaction_ign", "@D" }, 0,
	  { "set_ret=0 query_is_set=1", "mkdir=-1 errno=1" }, NR_MKDIR, AUDIT_ARCH_X86_64,
	  OUT_DENIED, EPERM, 0 },
	{ "22-raw-rt_sigprocmask-block-sigsys", { "raw", "sigprocmask", "@D" }, 0,
	  { "set_ret=0", "sigsys_blocked=0", "mkdir=-1 errno=1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 0 },
	/* Another handler installed raw with a full mask (as Go does): a
	 * denied call inside it is reported, not fatal. */
	{ "23-raw-handler-with-full-mask", { "raw", "fullmask", "@D" }, 0,
	  { "mask_has_sigsys=0", "in_handler_mkdir=-1", "mkdir=-1 errno=1" }, NR_MKDIR,
	  AUDIT_ARCH_X86_64, OUT_DENIED, EPERM, 0 },
};

static char log_idx[16], handler_off[32];

/* The index of the LOG action in the policy's table. */
static int find_log_idx(const char *policy)
{
	static uint8_t buf[1 << 20];
	struct sigsys_policy pol;
	const char *why = NULL;
	FILE *f = fopen(policy, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (sigsys_policy_parse(buf, n, AUDIT_ARCH_X86_64, &pol, &why) < 0)
		return -1;
	for (uint32_t i = 0; i < pol.hdr->n_actions; i++)
		if (pol.actions[i].kind == SIGSYS_ACT_LOG)
			return (int)i;
	return -1;
}

/* sigsys_handler's offset in libsigsys.so (hidden: read from the symtab). */
static int find_handler_off(void)
{
	FILE *p = popen(SIGSYS_NM " " SIGSYS_LIB, "r");
	char line[256];
	int found = 0;

	while (p && fgets(line, sizeof(line), p)) {
		unsigned long long v;
		char name[128];

		if (sscanf(line, "%llx %*s %127s", &v, name) == 2 &&
		    !strcmp(name, "sigsys_handler")) {
			snprintf(handler_off, sizeof(handler_off), "%#llx", v);
			found = 1;
		}
	}
	if (p)
		pclose(p);
	return found ? 0 : -1;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void run_case(const struct adv_case *k)
{
	const char *mk[] = { "--default", "allow", "--rule", "mkdir:errno:1", "--rule",
			     "mkdirat:errno:1", "--rule", "mknod:errno:1", "--rule",
			     "mknodat:errno:1", "--rule", "umask:errno:1", "--rule", "getppid:log",
			     NULL, NULL, NULL };
	const char *args[8] = { NULL };
	char dir[512], spool[600], policy[600], target[700];
	struct live_run *r = calloc(1, sizeof(*r));
	struct live_rings rings;
	const char *d = live_tmpdir("adv");
	int li, match = 0;

	memset(&rings, 0, sizeof(rings));
	if (!r || !d) {
		CHECK(0, "%s: setup", k->name);
		free(r);
		return;
	}
	for (size_t i = 0; i < sizeof(extra_rules) / sizeof(extra_rules[0]); i++)
		if (!strcmp(extra_rules[i].name, k->name)) {
			mk[14] = "--rule";
			mk[15] = extra_rules[i].rule;
		}
	snprintf(dir, sizeof(dir), "%s", d);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	snprintf(policy, sizeof(policy), "%s/p.pol", dir);
	snprintf(target, sizeof(target), "%s/made", dir);
	if (live_mkpolicy(policy, mk) != 0 || (li = find_log_idx(policy)) < 0) {
		CHECK(0, "%s: policy", k->name);
		free(r);
		return;
	}
	snprintf(log_idx, sizeof(log_idx), "%d", li);
	for (int i = 0; i < 6 && k->args[i]; i++)
		args[i] = !strcmp(k->args[i], "@D")     ? target
			  : !strcmp(k->args[i], "@LOG") ? log_idx
			  : !strcmp(k->args[i], "@H")   ? handler_off
							: k->args[i];
	if (live_run(policy, spool, NULL, args, r) != 0 || live_read_rings(spool, &rings) != 0) {
		CHECK(0, "%s: run", k->name);
		free(r);
		return;
	}

	/* The one thing that must hold in every case. */
	CHECK(!exists(target), "%s: the denied call ran: %s exists", k->name, target);
	if (k->want_sig)
		CHECK(WIFSIGNALED(r->status) && WTERMSIG(r->status) == k->want_sig,
		      "%s: status %#x, want signal %d; out: %s err: %s", k->name, r->status,
		      k->want_sig, r->out, r->err);
	else
		CHECK(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
		      "%s: status %#x; out: %s err: %s", k->name, r->status, r->out, r->err);
	for (int i = 0; i < 4 && k->want_out[i]; i++)
		CHECK(strstr(r->out, k->want_out[i]), "%s: want '%s' in: %s", k->name,
		      k->want_out[i], r->out);
	CHECK(!rings.bad, "%s: %d bad records", k->name, rings.bad);
	if (k->ev_nr == -1) {
		CHECK(rings.n == 0, "%s: %zu events, want none (first nr %d)", k->name, rings.n,
		      rings.n ? rings.ev[0].nr : 0);
	} else {
		for (size_t i = 0; i < rings.n; i++) {
			const struct live_ev *e = &rings.ev[i];

			match += e->nr == k->ev_nr && e->arch == k->ev_arch &&
				 e->outcome == k->ev_outcome &&
				 (k->ev_errno < 0 || e->errno_ret == k->ev_errno) &&
				 (!k->ev_from_page || (e->ip > TRUSTED_LO && e->ip < TRUSTED_HI)) &&
				 e->pid == (uint32_t)live_field(r->out, "pid");
		}
		CHECK(match >= 1,
		      "%s: no event nr %#x arch %#x outcome %u errno %d%s pid %lld among %zu "
		      "(first: nr %#x arch %#x outcome %u errno %d ip %#llx pid %u)",
		      k->name, k->ev_nr, k->ev_arch, k->ev_outcome, k->ev_errno,
		      k->ev_from_page ? " from the trusted ip" : "", live_field(r->out, "pid"),
		      rings.n, rings.n ? rings.ev[0].nr : 0, rings.n ? rings.ev[0].arch : 0,
		      rings.n ? rings.ev[0].outcome : 0, rings.n ? rings.ev[0].errno_ret : 0,
		      rings.n ? (unsigned long long)rings.ev[0].ip : 0ull,
		      rings.n ? rings.ev[0].pid : 0);
	}
	live_rings_free(&rings);
	free(r);
}

static const char *case_name(size_t i)
{
	return cases[i].name;
}

static void case_run(size_t i)
{
	run_case(&cases[i]);
}

int main(int argc, char **argv)
{
	if (find_handler_off() != 0) {
		fprintf(stderr, "live_adversarial: sigsys_handler not found by " SIGSYS_NM "\n");
		return 1;
	}
	return live_run_cases(sizeof(cases) / sizeof(cases[0]), case_name, case_run, argc, argv, 1);
}
