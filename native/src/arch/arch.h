/*
 * arch.h - picks the one header with everything architecture-specific:
 * AUDIT_ARCH value, how to read nr/args/ip from a ucontext and write the
 * return value back, the size of the syscall instruction.  aarch64 is an
 * addition of arch/aarch64/arch.h, not a rewrite.
 */
#ifndef SIGSYS_ARCH_H
#define SIGSYS_ARCH_H
#if defined(__x86_64__)
#include "x86_64/arch.h"
#else
#error "sigsys: unsupported architecture"
#endif
#endif
