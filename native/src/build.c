/* build.c - placeholder until implemented. */
typedef int sigsys_build_placeholder;
