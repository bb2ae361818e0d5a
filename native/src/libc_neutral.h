/*
 * libc_neutral.h - libc functions the preload calls by their plain symbol
 * names.  libsigsys.so is one library for glibc and musl processes, so it
 * may import only symbols both export (ctest preload-libc-neutral).  glibc
 * 2.38 and later redirect strtoul/strtoull/sscanf to __isoc23_* under
 * _GNU_SOURCE, names musl does not have; the plain names are in both, and
 * behave the same for the bases and formats used here (no 0b prefixes).
 */
#ifndef SIGSYS_LIBC_NEUTRAL_H
#define SIGSYS_LIBC_NEUTRAL_H

unsigned long sigsys_strtoul(const char *s, char **end, int base) __asm__("strtoul");
unsigned long long sigsys_strtoull(const char *s, char **end, int base) __asm__("strtoull");
int sigsys_sscanf(const char *s, const char *fmt, ...) __asm__("sscanf")
	__attribute__((format(scanf, 2, 3)));

#endif
