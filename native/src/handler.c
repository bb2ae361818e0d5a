/* handler.c - placeholder until implemented. */
typedef int sigsys_handler_placeholder;
