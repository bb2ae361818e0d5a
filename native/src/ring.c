/* ring.c - placeholder until implemented. */
typedef int sigsys_ring_placeholder;
