/**
 * profile-errors: malformed profiles through the real CLI (`node
 * dist/cli/main.js compile p.json`) -> exit 2 and exactly one line naming the
 * file, the JSON path and the cause.  Never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The CLI built by test/setup/build-cli.ts (falls back to the repository's dist/). */
const CLI = process.env.SIGSYS_TEST_CLI ?? join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

function profile(syscalls: unknown[], top: Record<string, unknown> = {}): string {
  return JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', ...top, syscalls }, null, 2);
}
const ok = { names: ['read'], action: 'SCMP_ACT_ALLOW' };
const withArg = (arg: Record<string, unknown>) => profile([ok, { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [arg] }]);

interface Case {
  scenario: string;
  text: string;
  line: string;
  args?: string[];
}

const cases: Case[] = [
  {
    scenario: 'invalid JSON: missing comma, with line and column',
    text: '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n    {"names": ["read"] "action": "SCMP_ACT_ALLOW"}\n  ]\n}\n',
    line: 'p.json: invalid JSON at line 4, column 24: expected "," or a closing bracket',
  },
  {
    scenario: 'invalid JSON: trailing comma',
    text: '{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [],\n}',
    line: 'p.json: invalid JSON at line 3, column 1: expected a property name in double quotes',
  },
  {
    scenario: 'invalid JSON: comments are not JSON',
    text: '// profile\n{"defaultAction": "SCMP_ACT_ERRNO"}',
    line: 'p.json: invalid JSON at line 1, column 1: comments are not allowed in JSON',
  },
  { scenario: 'empty file', text: '', line: 'p.json: invalid JSON at line 1, column 1: expected a value' },
  { scenario: 'top level is not an object', text: '[1, 2]', line: 'p.json: $: expected an object, got an array' },
  {
    scenario: 'missing defaultAction',
    text: '{"syscalls": []}',
    line: 'p.json: $.defaultAction: missing (one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ...)',
  },
  {
    scenario: 'unknown default action',
    text: '{"defaultAction": "SCMP_ACT_DENY"}',
    line: 'p.json: $.defaultAction: unknown action "SCMP_ACT_DENY"',
  },
  {
    scenario: 'unknown action in a rule',
    text: profile([ok, ok, ok, { names: ['write'], action: 'SCMP_ACT_FOO' }]),
    line: 'p.json: $.syscalls[3].action: unknown action "SCMP_ACT_FOO"',
  },
  {
    scenario: 'action of the wrong type',
    text: profile([{ names: ['write'], action: 1 }]),
    line: 'p.json: $.syscalls[0].action: expected a string, got number 1',
  },
  {
    scenario: 'unknown operator',
    text: withArg({ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }),
    line: 'p.json: $.syscalls[1].args[0].op: unknown operator "SCMP_CMP_LIKE"',
  },
  { scenario: 'missing operator', text: withArg({ index: 0, value: 1 }), line: 'p.json: $.syscalls[1].args[0].op: missing (one of SCMP_CMP_EQ, SCMP_CMP_NE, ...)' },
  {
    scenario: 'argument index above 5',
    text: withArg({ index: 6, value: 1, op: 'SCMP_CMP_EQ' }),
    line: 'p.json: $.syscalls[1].args[0].index: argument index 6 is out of range (0..5)',
  },
  {
    scenario: 'negative argument index',
    text: withArg({ index: -1, value: 1, op: 'SCMP_CMP_EQ' }),
    line: 'p.json: $.syscalls[1].args[0].index: -1 is out of range for an argument index (0..5)',
  },
  {
    scenario: 'argument index as a string',
    text: withArg({ index: '0', value: 1, op: 'SCMP_CMP_EQ' }),
    line: 'p.json: $.syscalls[1].args[0].index: expected an argument index (0..5), got string "0"',
  },
  {
    scenario: 'negative value',
    text: withArg({ index: 0, value: -1, op: 'SCMP_CMP_EQ' }),
    line: 'p.json: $.syscalls[1].args[0].value: -1 is out of range for a 64-bit unsigned integer',
  },
  {
    scenario: 'value above 2^64-1',
    text: profile([{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] }]).replace(
      '"value": 0',
      '"value": 18446744073709551616',
    ),
    line: 'p.json: $.syscalls[0].args[0].value: 18446744073709551616 is out of range for a 64-bit unsigned integer',
  },
  {
    scenario: 'fractional valueTwo',
    text: withArg({ index: 0, value: 1, valueTwo: 1.5, op: 'SCMP_CMP_MASKED_EQ' }),
    line: 'p.json: $.syscalls[1].args[0].valueTwo: expected a 64-bit unsigned integer, got 1.5 (not an integer)',
  },
  { scenario: 'empty names', text: profile([{ names: [], action: 'SCMP_ACT_ALLOW' }]), line: 'p.json: $.syscalls[0].names: empty: list at least one syscall' },
  {
    scenario: 'empty syscall name',
    text: profile([{ names: ['read', ''], action: 'SCMP_ACT_ALLOW' }]),
    line: 'p.json: $.syscalls[0].names[1]: empty syscall name',
  },
  {
    scenario: 'names is not an array',
    text: profile([{ names: 'read', action: 'SCMP_ACT_ALLOW' }]),
    line: 'p.json: $.syscalls[0].names: expected an array, got string "read"',
  },
  {
    scenario: 'name and names together',
    text: profile([{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }]),
    line: "p.json: $.syscalls[0]: both 'name' and 'names' are given; use one of them",
  },
  { scenario: 'no syscall at all', text: profile([{ action: 'SCMP_ACT_ALLOW' }]), line: "p.json: $.syscalls[0]: no syscall: give 'names' (or 'name')" },
  {
    scenario: 'conflicting rules: same syscall, same args, different actions',
    text: profile([ok, { names: ['write', 'read'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }]),
    line: 'p.json: $.syscalls[1]: conflicting rules for "read" without argument conditions: SCMP_ACT_ERRNO(5) here, SCMP_ACT_ALLOW at $.syscalls[0] (libseccomp would keep only one of them silently; Docker gives no error)',
  },
  {
    scenario: 'conflicting rules with the same arguments',
    text: profile([
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
    ]),
    line: 'p.json: $.syscalls[1]: conflicting rules for "socket" with arg0 EQ 2: SCMP_ACT_KILL_THREAD here, SCMP_ACT_ALLOW at $.syscalls[0] (libseccomp would keep only one of them silently; Docker gives no error)',
  },
  {
    scenario: 'errnoRet on an ALLOW rule',
    text: profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }]),
    line: 'p.json: $.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno (action at $.syscalls[0].action is SCMP_ACT_ALLOW)',
  },
  {
    scenario: 'errnoRet beyond MAX_ERRNO',
    text: profile([{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 5000 }]),
    line: 'p.json: $.syscalls[0].errnoRet: 5000 is out of range for an errno (0..4094)',
  },
  {
    scenario: 'errnoRet 4095 (libseccomp refuses MAX_ERRNO)',
    text: profile([{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 4095 }]),
    line: 'p.json: $.syscalls[0].errnoRet: 4095 is out of range for an errno (0..4094)',
  },
  {
    scenario: 'TRACE data beyond 16 bits',
    text: profile([{ names: ['read'], action: 'SCMP_ACT_TRACE', errnoRet: 65536 }]),
    line: 'p.json: $.syscalls[0].errnoRet: 65536 is out of range for SCMP_ACT_TRACE data (0..65535)',
  },
  {
    scenario: 'defaultErrnoRet with a default ALLOW',
    text: JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }),
    line: 'p.json: $.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno (action at $.defaultAction is SCMP_ACT_ALLOW)',
  },
  {
    scenario: 'unknown architecture',
    text: profile([ok], { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'] }),
    line: 'p.json: $.architectures[1]: unknown architecture "SCMP_ARCH_VAX"',
  },
  {
    scenario: 'architectures and archMap together',
    text: profile([ok], { architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }] }),
    line: "p.json: $: both 'architectures' and 'archMap' are given; use one of them (as Docker requires)",
  },
  {
    scenario: 'bad minKernel',
    text: profile([{ ...ok, includes: { minKernel: '4.x' } }]),
    line: 'p.json: $.syscalls[0].includes.minKernel: invalid kernel version "4.x" (expected e.g. "4.8")',
  },
  {
    scenario: 'unknown arch in excludes',
    text: profile([{ ...ok, excludes: { arches: ['pdp11'] } }]),
    line: 'p.json: $.syscalls[0].excludes.arches[0]: unknown architecture "pdp11"',
  },
  {
    scenario: 'caps of the wrong type',
    text: profile([{ ...ok, includes: { caps: 'CAP_SYS_ADMIN' } }]),
    line: 'p.json: $.syscalls[0].includes.caps: expected an array, got string "CAP_SYS_ADMIN"',
  },
  { scenario: 'syscalls is not an array', text: JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: {} }), line: 'p.json: $.syscalls: expected an array, got an object' },
  {
    scenario: 'unknown flag',
    text: profile([ok], { flags: ['SECCOMP_FILTER_FLAG_FAST'] }),
    line: 'p.json: $.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_FAST"',
  },
  {
    scenario: 'OCI config.json without linux.seccomp',
    text: JSON.stringify({ ociVersion: '1.1.0', linux: { namespaces: [] } }),
    line: 'p.json: $.linux.seccomp: missing: this OCI config has no seccomp profile',
  },
  {
    scenario: 'OCI config.json with a bad action inside linux.seccomp',
    text: JSON.stringify({ ociVersion: '1.1.0', linux: { seccomp: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'ALLOW' }] } } }),
    line: 'p.json: $.linux.seccomp.syscalls[0].action: unknown action "ALLOW"',
  },
  { scenario: 'missing file', text: '', args: ['compile', 'missing.json'], line: 'missing.json: cannot read: no such file' },
  { scenario: 'bad --mode', text: profile([ok]), args: ['compile', 'p.json', '--mode', 'strict'], line: '--mode must be enforce or audit, not "strict"' },
  { scenario: 'unknown --caps name', text: profile([ok]), args: ['compile', 'p.json', '--caps', 'SYS_WIZARD'], line: '--caps: unknown capability "SYS_WIZARD"' },
  { scenario: 'unknown --arch', text: profile([ok]), args: ['compile', 'p.json', '--arch', 'vax'], line: 'unknown architecture "vax"' },
  { scenario: 'bad --arg for explain', text: profile([ok]), args: ['explain', 'p.json', '--syscall', 'read', '--arg', '7=1'], line: 'bad --arg "7=1": expected INDEX=VALUE with INDEX 0..5, e.g. 0=0x10' },
];

describe('malformed profiles -> exit 2 and one precise line', () => {
  it.each(cases)('$scenario', (c) => {
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-perr-'));
    writeFileSync(join(dir, 'p.json'), c.text);
    const r = spawnSync(process.execPath, [CLI, ...(c.args ?? ['compile', 'p.json', '-o', 'p.policy'])], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, SIGSYS_LOG_LEVEL: 'silent' },
    });
    expect(r.stderr).toBe(`sigsys: ${c.line}\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('a profile whose program exceeds the kernel limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-perr-'));
    const syscalls = Array.from({ length: 700 }, (_, i) => ({
      names: [['ioctl', 'fcntl', 'setsockopt'][i % 3]],
      action: 'SCMP_ACT_ALLOW',
      args: [
        { index: 1, value: i * 7 + 1, op: 'SCMP_CMP_EQ' },
        { index: 2, value: i + 5, op: 'SCMP_CMP_EQ' },
      ],
    }));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }));
    const r = spawnSync(process.execPath, [CLI, 'compile', 'p.json', '-o', 'p.policy'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sigsys: p\.json: the policy is too long: [^\n]*4096[^\n]*\n$/);
  });

  it('an unsupported cross-arch combination names the target (default ALLOW for aarch64 on x86_64)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-perr-'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }] }));
    const r = spawnSync(process.execPath, [CLI, 'compile', 'p.json', '--arch', 'aarch64'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sigsys: p\.json: cannot compile for aarch64 on x86_64: [^\n]+\n$/);
  });
});
