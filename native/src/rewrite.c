/* rewrite.c - placeholder until implemented. */
typedef int sigsys_rewrite_placeholder;
