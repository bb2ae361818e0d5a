/*
 * trusted_page.h - where the preload maps its copy of the trusted syscall
 * stub (preload.c): one page at a random address in this range, carried
 * across execve.  The supervisor of sigsys-exec uses the same range to tell
 * the handler's own re-issued calls (audit mode, LOG) from the workload's,
 * so a call the handler already reported is not reported twice.
 */
#ifndef SIGSYS_TRUSTED_PAGE_H
#define SIGSYS_TRUSTED_PAGE_H

#define SIGSYS_TRUSTED_BASE 0x100000000000ull /* 16 TiB */
#define SIGSYS_TRUSTED_SPAN_PAGES (1u << 24)  /* 64 GiB of candidate pages */

#include <stdint.h>

/*
 * The trusted page's address for a process tree whose environment has
 * SIGSYS_POLICY=policy, SIGSYS_SPOOL=spool and optionally
 * SIGSYS_PAGE_SEED=seed (FNV-1a of the values), so that every process
 * inheriting them, marker or not, maps the page the filter trusts.  The
 * seed (sigsys-exec sets a random one per run) keeps the address from being
 * the same in every deployment with the same paths; NULL or "" leaves it
 * out.  0 if policy or spool is NULL or empty.  No syscalls, no allocation.
 */
uint64_t sigsys_trusted_page_derive(const char *policy, const char *spool, const char *seed);

#endif
