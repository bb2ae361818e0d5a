/**
 * compile-policy: what the addon's compile() writes (read back with
 * policyInfo()), and the syscall/arch name functions over every arch
 * libseccomp knows.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../src/native/loader.js';
import { LIBSECCOMP_ARCHES } from '../src/profile/arches.js';
import { compileProfileFile, compileProfileText } from '../src/profile/compile.js';

const FIX = join(import.meta.dirname, 'fixtures', 'profiles');
const native = loadNative();

describe('policy image', () => {
  it.each([
    { scenario: 'enforce mode, binary tree', opts: { mode: 'enforce' as const } },
    { scenario: 'audit mode', opts: { mode: 'audit' as const } },
    { scenario: 'linear lookup', opts: { binaryTree: false } },
  ])('header matches the compile result: $scenario', ({ opts }) => {
    const file = join(FIX, 'actions.json');
    const r = compileProfileFile(file, opts);
    const info = native.policyInfo(r.policy);
    expect(info).toMatchObject({ version: 3, archName: 'x86_64', mode: opts.mode ?? 'enforce', insns: r.insns });
    expect(info.profileHash).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(r.hash).toBe(info.profileHash);
    expect(info.actions).toHaveLength(r.actions);
    // the program the kernel runs: the prologue is in the file, in front
    expect(info.prologueLen).toBeGreaterThan(0);
    expect(info.trustedIpLoAt).toBeGreaterThan(info.prologueLen);
  });

  it('the action table holds every action of the profile once', () => {
    const info = native.policyInfo(compileProfileFile(join(FIX, 'actions.json')).policy);
    const kinds = info.actions.map((a) => `${a.kind}:${a.errno}`).sort();
    for (const k of ['ERRNO:1', 'ERRNO:13', 'TRAP:0', 'TRACE:7', 'LOG:0', 'KILL_THREAD:0', 'KILL_PROCESS:0', 'USER_NOTIF:0']) {
      expect(kinds).toContain(k);
    }
    expect(new Set(kinds).size).toBe(kinds.length);
  });

  it('the binary tree shortens nothing but the lookup: both programs give the same answers', () => {
    const tree = compileProfileFile(join(FIX, 'args.json')).policy;
    const linear = compileProfileFile(join(FIX, 'args.json'), { binaryTree: false }).policy;
    for (let nr = 0; nr < 460; nr++) {
      for (const args of [[], [1n], [3n, 0x1234567890n], [0n, 12345n], [(1n << 64n) - 1n]]) {
        expect(native.explain(linear, { nr, args }).action, `nr ${nr}`).toEqual(native.explain(tree, { nr, args }).action);
      }
    }
  });

  it('rejects a buffer that is not a policy with code EPOLICY', () => {
    expect(() => native.policyInfo(Buffer.from('not a policy at all, really not'))).toThrow(
      expect.objectContaining({ code: 'EPOLICY', message: expect.stringMatching(/^not a valid sigsys policy: /) }),
    );
  });
});

describe('SIGSYS kept deliverable around clone: the policy prologue traps a blocking rt_sigprocmask, the profile answers it', () => {
  const DEFAULT = join(import.meta.dirname, '..', 'deploy', 'profiles', 'default.json');
  const SIGNALS_TRAP = 0x30000 | 0xa000 | 0xfff; // SECCOMP_RET_TRAP | magic | SIGSYS_TRAP_IDX_SIGNALS
  const BLOCK = [0n, 0x7000n, 0n, 8n]; // rt_sigprocmask(SIG_BLOCK, set, NULL, 8): glibc around clone
  const QUERY = [0n, 0n, 0x7000n, 8n]; // set NULL: cannot block anything

  it('the default profile: a blocking call from x86_64 is trapped by the prologue and allowed; a query and an int 0x80 call are plain allows', () => {
    const r = compileProfileFile(DEFAULT);
    const nr = native.syscallNumber('rt_sigprocmask', 'x86_64')!;
    const e = native.explain(r.policy, { nr, args: BLOCK });
    expect(e).toMatchObject({ ret: SIGNALS_TRAP, signals: true, index: null, action: { kind: 'ALLOW' } });
    expect(native.explain(r.policy, { nr, args: QUERY })).toMatchObject({ ret: 0x7fff0000, signals: false, index: null });
    const x86 = native.explain(r.policy, { nr: native.syscallNumber('rt_sigprocmask', 'x86')!, arch: 'x86' });
    expect(x86).toMatchObject({ ret: 0x7fff0000, signals: false, index: null });
  });

  it.each([
    {
      scenario: 'clone always allowed',
      profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['clone', 'rt_sigprocmask'], action: 'SCMP_ACT_ALLOW' }] },
      answer: 'ALLOW',
    },
    {
      scenario: 'deny-list that does not name clone',
      profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] },
      answer: 'ALLOW',
    },
    {
      scenario: 'clone restricted by args',
      profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: 'SCMP_CMP_MASKED_EQ' }] }] },
      answer: 'ALLOW',
    },
    {
      scenario: 'rt_sigprocmask denied by the default action',
      profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] },
      answer: 'ERRNO',
    },
    {
      scenario: 'rt_sigprocmask allowed for some arguments only',
      profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['rt_sigprocmask'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_NE' }] }] },
      answer: 'ALLOW',
    },
  ])('$scenario: trapped by the prologue, answered $answer, no extra table entry, no warning', ({ profile, answer }) => {
    const r = compileProfileText(JSON.stringify(profile), 'p.json');
    expect(r.warnings).toEqual([]);
    const e = native.explain(r.policy, { nr: native.syscallNumber('rt_sigprocmask', 'x86_64')!, args: BLOCK });
    expect(e).toMatchObject({ ret: SIGNALS_TRAP, signals: true, action: { kind: answer } });
    const kinds = native.policyInfo(r.policy).actions.map((a) => a.kind);
    expect(kinds).not.toContain('ALLOW');
  });
});

describe('syscall and arch names', () => {
  it('knows every arch libseccomp 2.5 knows, and which is native', () => {
    const arches = native.arches();
    expect(arches.map((a) => a.name)).toEqual([...LIBSECCOMP_ARCHES]);
    expect(arches.filter((a) => a.native).map((a) => a.name)).toEqual(['x86_64']);
    expect(native.archValue('x86_64')).toBe(0xc000003e);
    expect(native.archValue('vax')).toBeNull();
  });

  it.each([
    { arch: 'x86_64', name: 'read', nr: 0 },
    { arch: 'x86_64', name: 'personality', nr: 135 },
    { arch: 'x86', name: 'read', nr: 3 },
    { arch: 'x32', name: 'read', nr: 0x40000000 },
    { arch: 'aarch64', name: 'openat', nr: 56 },
    { arch: 'arm', name: 'read', nr: 3 },
    { arch: 's390x', name: 'read', nr: 3 },
    { arch: 'riscv64', name: 'read', nr: 63 },
  ])('$name is $nr on $arch, both ways', ({ arch, name, nr }) => {
    expect(native.syscallNumber(name, arch)).toBe(nr);
    expect(native.syscallName(nr, arch)).toBe(name);
  });

  it('unknown names give null, names missing on an arch give a negative pseudo number', () => {
    expect(native.syscallNumber('not_a_syscall', 'x86_64')).toBeNull();
    expect(native.syscallNumber('socketcall', 'x86_64')).toBeLessThan(0);
    expect(native.syscallName(99999, 'x86_64')).toBeNull();
    expect(() => native.syscallNumber('read', 'vax')).toThrow('unknown architecture "vax"');
  });
});
