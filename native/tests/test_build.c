/*
 * test_build.c - filter-04: the policy builder and sigsys-mkpolicy.
 *
 *   - reserved rules hold under every kind of default action;
 *   - libseccomp's silent conflict resolution, which build.h documents and
 *     callers rely on (a profile rule for a reserved syscall is dropped
 *     without an error, so callers must skip and warn themselves);
 *   - binary tree output differs from the linear one and means the same;
 *   - sigsys-mkpolicy (path in argv[1]): a table of command lines -> exit
 *     status, message, and the meaning of the policy it wrote.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "bpf_eval.h"
#include "build.h"
#include "filter_test.h"
#include "policy.h"
#include "rewrite.h"

#define SYS(name) SCMP_SYS(name)

static uint32_t eval_nr(const struct sock_filter *f, uint32_t n, uint32_t nr, uint64_t a0)
{
	struct seccomp_data d;

	memset(&d, 0, sizeof(d));
	d.nr = (int)nr;
	d.arch = AUDIT_ARCH_X86_64;
	d.args[0] = a0;
	d.instruction_pointer = 0x401000;
	return sigsys_bpf_eval(f, n, &d, NULL);
}

/* What the policy image does for nr: the action table entry of its trap,
 * or ALLOW / the raw kill value. */
static uint32_t policy_action(const uint8_t *img, size_t len, uint32_t nr, uint64_t a0)
{
	struct sigsys_policy p;
	char why[200];
	uint32_t r;

	if (sigsys_policy_check(img, len, AUDIT_ARCH_X86_64, &p, why, sizeof(why))) {
		fprintf(stderr, "policy invalid: %s\n", why);
		return 0xdeadbeef;
	}
	r = eval_nr(p.insns, p.hdr->n_insns, nr, a0);
	if ((r & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	    (r & SIGSYS_TRAP_MAGIC_MASK) == SIGSYS_TRAP_MAGIC &&
	    (r & SIGSYS_TRAP_INDEX_MASK) < p.hdr->n_actions)
		return p.actions[r & SIGSYS_TRAP_INDEX_MASK].seccomp;
	return r;
}

static void test_reserve(void)
{
	static const uint32_t defaults[] = { SCMP_ACT_ERRNO(1), SCMP_ACT_ALLOW,
					     SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD,
					     SCMP_ACT_TRAP, SCMP_ACT_LOG };
	size_t i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
		scmp_filter_ctx ctx = seccomp_init(defaults[i]);
		struct sigsys_policy p;
		char err[256];
		uint8_t *img;
		size_t len;
		int rc;

		T_REQUIRE(ctx, "init");
		rc = sigsys_build_reserve(ctx, err, sizeof(err));
		T_CHECK(rc == 0, "default 0x%x: reserve %d %s", defaults[i], rc, err);
		T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s",
			  err);
		T_REQUIRE(sigsys_policy_check(img, len, AUDIT_ARCH_X86_64, &p, err,
					      sizeof(err)) == 0, "%s", err);
		T_CHECK(eval_nr(p.insns, p.hdr->n_insns, SYS(rt_sigreturn), 0) ==
				SECCOMP_RET_ALLOW,
			"default 0x%x: rt_sigreturn not allowed", defaults[i]);
		T_CHECK(eval_nr(p.insns, p.hdr->n_insns, SIGSYS_NR_KILL_PROCESS, 0) ==
				SECCOMP_RET_KILL_PROCESS,
			"default 0x%x: kill-process number", defaults[i]);
		T_CHECK(eval_nr(p.insns, p.hdr->n_insns, SIGSYS_NR_KILL_THREAD, 0) ==
				SECCOMP_RET_KILL_THREAD,
			"default 0x%x: kill-thread number", defaults[i]);
		T_CHECK(policy_action(img, len, SYS(getpid), 0) == defaults[i],
			"default 0x%x: getpid -> 0x%x", defaults[i],
			policy_action(img, len, SYS(getpid), 0));
		free(img);
		seccomp_release(ctx);
	}
	T_CHECK(sigsys_build_reserved_nr(SYS(rt_sigreturn)) != NULL, "rt_sigreturn reserved");
	T_CHECK(sigsys_build_reserved_nr(SIGSYS_NR_KILL_PROCESS) != NULL, "kill nr reserved");
	T_CHECK(sigsys_build_reserved_nr(SIGSYS_NR_KILL_THREAD) != NULL, "kill nr reserved");
	T_CHECK(sigsys_build_reserved_nr(SYS(getpid)) == NULL, "getpid not reserved");
}

/* The libseccomp 2.5 behaviour build.h documents.  If a libseccomp update
 * changes it, this fails and the documentation must change with it. */
static void test_conflicts(void)
{
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));
	struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, 3);
	char err[256];
	uint8_t *img;
	size_t len;

	T_REQUIRE(ctx && sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5), SYS(rt_sigreturn), 0) == 0,
		"conflicting rule is accepted silently");
	T_CHECK(seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(5), SYS(rt_sigreturn), 1, &c) == 0,
		"conditional conflicting rule is accepted silently");
	T_CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SIGSYS_NR_KILL_PROCESS, 0) == 0,
		"allowing the reserved number is accepted silently");
	T_CHECK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SYS(getpid), 0) == -EACCES,
		"rule equal to the default is refused with -EACCES");
	T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(policy_action(img, len, SYS(rt_sigreturn), 3) == SECCOMP_RET_ALLOW,
		"reserved rt_sigreturn won");
	T_CHECK(policy_action(img, len, SIGSYS_NR_KILL_PROCESS, 0) == SECCOMP_RET_KILL_PROCESS,
		"reserved kill number won");
	free(img);
	seccomp_release(ctx);

	/* Reserve first matters: a conditional profile rule added before the
	 * reserved unconditional one is replaced, not the other way round. */
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	T_REQUIRE(ctx, "init");
	T_CHECK(seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(5), SIGSYS_NR_KILL_THREAD, 1, &c) == 0, "rule");
	T_REQUIRE(sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(policy_action(img, len, SIGSYS_NR_KILL_THREAD, 3) == SECCOMP_RET_KILL_THREAD,
		"reserved rule replaced the earlier conditional one");
	free(img);
	seccomp_release(ctx);
}

/* The builder checks the exported program itself, not libseccomp's word. */
static void test_verify(void)
{
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
	scmp_filter_ctx ctx;
	char err[256] = "";
	uint8_t *img = NULL;
	size_t len;
	int rc;

	ctx = seccomp_init(SCMP_ACT_ERRNO(1)); /* no reserve: rt_sigreturn denied */
	T_REQUIRE(ctx, "init");
	rc = sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err));
	T_CHECK(rc == -EINVAL && !strcmp(err, "the filter denies rt_sigreturn: no SIGSYS handler "
					      "could return"), "%d '%s'", rc, err);
	T_CHECK(img == NULL, "no image");
	seccomp_release(ctx);

	ctx = seccomp_init(SCMP_ACT_ALLOW); /* no reserve: kill numbers allowed */
	T_REQUIRE(ctx, "init");
	rc = sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err));
	T_CHECK(rc == -EINVAL && !strcmp(err, "the filter allows syscall 0x3ffff5a5, which sigsys "
					      "reserves for kill actions"), "%d '%s'", rc, err);
	seccomp_release(ctx);
}

/* Docker profiles name x86 and x32 next to x86_64: reserve first, then add
 * the arches; the other order fails with a message saying so. */
static void test_multi_arch(void)
{
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	char err[256] = "";
	uint8_t *img;
	size_t len;
	int rc;

	T_REQUIRE(ctx, "init");
	T_REQUIRE(seccomp_arch_add(ctx, SCMP_ARCH_X86) == 0, "arch");
	rc = sigsys_build_reserve(ctx, err, sizeof(err));
	T_CHECK(rc == -EFAULT && strstr(err, "before seccomp_arch_add()"),
		"wrong order: %d '%s'", rc, err);
	seccomp_release(ctx);

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	T_REQUIRE(ctx, "init");
	T_REQUIRE(sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	T_REQUIRE(seccomp_arch_add(ctx, SCMP_ARCH_X86) == 0, "arch");
	T_REQUIRE(seccomp_arch_add(ctx, SCMP_ARCH_X32) == 0, "arch");
	T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SYS(mount), 0) == 0, "rule");
	T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(policy_action(img, len, SIGSYS_NR_KILL_PROCESS, 0) == SECCOMP_RET_KILL_PROCESS,
		"multi-arch deny-list: kill-process number");
	T_CHECK(policy_action(img, len, SIGSYS_NR_KILL_THREAD, 0) == SECCOMP_RET_KILL_THREAD,
		"multi-arch deny-list: kill-thread number");
	T_CHECK(policy_action(img, len, SYS(mount), 0) == SCMP_ACT_ERRNO(1), "mount");
	T_CHECK(policy_action(img, len, SYS(getpid), 0) == SCMP_ACT_ALLOW, "getpid");
	free(img);
	seccomp_release(ctx);
}

/* A policy for another arch than the build host's (cross compile). */
static void test_target_arch(void)
{
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
	scmp_filter_ctx ctx;
	struct sigsys_policy p;
	char err[256] = "";
	uint8_t *img;
	size_t len;
	int rc;

	/* aarch64 only: detected without being named. */
	ctx = seccomp_init(SCMP_ACT_ERRNO(1));
	T_REQUIRE(ctx && seccomp_arch_add(ctx, SCMP_ARCH_AARCH64) == 0 &&
			  seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE) == 0, "arches");
	T_REQUIRE(sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s", err);
	T_REQUIRE(sigsys_policy_check(img, len, 0, &p, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(p.hdr->arch == AUDIT_ARCH_AARCH64, "arch 0x%x", p.hdr->arch);
	T_CHECK(sigsys_policy_check(img, len, AUDIT_ARCH_X86_64, &p, err, sizeof(err)) ==
			-ENOEXEC, "an x86_64 process refuses it");
	free(img);
	/* Named, and x86_64 present as a sub-arch: the name wins. */
	T_REQUIRE(seccomp_arch_add(ctx, SCMP_ARCH_X86_64) == 0, "arch");
	o.arch = SCMP_ARCH_AARCH64;
	T_REQUIRE(sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err)) == 0, "%s", err);
	T_REQUIRE(sigsys_policy_check(img, len, 0, &p, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(p.hdr->arch == AUDIT_ARCH_AARCH64, "named arch 0x%x", p.hdr->arch);
	free(img);
	/* Cross-arch with a default ALLOW: libseccomp cannot take the reserved
	 * numbers and nothing else would deny them: refused, with the reason. */
	seccomp_release(ctx);
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	T_REQUIRE(ctx && seccomp_arch_add(ctx, SCMP_ARCH_AARCH64) == 0 &&
			  seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE) == 0, "arches");
	rc = sigsys_build_reserve(ctx, err, sizeof(err));
	T_CHECK(rc == -EFAULT && strstr(err, "cannot add unknown numbers to a foreign arch"),
		"cross-arch deny-list: reserve %d (%s)", rc, err);
	/* Named but absent. */
	o.arch = SCMP_ARCH_PPC64LE;
	rc = sigsys_build_policy(ctx, &o, &img, &len, err, sizeof(err));
	T_CHECK(rc == -EINVAL && strstr(err, "no rules for arch"), "absent arch: %d %s", rc, err);
	seccomp_release(ctx);
}

static void test_tree_and_hash(void)
{
	static const uint8_t hash[32] = { [0] = 0xab, [31] = 0xcd };
	struct sigsys_build_opts lin = { .mode = SIGSYS_MODE_AUDIT, .profile_hash = hash };
	struct sigsys_build_opts tree = { .mode = SIGSYS_MODE_AUDIT, .binary_tree = 1 };
	uint8_t *img[2];
	size_t len[2];
	struct sigsys_policy p[2];
	char err[256];
	uint32_t nr;
	int k;

	for (k = 0; k < 2; k++) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));

		T_REQUIRE(ctx && sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
		for (nr = 0; nr < 300; nr += 2)
			if (nr != (uint32_t)SYS(rt_sigreturn))
				T_REQUIRE(seccomp_rule_add(ctx, nr % 10 ? SCMP_ACT_ALLOW
									: SCMP_ACT_ERRNO(nr + 2),
							   (int)nr, 0) == 0, "rule %u", nr);
		T_REQUIRE(sigsys_build_policy(ctx, k ? &tree : &lin, &img[k], &len[k], err,
					      sizeof(err)) == 0, "%s", err);
		T_REQUIRE(sigsys_policy_check(img[k], len[k], AUDIT_ARCH_X86_64, &p[k], err,
					      sizeof(err)) == 0, "%s", err);
		seccomp_release(ctx);
	}
	T_CHECK(memcmp(p[0].hdr->profile_hash, hash, 32) == 0, "hash stored");
	T_CHECK(p[1].hdr->profile_hash[0] == 0, "no hash: zeros");
	T_CHECK(p[0].hdr->n_insns != p[1].hdr->n_insns ||
			memcmp(p[0].insns, p[1].insns, p[0].hdr->n_insns * 8) != 0,
		"binary tree option had no effect");
	for (nr = 0; nr < 470; nr++)
		T_CHECK(policy_action(img[0], len[0], nr, 0) == policy_action(img[1], len[1], nr, 0),
			"nr %u: linear 0x%x, tree 0x%x", nr, policy_action(img[0], len[0], nr, 0),
			policy_action(img[1], len[1], nr, 0));
	free(img[0]);
	free(img[1]);
}

/* ---- sigsys-mkpolicy ---- */

static const char *tool;
static char tmpdir[] = "/tmp/sigsys-mkpolicy-XXXXXX";

/* Runs the tool with argv (NULL-terminated); returns its exit status and
 * its stderr in `errbuf`. */
static int run_tool(const char *const *args, char *errbuf, size_t errlen)
{
	int pipefd[2], st;
	ssize_t got, total = 0;
	pid_t pid;

	T_REQUIRE(pipe2(pipefd, O_CLOEXEC) == 0, "pipe");
	fflush(NULL);
	pid = fork();
	T_REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		dup2(pipefd[1], 2);
		execv(tool, (char *const *)args);
		_exit(127);
	}
	close(pipefd[1]);
	while ((got = read(pipefd[0], errbuf + total, errlen - 1 - (size_t)total)) > 0)
		total += got;
	errbuf[total] = '\0';
	close(pipefd[0]);
	T_REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int load(const char *path, uint8_t **img, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	*len = (size_t)st.st_size;
	*img = malloc(*len + 1);
	if (!*img || read(fd, *img, *len) != (ssize_t)*len) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct expect_nr {
	uint32_t nr;
	uint64_t a0;
	uint32_t action; /* original seccomp action the policy must carry out */
};

struct tool_case {
	const char *name;
	const char *args[16];
	int status;
	const char *stderr_has; /* substring, or NULL for "empty" */
	uint32_t mode;
	struct expect_nr expect[6];
};

static const struct tool_case tool_cases[] = {
	{ "01 defaults",
	  { "--rule", "getpid:allow", NULL }, 0, NULL, SIGSYS_MODE_ENFORCE,
	  { { SYS(getpid), 0, SCMP_ACT_ALLOW }, { SYS(getuid), 0, SCMP_ACT_ERRNO(1) },
	    { SYS(rt_sigreturn), 0, SCMP_ACT_ALLOW } } },
	{ "02 every action, audit",
	  { "--mode", "audit", "--default", "kill_thread", "--rule", "getpid:allow", "--rule",
	    "getuid:errno:13", "--rule", "getgid:log", "--rule", "gettid:trap", "--rule",
	    "uname:kill", NULL },
	  0, NULL, SIGSYS_MODE_AUDIT,
	  { { SYS(getpid), 0, SCMP_ACT_ALLOW }, { SYS(getuid), 0, SCMP_ACT_ERRNO(13) },
	    { SYS(getgid), 0, SCMP_ACT_LOG }, { SYS(gettid), 0, SCMP_ACT_TRAP },
	    { SYS(uname), 0, SCMP_ACT_KILL_PROCESS }, { SYS(getegid), 0, SCMP_ACT_KILL_THREAD } } },
	{ "03 numbers and conditions",
	  { "--default", "allow", "--rule", "39:errno:1:arg0=5", "--rule", "62:kill_process",
	    "--rule", "socket:errno:97:arg0>=10:arg1&0xf=1", "--binary-tree", NULL },
	  0, NULL, SIGSYS_MODE_ENFORCE,
	  { { 39, 5, SCMP_ACT_ERRNO(1) }, { 39, 6, SCMP_ACT_ALLOW }, { 62, 0, SCMP_ACT_KILL_PROCESS },
	    { SYS(socket), 10, SCMP_ACT_ALLOW /* arg1 = 0 */ }, { SYS(socket), 9, SCMP_ACT_ALLOW } } },
	{ "04 reserved rule skipped with a warning",
	  { "--rule", "rt_sigreturn:errno:1", "--rule", "1073739173:allow", NULL }, 0,
	  "warning: rule 'rt_sigreturn:errno:1' ignored", SIGSYS_MODE_ENFORCE,
	  { { SYS(rt_sigreturn), 0, SCMP_ACT_ALLOW },
	    { SIGSYS_NR_KILL_PROCESS, 0, SECCOMP_RET_KILL_PROCESS } } },
	{ "05 rule equal to the default",
	  { "--rule", "getpid:errno:1", NULL }, 0, "same as the default", SIGSYS_MODE_ENFORCE,
	  { { SYS(getpid), 0, SCMP_ACT_ERRNO(1) } } },
	{ "06 unknown syscall", { "--rule", "no_such_call:allow", NULL }, 2,
	  "unknown syscall 'no_such_call'", 0, { { 0 } } },
	{ "07 bad action", { "--rule", "getpid:maybe", NULL }, 2, "bad action in rule", 0,
	  { { 0 } } },
	{ "08 bad errno", { "--rule", "getpid:errno:70000", NULL }, 2, "bad action in rule", 0,
	  { { 0 } } },
	{ "09 bad condition", { "--rule", "getpid:allow:arg6=1", NULL }, 2,
	  "bad condition in rule", 0, { { 0 } } },
	{ "10 bad mode", { "--mode", "learn", NULL }, 2, "bad mode 'learn'", 0, { { 0 } } },
	{ "11 bad default", { "--default", "errno", NULL }, 2, "bad default action 'errno'", 0,
	  { { 0 } } },
	{ "12 no rule argument", { "--rule", NULL }, 2, "usage:", 0, { { 0 } } },
};

static void test_tool(void)
{
	size_t i, j;

	T_REQUIRE(mkdtemp(tmpdir), "mkdtemp");
	for (i = 0; i < sizeof(tool_cases) / sizeof(tool_cases[0]); i++) {
		const struct tool_case *tc = &tool_cases[i];
		const char *argv[24];
		char out[256], errbuf[2048];
		uint8_t *img;
		size_t len, k = 0;
		int st;

		snprintf(out, sizeof(out), "%s/%zu.pol", tmpdir, i);
		argv[k++] = tool;
		argv[k++] = "-o";
		argv[k++] = out;
		for (j = 0; tc->args[j]; j++)
			argv[k++] = tc->args[j];
		argv[k] = NULL;
		st = run_tool(argv, errbuf, sizeof(errbuf));
		T_CHECK(st == tc->status, "%s: exit %d, want %d (%s)", tc->name, st, tc->status,
			errbuf);
		if (tc->stderr_has)
			T_CHECK(strstr(errbuf, tc->stderr_has) != NULL, "%s: stderr '%s'", tc->name,
				errbuf);
		else
			T_CHECK(errbuf[0] == '\0', "%s: unexpected stderr '%s'", tc->name, errbuf);
		if (tc->status != 0) {
			T_CHECK(access(out, F_OK) != 0, "%s: wrote a file despite failing", tc->name);
			continue;
		}
		if (load(out, &img, &len)) {
			T_CHECK(0, "%s: cannot read %s", tc->name, out);
			continue;
		}
		T_CHECK(((const struct sigsys_policy_header *)img)->mode == tc->mode,
			"%s: mode", tc->name);
		for (j = 0; j < 6 && tc->expect[j].nr; j++) {
			uint32_t got = policy_action(img, len, tc->expect[j].nr, tc->expect[j].a0);

			T_CHECK(got == tc->expect[j].action, "%s: nr %u a0 %llu: 0x%x, want 0x%x",
				tc->name, tc->expect[j].nr, (unsigned long long)tc->expect[j].a0, got,
				tc->expect[j].action);
		}
		free(img);
		unlink(out);
	}
	rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	test_reserve();
	test_conflicts();
	test_verify();
	test_multi_arch();
	test_target_arch();
	test_tree_and_hash();
	if (argc > 1) {
		tool = argv[1];
		test_tool();
	} else {
		T_CHECK(0, "usage: %s PATH_TO_sigsys-mkpolicy", argv[0]);
	}
	return t_done("filter-04-build");
}
