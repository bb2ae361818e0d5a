/*
 * ndjson_scan.c - see ndjson_scan.h.
 *
 * Why C: the report's input is ~780 bytes of JSON per event, and every byte
 * must be looked at (a raw control character or a bad number anywhere makes
 * the line invalid JSON, which must stay an error).  A JS byte loop costs
 * ~2.5 ns per byte on the bench machine, ~2 s for 1M events; this loop is
 * several times cheaper, and interning here means the JS side reads a
 * handful of integers per line instead of making strings.
 *
 * The checks mirror src/report/fast-line.ts one for one (the tests run both
 * against JSON.parse on the same awkward input).
 */
#include "ndjson_scan.h"

#include <errno.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

/* Fixed-width tuples of 64-bit words -> dense ids (open addressing). */
struct ns_tuples {
  uint32_t width;     /* words per tuple */
  uint64_t *keys;     /* count * width */
  uint32_t *table;    /* id + 1, 0 = empty */
  uint32_t mask, count, cap;
};

static const uint32_t tuple_width[NS_TUPS] = { 7, 5, 2 };

struct ns_interner {
  struct ns_tuples tup[NS_TUPS];
  uint32_t *table;    /* open addressing: id + 1, 0 = empty */
  uint32_t mask;
  uint32_t *hashes;   /* per id */
  uint32_t *offs;     /* per id, into arena */
  uint32_t *lens;
  uint32_t count, idcap;
  uint8_t *arena;
  size_t used, size;
};

struct ns_interner *ns_interner_new(void) {
  struct ns_interner *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  in->mask = 1023;
  in->table = calloc(in->mask + 1, sizeof *in->table);
  in->idcap = 256;
  in->hashes = malloc(in->idcap * sizeof *in->hashes);
  in->offs = malloc(in->idcap * sizeof *in->offs);
  in->lens = malloc(in->idcap * sizeof *in->lens);
  in->size = 64 * 1024;
  in->arena = malloc(in->size);
  if (!in->table || !in->hashes || !in->offs || !in->lens || !in->arena) {
    ns_interner_free(in);
    return NULL;
  }
  for (int k = 0; k < NS_TUPS; k++) {
    struct ns_tuples *t = &in->tup[k];
    t->width = tuple_width[k];
    t->mask = 255;
    t->cap = 64;
    t->table = calloc(t->mask + 1, sizeof *t->table);
    t->keys = malloc((size_t)t->cap * t->width * sizeof *t->keys);
    if (!t->table || !t->keys) {
      ns_interner_free(in);
      return NULL;
    }
  }
  return in;
}

void ns_interner_free(struct ns_interner *in) {
  if (!in) return;
  for (int k = 0; k < NS_TUPS; k++) {
    free(in->tup[k].table);
    free(in->tup[k].keys);
  }
  free(in->table);
  free(in->hashes);
  free(in->offs);
  free(in->lens);
  free(in->arena);
  free(in);
}

uint32_t ns_interner_count(const struct ns_interner *in) { return in->count; }

uint32_t ns_interner_tuples(const struct ns_interner *in, int kind) {
  return kind >= 0 && kind < NS_TUPS ? in->tup[kind].count : 0;
}

const uint8_t *ns_interner_get(const struct ns_interner *in, uint32_t id, size_t *len) {
  *len = in->lens[id];
  return in->arena + in->offs[id];
}

static uint32_t hash_bytes(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static int grow_table(struct ns_interner *in) {
  uint32_t mask = in->mask * 2 + 1;
  uint32_t *t = calloc((size_t)mask + 1, sizeof *t);
  if (!t) return -ENOMEM;
  for (uint32_t id = 0; id < in->count; id++) {
    uint32_t i = in->hashes[id] & mask;
    while (t[i]) i = (i + 1) & mask;
    t[i] = id + 1;
  }
  free(in->table);
  in->table = t;
  in->mask = mask;
  return 0;
}

/* The id of bytes p[0, n), added when new; negative errno on failure. */
static long intern(struct ns_interner *in, const uint8_t *p, size_t n) {
  uint32_t h = hash_bytes(p, n);
  uint32_t i = h & in->mask;
  for (uint32_t e; (e = in->table[i]) != 0; i = (i + 1) & in->mask) {
    uint32_t id = e - 1;
    if (in->hashes[id] == h && in->lens[id] == n && memcmp(in->arena + in->offs[id], p, n) == 0) return id;
  }
  if (in->count >= UINT32_MAX / 4 || in->used + n > UINT32_MAX) return -ENOMEM;
  if (in->count == in->idcap) {
    uint32_t cap = in->idcap * 2;
    uint32_t *a = realloc(in->hashes, cap * sizeof *a);
    if (!a) return -ENOMEM;
    in->hashes = a;
    if (!(a = realloc(in->offs, cap * sizeof *a))) return -ENOMEM;
    in->offs = a;
    if (!(a = realloc(in->lens, cap * sizeof *a))) return -ENOMEM;
    in->lens = a;
    in->idcap = cap;
  }
  if (in->used + n > in->size) {
    size_t size = in->size;
    while (in->used + n > size) size *= 2;
    uint8_t *a = realloc(in->arena, size);
    if (!a) return -ENOMEM;
    in->arena = a;
    in->size = size;
  }
  uint32_t id = in->count++;
  memcpy(in->arena + in->used, p, n);
  in->hashes[id] = h;
  in->offs[id] = (uint32_t)in->used;
  in->lens[id] = (uint32_t)n;
  in->used += n;
  in->table[i] = id + 1;
  if ((uint64_t)in->count * 2 > in->mask && grow_table(in) < 0) return -ENOMEM;
  return id;
}

static uint32_t hash_words(const uint64_t *w, uint32_t n) {
  uint64_t h = 0x9e3779b97f4a7c15u;
  for (uint32_t i = 0; i < n; i++) {
    h ^= w[i];
    h *= 0xff51afd7ed558ccdu; /* a multiply-xorshift mix per word (murmur3's finaliser constant) */
    h ^= h >> 32;
  }
  return (uint32_t)h;
}

/* The id of tuple `key` (t->width words), added when new; negative errno on failure. */
static long tuple(struct ns_tuples *t, const uint64_t *key) {
  size_t bytes = (size_t)t->width * sizeof *key;
  uint32_t i = hash_words(key, t->width) & t->mask;
  for (uint32_t e; (e = t->table[i]) != 0; i = (i + 1) & t->mask)
    if (memcmp(t->keys + (size_t)(e - 1) * t->width, key, bytes) == 0) return e - 1;
  if (t->count >= INT32_MAX / 4) return -ENOMEM;
  if (t->count == t->cap) {
    uint64_t *k = realloc(t->keys, (size_t)t->cap * 2 * bytes);
    if (!k) return -ENOMEM;
    t->keys = k;
    t->cap *= 2;
  }
  uint32_t id = t->count++;
  memcpy(t->keys + (size_t)id * t->width, key, bytes);
  t->table[i] = id + 1;
  if ((uint64_t)t->count * 2 > t->mask) {
    /* Rehash into a table twice the size (kept at most half full). */
    uint32_t mask = t->mask * 2 + 1;
    uint32_t *tab = calloc((size_t)mask + 1, sizeof *tab);
    if (!tab) return -ENOMEM;
    for (uint32_t x = 0; x < t->count; x++) {
      uint32_t j = hash_words(t->keys + (size_t)x * t->width, t->width) & mask;
      while (tab[j]) j = (j + 1) & mask;
      tab[j] = x + 1;
    }
    free(t->table);
    t->table = tab;
    t->mask = mask;
  }
  return id;
}

/* A double's bits as a tuple word (the numbers here are integers read exactly). */
static inline uint64_t num_word(double d) {
  uint64_t w;
  memcpy(&w, &d, sizeof w);
  return w;
}

/* String ids as tuple words; -1 (absent) stays distinct from every id. */
#define ID_WORD(x) ((uint64_t)(uint32_t)(x))

/*
 * The tuple ids of a matched line into tup[NS_TUPS].  A tuple equal to the
 * previous matched line's (one ring's burst) reuses its id without hashing.
 */
static int line_tuples(struct ns_interner *in, const int32_t *ids, const double *num, uint64_t last[NS_TUPS][8],
                       int32_t last_id[NS_TUPS], int32_t *tup) {
  uint64_t key[NS_TUPS][8] = {
    { ID_WORD(ids[NS_WORKLOAD]), ID_WORD(ids[NS_EXE]), ID_WORD(ids[NS_SYSCALL]), ID_WORD(ids[NS_CALL_SITE]),
      ID_WORD(ids[NS_ACTION]), ID_WORD(ids[NS_OUTCOME]), num_word(num[NS_ERRNO]) },
    { ID_WORD(ids[NS_HOST]), ID_WORD(ids[NS_BOOT_ID]), ID_WORD(ids[NS_RING_START_NS]), ID_WORD(ids[NS_IDENTITY]),
      num_word(num[NS_RING_PID]) },
    { ID_WORD(ids[NS_MODE]), ID_WORD(ids[NS_POLICY_HASH]) },
  };
  for (int k = 0; k < NS_TUPS; k++) {
    size_t bytes = tuple_width[k] * sizeof(uint64_t);
    if (last_id[k] >= 0 && memcmp(last[k], key[k], bytes) == 0) {
      tup[k] = last_id[k];
      continue;
    }
    long id = tuple(&in->tup[k], key[k]);
    if (id < 0) return (int)id;
    tup[k] = last_id[k] = (int32_t)id;
    memcpy(last[k], key[k], bytes);
  }
  return 0;
}

/* Bytes allowed inside a string matched here: 0x20-0x7f except '"' and '\\'. */
static uint8_t plain[256];

static void init_plain(void) {
  if (plain[0x20]) return;
  for (int c = 0x20; c < 0x80; c++) plain[c] = 1;
  plain['"'] = 0;
  plain['\\'] = 0;
}

/* A line being read: p moves on, NULL once something did not match. */
struct cur {
  const uint8_t *p;
  const uint8_t *end; /* the '\n' */
  const uint8_t *vs;  /* last string's contents [vs, ve) */
  const uint8_t *ve;
  double num;         /* last integer */
};

/* Unaligned loads (memcpy of a constant size compiles to one mov). */
static inline uint64_t ld8(const void *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline uint32_t ld4(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/*
 * a[0, n) == b[0, n).  With a constant n (the keys) this is two compares
 * of overlapping words, not a call to memcmp (which was a tenth of the time).
 */
static inline int same(const uint8_t *a, const uint8_t *b, size_t n) {
  if (n >= 8 && n <= 16) return ld8(a) == ld8(b) && ld8(a + n - 8) == ld8(b + n - 8);
  if (n >= 4 && n < 8) return ld4(a) == ld4(b) && ld4(a + n - 4) == ld4(b + n - 4);
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    if (ld8(a + i) != ld8(b + i)) return 0;
  for (; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

static inline int key(struct cur *c, const char *k, size_t n) {
  if (!c->p || (size_t)(c->end - c->p) < n || !same(c->p, (const uint8_t *)k, n)) return 0;
  c->p += n;
  return 1;
}
#define KEY(c, lit) key((c), (lit), sizeof(lit) - 1)

/*
 * A string: '"', plain bytes, '"'.  The '\n' at end is not plain: no bound
 * check needed inside.  16 bytes at a time while they are inside the line
 * (the byte loop was most of the report's time): the first byte that is a
 * quote, a backslash, or below 0x20 or above 0x7f as a signed compare sees
 * them, ends the string.
 */
static inline int str(struct cur *c) {
  const uint8_t *p = c->p;
  if (!p || *p != '"') return 0;
  c->vs = ++p;
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
  while (c->end - p >= 15) { /* p[0..15] within the line and its '\n' */
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
    int m = _mm_movemask_epi8(stop);
    if (m) {
      p += __builtin_ctz((unsigned)m);
      goto stopped;
    }
    p += 16;
  }
#endif
  while (plain[*p]) p++;
#ifdef __SSE2__
stopped:
#endif
  if (*p != '"') return c->p = NULL, 0;
  c->ve = p;
  c->p = p + 1;
  return 1;
}

/* JSON integer -?(0|[1-9][0-9]*), at most 15 digits (exact in a double). */
static inline int integer(struct cur *c) {
  const uint8_t *p = c->p;
  if (!p) return 0;
  int neg = *p == '-';
  if (neg) p++;
  if (*p < '0' || *p > '9') return c->p = NULL, 0;
  const uint8_t *first = p;
  double n = *p++ - '0';
  if (n != 0) {
    while (*p >= '0' && *p <= '9') n = n * 10 + (*p++ - '0');
    if (p - first > 15) return c->p = NULL, 0;
  }
  c->num = neg ? -n : n;
  c->p = p;
  return 1;
}

/* An array of strings. */
static int array(struct cur *c) {
  if (!c->p || *c->p != '[') return c->p = NULL, 0;
  c->p++;
  if (*c->p == ']') return c->p++, 1;
  for (;;) {
    if (!str(c)) return 0;
    uint8_t ch = *c->p++;
    if (ch == ']') return 1;
    if (ch != ',') return c->p = NULL, 0;
  }
}

/*
 * nsToMs (src/report/model.ts) of the timeNs string just read: the number
 * before its last six characters, when those are 1-15 digits; else -1 (the
 * line goes to JSON.parse, and nsToMs may fall back to `time`).
 */
static double ms_of_ns(const struct cur *c) {
  size_t n = (size_t)(c->ve - c->vs);
  if (n <= 6 || n - 6 > 15) return -1;
  double ms = 0;
  for (const uint8_t *p = c->vs; p < c->ve - 6; p++) {
    if (*p < '0' || *p > '9') return -1;
    ms = ms * 10 + (*p - '0');
  }
  return ms;
}

struct slots {
  int32_t *id;
  const uint8_t **at; /* previous line's bytes of each slot (same buffer), for the common "same as before" */
  size_t *len;
};

/* Intern the string just read into slot s; 0 on success, -ENOMEM. */
static int keep(struct ns_interner *in, const struct cur *c, int32_t *ids, int32_t *last, const uint8_t **at, size_t *len, int s) {
  size_t n = (size_t)(c->ve - c->vs);
  if (last[s] >= 0 && len[s] == n && same(at[s], c->vs, n)) {
    ids[s] = last[s];
  } else {
    long id = intern(in, c->vs, n);
    if (id < 0) return (int)id;
    ids[s] = (int32_t)id;
  }
  return 0;
}

/* 1: matched, 0: not, -ENOMEM. */
static int match(struct ns_interner *in, struct cur *c, int32_t *ids, double *num, int32_t *last, const uint8_t **at, size_t *len) {
  int r;
#define STR_SLOT(s)                                                     \
  do {                                                                  \
    if (!str(c)) return 0;                                              \
    if ((r = keep(in, c, ids, last, at, len, (s))) < 0) return r;       \
    at[s] = c->vs;                                                      \
    len[s] = (size_t)(c->ve - c->vs);                                   \
  } while (0)
  if (!KEY(c, "{\"time\":") || !str(c)) return 0;
  if (!KEY(c, ",\"timeNs\":") || !str(c) || (num[NS_MS] = ms_of_ns(c)) < 0) return 0;
  if (!KEY(c, ",\"host\":")) return 0;
  STR_SLOT(NS_HOST);
  if (!KEY(c, ",\"bootId\":")) return 0;
  STR_SLOT(NS_BOOT_ID);
  if (!KEY(c, ",\"ringPid\":") || !integer(c)) return 0;
  num[NS_RING_PID] = c->num;
  if (!KEY(c, ",\"ringStartNs\":")) return 0;
  STR_SLOT(NS_RING_START_NS);
  if (!KEY(c, ",\"seq\":") || !integer(c)) return 0;
  num[NS_SEQ] = c->num;
  if (!KEY(c, ",\"pid\":") || !integer(c)) return 0;
  num[NS_PID] = c->num;
  if (!KEY(c, ",\"tid\":") || !integer(c)) return 0;
  if (!KEY(c, ",\"comm\":") || !str(c)) return 0;
  if (!KEY(c, ",\"exe\":")) return 0;
  STR_SLOT(NS_EXE);
  if (!KEY(c, ",\"syscall\":")) return 0;
  STR_SLOT(NS_SYSCALL);
  if (!KEY(c, ",\"nr\":") || !integer(c)) return 0;
  if (!KEY(c, ",\"arch\":") || !str(c)) return 0;
  if (!KEY(c, ",\"args\":") || !array(c)) return 0;
  if (!KEY(c, ",\"ip\":") || !str(c)) return 0;
  if (!KEY(c, ",\"callSite\":")) return 0;
  STR_SLOT(NS_CALL_SITE);
  if (!KEY(c, ",\"action\":")) return 0;
  STR_SLOT(NS_ACTION);
  if (!KEY(c, ",\"outcome\":")) return 0;
  STR_SLOT(NS_OUTCOME);
  if (!KEY(c, ",\"errno\":") || !integer(c)) return 0;
  num[NS_ERRNO] = c->num;
  if (!KEY(c, ",\"mode\":")) return 0;
  STR_SLOT(NS_MODE);
  if (!KEY(c, ",\"containerId\":") || !str(c)) return 0;
  if (!KEY(c, ",\"pod\":") || !str(c)) return 0;
  if (!KEY(c, ",\"namespace\":") || !str(c)) return 0;
  if (!KEY(c, ",\"workload\":")) return 0;
  STR_SLOT(NS_WORKLOAD);
  if (!KEY(c, ",\"policyHash\":")) return 0;
  STR_SLOT(NS_POLICY_HASH);
  /* Optional, in this order (older writers and enforce mode leave some out). */
  ids[NS_IDENTITY] = -1;
  if (KEY(c, ",\"identity\":")) STR_SLOT(NS_IDENTITY);
  if (KEY(c, ",\"writerUid\":") && !integer(c)) return 0;
  if (KEY(c, ",\"source\":") && !str(c)) return 0;
  if (KEY(c, ",\"ret\":") && !str(c)) return 0;
  num[NS_CALLS] = 1;
  if (KEY(c, ",\"repeat\":")) {
    if (!integer(c) || c->num < 1) return 0;
    num[NS_CALLS] = c->num;
  }
#undef STR_SLOT
  return c->p == c->end - 1 && *c->p == '}';
}

long ns_scan(struct ns_interner *in, const uint8_t *buf, size_t len, size_t from, struct ns_cols *cols) {
  init_plain();
  /* The previous matched line's slot values, to skip hashing repeats (one ring's burst). */
  int32_t last[NS_SLOTS];
  const uint8_t *at[NS_SLOTS];
  size_t lens[NS_SLOTS];
  for (int s = 0; s < NS_SLOTS; s++) last[s] = -1, at[s] = NULL, lens[s] = 0;
  uint64_t last_tup[NS_TUPS][8];
  int32_t last_tup_id[NS_TUPS] = { -1, -1, -1 };
  size_t i = 0;
  while (i < cols->cap && from < len) {
    const uint8_t *start = buf + from;
    const uint8_t *nl = memchr(start, '\n', len - from);
    if (!nl) break;
    struct cur c = { .p = start, .end = nl };
    int32_t *ids = cols->str + i * NS_SLOTS;
    double *num = cols->num + i * NS_NUMS;
    int r = match(in, &c, ids, num, last, at, lens);
    if (r < 0) return r;
    if (r && cols->tup) {
      int t = line_tuples(in, ids, num, last_tup, last_tup_id, cols->tup + i * NS_TUPS);
      if (t < 0) return t;
    }
    cols->ok[i] = (uint8_t)r;
    cols->end[i] = (int32_t)(nl - buf);
    if (r) memcpy(last, ids, sizeof last);
    else for (int s = 0; s < NS_SLOTS; s++) last[s] = -1;
    from = (size_t)(nl - buf) + 1;
    i++;
  }
  return (long)i;
}
