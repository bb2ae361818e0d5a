/* interpose.c - placeholder until implemented. */
typedef int sigsys_interpose_placeholder;
