/*
 * ndjson_encode.h - the collector's batch path: handler-written ring records
 * (protobuf sigsys.v1.Violation) straight to their NDJSON lines, plus a
 * per-batch tally of calls by (arch, nr, action, outcome) for Prometheus.
 *
 * Collector side only (the Node addon, ndjson_binding.cc); nothing here runs
 * in the SIGSYS handler.  The TypeScript path (src/collector/fast-decode.ts
 * + src/sinks/ndjson-encode.ts) is the reference: a record this encoder
 * handles gets exactly the bytes `JSON.stringify(event) + '\n'` of the event
 * the TypeScript path builds.  Everything that is not a number formatted
 * here comes in from TypeScript as ready JSON text (per ring: the constant
 * fields; per (arch, nr): the syscall name); a record it cannot write
 * exactly (another field or wire type, a bad varint, more than six args, a
 * syscall whose name it was not given, a full tally) is left to the
 * TypeScript path, which the caller runs for it in order.  Syscalls without
 * a name are listed, so the caller can give their names and encode again.
 */
#ifndef SIGSYS_NDJSON_ENCODE_H
#define SIGSYS_NDJSON_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* One executable mapping of the ring, for call sites (sorted by start). */
struct nj_map {
	uint64_t start, end, offset;
	/* JSON text `"<module>+0x` (quoted, escaped, no closing quote). */
	const char *prefix;
	uint32_t prefix_len;
};

/* What is constant for every event of one ring, as JSON text. */
struct nj_ring {
	/* `,"host":..,"bootId":..,"ringPid":..,"ringStartNs":..,"seq":` */
	const char *seg_ring;
	uint32_t seg_ring_len;
	/* `,"comm":..,"exe":..,"syscall":` */
	const char *seg_comm;
	uint32_t seg_comm_len;
	/* `,"containerId":..,"pod":..,...,"source":..` (after mode) */
	const char *seg_tail;
	uint32_t seg_tail_len;
	/* Forged rings: every event's pid is this text (the ring pid), tid 0. NULL: the record's. */
	const char *forged_pid;
	uint32_t forged_pid_len;
	/* The ring's mode (0 unknown, 1 enforce, 2 audit): events whose own mode is unknown take it. */
	int mode;
	const struct nj_map *maps;
	uint32_t n_maps;
};

/* Syscall name text by (AUDIT_ARCH, nr): `"<name>","nr":<nr>,"arch":"<arch>","args":[`. */
struct nj_names;

struct nj_names *nj_names_new(void);
void nj_names_free(struct nj_names *n);
/* Copies text.  Returns 0, or -ENOMEM.  A full table is emptied first. */
int nj_names_set(struct nj_names *n, uint32_t arch, int32_t nr, const char *text, uint32_t len);

/* Calls of one batch by label set, in first-seen order. */
struct nj_tally {
	uint32_t arch;
	int32_t nr;
	/* Normalised: an index outside the name table is 0 ("unknown"). */
	uint32_t action, outcome;
	/* Sum of calls (repeat of count records, else 1), added in record order as doubles, like JS. */
	double calls;
	/* Index in the batch of the first record with this label set. */
	uint32_t first;
};

#define NJ_TALLY_MAX 512
/* Distinct (arch, nr) without a name reported per batch. */
#define NJ_MISSING_MAX 512

struct nj_batch {
	/* In: records [0, n) are data[ends[i-1] (0 for i = 0) .. ends[i]), tickets seqs[i]. */
	const uint8_t *data;
	const uint32_t *ends;
	const double *seqs;
	uint32_t n;
	/* Out: lines of the records written here, in order (out_cap: nj_batch_bound()). */
	uint8_t *out;
	size_t out_cap, out_len;
	/* Out: records left to the caller (index, and the offset in out where its line goes); capacity n. */
	uint32_t *fallback, *fallback_at;
	uint32_t n_fallback;
	/* Out: capacity NJ_TALLY_MAX. */
	struct nj_tally *tally;
	uint32_t n_tally;
	/* Out: (arch, nr) of records left to the caller for want of a name (first NJ_MISSING_MAX, distinct). */
	uint32_t missing_arch[NJ_MISSING_MAX];
	int32_t missing_nr[NJ_MISSING_MAX];
	uint32_t n_missing;
};

/* The most bytes nj_encode_batch writes for n records of this ring. */
size_t nj_batch_bound(const struct nj_ring *ring, const struct nj_names *names, uint32_t n);

/* Encode a batch.  Returns 0, or -EINVAL when ends are not ascending or out_cap is short. */
int nj_encode_batch(const struct nj_ring *ring, const struct nj_names *names, struct nj_batch *b);

#endif
