/*
 * ring.h - the spool ring: one mmap'd file per process in $SIGSYS_SPOOL.
 *
 * The preload creates and maps the ring in its constructor, before the filter
 * is installed, so that recording an event from the SIGSYS handler needs no
 * syscall at all: reserve a slot with an atomic compare-and-swap, copy the
 * encoded event, then publish it by storing the commit word last (release).
 * The mapping is MAP_SHARED, so threads and forked children (which inherit
 * the mapping) all produce into the same file; the ticket of a slot is the
 * event's per-ring sequence number.
 *
 * The collector (through the addon) is the single consumer.  It reads
 * committed records in ticket order and stores `cursor` only after every sink
 * acknowledged them, so a crash of the workload or of the collector loses
 * nothing already committed.
 *
 * A hostile workload owns its ring and may scribble anything into it, so the
 * consumer functions treat every byte of the file as untrusted: they validate
 * sizes against the file length, copy records out before looking at them,
 * and never loop on a value read from the file without a bound.
 *
 * File layout (little-endian):
 *   [0, SIGSYS_RING_HEADER_SIZE)  struct sigsys_ring_header + metadata
 *   then record_count records of record_size bytes each.
 */
#ifndef SIGSYS_RING_H
#define SIGSYS_RING_H

#include <stddef.h>
#include <stdint.h>

#define SIGSYS_RING_MAGIC 0x474e495253595353ull /* "SSYSRING" */
#define SIGSYS_RING_VERSION 2u /* 2: hot-loop counter slots */
#define SIGSYS_RING_HEADER_SIZE 8192u
#define SIGSYS_RING_RECORD_SIZE 256u
#define SIGSYS_RING_DEFAULT_RECORDS 8192u /* 2 MiB of records */
#define SIGSYS_RING_MAX_RECORDS (1u << 22)
#define SIGSYS_RING_META_MAX 4096u        /* bytes of encoded RingMeta */
#define SIGSYS_RING_HOT_SLOTS 32u         /* hot-loop counters (see below) */
#define SIGSYS_RING_HOT_FULL 4u           /* full events per hot key before counting */
#define SIGSYS_RING_HOT_PROBE 8u          /* slots a producer looks at per trap */
#define SIGSYS_RING_FILE_PREFIX "sigsys-"
#define SIGSYS_RING_FILE_SUFFIX ".ring"   /* sigsys-<pid>-<start ns>.ring */

/* One record: commit word, payload length, payload (protobuf Violation). */
struct sigsys_ring_record {
	uint32_t commit; /* (uint32_t)(ticket + 1) once published; written last */
	uint32_t len;    /* payload bytes, <= SIGSYS_RING_RECORD_SIZE - 8 */
	uint8_t data[SIGSYS_RING_RECORD_SIZE - 8];
};

/*
 * Hot-loop counters.  One slot per (pid, arch, nr, call site, action index,
 * outcome, errno): the first SIGSYS_RING_HOT_FULL traps of a key are full
 * events; later ones only add 1 to `total` (one lock-free fetch-add, no
 * record).  The collector turns what is counted into ordinary records with
 * Violation.repeat (field 36) = the number of calls they stand for, written
 * into this same ring so they get a ticket, a seq and the dedup key of any
 * event.  Its claim protocol (docs/ring.md) makes the hand-over exact across
 * a collector SIGKILL: never lost, never counted twice.
 *
 *   producer: key (CAS 0 -> hash), then the template fields, then state =
 *             HOT_READY (release); every matching trap: fetch-add total.
 *   consumer: flushed = counted calls already in records; claim/claim_ticket
 *             = the record in flight (claim > flushed) bringing it to claim.
 */
#define SIGSYS_HOT_READY 1u
struct sigsys_ring_hot_slot {
	uint64_t key;          /* hash of the key fields; 0 = free */
	uint64_t total;        /* traps of this key, full events included */
	uint64_t flushed;      /* consumer: counted traps already turned into records */
	uint64_t claim;        /* consumer: flushed after the record in flight */
	uint64_t claim_ticket; /* consumer: ticket of that record */
	uint64_t ip;           /* template: the first call's fields */
	uint64_t args[6];
	int32_t nr;
	uint32_t arch;
	uint32_t pid;
	uint32_t tid;
	int32_t errno_ret;
	uint8_t action, outcome, mode;
	uint8_t state;         /* SIGSYS_HOT_READY once the template is complete */
};

struct sigsys_ring_header {
	uint64_t magic;          /* SIGSYS_RING_MAGIC */
	uint32_t version;        /* SIGSYS_RING_VERSION */
	uint32_t header_size;    /* SIGSYS_RING_HEADER_SIZE: offset of record 0 */
	uint32_t record_size;    /* SIGSYS_RING_RECORD_SIZE */
	uint32_t record_count;   /* power of two, <= SIGSYS_RING_MAX_RECORDS */
	uint64_t head;           /* next ticket to hand out (producers, CAS) */
	uint64_t cursor;         /* first ticket not yet consumed (consumer) */
	uint64_t dropped;        /* events dropped because the ring was full */
	uint64_t created_ns;     /* CLOCK_REALTIME at creation */
	uint32_t owner_pid;      /* pid that created the ring */
	uint32_t meta_len;       /* bytes of encoded RingMeta at meta[] */
	uint32_t closed;         /* 1: its writer is done.  Set by sigsys-exec's
				    supervisor when the process it writes for
				    exits (supervisor.c); a preload ring is never
				    closed: its end is its owner's exit */
	uint32_t hot_full;       /* SIGSYS_RING_HOT_FULL: full events per hot key */
	struct sigsys_ring_hot_slot hot[SIGSYS_RING_HOT_SLOTS];
	uint8_t meta[SIGSYS_RING_META_MAX]; /* protobuf sigsys.v1.RingMeta */
};

/* The addon includes this header from C++, which spells it static_assert. */
#ifdef __cplusplus
#define SIGSYS_RING_STATIC_ASSERT static_assert
#else
#define SIGSYS_RING_STATIC_ASSERT _Static_assert
#endif
SIGSYS_RING_STATIC_ASSERT(sizeof(struct sigsys_ring_header) <= SIGSYS_RING_HEADER_SIZE,
			  "ring header must fit its page");
SIGSYS_RING_STATIC_ASSERT(sizeof(struct sigsys_ring_record) == SIGSYS_RING_RECORD_SIZE,
			  "record size");
SIGSYS_RING_STATIC_ASSERT(sizeof(struct sigsys_ring_hot_slot) == 120, "hot slot size");

/* ---- producer side (preload; async-signal-safe after sigsys_ring_create) ---- */

struct sigsys_ring {
	struct sigsys_ring_header *hdr;
	struct sigsys_ring_record *records;
	uint32_t mask; /* record_count - 1 */
	size_t map_len;
};

/*
 * Create <dir>/sigsys-<pid>-<ns>.ring with O_CREAT|O_EXCL|O_NOFOLLOW, mode
 * 0600, size it, map it MAP_SHARED, fill the header and copy `meta` (an
 * encoded RingMeta).  Writes the file's path to `path` (if not NULL).
 * The file is built as <dir>/.sigsys-<pid>-<ns>.ring.tmp and renamed into
 * place (no replace) only once the header is complete, so a collector that
 * lists sigsys-*.ring never sees a half-initialised ring.  record_count 0
 * means SIGSYS_RING_DEFAULT_RECORDS; others are rounded up to a power of two.
 * Not signal-safe: call from the constructor.  Returns 0 or -errno: -EINVAL
 * (record_count above SIGSYS_RING_MAX_RECORDS, meta_len without meta),
 * -EMSGSIZE (meta_len above SIGSYS_RING_META_MAX), -ENAMETOOLONG, or what
 * open/ftruncate/mmap/rename said.
 */
int sigsys_ring_create(struct sigsys_ring *ring, const char *dir, uint32_t record_count,
		       const void *meta, size_t meta_len, char *path, size_t path_len);

/*
 * The same for a ring about process `pid` written by the caller: the
 * supervisor of sigsys-exec (supervisor.h) creates one per workload process
 * it answers notifications for.  The file name and header owner_pid carry
 * `pid`; RingMeta.writer_pid names the writer.
 */
int sigsys_ring_create_for(struct sigsys_ring *ring, const char *dir, uint32_t pid,
			   uint32_t record_count, const void *meta, size_t meta_len, char *path,
			   size_t path_len);

/*
 * Append one payload.  Async-signal-safe, lock-free, bounded (a fixed number
 * of CAS retries).  Returns the ticket (>= 0) or -ENOSPC when full or -EAGAIN
 * when the CAS retries ran out under contention (in both cases the dropped
 * counter is incremented), -EMSGSIZE (len > 248), -EBADF (ring not created).
 */
int64_t sigsys_ring_push(struct sigsys_ring *ring, const void *payload, uint32_t len);

/*
 * The same in two steps, for a writer that wants the ticket inside its
 * payload (the handler puts it in Violation.seq): reserve a ticket (drops
 * are counted as for push), then commit it exactly once - a reserved ticket
 * that is never committed stalls the consumer at it.  Commit copies the
 * payload and publishes; a payload over 248 bytes is published empty and
 * -EMSGSIZE returned.  Both async-signal-safe.
 */
int64_t sigsys_ring_reserve(struct sigsys_ring *ring);
int sigsys_ring_commit(struct sigsys_ring *ring, uint64_t ticket, const void *payload,
		       uint32_t len);

/*
 * The hot-loop path of the handler: find or claim the slot of `key` (a
 * nonzero hash of the fields in `tmpl`) and count one trap.  Returns 1 when
 * the trap was counted (no event to write), 0 when it must be a full event
 * (one of the first SIGSYS_RING_HOT_FULL of its key, or no slot: table full
 * within reach, template not yet published).  A slot of the same hash but
 * another key is passed over.  `tmpl` is only read
 * when a slot is claimed.  Async-signal-safe, lock-free, at most
 * SIGSYS_RING_HOT_PROBE slots looked at.
 */
struct sigsys_hot_key {
	uint64_t ip;
	int32_t nr;
	uint32_t arch;
	uint32_t pid;
	uint32_t tid;
	int32_t errno_ret;
	uint8_t action, outcome, mode;
	const uint64_t *args; /* six */
};
uint64_t sigsys_hot_hash(const struct sigsys_hot_key *k);
int sigsys_ring_hot_count(struct sigsys_ring *ring, uint64_t key, const struct sigsys_hot_key *k);

/* Unmap a ring created by sigsys_ring_create (the file stays). Not signal-safe. */
void sigsys_ring_unmap(struct sigsys_ring *ring);

/* ---- consumer side (addon; treats the file as hostile) ---- */

struct sigsys_ring_reader {
	const uint8_t *base; /* mapping of the whole file */
	size_t len;
	uint32_t record_count;
	uint32_t mask;
};

/* Validate header vs file length. Returns 0 or -EINVAL with *why set. */
int sigsys_ring_open_reader(struct sigsys_ring_reader *r, const void *base, size_t len,
			    const char **why);

enum sigsys_ring_read_status {
	SIGSYS_RING_OK = 0,       /* record copied to out */
	SIGSYS_RING_EMPTY = 1,    /* ticket not yet reserved (ticket >= head) */
	SIGSYS_RING_PENDING = 2,  /* reserved but not committed (yet, or never) */
	SIGSYS_RING_CORRUPT = 3,  /* bad length, or a commit word of a later lap or of no lap of this slot */
};

/* Copy the record with `ticket` into out (>= SIGSYS_RING_RECORD_SIZE bytes). */
enum sigsys_ring_read_status sigsys_ring_read(const struct sigsys_ring_reader *r,
					      uint64_t ticket, uint8_t *out, uint32_t *out_len);

uint64_t sigsys_ring_head(const struct sigsys_ring_reader *r);
uint64_t sigsys_ring_cursor(const struct sigsys_ring_reader *r);
uint64_t sigsys_ring_dropped(const struct sigsys_ring_reader *r);
/* Store the cursor (release) so producers see the freed space. */
void sigsys_ring_set_cursor(const struct sigsys_ring_reader *r, uint64_t cursor);

/* A snapshot of the header counters (each loaded once; untrusted values). */
struct sigsys_ring_stats {
	uint64_t head, cursor, dropped, created_ns;
	uint32_t record_count; /* the validated value from open_reader */
	uint32_t owner_pid;
	uint32_t closed;
};
void sigsys_ring_stats(const struct sigsys_ring_reader *r, struct sigsys_ring_stats *st);

/*
 * Consumer side of the hot-loop counters.  A snapshot of slot i (fields
 * loaded once; untrusted).  Returns 0 when the slot is not ready.
 */
struct sigsys_hot_snapshot {
	uint64_t total, flushed, claim, claim_ticket, ip, args[6];
	int32_t nr, errno_ret;
	uint32_t arch, pid, tid;
	uint8_t action, outcome, mode;
};
int sigsys_ring_hot_read(const struct sigsys_ring_reader *r, uint32_t i,
			 struct sigsys_hot_snapshot *out);
/* Store claim_ticket then claim (release) / flushed (release) of slot i. */
void sigsys_ring_hot_set_claim(const struct sigsys_ring_reader *r, uint32_t i, uint64_t ticket,
			       uint64_t claim);
void sigsys_ring_hot_set_flushed(const struct sigsys_ring_reader *r, uint32_t i, uint64_t flushed);
/*
 * The consumer as a producer (the collector's count records): reserve a
 * ticket in the reader's ring, then commit a payload at it exactly once -
 * also a ticket reserved by an earlier collector that was killed before its
 * commit.  Reserve returns the ticket or -ENOSPC when full (not counted as
 * a drop: the consumer reads and retries) or -EAGAIN under contention.
 */
int64_t sigsys_ring_reader_reserve(const struct sigsys_ring_reader *r);
int sigsys_ring_reader_commit_at(const struct sigsys_ring_reader *r, uint64_t ticket,
				 const void *payload, uint32_t len);

/*
 * The collector's side of the hot-loop counters: for every slot, one record
 * with Violation.repeat = the calls counted since the last flush, written
 * into this ring (reserve, commit) and read back like any record.  Exact
 * across a consumer killed at any point (claim protocol, docs/ring.md): the
 * claim (ticket, target) is stored before the record is committed and
 * `flushed` only after, so the next consumer finds a claim above flushed
 * and either sees its record committed (done) or commits it at the reserved
 * ticket.  Returns the records written; stops early when the ring is full.
 * Not for the handler (one consumer at a time, like the cursor).
 */
int sigsys_ring_hot_flush(const struct sigsys_ring_reader *r, uint64_t now_ns);

/* Copy the encoded RingMeta to out (>= SIGSYS_RING_META_MAX bytes); returns
 * its length, 0 if the header's meta_len is out of range. */
uint32_t sigsys_ring_meta(const struct sigsys_ring_reader *r, uint8_t *out);

#endif
