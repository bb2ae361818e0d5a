/*
 * policy.h - the sigsys policy file: what `sigsys compile` writes and what the
 * preload reads.  The preload must not need a JSON parser or libseccomp at run
 * time, so everything it needs is here in a flat, versioned, little-endian
 * layout:
 *
 *   struct sigsys_policy_header        (fixed size, see below)
 *   struct sock_filter  insns[n_insns] (the program the kernel runs: the
 *                                       prologue, then the rewritten program)
 *   struct sigsys_action actions[n_actions]
 *
 * Trap data.  Every non-ALLOW `ret` of the libseccomp program is rewritten
 * (see rewrite.h) into a jump to an epilogue that returns
 *     SECCOMP_RET_TRAP | SIGSYS_TRAP_MAGIC | idx
 * so the SIGSYS handler sees si_errno == SIGSYS_TRAP_MAGIC | idx and looks up
 * actions[idx] to learn what the profile really asked for.  A si_errno
 * without the magic is not ours and is chained to the application.
 *
 * Trusted instruction.  The epilogue compares seccomp_data.instruction_pointer
 * with the address right after the one `syscall` instruction inside
 * libsigsys.so (sigsys_trusted_syscall, see arch/).  That address is only known
 * after the preload is mapped, so the header records where in the program the
 * two 32-bit halves live (trusted_ip_lo_at / trusted_ip_hi_at: instruction
 * indexes whose `k` the preload patches before installing the filter).
 * The check sits only on trap paths, never on allowed ones.  The prologue
 * (prologue.h) has a second such pair (prologue_ip_lo_at / _hi_at); the
 * preload patches both and changes nothing else (sigsys_policy_trust_ip).
 *
 * The prologue and the profile's program.  insns[0..prologue_len) is the
 * prologue the builder puts in front (keeps SIGSYS deliverable: prologue.h);
 * insns[prologue_len..n_insns) is the profile's program with its trap
 * epilogue (rewrite.h), a valid program on its own (BPF jumps only forward).
 * The handler asks that part what the profile says about a call the
 * prologue trapped; sigsys-exec installs variants of that part only
 * (sigsys_policy_profile_program).
 */
#ifndef SIGSYS_POLICY_H
#define SIGSYS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

#define SIGSYS_POLICY_MAGIC "SIGSYSPL"        /* 8 bytes, no NUL stored */
#define SIGSYS_POLICY_VERSION 3u /* 2: trusted path checks arch and x32; mseal harmless;
				    3: the prologue is in the file */
#define SIGSYS_POLICY_MAX_INSNS 4096u          /* BPF_MAXINSNS */
#define SIGSYS_POLICY_MAX_ACTIONS 256u

/* si_errno of our traps: high nibble pattern + action index (< 4096). */
#define SIGSYS_TRAP_MAGIC 0xA000u
#define SIGSYS_TRAP_MAGIC_MASK 0xF000u
#define SIGSYS_TRAP_INDEX_MASK 0x0FFFu

/*
 * Reserved syscall numbers the handler issues (from the trusted instruction)
 * to have the kernel carry out a KILL action exactly as it would have, once
 * the event is in the ring.  The compiler adds rules so these never reach an
 * ALLOW path; the epilogue answers them with the real kill action.  They are
 * not valid syscalls on any architecture.
 */
#define SIGSYS_NR_KILL_PROCESS 0x3ffff5a5
#define SIGSYS_NR_KILL_THREAD 0x3ffff5a6

enum sigsys_mode {
	SIGSYS_MODE_ENFORCE = 1,
	SIGSYS_MODE_AUDIT = 2,
};

/* What the profile asked for; values match proto sigsys.v1.Action. */
enum sigsys_action_kind {
	SIGSYS_ACT_KILL_PROCESS = 1,
	SIGSYS_ACT_KILL_THREAD = 2,
	SIGSYS_ACT_TRAP = 3,
	SIGSYS_ACT_ERRNO = 4,
	SIGSYS_ACT_TRACE = 5,
	SIGSYS_ACT_LOG = 6,
	SIGSYS_ACT_USER_NOTIF = 7,
	SIGSYS_ACT_ALLOW = 8,
};

struct sigsys_action {
	uint32_t kind;    /* enum sigsys_action_kind */
	uint32_t data;    /* ERRNO: errno value; TRACE: msg data; else 0 */
	uint32_t seccomp; /* the original SECCOMP_RET_* value, for explain */
	uint32_t reserved;
};

struct sigsys_policy_header {
	char magic[8];           /* SIGSYS_POLICY_MAGIC */
	uint32_t version;        /* SIGSYS_POLICY_VERSION */
	uint32_t header_size;    /* sizeof(struct sigsys_policy_header) */
	uint32_t arch;           /* AUDIT_ARCH_* the program was built for */
	uint32_t mode;           /* enum sigsys_mode */
	uint32_t n_insns;        /* <= SIGSYS_POLICY_MAX_INSNS */
	uint32_t n_actions;      /* <= SIGSYS_POLICY_MAX_ACTIONS */
	uint32_t trusted_ip_lo_at; /* insn index whose k = low 32 bits of trusted ip */
	uint32_t trusted_ip_hi_at; /* insn index whose k = high 32 bits */
	uint32_t flags;          /* reserved, 0 */
	uint32_t checksum;       /* CRC-32 of everything after the header */
	uint8_t profile_hash[32]; /* SHA-256 of the profile as given */
	uint32_t prologue_len;   /* insns of the prologue; the profile's program follows */
	uint32_t prologue_ip_lo_at; /* the prologue's trusted-ip jeqs (low, high half) */
	uint32_t prologue_ip_hi_at;
	uint32_t reserved;       /* 0; keeps the sections 8-byte aligned */
};

/* Sizes and parse results. All functions return 0 or a negative errno. */
struct sigsys_policy {
	const struct sigsys_policy_header *hdr;
	const struct sock_filter *insns;
	const struct sigsys_action *actions;
};

/*
 * Validate a policy image of `len` bytes and point `out` into it.  Does not
 * allocate, so the preload can call it on an mmap'd file.  On failure returns
 * a negative errno and, if `why` is not NULL, a static string naming the cause
 * ("bad magic", "version 7 not supported", "wrong arch", "truncated", ...).
 */
int sigsys_policy_parse(const void *buf, size_t len, uint32_t expect_arch,
			struct sigsys_policy *out, const char **why);

/* Total image size for the given counts. */
size_t sigsys_policy_size(uint32_t n_insns, uint32_t n_actions);

/*
 * Serialise into `buf` (of at least sigsys_policy_size() bytes), filling in
 * magic, version, header_size and checksum.  `hdr` supplies the rest.
 */
int sigsys_policy_write(void *buf, size_t len, const struct sigsys_policy_header *hdr,
			const struct sock_filter *insns, const struct sigsys_action *actions);

uint32_t sigsys_crc32(const void *buf, size_t len);

/*
 * Like sigsys_policy_parse(), but writes a precise message into the caller's
 * buffer ("truncated: 120 bytes, header says 512").  sigsys_policy_parse()
 * formats into a per-thread buffer and points *why at it.  expect_arch 0
 * skips the arch check (for tools inspecting foreign policies).
 */
int sigsys_policy_check(const void *buf, size_t len, uint32_t expect_arch,
			struct sigsys_policy *out, char *why, size_t whylen);

/*
 * Validate a BPF program as the kernel will when it is installed as a seccomp
 * filter (bpf_check_classic + seccomp_check_filter): length 1..4096, only
 * opcodes seccomp accepts, loads inside struct seccomp_data, jump targets in
 * range, last insn a ret, no scratch read before a store.  0 or -errno.
 */
int sigsys_bpf_check(const struct sock_filter *insns, uint32_t n, char *why, size_t whylen);

/*
 * The profile's own program of `p` (insns after the prologue), as a policy
 * view with no prologue: `hbuf` receives its header (n_insns, the trusted-ip
 * indexes shifted, prologue fields 0) and must outlive `out`.  `out` may be
 * `p`.  What sigsys-exec installs variants of and evaluates.
 */
void sigsys_policy_profile_program(const struct sigsys_policy *p,
				   struct sigsys_policy_header *hbuf, struct sigsys_policy *out);

/*
 * Patch the trusted instruction pointer into every trusted-ip jeq of a copy
 * of the policy's program (insns, n = h->n_insns; the epilogue's pair and
 * the prologue's): the one change the preload makes before installing it.
 * Async-signal-safe, no allocation (rewrite.c).  0 or -EINVAL.
 */
int sigsys_policy_trust_ip(const struct sigsys_policy_header *h, struct sock_filter *insns,
			   uint32_t n, uint64_t ip);

/*
 * Patch the trusted instruction pointer into a loaded policy's program copy:
 * insns[lo_at].k = low 32 bits, insns[hi_at].k = high 32 bits.  Checks that
 * both indexes are in range and point at `jeq #k`.  Async-signal-safe, no
 * allocation (implemented in rewrite.c).  0 or -EINVAL.
 */
int sigsys_policy_patch_trusted_ip(struct sock_filter *insns, uint32_t n, uint32_t lo_at,
				   uint32_t hi_at, uint64_t ip);

#endif
