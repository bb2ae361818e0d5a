/* preload.c - placeholder until implemented. */
typedef int sigsys_preload_placeholder;
