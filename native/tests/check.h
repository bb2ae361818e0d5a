/*
 * check.h - the CHECK macro of the ring and encoder tests: on failure print
 * file:line, the condition and a message, count it, and leave the case.
 * Each case is a void function; main() compares `failures` before and after.
 */
#ifndef SIGSYS_TESTS_CHECK_H
#define SIGSYS_TESTS_CHECK_H

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

#endif
