/*
 * filter_test.h - tiny helpers shared by the filter tests (policy, rewrite,
 * evaluator, builder).  Failures are counted, not fatal, so one run reports
 * every broken row of a table.
 */
#ifndef SIGSYS_FILTER_TEST_H
#define SIGSYS_FILTER_TEST_H

#include <stdio.h>
#include <stdlib.h>

static int t_failures;

#define T_CHECK(cond, ...)                                                        \
	do {                                                                      \
		if (!(cond)) {                                                    \
			t_failures++;                                             \
			fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                             \
			fputc('\n', stderr);                                      \
		}                                                                 \
	} while (0)

/* Fatal: the rest of the test makes no sense without this. */
#define T_REQUIRE(cond, ...)                                                      \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: FATAL: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                             \
			fputc('\n', stderr);                                      \
			exit(2);                                                  \
		}                                                                 \
	} while (0)

static inline int t_done(const char *name)
{
	if (t_failures)
		fprintf(stderr, "%s: %d failure(s)\n", name, t_failures);
	else
		printf("%s: ok\n", name);
	return t_failures ? 1 : 0;
}

#endif
