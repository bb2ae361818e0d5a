/**
 * compile-actions: profile fixture x syscall x args -> the action, checked
 * two ways on the same compiled policy:
 *  - explain: the addon runs the policy's real BPF (bpf_eval) and decodes it;
 *  - live: sigsys-prober installs the unmodified BPF on a real process, runs
 *    the syscall and reports the kernel's answer (a trap whose si_errno
 *    indexes the action table, or the syscall's own result when allowed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../src/native/loader.js';
import { compileProfileFile, type CompileOptions } from '../src/profile/compile.js';
import { explainFile } from '../src/profile/explain.js';
import type { Action } from '../src/profile/types.js';

const FIX = join(import.meta.dirname, 'fixtures', 'profiles');
const DEFAULT = join(import.meta.dirname, '..', 'deploy', 'profiles', 'default.json');
const U64MAX = (1n << 64n) - 1n;

interface Case {
  scenario: string;
  profile: string;
  syscall: string;
  args?: bigint[];
  opts?: CompileOptions;
  /** Arch of the call: 'x86' goes through int $0x80 in the live probe. */
  arch?: 'x86';
  expect: Action;
  /** Skip the live probe (syscalls with effects we do not want to run). */
  explainOnly?: boolean;
  /** The policy's prologue answers it in the filter itself: no trap, the errno comes back directly. */
  inFilter?: boolean;
}

const ALLOW: Action = { kind: 'ALLOW', errno: 0 };
const errno = (n: number): Action => ({ kind: 'ERRNO', errno: n });
const A = (kind: Action['kind'], n = 0): Action => ({ kind, errno: n });

const cases: Case[] = [
  // every action
  { scenario: 'ALLOW rule lets the call through', profile: 'actions.json', syscall: 'getpid', expect: ALLOW },
  { scenario: 'ERRNO with errnoRet returns that errno', profile: 'actions.json', syscall: 'getppid', expect: errno(13) },
  { scenario: 'ERRNO without errnoRet means EPERM', profile: 'actions.json', syscall: 'sched_yield', expect: errno(1) },
  { scenario: 'TRAP is kept as TRAP', profile: 'actions.json', syscall: 'getuid', expect: A('TRAP') },
  { scenario: 'TRACE keeps its message data', profile: 'actions.json', syscall: 'getgid', expect: A('TRACE', 7) },
  { scenario: 'LOG is reported as LOG', profile: 'actions.json', syscall: 'geteuid', expect: A('LOG') },
  { scenario: 'SCMP_ACT_KILL means KILL_THREAD', profile: 'actions.json', syscall: 'getegid', expect: A('KILL_THREAD') },
  { scenario: 'KILL_PROCESS', profile: 'actions.json', syscall: 'getpgrp', expect: A('KILL_PROCESS') },
  { scenario: 'KILL_THREAD', profile: 'actions.json', syscall: 'getresuid', expect: A('KILL_THREAD') },
  { scenario: 'NOTIFY becomes USER_NOTIF', profile: 'actions.json', syscall: 'getresgid', expect: A('USER_NOTIF') },
  { scenario: 'unlisted syscall gets defaultAction + defaultErrnoRet', profile: 'actions.json', syscall: 'getsid', expect: errno(1) },
  { scenario: 'deny-list: default ALLOW', profile: 'deny-list.json', syscall: 'getpid', expect: ALLOW },
  { scenario: 'deny-list: ERRNO rule', profile: 'deny-list.json', syscall: 'getppid', expect: errno(1) },
  { scenario: 'deny-list: KILL_PROCESS rule', profile: 'deny-list.json', syscall: 'getuid', expect: A('KILL_PROCESS') },
  // argument comparisons
  { scenario: 'EQ on 2^64-1 matches exactly', profile: 'args.json', syscall: 'lseek', args: [U64MAX], expect: ALLOW },
  { scenario: 'EQ on 2^64-1 does not match 2^64-2', profile: 'args.json', syscall: 'lseek', args: [U64MAX - 1n], expect: errno(1) },
  { scenario: 'MASKED_EQ matches the masked high bits', profile: 'args.json', syscall: 'lseek', args: [3n, 0x1234567890n], expect: errno(22) },
  { scenario: 'MASKED_EQ ignores bits outside the mask', profile: 'args.json', syscall: 'lseek', args: [3n, 0x12ffffffffn], expect: errno(22) },
  { scenario: 'MASKED_EQ fails on other masked bits', profile: 'args.json', syscall: 'lseek', args: [3n, 0x1334567890n], expect: errno(1) },
  { scenario: 'two indexes are ANDed: both match', profile: 'args.json', syscall: 'getpriority', args: [0n, 12345n], expect: ALLOW },
  { scenario: 'two indexes are ANDed: one fails', profile: 'args.json', syscall: 'getpriority', args: [0n, 12346n], expect: errno(1) },
  { scenario: 'same index twice is ORed: first', profile: 'args.json', syscall: 'dup', args: [100n], expect: ALLOW },
  { scenario: 'same index twice is ORed: second', profile: 'args.json', syscall: 'dup', args: [200n], expect: ALLOW },
  { scenario: 'same index twice is ORed: neither', profile: 'args.json', syscall: 'dup', args: [150n], expect: errno(1) },
  { scenario: 'LE at the bound', profile: 'args.json', syscall: 'umask', args: [63n], expect: ALLOW },
  { scenario: 'between LE and GE rules: default', profile: 'args.json', syscall: 'umask', args: [64n], expect: errno(1) },
  { scenario: 'GE at the bound', profile: 'args.json', syscall: 'umask', args: [4096n], expect: errno(9) },
  { scenario: 'GE compares 64-bit unsigned', profile: 'args.json', syscall: 'umask', args: [1n << 63n], expect: errno(9) },
  { scenario: 'LT below the bound', profile: 'args.json', syscall: 'getpgid', args: [999n], expect: ALLOW },
  { scenario: 'LT at the bound is not less', profile: 'args.json', syscall: 'getpgid', args: [1000n], expect: errno(1) },
  { scenario: 'GT above the bound', profile: 'args.json', syscall: 'getpgid', args: [5001n], expect: errno(3) },
  { scenario: 'GT with the high word set', profile: 'args.json', syscall: 'getpgid', args: [1n << 32n], expect: errno(3) },
  { scenario: 'NE allows other values', profile: 'args.json', syscall: 'getsid', args: [8n], expect: ALLOW },
  { scenario: 'NE denies the value', profile: 'args.json', syscall: 'getsid', args: [7n], expect: errno(1) },
  { scenario: 'NE differs in the high word only', profile: 'args.json', syscall: 'getsid', args: [(1n << 32n) | 7n], expect: ALLOW },
  // includes / excludes
  { scenario: 'includes.caps without the cap: rule dropped', profile: 'gated.json', syscall: 'getpid', expect: errno(1) },
  { scenario: 'includes.caps with the cap', profile: 'gated.json', syscall: 'getpid', opts: { caps: ['SYS_ADMIN'] }, expect: ALLOW },
  { scenario: 'excludes.caps without the cap: rule kept', profile: 'gated.json', syscall: 'getppid', expect: ALLOW },
  { scenario: 'excludes.caps with the cap: rule dropped', profile: 'gated.json', syscall: 'getppid', opts: { caps: ['CAP_SYS_ADMIN'] }, expect: errno(1) },
  { scenario: 'includes.caps needs every cap: one missing', profile: 'gated.json', syscall: 'getuid', opts: { caps: ['SYS_ADMIN'] }, expect: errno(1) },
  { scenario: 'includes.caps needs every cap: all present', profile: 'gated.json', syscall: 'getuid', opts: { caps: ['SYS_ADMIN', 'NET_ADMIN'] }, expect: ALLOW },
  { scenario: 'Docker default caps include CHOWN', profile: 'gated.json', syscall: 'sched_yield', expect: ALLOW },
  { scenario: 'empty caps drop CHOWN rules', profile: 'gated.json', syscall: 'sched_yield', opts: { caps: [] }, expect: errno(1) },
  { scenario: 'includes.arches amd64 on x86_64', profile: 'gated.json', syscall: 'getgid', expect: ALLOW },
  { scenario: 'includes.arches for other arches', profile: 'gated.json', syscall: 'geteuid', expect: errno(1) },
  { scenario: 'excludes.arches x86_64', profile: 'gated.json', syscall: 'getegid', expect: errno(1) },
  { scenario: 'includes.minKernel met', profile: 'gated.json', syscall: 'getpgrp', opts: { kernel: '5.10.0' }, expect: ALLOW },
  { scenario: 'includes.minKernel not met', profile: 'gated.json', syscall: 'getpgrp', opts: { kernel: '4.4.0-142-generic' }, expect: errno(1) },
  { scenario: 'includes.minKernel in the future', profile: 'gated.json', syscall: 'getresuid', expect: errno(1) },
  { scenario: 'excludes.minKernel in the future', profile: 'gated.json', syscall: 'getresgid', expect: ALLOW },
  // OCI config.json
  { scenario: 'OCI config: allowed', profile: 'oci-config.json', syscall: 'getpid', expect: ALLOW },
  { scenario: 'OCI config: defaultErrnoRet', profile: 'oci-config.json', syscall: 'getsid', expect: errno(38) },
  { scenario: 'OCI config: NOTIFY', profile: 'oci-config.json', syscall: 'getuid', expect: A('USER_NOTIF') },
  // the project's default profile
  { scenario: 'default: read allowed', profile: DEFAULT, syscall: 'getpid', expect: ALLOW },
  { scenario: 'default: personality query allowed', profile: DEFAULT, syscall: 'personality', args: [0xffffffffn], expect: ALLOW },
  { scenario: 'default: personality change denied', profile: DEFAULT, syscall: 'personality', args: [0x0400000n], expect: errno(1) },
  { scenario: 'default: AF_VSOCK sockets denied', profile: DEFAULT, syscall: 'socket', args: [40n, 1n, 0n], expect: errno(1) },
  { scenario: 'default: AF_INET sockets allowed', profile: DEFAULT, syscall: 'socket', args: [2n, 1n, 0n], expect: ALLOW },
  { scenario: 'default: clone with CLONE_NEWUSER denied', profile: DEFAULT, syscall: 'clone', args: [0x10000000n], expect: errno(1), explainOnly: true },
  { scenario: 'default: clone of a thread allowed', profile: DEFAULT, syscall: 'clone', args: [0x3d0f00n], expect: ALLOW, explainOnly: true },
  { scenario: 'default: clone with CLONE_NEWUSER and CAP_SYS_ADMIN', profile: DEFAULT, syscall: 'clone', args: [0x10000000n], opts: { caps: ['SYS_ADMIN'] }, expect: ALLOW, explainOnly: true },
  { scenario: 'default: clone3 gets ENOSYS', profile: DEFAULT, syscall: 'clone3', expect: errno(38), inFilter: true },
  { scenario: 'default: mount denied', profile: DEFAULT, syscall: 'mount', expect: errno(1) },
  { scenario: 'default: reboot denied without CAP_SYS_BOOT', profile: DEFAULT, syscall: 'reboot', expect: errno(1) },
  { scenario: 'default: ptrace allowed on 4.8+', profile: DEFAULT, syscall: 'ptrace', args: [U64MAX], opts: { kernel: '6.1.0' }, expect: ALLOW },
  { scenario: 'default: ptrace denied before 4.8', profile: DEFAULT, syscall: 'ptrace', opts: { kernel: '4.4.0' }, expect: errno(1) },
  // x86 (int $0x80) calls on an x86_64 policy: the profile's sub-arches
  { scenario: 'x86: getpid allowed by the default profile', profile: DEFAULT, syscall: 'getpid', arch: 'x86', expect: ALLOW },
  { scenario: 'x86: personality query allowed', profile: DEFAULT, syscall: 'personality', args: [0xffffffffn], arch: 'x86', expect: ALLOW },
  { scenario: 'x86: only the low 32 bits of an argument count', profile: DEFAULT, syscall: 'personality', args: [0x1ffffffffn], arch: 'x86', expect: ALLOW },
  { scenario: 'x86: personality change denied', profile: DEFAULT, syscall: 'personality', args: [7n], arch: 'x86', expect: errno(1) },
  { scenario: 'x86: ERRNO rule applies to the sub-arch too', profile: 'actions.json', syscall: 'getppid', arch: 'x86', expect: errno(13) },
  { scenario: 'x86: sub-arch from archMap gets the default action', profile: 'args.json', syscall: 'getpid', arch: 'x86', expect: errno(1) },
  { scenario: 'x86: arch not in the profile is killed (bad-arch action)', profile: 'oci-config.json', syscall: 'getpid', arch: 'x86', expect: A('KILL_THREAD') },
];

function proberPath(): string {
  const addonDir = dirname(process.env.SIGSYS_ADDON ?? join(import.meta.dirname, '..', 'build', 'native', 'Release', 'sigsys.node'));
  return process.env.SIGSYS_PROBER ?? join(addonDir, 'sigsys-prober');
}

interface Probe {
  trapped: boolean;
  ours?: boolean;
  action?: string;
  data?: number;
  ret?: number;
  errno?: number;
}

function probe(policy: Buffer, nr: number, args: bigint[], x86: boolean): Probe {
  const dir = mkdtempSync(join(tmpdir(), 'sigsys-probe-'));
  const file = join(dir, 'p.policy');
  writeFileSync(file, policy);
  const argv = [...(x86 ? ['-32'] : []), file, String(nr), ...args.map((a) => `0x${a.toString(16)}`)];
  const r = spawnSync(proberPath(), argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prober failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
}

function path(profile: string): string {
  return profile.includes('/') ? profile : join(FIX, profile);
}

describe('compile: profile x syscall x args -> action', () => {
  const native = loadNative();

  it.each(cases)('$scenario (explain, real BPF)', (c) => {
    const r = explainFile(path(c.profile), { syscall: c.syscall, args: c.args ?? [], ...c.opts, ...(c.arch ? { arch: c.arch } : {}) });
    expect(r.action).toEqual(c.expect);
    if (c.expect.kind !== 'ALLOW' || c.profile === 'deny-list.json') expect(r.rule).not.toBe('unattributed');
  });

  it('has the prober built next to the addon', () => {
    expect(existsSync(proberPath()), proberPath()).toBe(true);
  });

  it.each(cases.filter((c) => !c.explainOnly))('$scenario (live, kernel)', (c) => {
    const { policy } = compileProfileFile(path(c.profile), c.opts ?? {});
    const nr = native.syscallNumber(c.syscall, c.arch ?? 'x86_64')!;
    const p = probe(policy, nr, c.args ?? [], c.arch === 'x86');
    if (c.expect.kind === 'ALLOW') {
      expect(p.trapped).toBe(false);
    } else if (c.inFilter) {
      expect(p).toMatchObject({ trapped: false, errno: c.expect.errno });
    } else {
      expect(p).toMatchObject({ trapped: true, ours: true, action: c.expect.kind });
      expect(p.data).toBe(c.expect.kind === 'ERRNO' || c.expect.kind === 'TRACE' ? c.expect.errno : 0);
    }
  });
});
