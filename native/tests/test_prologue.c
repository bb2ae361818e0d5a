/*
 * test_prologue.c - the prologue (src/prologue.c) the builder puts in front
 * of real policies (ctest filter-07-prologue): the policy's program against
 * the profile's program after it.
 *
 *   - meaning: rt_sigaction that sets a disposition or names SIGSYS, and
 *     rt_sigprocmask that may block, trap with SIGSYS_TRAP_IDX_SIGNALS from
 *     any ip but the trusted one; clone3 gets the profile's answer when it
 *     always traps; everything else (other arches included) gets exactly
 *     what the program alone gives;
 *   - cache: for every other syscall the kernel's constant-action check
 *     (sigsys_bpf_is_const_allow, a copy of seccomp_is_const_allow) says the
 *     same with and without the prologue;
 *   - the result passes the kernel's checks (sigsys_bpf_check);
 *   - the derived trusted page address (sigsys_trusted_page_derive).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_eval.h"
#include "build.h"
#include "filter_test.h"
#include "policy.h"
#include "prologue.h"
#include "trusted_page.h"

#define TRUSTED_IP 0x100012345019ull
#define NR_RT_SIGACTION 13
#define NR_RT_SIGPROCMASK 14
#define NR_CLONE3 435
#define SIGNALS_TRAP (SECCOMP_RET_TRAP | SIGSYS_TRAP_MAGIC | SIGSYS_TRAP_IDX_SIGNALS)

struct rule {
	const char *name;
	uint32_t action;
};

static const struct {
	const char *name;
	uint32_t mode, def;
	struct rule rules[4];
	int clone3_answered; /* the prologue answers clone3 itself */
} programs[] = {
	{ "allow-some-denied", SIGSYS_MODE_ENFORCE, SCMP_ACT_ALLOW,
	  { { "mkdir", SCMP_ACT_ERRNO(1) }, { "getppid", SCMP_ACT_LOG } }, 0 },
	{ "docker-clone3", SIGSYS_MODE_ENFORCE, SCMP_ACT_ALLOW,
	  { { "clone3", SCMP_ACT_ERRNO(38) }, { "acct", SCMP_ACT_ERRNO(1) } }, 1 },
	{ "deny-by-default", SIGSYS_MODE_ENFORCE, SCMP_ACT_ERRNO(1),
	  { { "read", SCMP_ACT_ALLOW }, { "rt_sigaction", SCMP_ACT_ALLOW },
	    { "write", SCMP_ACT_ALLOW } }, 1 },
	{ "audit-signals-denied", SIGSYS_MODE_AUDIT, SCMP_ACT_ALLOW,
	  { { "rt_sigaction", SCMP_ACT_ERRNO(1) }, { "rt_sigprocmask", SCMP_ACT_ERRNO(1) },
	    { "clone3", SCMP_ACT_ERRNO(1) } }, 1 },
};

/* Build a policy image with the real builder and parse it. */
static uint8_t *build(size_t i, struct sigsys_policy *pol)
{
	struct sigsys_build_opts o = { .mode = programs[i].mode, .arch = AUDIT_ARCH_X86_64 };
	scmp_filter_ctx ctx = seccomp_init(programs[i].def);
	uint8_t *img = NULL;
	size_t len = 0;
	char err[256];
	const char *why = NULL;

	T_REQUIRE(ctx && sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "reserve: %s", err);
	for (int r = 0; r < 4 && programs[i].rules[r].name; r++)
		T_REQUIRE(seccomp_rule_add(ctx, programs[i].rules[r].action,
					   seccomp_syscall_resolve_name(programs[i].rules[r].name),
					   0) == 0,
			  "%s: rule %s", programs[i].name, programs[i].rules[r].name);
	T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s: %s",
		  programs[i].name, err);
	seccomp_release(ctx);
	T_REQUIRE(sigsys_policy_parse(img, len, AUDIT_ARCH_X86_64, pol, &why) == 0, "%s: %s",
		  programs[i].name, why ? why : "?");
	return img;
}

static uint32_t eval(const struct sock_filter *p, uint32_t n, uint32_t arch, uint32_t nr,
		     uint64_t a0, uint64_t a1, uint64_t ip)
{
	struct seccomp_data d;

	memset(&d, 0, sizeof(d));
	d.arch = arch;
	d.nr = (int)nr;
	d.args[0] = a0;
	d.args[1] = a1;
	d.instruction_pointer = ip;
	return sigsys_bpf_eval(p, n, &d, NULL);
}

static void test_program(size_t i)
{
	static struct sock_filter both[SIGSYS_POLICY_MAX_INSNS];
	static struct sock_filter alone[SIGSYS_POLICY_MAX_INSNS];
	const char *name = programs[i].name;
	struct sigsys_policy pol, prof;
	struct sigsys_policy_header prof_hdr;
	uint8_t *img = build(i, &pol);
	uint32_t k, n, shift;
	char err[256];

	/* `both`: the policy's program as the preload installs it; `alone`:
	 * the profile's program after the prologue (policy.h). */
	shift = pol.hdr->prologue_len;
	T_REQUIRE(shift > 0 && shift <= SIGSYS_PROLOGUE_MAX, "%s: prologue %u", name, shift);
	sigsys_policy_profile_program(&pol, &prof_hdr, &prof);
	n = prof.hdr->n_insns;
	T_REQUIRE(n + shift == pol.hdr->n_insns, "%s: %u + %u insns", name, n, shift);
	memcpy(both, pol.insns, (n + shift) * sizeof(both[0]));
	memcpy(alone, prof.insns, n * sizeof(alone[0]));
	T_REQUIRE(sigsys_policy_trust_ip(pol.hdr, both, n + shift, TRUSTED_IP) == 0 &&
			  sigsys_policy_trust_ip(prof.hdr, alone, n, TRUSTED_IP) == 0,
		  "%s: patch", name);
	T_CHECK(sigsys_bpf_check(both, n + shift, err, sizeof(err)) == 0, "%s: %s", name, err);
	T_CHECK(sigsys_bpf_check(alone, n, err, sizeof(err)) == 0, "%s: alone: %s", name, err);
	T_CHECK(programs[i].clone3_answered == (shift == 26), "%s: clone3 answered: prologue %u",
		name, shift);

	/* The prologue's own traps, from an ordinary ip. */
	static const struct {
		uint32_t nr;
		uint64_t a0, a1;
		int traps;
	} calls[] = {
		{ NR_RT_SIGACTION, SIGSYS, 0, 1 },          /* query of SIGSYS */
		{ NR_RT_SIGACTION, SIGSYS, 0x7000, 1 },     /* set SIGSYS */
		{ NR_RT_SIGACTION, SIGUSR1, 0x7000, 1 },    /* set another: mask fix */
		{ NR_RT_SIGACTION, SIGUSR1, 1ull << 32, 1 },/* act only in the high half */
		{ NR_RT_SIGACTION, SIGUSR1, 0, 0 },         /* query another */
		{ NR_RT_SIGACTION, SIGSYS | (1ull << 32), 0, 1 }, /* int: low half counts */
		{ NR_RT_SIGPROCMASK, SIG_BLOCK, 0x7000, 1 },
		{ NR_RT_SIGPROCMASK, SIG_SETMASK, 0x7000, 1 },
		{ NR_RT_SIGPROCMASK, SIG_SETMASK, 1ull << 32, 1 },
		{ NR_RT_SIGPROCMASK, SIG_UNBLOCK, 0x7000, 0 },
		{ NR_RT_SIGPROCMASK, SIG_BLOCK, 0, 0 },    /* query */
	};
	for (k = 0; k < sizeof(calls) / sizeof(calls[0]); k++) {
		uint32_t w = eval(both, n + shift, AUDIT_ARCH_X86_64, calls[k].nr, calls[k].a0,
				  calls[k].a1, 0x401000);
		uint32_t o = eval(alone, n, AUDIT_ARCH_X86_64, calls[k].nr, calls[k].a0, calls[k].a1,
				  0x401000);
		uint32_t t = eval(both, n + shift, AUDIT_ARCH_X86_64, calls[k].nr, calls[k].a0,
				  calls[k].a1, TRUSTED_IP);
		uint32_t to = eval(alone, n, AUDIT_ARCH_X86_64, calls[k].nr, calls[k].a0,
				   calls[k].a1, TRUSTED_IP);
		uint32_t x86 = eval(both, n + shift, AUDIT_ARCH_I386, calls[k].nr, calls[k].a0,
				    calls[k].a1, 0x401000);
		uint32_t x86o = eval(alone, n, AUDIT_ARCH_I386, calls[k].nr, calls[k].a0,
				     calls[k].a1, 0x401000);

		T_CHECK(w == (calls[k].traps ? SIGNALS_TRAP : o), "%s: call %u -> %#x (program %#x)",
			name, k, w, o);
		T_CHECK(t == to, "%s: call %u from the trusted ip -> %#x, program %#x", name, k, t,
			to);
		T_CHECK(x86 == x86o, "%s: call %u as i386 -> %#x, program %#x", name, k, x86, x86o);
	}

	/* Everything else: the program's answer, and the same cacheability. */
	for (uint32_t a = 0; a < 2; a++) {
		uint32_t arch = a ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;

		for (uint32_t nr = 0; nr < 512; nr++) {
			int sig = arch == AUDIT_ARCH_X86_64 &&
				  (nr == NR_RT_SIGACTION || nr == NR_RT_SIGPROCMASK);
			int c3 = arch == AUDIT_ARCH_X86_64 && nr == NR_CLONE3;
			uint32_t w = eval(both, n + shift, arch, nr, 3, 0x7000, 0x401000);
			uint32_t o = eval(alone, n, arch, nr, 3, 0x7000, 0x401000);
			int cw = sigsys_bpf_is_const_allow(both, n + shift, arch, nr);
			int co = sigsys_bpf_is_const_allow(alone, n, arch, nr);

			if (sig)
				continue;
			if (c3 && programs[i].clone3_answered) {
				uint32_t want = programs[i].mode == SIGSYS_MODE_AUDIT
							? SECCOMP_RET_ERRNO | ENOSYS
							: pol.actions[o & SIGSYS_TRAP_INDEX_MASK].seccomp;

				T_CHECK(w == want, "%s: clone3 -> %#x, want %#x", name, w, want);
				continue;
			}
			T_CHECK(w == o, "%s: arch %#x nr %u -> %#x, program %#x", name, arch, nr, w, o);
			T_CHECK(cw == co, "%s: arch %#x nr %u const-allow %d -> %d", name, arch, nr,
				co, cw);
		}
	}
	free(img);
}

/* The derived trusted page: page-aligned, in range, a function of both
 * strings only. */
static void test_derive(void)
{
	uint64_t a = sigsys_trusted_page_derive("/p.pol", "/spool", NULL);
	uint64_t b = sigsys_trusted_page_derive("/p.pol", "/spool", "");
	uint64_t c = sigsys_trusted_page_derive("/p.pol", "/spool2", NULL);
	uint64_t d = sigsys_trusted_page_derive("/p.po", "l/spool", NULL); /* other split */
	uint64_t s1 = sigsys_trusted_page_derive("/p.pol", "/spool", "0123456789abcdef");
	uint64_t s2 = sigsys_trusted_page_derive("/p.pol", "/spool", "0123456789abcdee");

	T_CHECK(a == b && a != c && a != d, "derive %#llx %#llx %#llx %#llx",
		(unsigned long long)a, (unsigned long long)b, (unsigned long long)c,
		(unsigned long long)d);
	/* A seed moves the page: fixed paths alone do not fix the address. */
	T_CHECK(s1 != a && s2 != a && s1 != s2 &&
			s1 == sigsys_trusted_page_derive("/p.pol", "/spool", "0123456789abcdef"),
		"seeded derive %#llx %#llx (unseeded %#llx)", (unsigned long long)s1,
		(unsigned long long)s2, (unsigned long long)a);
	T_CHECK(!(a & 4095) && a >= SIGSYS_TRUSTED_BASE &&
			a < SIGSYS_TRUSTED_BASE + (uint64_t)SIGSYS_TRUSTED_SPAN_PAGES * 4096u,
		"derive out of range: %#llx", (unsigned long long)a);
	T_CHECK(sigsys_trusted_page_derive(NULL, "/s", "x") == 0 &&
			sigsys_trusted_page_derive("/p", "", "x") == 0,
		"derive without both strings");
}

int main(void)
{
	test_derive();
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		test_program(i);
	return t_done("filter-07-prologue");
}
