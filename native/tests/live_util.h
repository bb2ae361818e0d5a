/*
 * live_util.h - helpers for the live preload tests: build a policy with
 * sigsys-mkpolicy, run the workload under libsigsys.so with real filters,
 * and read the rings back through the ring.h consumer API with a tiny
 * protobuf decoder for sigsys.v1.Violation.
 */
#ifndef SIGSYS_LIVE_UTIL_H
#define SIGSYS_LIVE_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct live_ev {
	uint64_t time_ns, seq;
	uint32_t pid, tid;
	int32_t nr;
	uint32_t arch;
	uint64_t args[6];
	int n_args;
	uint64_t ip;
	uint32_t action, outcome;
	int32_t errno_ret;
	int64_t ret;
	uint32_t mode;
	uint64_t repeat; /* count records (field 36): calls this record stands for */
};

struct live_rings {
	struct live_ev *ev; /* all committed events of all rings, ring by ring */
	size_t n;
	uint64_t calls;   /* sum over ev of max(repeat, 1): every call, counted ones too */
	size_t n_counts;  /* records of ev that are count records */
	int n_rings;
	uint64_t dropped;
	uint64_t head_total;
	int bad; /* records that did not decode or were not committed */
};

struct live_run {
	int status;      /* waitpid status */
	char out[65536]; /* stdout */
	char err[4096];  /* stderr */
};

/* A fresh directory under $TMPDIR with a spool/ inside; returns its path. */
const char *live_tmpdir(const char *name);

/* Remove the directories live_tmpdir made (kept, and named, if a check
 * failed, for a look at the rings). */
void live_cleanup(void);

/*
 * The numbered-table runner of the live test programs: run case i (run(i))
 * for every i < n whose name(i) contains one of argv[first..] (all cases
 * when none is given), print "ok  NAME" or "FAIL NAME" per case and a
 * summary, clean up; returns main's exit status (1 if a check failed or
 * nothing ran).
 */
int live_run_cases(size_t n, const char *(*name)(size_t), void (*run)(size_t), int argc,
		   char **argv, int first);

/* Run sigsys-mkpolicy with the NULL-terminated args; 0 on success. */
int live_mkpolicy(const char *out, const char *const *args);

/*
 * Run the workload with LD_PRELOAD=libsigsys.so, SIGSYS_POLICY=policy (NULL:
 * unset), SIGSYS_SPOOL=spool, plus "K=V" strings in env (NULL-terminated or
 * NULL) and the NULL-terminated workload args.  0 or -1 on fork failure.
 */
int live_run(const char *policy, const char *spool, const char *const *env,
	     const char *const *args, struct live_run *r);

/* Read every ring in spool, after turning its hot-loop counters into count
 * records as the collector does (sigsys_ring_hot_flush).  0 or -1. Free
 * with live_rings_free. */
int live_read_rings(const char *spool, struct live_rings *out);
void live_rings_free(struct live_rings *r);

/* Find `key=` in text and parse the number after it; -1 if absent. */
long long live_field(const char *text, const char *key);
/* Same, after the first occurrence of `after`. */
long long live_field_after(const char *text, const char *after, const char *key);

extern int live_failures;
/* Working directory for the next live_run (NULL: inherit). */
extern const char *live_run_cwd;
/* The workload binary live_run starts (default: the glibc build of
 * live_wl.c; live_preload --musl switches to the musl-gcc build). */
extern const char *live_workload;
#define CHECK(cond, ...)                                                                      \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			live_failures++;                                                       \
			fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
			fprintf(stderr, __VA_ARGS__);                                          \
			fprintf(stderr, "\n");                                                 \
		}                                                                              \
	} while (0)

#endif
