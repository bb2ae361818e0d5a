/*
 * ndjson_scan.h - the fields `sigsys report` folds, read out of NDJSON lines
 * in sigsys's own writer's shape, in C (the addon's LineScanner).
 *
 * The same contract as src/report/fast-line.ts (the JS reader it replaces
 * when the addon is there): a line is "matched" only when it has exactly the
 * keys of src/events/enrich.ts in that order, no whitespace, strings of bytes
 * 0x20-0x7f without a backslash, integers of at most 15 digits, `args` an
 * array of such strings; then its fields are what JSON.parse would give.
 * Any other line is left to JSON.parse by the caller.
 */
#ifndef SIGSYS_NDJSON_SCAN_H
#define SIGSYS_NDJSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* String fields kept per line (ids into the interner; -1: absent). */
enum ns_slot {
  NS_HOST, NS_BOOT_ID, NS_RING_START_NS, NS_EXE, NS_SYSCALL, NS_CALL_SITE,
  NS_ACTION, NS_OUTCOME, NS_MODE, NS_WORKLOAD, NS_POLICY_HASH, NS_IDENTITY,
  NS_SLOTS
};

/* Number fields per line. */
enum ns_num { NS_MS, NS_RING_PID, NS_SEQ, NS_PID, NS_ERRNO, NS_CALLS, NS_NUMS };

/*
 * Tuples of a line's fields that the report keys by, each interned to a
 * dense id of its own kind, so the caller does its key lookups once per
 * distinct tuple instead of once per line:
 *  NS_TUP_FINE      workload, exe, syscall, callSite, action, outcome, errno
 *  NS_TUP_PRODUCER  host, bootId, ringStartNs, identity, ringPid (the ring)
 *  NS_TUP_META      mode, policyHash
 */
enum ns_tup { NS_TUP_FINE, NS_TUP_PRODUCER, NS_TUP_META, NS_TUPS };

/*
 * Distinct strings -> dense ids 0, 1, 2, ... (bytes kept in an arena), and
 * distinct tuples of each ns_tup kind -> dense ids of that kind.
 */
struct ns_interner;

struct ns_interner *ns_interner_new(void);
void ns_interner_free(struct ns_interner *in);
uint32_t ns_interner_count(const struct ns_interner *in);
/* Bytes of string `id` (< count). */
const uint8_t *ns_interner_get(const struct ns_interner *in, uint32_t id, size_t *len);
/* Tuples of kind `kind` (an ns_tup) interned so far. */
uint32_t ns_interner_tuples(const struct ns_interner *in, int kind);

/* Per-line output columns, `cap` lines each. */
struct ns_cols {
  int32_t *end;   /* offset of the line's '\n' */
  uint8_t *ok;    /* 1: matched, fields below valid; 0: give the line to JSON.parse */
  int32_t *str;   /* NS_SLOTS ids per line */
  double *num;    /* NS_NUMS numbers per line */
  size_t cap;
  int32_t *tup;   /* NULL, or NS_TUPS tuple ids per matched line */
};

/*
 * Scan the '\n'-terminated lines of buf[from, len), at most cols->cap of them
 * (a line without its '\n' is not scanned).  Returns the number of lines
 * written to cols, or -ENOMEM.
 */
long ns_scan(struct ns_interner *in, const uint8_t *buf, size_t len, size_t from, struct ns_cols *cols);

#endif
