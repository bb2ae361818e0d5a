/*
 * test_policy.c - filter-01: the policy image format.
 *
 * Builds one valid image with the real builder, then feeds the parser a
 * table of corrupted copies and checks the exact errno and message of each.
 * A parser that let any of them through would hand the preload a filter the
 * kernel refuses (or worse, one it accepts with the wrong meaning).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <seccomp.h>

#include "bpf_eval.h"
#include "build.h"
#include "filter_test.h"
#include "policy.h"
#include "rewrite.h"

struct img {
	uint8_t *buf; /* 8-aligned, with room for 64 extra bytes */
	size_t len;
	struct sigsys_policy_header *h;
	struct sock_filter *insns;
	struct sigsys_action *actions;
};

static void refix_crc(struct img *m)
{
	m->h->checksum = sigsys_crc32(m->buf + sizeof(*m->h), m->len - sizeof(*m->h));
}

/* Each mutation edits the copy and writes the message it expects. */
typedef void (*mutate_fn)(struct img *m, char *want, size_t wlen);

#define MUT(name) static void name(struct img *m, char *want, size_t wlen)

MUT(m_none) { (void)m; (void)want; (void)wlen; }
MUT(m_magic) { m->h->magic[0] = 'X'; snprintf(want, wlen, "bad magic: not a sigsys policy file"); }
MUT(m_version)
{
	m->h->version = 7;
	snprintf(want, wlen, "unsupported version 7 (this sigsys reads %u)", SIGSYS_POLICY_VERSION);
}
MUT(m_header_size)
{
	m->h->header_size = 80;
	snprintf(want, wlen, "bad header_size 80 (expected 96)");
}
MUT(m_arch)
{
	m->h->arch = AUDIT_ARCH_I386;
	snprintf(want, wlen, "wrong arch: policy is for 0x40000003, this process is 0xc000003e");
}
MUT(m_mode) { m->h->mode = 3; snprintf(want, wlen, "bad mode 3 (1 enforce, 2 audit)"); }
MUT(m_flags) { m->h->flags = 1; snprintf(want, wlen, "unknown flags 0x1"); }
MUT(m_n_insns_0) { m->h->n_insns = 0; snprintf(want, wlen, "bad n_insns 0 (1..4096)"); }
MUT(m_n_insns_big) { m->h->n_insns = 5000; snprintf(want, wlen, "bad n_insns 5000 (1..4096)"); }
MUT(m_n_actions) { m->h->n_actions = 300; snprintf(want, wlen, "bad n_actions 300 (max 256)"); }
MUT(m_truncated)
{
	snprintf(want, wlen, "truncated: %zu bytes, header says %zu", m->len - 8, m->len);
	m->len -= 8;
}
MUT(m_header_only)
{
	m->len = 40;
	snprintf(want, wlen, "truncated: 40 bytes, a header alone is 96");
}
MUT(m_more_actions)
{
	/* A header claiming one more action than the file holds. */
	m->h->n_actions++;
	snprintf(want, wlen, "truncated: %zu bytes, header says %zu", m->len, m->len + 16);
}
MUT(m_trailing)
{
	snprintf(want, wlen, "trailing data: %zu bytes, header says %zu", m->len + 8, m->len);
	m->len += 8;
}
MUT(m_checksum)
{
	m->insns[3].k ^= 1; /* no refix */
	snprintf(want, wlen, "checksum mismatch");
}
MUT(m_checksum_action)
{
	m->actions[0].data ^= 0x100; /* the action table is covered too */
	snprintf(want, wlen, "checksum mismatch");
}
MUT(m_jump_range)
{
	uint32_t n = m->h->n_insns;

	m->insns[1].jf = 250; /* insn 1 is "jeq arch" in libseccomp's output */
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: insn 1 jumps to %u/%u, past the end (%u insns)",
		 2 + m->insns[1].jt, 252, n);
}
MUT(m_ja_range)
{
	uint32_t n = m->h->n_insns;

	m->insns[2].code = BPF_JMP | BPF_JA;
	m->insns[2].k = n - 3; /* one past the last insn */
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: insn 2 jumps to %u, past the end (%u insns)", n, n);
}
MUT(m_last_not_ret)
{
	uint32_t n = m->h->n_insns;

	m->insns[n - 1].code = BPF_LD | BPF_IMM;
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: last insn %u is not a ret", n - 1);
}
MUT(m_opcode)
{
	m->insns[0].code = BPF_LD | BPF_B | BPF_ABS; /* packet byte load: not seccomp */
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: insn 0 has opcode 0x0030, which seccomp rejects");
}
MUT(m_mod)
{
	m->insns[0].code = BPF_ALU | BPF_MOD | BPF_K; /* classic BPF has it, seccomp not */
	m->insns[0].k = 3;
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: insn 0 has opcode 0x0094, which seccomp rejects");
}
MUT(m_load_off)
{
	m->insns[0].k = 64;
	refix_crc(m);
	snprintf(want, wlen,
		 "bad BPF: insn 0 loads seccomp_data offset 64 (must be < 64, aligned)");
}
MUT(m_load_unaligned)
{
	m->insns[0].k = 6;
	refix_crc(m);
	snprintf(want, wlen,
		 "bad BPF: insn 0 loads seccomp_data offset 6 (must be < 64, aligned)");
}
MUT(m_scratch)
{
	m->insns[0].code = BPF_LD | BPF_MEM;
	m->insns[0].k = 3;
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: insn 0 reads scratch M[3] before any store");
}
MUT(m_scratch_range)
{
	m->insns[0].code = BPF_ST;
	m->insns[0].k = 16;
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: insn 0 uses scratch M[16] (max 15)");
}
MUT(m_div0)
{
	m->insns[0].code = BPF_ALU | BPF_DIV | BPF_K;
	m->insns[0].k = 0;
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: insn 0 divides by constant 0");
}
MUT(m_shift)
{
	m->insns[0].code = BPF_ALU | BPF_LSH | BPF_K;
	m->insns[0].k = 32;
	refix_crc(m);
	snprintf(want, wlen, "bad BPF: insn 0 shifts by 32 (max 31)");
}
MUT(m_ip_range)
{
	m->h->trusted_ip_lo_at = m->h->n_insns;
	snprintf(want, wlen, "trusted ip index out of range: lo %u, hi %u, %u insns",
		 m->h->n_insns, m->h->trusted_ip_hi_at, m->h->n_insns);
}
MUT(m_ip_same)
{
	m->h->trusted_ip_hi_at = m->h->trusted_ip_lo_at;
	snprintf(want, wlen, "trusted ip index out of range: lo %u, hi %u, %u insns",
		 m->h->trusted_ip_lo_at, m->h->trusted_ip_lo_at, m->h->n_insns);
}
MUT(m_ip_not_jeq)
{
	m->h->trusted_ip_hi_at = 0; /* "ld arch" */
	snprintf(want, wlen, "trusted ip index does not point at a jeq #k (lo %u, hi 0)",
		 m->h->trusted_ip_lo_at);
}
MUT(m_ip_wrong_jeq)
{
	m->h->trusted_ip_lo_at = 1; /* "jeq arch": a jeq #k, but not the ip's */
	snprintf(want, wlen, "trusted ip jeq does not follow a load of the ip (lo 1, hi %u)",
		 m->h->trusted_ip_hi_at);
}
MUT(m_ip_swapped)
{
	uint32_t lo = m->h->trusted_ip_lo_at;

	m->h->trusted_ip_lo_at = m->h->trusted_ip_hi_at;
	m->h->trusted_ip_hi_at = lo;
	snprintf(want, wlen, "trusted ip jeq does not follow a load of the ip (lo %u, hi %u)",
		 m->h->trusted_ip_lo_at, lo);
}
MUT(m_prologue_ip_wrong_jeq)
{
	m->h->prologue_ip_lo_at = 1; /* "jeq arch" of the prologue */
	snprintf(want, wlen,
		 "prologue trusted ip jeq does not follow a load of the ip (lo 1, hi %u)",
		 m->h->prologue_ip_hi_at);
}
MUT(m_ip_in_prologue)
{
	/* The epilogue's pair pointed at the prologue's: the profile's program
	 * alone would then have no trusted-ip check to patch. */
	m->h->trusted_ip_lo_at = m->h->prologue_ip_lo_at;
	m->h->trusted_ip_hi_at = m->h->prologue_ip_hi_at;
	snprintf(want, wlen, "trusted ip jeqs (lo %u, hi %u) inside the prologue (%u insns)",
		 m->h->prologue_ip_lo_at, m->h->prologue_ip_hi_at, m->h->prologue_len);
}
MUT(m_prologue_len)
{
	m->h->prologue_len = m->h->n_insns;
	snprintf(want, wlen, "prologue of %u insns in a program of %u", m->h->n_insns,
		 m->h->n_insns);
}
MUT(m_action_kind)
{
	m->actions[1].kind = 99;
	refix_crc(m);
	snprintf(want, wlen, "action 1 has unknown kind 99");
}
MUT(m_unaligned)
{
	memmove(m->buf + 4, m->buf, m->len);
	m->buf += 4; /* restored by the caller through `base` */
	snprintf(want, wlen, "image not 8-byte aligned in memory");
}

static const struct {
	const char *name;
	mutate_fn fn;
	int rc;
} cases[] = {
	{ "01 valid", m_none, 0 },
	{ "02 bad magic", m_magic, -EINVAL },
	{ "03 version", m_version, -EPROTONOSUPPORT },
	{ "04 header size", m_header_size, -EINVAL },
	{ "05 wrong arch", m_arch, -ENOEXEC },
	{ "06 mode", m_mode, -EINVAL },
	{ "07 flags", m_flags, -EINVAL },
	{ "08 zero insns", m_n_insns_0, -EINVAL },
	{ "09 too many insns", m_n_insns_big, -EINVAL },
	{ "10 too many actions", m_n_actions, -EINVAL },
	{ "11 truncated", m_truncated, -EINVAL },
	{ "12 header truncated", m_header_only, -EINVAL },
	{ "13 count past end", m_more_actions, -EINVAL },
	{ "14 trailing bytes", m_trailing, -EINVAL },
	{ "15 checksum insns", m_checksum, -EBADMSG },
	{ "16 checksum actions", m_checksum_action, -EBADMSG },
	{ "17 jump out of range", m_jump_range, -EINVAL },
	{ "18 ja out of range", m_ja_range, -EINVAL },
	{ "19 last not ret", m_last_not_ret, -EINVAL },
	{ "20 packet load opcode", m_opcode, -EINVAL },
	{ "21 mod opcode", m_mod, -EINVAL },
	{ "22 load past seccomp_data", m_load_off, -EINVAL },
	{ "23 unaligned load", m_load_unaligned, -EINVAL },
	{ "24 scratch read first", m_scratch, -EINVAL },
	{ "25 scratch index", m_scratch_range, -EINVAL },
	{ "26 divide by 0", m_div0, -EINVAL },
	{ "27 shift by 32", m_shift, -EINVAL },
	{ "28 trusted ip out of range", m_ip_range, -EINVAL },
	{ "29 trusted ip same insn", m_ip_same, -EINVAL },
	{ "30 trusted ip not jeq", m_ip_not_jeq, -EINVAL },
	{ "31 action kind", m_action_kind, -EINVAL },
	{ "32 unaligned buffer", m_unaligned, -EINVAL },
	{ "33 trusted ip at the profile's jeq", m_ip_wrong_jeq, -EINVAL },
	{ "34 trusted ip halves swapped", m_ip_swapped, -EINVAL },
	{ "35 prologue trusted ip at another jeq", m_prologue_ip_wrong_jeq, -EINVAL },
	{ "36 trusted ip inside the prologue", m_ip_in_prologue, -EINVAL },
	{ "37 prologue covers the program", m_prologue_len, -EINVAL },
};

static void build_valid(uint8_t **img, size_t *len)
{
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_ENFORCE };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));
	char err[256];
	int rc;

	T_REQUIRE(ctx, "seccomp_init");
	T_REQUIRE(sigsys_build_reserve(ctx, err, sizeof(err)) == 0, "%s", err);
	T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getpid), 0) == 0, "rule");
	T_REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(13), SCMP_SYS(openat), 0) == 0, "rule");
	rc = sigsys_build_policy(ctx, &o, img, len, err, sizeof(err));
	T_REQUIRE(rc == 0, "build: %s", err);
	seccomp_release(ctx);
}

static void test_corruptions(void)
{
	uint8_t *valid;
	size_t vlen, i;

	build_valid(&valid, &vlen);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t store[(vlen + 128) / 8 + 1];
		struct img m;
		struct sigsys_policy p;
		char want[256] = "", got[256] = "";
		const char *why = (const char *)1;
		int rc, rc2;

		memset(store, 0, sizeof(store));
		memcpy(store, valid, vlen);
		m.buf = (uint8_t *)store;
		m.len = vlen;
		m.h = (struct sigsys_policy_header *)m.buf;
		m.insns = (struct sock_filter *)(m.buf + sizeof(*m.h));
		m.actions = (struct sigsys_action *)(m.insns + m.h->n_insns);
		cases[i].fn(&m, want, sizeof(want));

		rc = sigsys_policy_check(m.buf, m.len, AUDIT_ARCH_X86_64, &p, got, sizeof(got));
		T_CHECK(rc == cases[i].rc, "%s: rc %d, want %d (%s)", cases[i].name, rc,
			cases[i].rc, got);
		if (cases[i].rc)
			T_CHECK(strcmp(got, want) == 0, "%s: why '%s', want '%s'", cases[i].name,
				got, want);
		/* The const char ** flavour says the same thing. */
		rc2 = sigsys_policy_parse(m.buf, m.len, AUDIT_ARCH_X86_64, &p, &why);
		T_CHECK(rc2 == rc, "%s: parse rc %d vs check rc %d", cases[i].name, rc2, rc);
		if (rc)
			T_CHECK(why && strcmp(why, want) == 0, "%s: parse why '%s'", cases[i].name,
				why ? why : "(null)");
		else
			T_CHECK(why == NULL, "%s: why set on success", cases[i].name);
	}
	free(valid);
}

static void test_roundtrip(void)
{
	static const uint8_t hash[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, [31] = 0xee };
	struct sigsys_build_opts o = { .mode = SIGSYS_MODE_AUDIT, .profile_hash = hash };
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
	};
	struct sigsys_policy p;
	uint8_t *img;
	size_t len;
	char err[256];
	struct sock_filter copy[SIGSYS_POLICY_MAX_INSNS];
	uint32_t n;

	T_REQUIRE(sigsys_build_from_bpf(prog, 4, AUDIT_ARCH_X86_64, &o, &img, &len, err,
					sizeof(err)) == 0, "%s", err);
	T_REQUIRE(sigsys_policy_check(img, len, 0, &p, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(p.hdr->mode == SIGSYS_MODE_AUDIT, "mode %u", p.hdr->mode);
	T_CHECK(p.hdr->arch == AUDIT_ARCH_X86_64, "arch");
	T_CHECK(memcmp(p.hdr->profile_hash, hash, 32) == 0, "hash");
	T_CHECK(p.hdr->n_actions == 1 && p.actions[0].kind == SIGSYS_ACT_ERRNO &&
			p.actions[0].data == 1 && p.actions[0].seccomp == (SECCOMP_RET_ERRNO | 1),
		"action table");
	/* The prologue, then the program with its ALLOW paths untouched. */
	T_CHECK(p.hdr->prologue_len > 0 &&
			memcmp(p.insns + p.hdr->prologue_len, prog, 3 * sizeof(prog[0])) == 0,
		"untouched prefix after a prologue of %u", p.hdr->prologue_len);
	T_CHECK(len == sigsys_policy_size(p.hdr->n_insns, p.hdr->n_actions), "size");

	/* Patching the trusted ip: both halves, and nothing else changes. */
	n = p.hdr->n_insns;
	memcpy(copy, p.insns, n * sizeof(copy[0]));
	T_CHECK(sigsys_policy_patch_trusted_ip(copy, n, p.hdr->trusted_ip_lo_at,
					       p.hdr->trusted_ip_hi_at,
					       0x00007f1122334455ull) == 0, "patch");
	T_CHECK(copy[p.hdr->trusted_ip_lo_at].k == 0x22334455u, "lo k 0x%x",
		copy[p.hdr->trusted_ip_lo_at].k);
	T_CHECK(copy[p.hdr->trusted_ip_hi_at].k == 0x00007f11u, "hi k 0x%x",
		copy[p.hdr->trusted_ip_hi_at].k);
	copy[p.hdr->trusted_ip_lo_at].k = p.insns[p.hdr->trusted_ip_lo_at].k;
	copy[p.hdr->trusted_ip_hi_at].k = p.insns[p.hdr->trusted_ip_hi_at].k;
	T_CHECK(memcmp(copy, p.insns, n * sizeof(copy[0])) == 0, "patch touched other insns");
	T_CHECK(sigsys_policy_patch_trusted_ip(copy, n, 0, p.hdr->trusted_ip_hi_at, 1) ==
			-EINVAL, "patch must refuse a non-jeq index");
	T_CHECK(sigsys_policy_patch_trusted_ip(copy, n, n, p.hdr->trusted_ip_hi_at, 1) ==
			-EINVAL, "patch must refuse an index out of range");

	/* write() refuses what parse() would refuse. */
	{
		struct sigsys_policy_header h = *p.hdr;
		uint8_t small[100];

		T_CHECK(sigsys_policy_write(small, sizeof(small), &h, p.insns, p.actions) ==
				-ENOSPC, "write into a short buffer");
		h.n_insns = 0;
		T_CHECK(sigsys_policy_write(img, len, &h, p.insns, p.actions) == -E2BIG,
			"write of 0 insns");
	}
	free(img);
}

static void test_crc(void)
{
	/* The standard check value of CRC-32/ISO-HDLC (zlib's crc32). */
	T_CHECK(sigsys_crc32("123456789", 9) == 0xCBF43926u, "crc 0x%08x",
		sigsys_crc32("123456789", 9));
	T_CHECK(sigsys_crc32("", 0) == 0, "crc of nothing");
}

/*
 * Random damage (fixed seed, so a failure reproduces): flip bytes anywhere,
 * refresh the CRC half of the time so the structural checks are reached,
 * truncate sometimes.  Whatever parse accepts must evaluate within bounds
 * and must have passed the same checks the kernel applies.
 */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void test_random_damage(void)
{
	uint8_t *valid;
	size_t vlen;
	uint32_t iter, accepted = 0, rejected = 0;

	build_valid(&valid, &vlen);
	for (iter = 0; iter < 20000; iter++) {
		uint64_t store[(vlen + 8) / 8 + 1];
		uint8_t *b = (uint8_t *)store;
		struct sigsys_policy_header *h = (struct sigsys_policy_header *)b;
		struct sigsys_policy p;
		size_t len = vlen;
		uint32_t flips = 1 + rnd() % 4, f;
		char why[200];

		memcpy(store, valid, vlen);
		for (f = 0; f < flips; f++)
			b[rnd() % vlen] ^= (uint8_t)(1u << (rnd() % 8));
		if (rnd() % 2)
			h->checksum = sigsys_crc32(b + sizeof(*h), vlen - sizeof(*h));
		if (rnd() % 8 == 0)
			len = rnd() % vlen;
		if (sigsys_policy_check(b, len, AUDIT_ARCH_X86_64, &p, why, sizeof(why)) == 0) {
			struct seccomp_data d;
			uint32_t at;

			accepted++;
			T_CHECK(sigsys_bpf_check(p.insns, p.hdr->n_insns, why, sizeof(why)) == 0,
				"accepted a program the kernel checks refuse: %s", why);
			memset(&d, 0, sizeof(d));
			d.nr = (int)(rnd() % 400);
			d.arch = AUDIT_ARCH_X86_64;
			sigsys_bpf_eval(p.insns, p.hdr->n_insns, &d, &at);
			T_CHECK(at < p.hdr->n_insns, "evaluation ran off the end");
		} else {
			rejected++;
			T_CHECK(why[0] != '\0', "rejection without a reason");
		}
	}
	/* Both outcomes must really occur, or the loop tests nothing. */
	T_CHECK(accepted > 100 && rejected > 100, "accepted %u, rejected %u", accepted, rejected);
	free(valid);
}

int main(void)
{
	test_crc();
	test_corruptions();
	test_roundtrip();
	test_random_damage();
	return t_done("filter-01-policy");
}
