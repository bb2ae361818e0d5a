/* policy.c - placeholder until implemented. */
typedef int sigsys_policy_placeholder;
