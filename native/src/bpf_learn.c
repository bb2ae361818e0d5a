/*
 * bpf_learn.c - count a process tree's syscalls in the kernel with eBPF
 * (design in bpf_learn.h and docs/learn.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/seccomp.h>

#include "arch/arch.h"
#include "bpf_eval.h"
#include "bpf_learn.h"

#include "seccomp_compat.h"

/* /proc/self/ns/pid of the initial pid namespace (include/linux/proc_ns.h). */
#define PROC_PID_INIT_INO 0xEFFFFFFCU

/* ---- eBPF instructions, as the kernel's include/linux/filter.h writes them ---- */
#define I(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_REG(d, s) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, k) I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define ADD64_IMM(d, k) I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define RSH64_IMM(d, k) I(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, k)
#define LSH64_IMM(d, k) I(BPF_ALU64 | BPF_LSH | BPF_K, d, 0, 0, k)
#define AND64_REG(d, s) I(BPF_ALU64 | BPF_AND | BPF_X, d, s, 0, 0)
#define OR64_REG(d, s) I(BPF_ALU64 | BPF_OR | BPF_X, d, s, 0, 0)
#define ADD64_REG(d, s) I(BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define ST_MEM(sz, d, o, k) I(BPF_ST | BPF_MEM | (sz), d, 0, o, k)
#define ATOMIC_ADD64(d, s, o) I(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define LDX_MEM(sz, d, s, o) I(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX_MEM(sz, d, s, o) I(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define JMP_IMM(op, d, k, o) I(BPF_JMP | (op) | BPF_K, d, 0, o, k)
#define JA(o) I(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(f) I(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* 64-bit immediate: a map by its fd (two insns). */
#define LD_MAP_FD(d, fd) I(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), I(0, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

/* Where the first syscall argument sits in struct pt_regs at sys_enter. */
#if defined(__x86_64__)
#define REGS_ARG0 112 /* di */
#elif defined(__aarch64__)
#define REGS_ARG0 0 /* regs[0] */
#else
#error "bpf_learn.c: the offset of the first syscall argument in pt_regs is not known here"
#endif

/* masks[] values: the call is learned with its first argument (bit 63) under the low 32 bits. */
#define MASK_ARG0 (1ull << 63)

/* seen[] as mmapped: 4-byte values in 8-byte elements (sigsys_bpf_learn_seen). */
#define SEEN_STRIDE 2u
#define SEEN_BYTES (SIGSYS_BPF_LEARN_NRS * SEEN_STRIDE * sizeof(uint32_t))

/* skip[] values (bpf_learn.h). */
#define SKIP_ONCE 1u
#define SKIP_UNTIL_EXEC 2u

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int map_create(uint32_t type, uint32_t key, uint32_t value, uint32_t entries, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key;
	a.value_size = value;
	a.max_entries = entries;
	a.map_flags = flags;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

/* An array map's values in our memory (BPF_F_MMAPABLE), or NULL. */
static void *map_mmap(int fd, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Atomic: the program changes pending[0] concurrently (BPF_ATOMIC). */
static void pending_add(const struct sigsys_bpf_learn *b, int64_t d)
{
	__atomic_fetch_add(b->pending, (uint64_t)d, __ATOMIC_SEQ_CST);
}

static int map_update(int fd, const void *key, const void *value)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = BPF_ANY;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0 ? -errno : 0;
}

static int prog_load(const struct bpf_insn *insns, size_t n, char *log, size_t loglen)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = (uint32_t)loglen;
	a.log_level = log ? 1 : 0;
	return (int)sys_bpf(BPF_PROG_LOAD, &a);
}

static int attach(const char *tp, int prog)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uint64_t)(uintptr_t)tp;
	a.raw_tracepoint.prog_fd = (uint32_t)prog;
	return (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
}

/*
 * sys_enter(ctx): ctx->args[0] = struct pt_regs *, ctx->args[1] = the
 * syscall number as the task's ABI numbers it.
 *
 *   if (!bpf_current_task_under_cgroup(&cg, 0)) return 0;
 *   if (id >= NRS) return 0;                  // x32 bit, -1, unknown
 *   tid = (u32)bpf_get_current_pid_tgid();
 *   if (pending[0] && (m = skip[tid])) {      // a mark outstanding: rare
 *       if (*m == ONCE && delete skip[tid] == 0) pending[0]--;  // atomic
 *       return 0;
 *   }
 *   if ((k = masks[id]) && *k) {              // learned with its first argument
 *       if (probe_read_kernel(&a0, 8, &regs->ARG0)) { lost++; return 0; }
 *       e = update(argseen, id << 32 | (a0 & (u32)*k), tgid, NOEXIST);
 *       if (e && e != -EEXIST) lost++;
 *       return 0;
 *   }
 *   if ((s = seen[id]) && !*s) *s = pid_tgid >> 32;
 *
 * The skip lookup comes first: a mark must be consumed by the very call it
 * was made for, whether that number was seen already or not.  Calls learned
 * with their first argument (clone, unshare, personality, socket) are read
 * here rather than stopped for the supervisor: a call waiting for the
 * supervisor can be interrupted by a signal before it is received, and
 * seccomp then returns EINTR (fork in a shell with a SIGCHLD handler fails
 * with "Cannot fork"); a counted call never waits.
 */
/* A few lines of assembler: jumps name labels, resolved at the end. */
enum { L_OUT, L_RECORD, L_PLAIN, L_LOST, L_N };
struct bpf_asm {
	struct bpf_insn *p;
	size_t n;
	size_t at[L_N];
	size_t fix[32];
	int fix_label[32];
	int n_fix;
};

static void emit(struct bpf_asm *a, struct bpf_insn i)
{
	a->p[a->n++] = i;
}

static void emit_map(struct bpf_asm *a, int reg, int fd)
{
	const struct bpf_insn two[] = { LD_MAP_FD(reg, fd) };

	emit(a, two[0]);
	emit(a, two[1]);
}

static void emit_jmp(struct bpf_asm *a, struct bpf_insn i, int label)
{
	a->fix[a->n_fix] = a->n;
	a->fix_label[a->n_fix++] = label;
	emit(a, i);
}

static void label(struct bpf_asm *a, int l)
{
	a->at[l] = a->n;
}

static size_t resolve(struct bpf_asm *a)
{
	for (int i = 0; i < a->n_fix; i++)
		a->p[a->fix[i]].off = (int16_t)(a->at[a->fix_label[i]] - a->fix[i] - 1);
	return a->n;
}

/* pending[0] -= 1 (atomic); R0-R5 clobbered, key 0 stored at fp+off. */
static void emit_pending_dec(struct bpf_asm *a, int pending, int off, int label_out)
{
	emit(a, ST_MEM(BPF_W, R10, off, 0));
	emit_map(a, R1, pending);
	emit(a, MOV64_REG(R2, R10));
	emit(a, ADD64_IMM(R2, off));
	emit(a, CALL(BPF_FUNC_map_lookup_elem));
	emit_jmp(a, JMP_IMM(BPF_JEQ, R0, 0, 0), label_out);
	emit(a, MOV64_IMM(R1, -1));
	emit(a, ATOMIC_ADD64(R0, R1, 0));
}

static size_t enter_prog(struct bpf_insn *p, int cg, int skip, int pending, int seen, int masks,
			 int argseen, int lost)
{
	struct bpf_asm a = { .p = p };

	emit(&a, MOV64_REG(R6, R1));
	emit_map(&a, R1, cg);
	emit(&a, MOV64_IMM(R2, 0));
	emit(&a, CALL(BPF_FUNC_current_task_under_cgroup));
	emit_jmp(&a, JMP_IMM(BPF_JNE, R0, 1, 0), L_OUT);
	emit(&a, LDX_MEM(BPF_DW, R7, R6, 8)); /* id */
	emit_jmp(&a, JMP_IMM(BPF_JGE, R7, (int32_t)SIGSYS_BPF_LEARN_NRS, 0), L_OUT);
	emit(&a, CALL(BPF_FUNC_get_current_pid_tgid));
	emit(&a, MOV64_REG(R8, R0));
	emit(&a, STX_MEM(BPF_W, R10, R8, -4)); /* tid */
	/* No mark outstanding (the common case): no hash lookup. */
	emit(&a, ST_MEM(BPF_W, R10, -8, 0));
	emit_map(&a, R1, pending);
	emit(&a, MOV64_REG(R2, R10));
	emit(&a, ADD64_IMM(R2, -8));
	emit(&a, CALL(BPF_FUNC_map_lookup_elem)); /* an array: inlined by the verifier */
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R0, 0, 0), L_RECORD);
	emit(&a, LDX_MEM(BPF_DW, R1, R0, 0));
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R1, 0, 0), L_RECORD);
	emit_map(&a, R1, skip);
	emit(&a, MOV64_REG(R2, R10));
	emit(&a, ADD64_IMM(R2, -4));
	emit(&a, CALL(BPF_FUNC_map_lookup_elem));
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R0, 0, 0), L_RECORD);
	emit(&a, LDX_MEM(BPF_W, R1, R0, 0));
	emit_jmp(&a, JMP_IMM(BPF_JNE, R1, SKIP_ONCE, 0), L_OUT);
	emit_map(&a, R1, skip);
	emit(&a, MOV64_REG(R2, R10));
	emit(&a, ADD64_IMM(R2, -4));
	emit(&a, CALL(BPF_FUNC_map_delete_elem));
	/* Only the one whose delete succeeded lowers the count. */
	emit_jmp(&a, JMP_IMM(BPF_JNE, R0, 0, 0), L_OUT);
	emit_pending_dec(&a, pending, -12, L_OUT);
	emit_jmp(&a, JA(0), L_OUT);

	label(&a, L_RECORD);
	emit(&a, STX_MEM(BPF_W, R10, R7, -8)); /* nr */
	emit_map(&a, R1, masks);
	emit(&a, MOV64_REG(R2, R10));
	emit(&a, ADD64_IMM(R2, -8));
	emit(&a, CALL(BPF_FUNC_map_lookup_elem));
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R0, 0, 0), L_OUT);
	emit(&a, LDX_MEM(BPF_DW, R9, R0, 0));
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R9, 0, 0), L_PLAIN);
	/* a0 = regs->ARG0, into fp-16 */
	emit(&a, MOV64_REG(R1, R10));
	emit(&a, ADD64_IMM(R1, -16));
	emit(&a, MOV64_IMM(R2, 8));
	emit(&a, LDX_MEM(BPF_DW, R3, R6, 0));
	emit(&a, ADD64_IMM(R3, REGS_ARG0));
	emit(&a, CALL(BPF_FUNC_probe_read_kernel));
	emit_jmp(&a, JMP_IMM(BPF_JNE, R0, 0, 0), L_LOST);
	/* key = nr << 32 | (a0 & (u32)mask) at fp-24; value tgid at fp-28 */
	emit(&a, LDX_MEM(BPF_DW, R1, R10, -16));
	emit(&a, LSH64_IMM(R9, 32));
	emit(&a, RSH64_IMM(R9, 32));
	emit(&a, AND64_REG(R1, R9));
	emit(&a, MOV64_REG(R2, R7));
	emit(&a, LSH64_IMM(R2, 32));
	emit(&a, OR64_REG(R1, R2));
	emit(&a, STX_MEM(BPF_DW, R10, R1, -24));
	emit(&a, RSH64_IMM(R8, 32));
	emit(&a, STX_MEM(BPF_W, R10, R8, -28));
	emit_map(&a, R1, argseen);
	emit(&a, MOV64_REG(R2, R10));
	emit(&a, ADD64_IMM(R2, -24));
	emit(&a, MOV64_REG(R3, R10));
	emit(&a, ADD64_IMM(R3, -28));
	emit(&a, MOV64_IMM(R4, BPF_NOEXIST));
	emit(&a, CALL(BPF_FUNC_map_update_elem));
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R0, 0, 0), L_OUT);
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R0, -EEXIST, 0), L_OUT);
	/* the table is full: counted, never silent */

	label(&a, L_LOST);
	emit(&a, ST_MEM(BPF_W, R10, -8, 0));
	emit_map(&a, R1, lost);
	emit(&a, MOV64_REG(R2, R10));
	emit(&a, ADD64_IMM(R2, -8));
	emit(&a, CALL(BPF_FUNC_map_lookup_elem));
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R0, 0, 0), L_OUT);
	emit(&a, MOV64_IMM(R1, 1));
	emit(&a, ATOMIC_ADD64(R0, R1, 0));
	emit_jmp(&a, JA(0), L_OUT);

	label(&a, L_PLAIN);
	emit_map(&a, R1, seen);
	emit(&a, MOV64_REG(R2, R10));
	emit(&a, ADD64_IMM(R2, -8));
	emit(&a, CALL(BPF_FUNC_map_lookup_elem));
	emit_jmp(&a, JMP_IMM(BPF_JEQ, R0, 0, 0), L_OUT);
	emit(&a, LDX_MEM(BPF_W, R1, R0, 0));
	emit_jmp(&a, JMP_IMM(BPF_JNE, R1, 0, 0), L_OUT);
	emit(&a, RSH64_IMM(R8, 32));
	emit(&a, STX_MEM(BPF_W, R0, R8, 0));

	label(&a, L_OUT);
	emit(&a, MOV64_IMM(R0, 0));
	emit(&a, EXIT());
	return resolve(&a);
}

/* sched_process_exec: the exec succeeded, the task's calls are its own now. */
static size_t exec_prog(struct bpf_insn *p, int skip, int pending)
{
	struct bpf_asm a = { .p = p };

	emit(&a, CALL(BPF_FUNC_get_current_pid_tgid));
	emit(&a, STX_MEM(BPF_W, R10, R0, -4));
	emit_map(&a, R1, skip);
	emit(&a, MOV64_REG(R2, R10));
	emit(&a, ADD64_IMM(R2, -4));
	emit(&a, CALL(BPF_FUNC_map_delete_elem));
	/* Every exec of the machine comes here: most had no mark to delete. */
	emit_jmp(&a, JMP_IMM(BPF_JNE, R0, 0, 0), L_OUT);
	emit_pending_dec(&a, pending, -8, L_OUT);
	label(&a, L_OUT);
	emit(&a, MOV64_IMM(R0, 0));
	emit(&a, EXIT());
	return resolve(&a);
}

static int fail(char *why, size_t whylen, int err, const char *fmt, const char *what)
{
	snprintf(why, whylen, fmt, what, strerror(err));
	return -err;
}

/* The cgroup2 mount point (from mountinfo, not a fixed path) and our cgroup in it. */
static int cgroup2_dir(char *out, size_t len, char *why, size_t whylen)
{
	char line[4096], mnt[PATH_MAX] = "", own[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return fail(why, whylen, errno, "%s: %s", "/proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		char point[PATH_MAX], *dash = strstr(line, " - ");
		char fstype[64];

		if (!dash || sscanf(dash, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2") != 0)
			continue;
		/* id parent major:minor root point ... (octal escapes: none expected) */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) {
			snprintf(mnt, sizeof(mnt), "%s", point);
			break;
		}
	}
	fclose(f);
	if (!*mnt) {
		snprintf(why, whylen, "no cgroup2 file system is mounted (/proc/self/mountinfo)");
		return -ENOENT;
	}
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return fail(why, whylen, errno, "%s: %s", "/proc/self/cgroup");
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(own, sizeof(own), "%s", line + 3);
		}
	fclose(f);
	/* Our own cgroup v2 as the parent: where a delegated manager lets us write. */
	if ((size_t)snprintf(out, len, "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own) >= len) {
		snprintf(why, whylen, "cgroup path too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

static void close_all(struct sigsys_bpf_learn *b)
{
	int *fds[] = { &b->enter_link, &b->exec_link, &b->enter_fd,  &b->exec_fd,
		       &b->seen_fd,    &b->skip_fd,   &b->cg_map_fd, &b->procs_fd,
		       &b->masks_fd,   &b->argseen_fd, &b->lost_fd,  &b->pending_fd };

	if (b->pending)
		munmap((void *)b->pending, sizeof(*b->pending));
	if (b->seen)
		munmap((void *)b->seen, SEEN_BYTES);
	b->pending = NULL;
	b->seen = NULL;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int sigsys_bpf_learn_start(struct sigsys_bpf_learn *b, const uint32_t *distinct_nr,
			   const uint32_t *distinct_mask, int n_distinct, char *why, size_t whylen)
{
	struct bpf_insn insns[160];
	char parent[PATH_MAX], path[PATH_MAX + 128];
	static char log[1 << 16];
	struct stat st;
	uint32_t zero = 0;
	int cgfd, ret;
	size_t n;

	memset(b, 0, sizeof(*b));
	b->seen_fd = b->skip_fd = b->cg_map_fd = b->enter_fd = b->exec_fd = -1;
	b->enter_link = b->exec_link = b->procs_fd = -1;
	b->masks_fd = b->argseen_fd = b->lost_fd = b->pending_fd = -1;

	if (stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != PROC_PID_INIT_INO) {
		snprintf(why, whylen, "not in the initial pid namespace (the counter sees the "
				      "kernel's thread ids, the supervisor this namespace's)");
		return -EPERM;
	}
	b->seen_fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 4, SIGSYS_BPF_LEARN_NRS, BPF_F_MMAPABLE);
	if (b->seen_fd < 0) {
		ret = fail(why, whylen, errno, "%s: %s", "bpf(BPF_MAP_CREATE)");
		goto out;
	}
	/* Preallocated (~3 ms to make): kernels before 6.1 refuse tracing
	 * programs that use hash maps allocating at run time. */
	b->skip_fd = map_create(BPF_MAP_TYPE_HASH, 4, 4, 65536, 0);
	b->cg_map_fd = map_create(BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 1, 0);
	b->masks_fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, SIGSYS_BPF_LEARN_NRS, 0);
	b->argseen_fd = map_create(BPF_MAP_TYPE_HASH, 8, 4, SIGSYS_BPF_LEARN_ARGS, 0);
	b->lost_fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	b->pending_fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_MMAPABLE);
	if (b->skip_fd < 0 || b->cg_map_fd < 0 || b->masks_fd < 0 || b->argseen_fd < 0 ||
	    b->lost_fd < 0 || b->pending_fd < 0) {
		ret = fail(why, whylen, errno, "%s: %s", "bpf(BPF_MAP_CREATE)");
		goto out;
	}
	b->pending = map_mmap(b->pending_fd, sizeof(*b->pending), PROT_READ | PROT_WRITE);
	b->seen = map_mmap(b->seen_fd, SEEN_BYTES, PROT_READ);
	if (!b->pending || !b->seen) {
		ret = fail(why, whylen, errno, "%s: %s", "mmap of a bpf array");
		goto out;
	}
	for (int i = 0; i < n_distinct; i++) {
		uint64_t m = MASK_ARG0 | distinct_mask[i];

		if (distinct_nr[i] >= SIGSYS_BPF_LEARN_NRS)
			continue;
		ret = map_update(b->masks_fd, &distinct_nr[i], &m);
		if (ret < 0) {
			ret = fail(why, whylen, -ret, "%s: %s", "bpf(BPF_MAP_UPDATE_ELEM) of the masks");
			goto out;
		}
	}

	n = enter_prog(insns, b->cg_map_fd, b->skip_fd, b->pending_fd, b->seen_fd, b->masks_fd,
		       b->argseen_fd, b->lost_fd);
	b->enter_fd = prog_load(insns, n, NULL, 0);
	if (b->enter_fd < 0) {
		int err = errno;
		char *last;

		/* Again with the verifier's log, for its reason (its last line). */
		log[0] = 0;
		prog_load(insns, n, log, sizeof(log));
		while (*log && log[strlen(log) - 1] == '\n')
			log[strlen(log) - 1] = 0;
		last = strrchr(log, '\n');
		if (last)
			memmove(log, last + 1, strlen(last));
		snprintf(why, whylen, "bpf(BPF_PROG_LOAD) of the sys_enter counter: %s%s%s",
			 strerror(err), *log ? ": " : "", log);
		ret = -err;
		goto out;
	}
	n = exec_prog(insns, b->skip_fd, b->pending_fd);
	b->exec_fd = prog_load(insns, n, NULL, 0);
	if (b->exec_fd < 0) {
		ret = fail(why, whylen, errno, "%s: %s", "bpf(BPF_PROG_LOAD) of the exec hook");
		goto out;
	}

	ret = cgroup2_dir(parent, sizeof(parent), why, whylen);
	if (ret < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/sigsys-learn.%d", parent, (int)getpid());
	if (mkdir(path, 0755) < 0) {
		ret = fail(why, whylen, errno, "mkdir %s: %s", path);
		goto out;
	}
	snprintf(b->cg_path, sizeof(b->cg_path), "%s/sigsys-learn.%d", parent, (int)getpid());
	cgfd = open(b->cg_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		ret = fail(why, whylen, errno, "%s: %s", b->cg_path);
		goto out;
	}
	ret = map_update(b->cg_map_fd, &zero, &cgfd);
	close(cgfd);
	if (ret < 0) {
		ret = fail(why, whylen, -ret, "%s: %s", "bpf(BPF_MAP_UPDATE_ELEM) of the cgroup");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", b->cg_path);
	b->procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (b->procs_fd < 0) {
		ret = fail(why, whylen, errno, "%s: %s", path);
		goto out;
	}

	/* Attached last: from here on the kernel counts. */
	b->exec_link = attach("sched_process_exec", b->exec_fd);
	if (b->exec_link < 0) {
		ret = fail(why, whylen, errno, "%s: %s", "bpf(BPF_RAW_TRACEPOINT_OPEN) sched_process_exec");
		goto out;
	}
	b->enter_link = attach("sys_enter", b->enter_fd);
	if (b->enter_link < 0) {
		ret = fail(why, whylen, errno, "%s: %s", "bpf(BPF_RAW_TRACEPOINT_OPEN) sys_enter");
		goto out;
	}
	return 0;
out:
	close_all(b);
	if (*b->cg_path)
		rmdir(b->cg_path);
	b->cg_path[0] = 0;
	return ret;
}

int sigsys_bpf_learn_enter(const struct sigsys_bpf_learn *b)
{
	uint32_t tid = (uint32_t)syscall(SYS_gettid), mark = SKIP_UNTIL_EXEC;
	int ret;

	pending_add(b, 1); /* before the mark exists (bpf_learn.h) */
	ret = map_update(b->skip_fd, &tid, &mark);
	if (ret < 0) {
		pending_add(b, -1);
		return ret;
	}
	/* "0": the writer itself.  Its sys_enter ran outside the cgroup. */
	return write(b->procs_fd, "0", 1) == 1 ? 0 : -errno;
}

int sigsys_bpf_learn_skip_next(const struct sigsys_bpf_learn *b, uint32_t tid)
{
	uint32_t mark = SKIP_ONCE;
	int ret;

	pending_add(b, 1);
	ret = map_update(b->skip_fd, &tid, &mark);
	if (ret < 0)
		pending_add(b, -1);
	return ret;
}

void sigsys_bpf_learn_unskip(const struct sigsys_bpf_learn *b, uint32_t tid)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)b->skip_fd;
	a.key = (uint64_t)(uintptr_t)&tid;
	/* The program may have consumed it meanwhile: whoever deletes it lowers the count. */
	if (sys_bpf(BPF_MAP_DELETE_ELEM, &a) == 0)
		pending_add(b, -1);
}

int sigsys_bpf_learn_seen(const struct sigsys_bpf_learn *b, uint32_t tgid[SIGSYS_BPF_LEARN_NRS])
{
	if (!b->seen)
		return -EBADF;
	/* An array's elements are 8-byte aligned (kernel/bpf/arraymap.c
	 * elem_size): the 4-byte value of nr starts at byte 8 * nr. */
	for (uint32_t nr = 0; nr < SIGSYS_BPF_LEARN_NRS; nr++)
		tgid[nr] = b->seen[SEEN_STRIDE * nr];
	return 0;
}

int sigsys_bpf_learn_args(const struct sigsys_bpf_learn *b, struct sigsys_bpf_learn_arg *out,
			  size_t cap, size_t *n, uint64_t *lost)
{
	uint64_t key, next, *prev = NULL;
	uint32_t zero = 0;
	union bpf_attr a;

	*n = 0;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)b->lost_fd;
	a.key = (uint64_t)(uintptr_t)&zero;
	a.value = (uint64_t)(uintptr_t)lost;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0)
		return -errno;
	for (;;) {
		uint32_t tgid;

		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)b->argseen_fd;
		a.key = (uint64_t)(uintptr_t)prev;
		a.next_key = (uint64_t)(uintptr_t)&next;
		if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) < 0)
			return errno == ENOENT ? 0 : -errno;
		key = next;
		prev = &key;
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)b->argseen_fd;
		a.key = (uint64_t)(uintptr_t)&key;
		a.value = (uint64_t)(uintptr_t)&tgid;
		if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0)
			return -errno;
		if (*n == cap)
			return -E2BIG;
		out[*n].nr = (uint32_t)(key >> 32);
		out[*n].arg = (uint32_t)key;
		out[(*n)++].tgid = tgid;
	}
}

/* nftw callback: remove a cgroup directory (children first, FTW_DEPTH); its
 * control files go with it and cannot be unlinked one by one. */
static int rm_cgroup_dir(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	if (type == FTW_DP && f->level > 0)
		rmdir(path); /* a failure shows in the final rmdir's EBUSY */
	return 0;
}

int sigsys_bpf_learn_stop(struct sigsys_bpf_learn *b, char *why, size_t whylen)
{
	int ret = 0;

	close_all(b);
	/* Sub-cgroups the workload made (systemd-like programs do) first: a
	 * cgroup with children cannot be removed. */
	if (*b->cg_path)
		nftw(b->cg_path, rm_cgroup_dir, 16, FTW_DEPTH | FTW_PHYS);
	if (*b->cg_path && rmdir(b->cg_path) < 0) {
		ret = -errno;
		snprintf(why, whylen, "rmdir %s: %s", b->cg_path, strerror(errno));
	}
	b->cg_path[0] = 0;
	return ret;
}

/*
 * Whether the filter's answer to native call nr depends on more than its
 * number: any load but of nr and arch on the path taken with all-zero
 * arguments (a path depends only on what it loaded).
 */
static int by_number_alone(const struct sock_filter *f, uint32_t n, uint32_t arch, uint32_t nr,
			   uint32_t *ret, uint32_t *path)
{
	struct seccomp_data d;
	uint32_t len = 0;

	memset(&d, 0, sizeof(d));
	d.nr = (int)nr;
	d.arch = arch;
	*ret = sigsys_bpf_eval_path(f, n, &d, NULL, path, SIGSYS_POLICY_MAX_INSNS, &len);
	if (len >= SIGSYS_POLICY_MAX_INSNS)
		return 0;
	for (uint32_t i = 0; i < len; i++) {
		const struct sock_filter *in = &f[path[i]];
		uint16_t cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code);

		if ((cls == BPF_LD || cls == BPF_LDX) && mode == BPF_IND)
			return 0;
		if ((cls == BPF_LD || cls == BPF_LDX) && mode == BPF_ABS &&
		    in->k != offsetof(struct seccomp_data, nr) &&
		    in->k != offsetof(struct seccomp_data, arch))
			return 0;
	}
	return 1;
}

int sigsys_bpf_learn_filter(const struct sigsys_policy *p, struct sock_filter *variant,
			    uint32_t *n, struct sigsys_bpf_learn_plan *plan, char *why,
			    size_t whylen)
{
	uint32_t arch = p->hdr->arch, head, k = 0, n_left = 0;
	uint32_t *path = malloc(SIGSYS_POLICY_MAX_INSNS * sizeof(*path));
	uint32_t left[SIGSYS_BPF_LEARN_NRS];
	struct sock_filter pre[SIGSYS_BPF_LEARN_NRS + 8];

	if (!path) {
		snprintf(why, whylen, "learning filter: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	memset(plan, 0, sizeof(*plan));
	for (uint32_t nr = 0; nr < SIGSYS_BPF_LEARN_NRS; nr++) {
		uint32_t ret, act;

		if (!by_number_alone(variant, *n, arch, nr, &ret, path)) {
			left[n_left++] = nr;
			continue;
		}
		act = ret & SECCOMP_RET_ACTION_FULL;
		/* Counted: calls the kernel lets through, and calls the
		 * supervisor would have let through (audit mode: every notified
		 * call is CONTINUEd).  The kernel's own answers (TRAP, KILL,
		 * ERRNO of the variant) stay as the variant gives them. */
		if (act == SECCOMP_RET_ALLOW || act == SECCOMP_RET_USER_NOTIF) {
			plan->counted[nr] = 1;
			plan->allowed[nr] = act == SECCOMP_RET_ALLOW;
		} else {
			left[n_left++] = nr;
		}
	}
	free(path);
	/*
	 *   0  ld [arch]
	 *   1  jeq #ARCH, 0, notify       another ABI: the supervisor (see .h)
	 *   2  ld [nr]
	 *   3  jge #NRS, variant, 0       x32 and unknown numbers: as the policy says
	 *   4+ jeq #left_i, variant, 0
	 *      ret ALLOW                  counted
	 *      ret USER_NOTIF             notify
	 *      variant...
	 */
	head = 4 + n_left + 2;
	if (head - 2 > 255 || head + *n > SIGSYS_POLICY_MAX_INSNS) {
		snprintf(why, whylen, "learning filter: %u calls the policy judges by their arguments, "
				      "too many to leave to it",
			 n_left);
		return -E2BIG;
	}
	pre[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	pre[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, (uint8_t)(head - 1 - 2));
	pre[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	pre[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SIGSYS_BPF_LEARN_NRS,
						  (uint8_t)(head - 4), 0);
	for (uint32_t i = 0; i < n_left; i++, k++)
		pre[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, left[i],
						      (uint8_t)(head - k - 1), 0);
	pre[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	pre[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	memmove(variant + head, variant, *n * sizeof(*variant));
	memcpy(variant, pre, head * sizeof(*pre));
	*n += head;
	return 0;
}
