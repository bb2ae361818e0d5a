/**
 * groups.ts - how a learned profile is laid out for people: learned names in
 * one ALLOW entry per kind of call (files and I/O, memory, processes, ...),
 * and the calls whose risk is in their arguments learned with the argument
 * values that were seen instead of by name alone.
 */

/** Kinds of call, in the order their entries are written. */
export const GROUPS: readonly { name: string; syscalls: readonly string[] }[] = [
  {
    name: 'files and I/O',
    syscalls: [
      'read', 'write', 'pread64', 'pwrite64', 'readv', 'writev', 'preadv', 'pwritev', 'preadv2', 'pwritev2',
      'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'lseek', 'stat', 'fstat', 'lstat', 'newfstatat',
      'statx', 'statfs', 'fstatfs', 'access', 'faccessat', 'faccessat2', 'getdents', 'getdents64', 'ioctl', 'fcntl',
      'dup', 'dup2', 'dup3', 'pipe', 'pipe2', 'readlink', 'readlinkat', 'mkdir', 'mkdirat', 'rmdir', 'unlink',
      'unlinkat', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat', 'chmod', 'fchmod',
      'fchmodat', 'fchmodat2', 'chown', 'fchown', 'lchown', 'fchownat', 'truncate', 'ftruncate', 'fsync', 'fdatasync',
      'sync', 'syncfs', 'sync_file_range', 'sendfile', 'splice', 'tee', 'vmsplice', 'copy_file_range', 'fallocate',
      'fadvise64', 'readahead', 'flock', 'chdir', 'fchdir', 'getcwd', 'umask', 'utime', 'utimes', 'utimensat',
      'futimesat', 'mknod', 'mknodat', 'getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr',
      'listxattr', 'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr', 'inotify_init',
      'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'poll', 'ppoll', 'select', 'pselect6', 'epoll_create',
      'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2', 'memfd_create',
      'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_uring_setup',
      'io_uring_enter', 'io_uring_register', 'chroot',
    ],
  },
  {
    name: 'memory',
    syscalls: [
      'brk', 'mmap', 'munmap', 'mprotect', 'mremap', 'madvise', 'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall',
      'mincore', 'msync', 'membarrier', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'set_mempolicy', 'get_mempolicy',
      'mbind', 'migrate_pages', 'move_pages', 'process_madvise', 'shmget', 'shmat', 'shmdt', 'shmctl', 'mseal',
    ],
  },
  {
    name: 'processes and threads',
    syscalls: [
      'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'kill', 'tkill',
      'tgkill', 'getpid', 'getppid', 'gettid', 'set_tid_address', 'set_robust_list', 'get_robust_list', 'futex',
      'futex_waitv', 'rseq', 'arch_prctl', 'prctl', 'prlimit64', 'getrlimit', 'setrlimit', 'getrusage', 'setsid',
      'getsid', 'setpgid', 'getpgid', 'getpgrp', 'unshare', 'setns', 'pidfd_open', 'pidfd_send_signal', 'pidfd_getfd',
      'process_vm_readv', 'process_vm_writev', 'ptrace', 'seccomp', 'kcmp', 'personality',
    ],
  },
  {
    name: 'signals',
    syscalls: [
      'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigpending', 'rt_sigtimedwait',
      'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'sigaltstack', 'signalfd', 'signalfd4', 'pause', 'alarm', 'restart_syscall',
    ],
  },
  {
    name: 'network',
    syscalls: [
      'socket', 'socketpair', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname', 'getpeername', 'sendto',
      'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'setsockopt', 'getsockopt', 'shutdown',
    ],
  },
  {
    name: 'time and scheduling',
    syscalls: [
      'clock_gettime', 'clock_getres', 'clock_nanosleep', 'nanosleep', 'gettimeofday', 'time', 'timer_create',
      'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete', 'timerfd_create', 'timerfd_settime',
      'timerfd_gettime', 'getitimer', 'setitimer', 'sched_yield', 'sched_getaffinity', 'sched_setaffinity',
      'sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max',
      'sched_get_priority_min', 'sched_rr_get_interval', 'sched_getattr', 'sched_setattr', 'getpriority',
      'setpriority', 'getcpu',
    ],
  },
  {
    name: 'users and capabilities',
    syscalls: [
      'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups', 'setuid', 'setgid', 'setreuid',
      'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid', 'capget', 'capset',
    ],
  },
  { name: 'system information', syscalls: ['uname', 'sysinfo', 'getrandom', 'sethostname', 'setdomainname', 'syslog'] },
];

export const OTHER_GROUP = 'other';

const groupOf = new Map<string, string>();
for (const g of GROUPS) for (const s of g.syscalls) groupOf.set(s, g.name);

/** The kind of call `name` is ('other' when not listed). */
export function syscallGroup(name: string): string {
  return groupOf.get(name) ?? OTHER_GROUP;
}

/** Names split by group, in GROUPS order then 'other'; names sorted within a group. */
export function groupNames(names: Iterable<string>): { group: string; names: string[] }[] {
  const by = new Map<string, string[]>();
  for (const n of [...new Set(names)].sort()) {
    const g = syscallGroup(n);
    by.set(g, [...(by.get(g) ?? []), n]);
  }
  const order = [...GROUPS.map((g) => g.name), OTHER_GROUP];
  return order.filter((g) => by.has(g)).map((g) => ({ group: g, names: by.get(g)! }));
}

/**
 * Calls learned with their arguments: the rule allows only the values seen,
 * compared under `mask` (SCMP_CMP_MASKED_EQ on argument `index`), so a run
 * that made plain threads does not also allow new namespaces.
 */
export interface ArgRule {
  index: number;
  mask: bigint;
  /** What the masked value is, for the comment. */
  what: string;
}

/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (Docker's clone mask). */
export const NAMESPACE_FLAGS = 0x7e020000n;

export const ARG_RULES: Readonly<Record<string, ArgRule>> = {
  clone: { index: 0, mask: NAMESPACE_FLAGS, what: 'namespace flags' },
  unshare: { index: 0, mask: NAMESPACE_FLAGS, what: 'namespace flags' },
  personality: { index: 0, mask: 0xffffffffn, what: 'persona' },
  socket: { index: 0, mask: 0xffffffffn, what: 'address family' },
};

const FAMILIES: Record<number, string> = {
  1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET', 38: 'AF_ALG', 40: 'AF_VSOCK',
};
const NS_NAMES: [bigint, string][] = [
  [0x00020000n, 'CLONE_NEWNS'], [0x02000000n, 'CLONE_NEWCGROUP'], [0x04000000n, 'CLONE_NEWUTS'],
  [0x08000000n, 'CLONE_NEWIPC'], [0x10000000n, 'CLONE_NEWUSER'], [0x20000000n, 'CLONE_NEWPID'], [0x40000000n, 'CLONE_NEWNET'],
];

/** "no namespace flags", "CLONE_NEWUTS|CLONE_NEWNET", "AF_INET", "0x8". */
export function describeArgValue(syscall: string, value: bigint): string {
  if (syscall === 'socket') return FAMILIES[Number(value)] ?? `family ${value}`;
  if (ARG_RULES[syscall]?.mask === NAMESPACE_FLAGS) {
    const set = NS_NAMES.filter(([bit]) => (value & bit) !== 0n).map(([, n]) => n);
    return set.length ? set.join('|') : 'no namespace flags';
  }
  return `0x${value.toString(16)}`;
}
