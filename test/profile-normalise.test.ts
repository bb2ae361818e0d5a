/**
 * profile-normalise: how a profile becomes rules (runc/Docker semantics) and
 * which warnings the compiler gives.  Pure TypeScript plus the addon for the
 * warnings libseccomp decides (unknown syscalls, reserved rules).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileProfileFile, compileProfileText } from '../src/profile/compile.js';
import { normaliseProfile } from '../src/profile/normalise.js';
import { parseJson } from '../src/profile/parse.js';
import { parseCapsOption } from '../src/profile/caps.js';

const FIX = join(import.meta.dirname, 'fixtures', 'profiles');
const norm = (text: string, opts = {}) => normaliseProfile(parseJson(text, 'p.json'), 'p.json', { arch: 'x86_64', ...opts });

describe('profile normalisation', () => {
  it('keeps 64-bit values exact (JSON.parse would round them)', () => {
    const p = norm('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["lseek"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_EQ"}]}]}');
    expect(p.rules[0]!.args[0]).toEqual({ index: 0, value: 18446744073709551615n, valueTwo: 9007199254740993n, op: 'EQ' });
  });

  it.each([
    { scenario: 'different indexes are ANDed in one rule', args: [0, 1], rules: 1 },
    { scenario: 'a repeated index splits into one rule per condition', args: [0, 0], rules: 2 },
    { scenario: 'a repeated index splits every condition, also the others', args: [0, 0, 1], rules: 3 },
  ])('$scenario', ({ args, rules }) => {
    const text = JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['dup'], action: 'SCMP_ACT_ALLOW', args: args.map((index, v) => ({ index, value: v, op: 'SCMP_CMP_EQ' })) }],
    });
    expect(norm(text).rules).toHaveLength(rules);
  });

  it('archMap gives the target arch and its sub-architectures only', () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'deploy', 'profiles', 'default.json'), 'utf8');
    expect(norm(text).arches).toEqual(['x86_64', 'x86', 'x32']);
    expect(norm(text, { arch: 'aarch64' }).arches).toEqual(['aarch64', 'arm']);
    expect(norm(text, { arch: 'ppc64le' }).arches).toEqual(['ppc64le']);
  });

  it('leaves out arches the target kernel never runs, with a warning', () => {
    const p = norm(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_S390X', 'SCMP_ARCH_AARCH64'] }));
    expect(p.arches).toEqual(['x86_64', 'x86']);
    expect(p.warnings).toEqual([
      '$.architectures[2]: SCMP_ARCH_S390X left out: a x86_64 kernel never runs s390x code, so its syscalls cannot reach the filter',
      '$.architectures[3]: SCMP_ARCH_AARCH64 left out: a x86_64 kernel never runs aarch64 code, so its syscalls cannot reach the filter',
    ]);
  });

  it('finds linux.seccomp in an OCI config.json and names paths from there', () => {
    const p = norm(readFileSync(join(FIX, 'oci-config.json'), 'utf8'));
    expect(p.root).toBe('$.linux.seccomp');
    expect(p.defaultAction).toEqual({ kind: 'ERRNO', errno: 38 });
    expect(p.rules.map((r) => r.source)).toEqual(['$.linux.seccomp.syscalls[0]', '$.linux.seccomp.syscalls[1]', '$.linux.seccomp.syscalls[2]']);
  });

  it('drops rules whose action is the default action, as runc does', () => {
    const p = norm('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO"},{"names":["write"],"action":"SCMP_ACT_ERRNO","errnoRet":2}]}');
    expect(p.rules.map((r) => r.names)).toEqual([['write']]);
    expect(p.skipped[0]).toMatchObject({ source: '$.syscalls[0]', reason: 'same action as defaultAction (runc skips such rules)' });
  });

  it('warns about unknown fields without failing (Go ignores them)', () => {
    const p = norm('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","priority":3}]}');
    expect(p.warnings).toEqual(['$.syscalls[0].priority: unknown field ignored']);
  });

  it('warns once, listing every syscall libseccomp does not know', () => {
    const r = compileProfileFile(join(FIX, 'actions.json'));
    expect(r.warnings).toEqual([expect.stringMatching(/^syscalls unknown to libseccomp 2\.5\.\d+ skipped: not_a_syscall_at_all, another_made_up_one$/)]);
  });

  it('warns about rules libseccomp would silently ignore', () => {
    const r = compileProfileFile(join(FIX, 'overlap.json'));
    expect(r.warnings).toEqual([
      '$.syscalls[1]: rule for write never applies: the unconditional SCMP_ACT_ALLOW rule at $.syscalls[2] replaces it',
      '$.syscalls[3]: rule for read with arg0 EQ 1 never applies: the unconditional SCMP_ACT_ALLOW rule at $.syscalls[2] covers every call',
    ]);
  });

  it('warns about OCI flags and listenerPath it does not use', () => {
    const r = compileProfileFile(join(FIX, 'oci-config.json'));
    expect(r.warnings).toEqual([
      '$.linux.seccomp.flags: ignored (the preload always installs with SECCOMP_FILTER_FLAG_TSYNC and no others)',
      '$.linux.seccomp.listenerPath: not supported; SCMP_ACT_NOTIFY calls are reported by sigsys, no listener is contacted',
    ]);
  });

  it('keeps rt_sigreturn allowed and says so when a profile denies it', () => {
    const r = compileProfileText('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["rt_sigreturn"],"action":"SCMP_ACT_KILL"}]}', 'p.json');
    expect(r.warnings).toEqual([expect.stringMatching(/^\$\.syscalls\[0\]: rule for rt_sigreturn ignored: /)]);
  });

  it('stores the SHA-256 of the profile text in the result', () => {
    const text = readFileSync(join(FIX, 'deny-list.json'), 'utf8');
    const r = compileProfileText(text, 'p.json');
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(compileProfileText(`${text} `, 'p.json').hash).not.toBe(r.hash);
  });

  it.each([
    { scenario: 'a plain list', value: 'CHOWN,sys_admin', caps: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] },
    { scenario: 'changes to the Docker default set', value: '+SYS_ADMIN,-NET_RAW', has: 'CAP_SYS_ADMIN', lacks: 'CAP_NET_RAW' },
    { scenario: 'none', value: 'none', caps: [] },
  ])('--caps: $scenario', ({ value, caps, has, lacks }) => {
    const r = parseCapsOption(value);
    if (!('caps' in r)) throw new Error('unexpected unknown cap');
    if (caps) expect([...r.caps].sort()).toEqual(caps.sort());
    if (has) expect(r.caps.has(has)).toBe(true);
    if (lacks) expect(r.caps.has(lacks)).toBe(false);
  });
});
