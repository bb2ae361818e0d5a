/* bpf_eval.c - placeholder until implemented. */
typedef int sigsys_bpf_eval_placeholder;
