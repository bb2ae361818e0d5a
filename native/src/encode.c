/* encode.c - placeholder until implemented. */
typedef int sigsys_encode_placeholder;
