/*
 * errbuf.h - one way to fill a caller's error buffer.  The policy parser,
 * the BPF rewrite and the builder all report "why" into a (buf, len) pair
 * the caller owns; a NULL or empty buffer means the caller does not want the
 * text.  Not for the SIGSYS handler (vsnprintf is not async-signal-safe).
 */
#ifndef SIGSYS_ERRBUF_H
#define SIGSYS_ERRBUF_H

#include <stddef.h>

void sigsys_errbuf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
