/*
 * check.h - the CHECK macro of the ring and encoder tests: on failure print
 * file:line, the condition and a message, count it, and leave the case.
 * Each case is a void function in a table run by check_run().
 */
#ifndef SIGSYS_TESTS_CHECK_H
#define SIGSYS_TESTS_CHECK_H

#include <stddef.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, \
				__LINE__, #cond);                                \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			failures++;                                              \
			return;                                                  \
		}                                                                \
	} while (0)

/* One numbered case of a table. */
struct check_case {
	int num;
	const char *name;
	void (*fn)(void);
};

/*
 * Run every case (or only number `only` when non-zero), printing TAP-like
 * "ok N - name" lines.  Returns the process exit status.
 */
static inline int check_run(const struct check_case *cases, size_t n, int only)
{
	int ran = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int before = failures;

		if (only && cases[i].num != only)
			continue;
		ran++;
		cases[i].fn();
		printf("%s %d - %s\n", failures == before ? "ok" : "not ok", cases[i].num,
		       cases[i].name);
		fflush(stdout);
	}
	if (!ran) {
		fprintf(stderr, "no test numbered %d\n", only);
		return 1;
	}
	return failures ? 1 : 0;
}

#endif
