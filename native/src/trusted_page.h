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

#endif
