/*
 * meta.h - collect the static per-process metadata the ring header carries
 * (sigsys.v1.RingMeta) and encode it.  Constructor-time only: reads /proc,
 * allocates; never called from the handler.
 */
#ifndef SIGSYS_META_H
#define SIGSYS_META_H

#include <stddef.h>
#include <stdint.h>

/* getenv() that works in a -z initfirst constructor (preload.c). */
const char *sigsys_env(const char *name);

/* Encodes into buf (cap bytes); returns the length or -errno. */
int sigsys_meta_collect(uint8_t *buf, size_t cap, const uint8_t policy_hash[32], uint32_t mode);

#endif
