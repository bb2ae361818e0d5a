/**
 * explain-cli: `sigsys explain` and `sigsys compile` through the real CLI:
 * the printed action and rule for profiles and for compiled policy files,
 * --json, and usage errors (exit 2, one line).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
/** The CLI built by test/setup/build-cli.ts (falls back to the repository's dist/). */
const CLI = process.env.SIGSYS_TEST_CLI ?? join(ROOT, 'dist', 'cli', 'main.js');
const ARGS = join(ROOT, 'test', 'fixtures', 'profiles', 'args.json');
const DEFAULT = join(ROOT, 'deploy', 'profiles', 'default.json');

function cli(...argv: string[]) {
  return spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', env: { ...process.env, SIGSYS_LOG_LEVEL: 'silent' } });
}

describe('sigsys compile', () => {
  it('writes a policy and reports its size on stderr', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sigsys-cc-')), 'default.policy');
    const r = cli('compile', DEFAULT, '-o', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^wrote .*default\.policy \(\d+ instructions, \d+ actions\)\n$/);
    expect(readFileSync(out).subarray(0, 8).toString()).toBe('SIGSYSPL');
  });

  it('audit mode and --no-binary-tree change the policy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-cc-'));
    cli('compile', ARGS, '-o', join(dir, 'a'));
    cli('compile', ARGS, '-o', join(dir, 'b'), '--mode', 'audit');
    cli('compile', ARGS, '-o', join(dir, 'c'), '--no-binary-tree');
    const [a, b, c] = ['a', 'b', 'c'].map((f) => readFileSync(join(dir, f)));
    expect(a!.equals(b!)).toBe(false);
    expect(a!.equals(c!)).toBe(false);
  });

  it('without -o writes PROFILE.policy next to the profile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-cc-'));
    writeFileSync(join(dir, 'mine.json'), readFileSync(ARGS));
    const r = spawnSync(process.execPath, [CLI, 'compile', 'mine.json'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^wrote mine\.policy \(\d+ instructions, \d+ actions\)\n$/);
    expect(readFileSync(join(dir, 'mine.policy')).subarray(0, 8).toString()).toBe('SIGSYSPL');
  });

  it('prints --help', () => {
    const r = cli('compile', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: sigsys compile PROFILE\.json/);
  });
});

describe('sigsys explain', () => {
  it.each([
    {
      scenario: 'profile: an argument rule',
      argv: [ARGS, '--syscall', 'umask', '--arg', '0=4096'],
      lines: ['syscall: umask (nr 95, x86_64) args [0x1000, 0x0, 0x0, 0x0, 0x0, 0x0]', /^action: {2}SCMP_ACT_ERRNO\(9\) {3}\(BPF returned 0x0003a0[0-9a-f]{2} at instruction \d+\)$/, 'rule:    $.syscalls[6]: umask: SCMP_ACT_ERRNO(9) if arg0 GE 4096'],
    },
    {
      scenario: 'profile: the default action',
      argv: [ARGS, '--syscall', 'getpid'],
      lines: [/^syscall: getpid/, /^action: {2}SCMP_ACT_ERRNO\(1\)/, 'rule:    $.defaultAction: default action (no rule matches)'],
    },
    {
      scenario: 'profile: a negative argument is two\'s complement',
      argv: [ARGS, '--syscall', 'lseek', '--arg', '0=-1'],
      lines: [/args \[0xffffffffffffffff, /, /^action: {2}SCMP_ACT_ALLOW /, /^rule: {4}\$\.syscalls\[1\]: lseek: SCMP_ACT_ALLOW if arg0 EQ 18446744073709551615/],
    },
    {
      scenario: 'default profile: a gated rule that was dropped is listed',
      argv: [DEFAULT, '--syscall', 'reboot'],
      lines: [/^syscall: reboot/, /^action: {2}SCMP_ACT_ERRNO\(1\)/, /^rule: {4}\$\.defaultAction/, /^not applied: \$\.syscalls\[\d+\]: includes\.caps: lacks CAP_SYS_BOOT$/],
    },
    {
      scenario: 'default profile: x86 (int 0x80) call on the x86_64 policy',
      argv: [DEFAULT, '--syscall', 'personality', '--arch', 'x86', '--arg', '0=0xffffffff'],
      lines: ['syscall: personality (nr 136, x86) args [0xffffffff, 0x0, 0x0, 0x0, 0x0, 0x0]', /^action: {2}SCMP_ACT_ALLOW /, /^rule: {4}\$\.syscalls\[\d+\]: personality: SCMP_ACT_ALLOW if arg0 EQ 4294967295/],
    },
    {
      scenario: 'default profile compiled for aarch64 (--target)',
      argv: [DEFAULT, '--target', 'aarch64', '--syscall', 'openat'],
      lines: ['syscall: openat (nr 56, aarch64) args [0x0, 0x0, 0x0, 0x0, 0x0, 0x0]', /^action: {2}SCMP_ACT_ALLOW /, /^rule: {4}\$\.syscalls\[\d+\]: openat: SCMP_ACT_ALLOW/],
    },
    {
      scenario: 'a call of an arch the filter does not handle',
      argv: [ARGS, '--syscall', 'read', '--arch', 'aarch64'],
      lines: [/^syscall: read \(nr 63, aarch64\)/, /^action: {2}SCMP_ACT_KILL_THREAD /, 'rule:    $.architectures: the filter does not handle aarch64 (it handles x86_64, x86): libseccomp\'s bad-arch action'],
    },
  ])('$scenario', ({ argv, lines }) => {
    const r = cli('explain', ...argv);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = r.stdout.trimEnd().split('\n');
    expect(got).toHaveLength(lines.length);
    lines.forEach((l, i) => (typeof l === 'string' ? expect(got[i]).toBe(l) : expect(got[i]).toMatch(l)));
  });

  it('explains a compiled policy file through its action table', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sigsys-ex-')), 'args.policy');
    expect(cli('compile', ARGS, '-o', out).status).toBe(0);
    const denied = cli('explain', out, '--syscall', 'umask', '--arg', '0=4096');
    expect(denied.stdout).toMatch(/^action: {2}SCMP_ACT_ERRNO\(9\) /m);
    expect(denied.stdout).toMatch(/^rule: {4}actions\[\d+\]: trap at instruction \d+ with action table entry \d+/m);
    const allowed = cli('explain', out, '--syscall', 'umask', '--arg', '0=1');
    expect(allowed.stdout).toMatch(/^action: {2}SCMP_ACT_ALLOW /m);
  });

  it('--json gives the result as one object with exact args', () => {
    const r = cli('explain', ARGS, '--syscall', 'lseek', '--arg', '0=0xffffffffffffffff', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ kind: 'profile', syscall: 'lseek', nr: 8, arch: 'x86_64', action: { kind: 'ALLOW', errno: 0 }, rule: '$.syscalls[1]', actionName: 'SCMP_ACT_ALLOW' });
    expect((j.args as string[])[0]).toBe('18446744073709551615');
  });

  it.each([
    { scenario: 'missing --syscall', argv: [ARGS], line: 'sigsys: explain: --syscall NAME is required' },
    { scenario: 'unknown syscall', argv: [ARGS, '--syscall', 'nosuch'], line: 'sigsys: unknown syscall "nosuch" (libseccomp does not know it)' },
    { scenario: 'syscall not on the arch', argv: [ARGS, '--syscall', 'socketcall'], line: 'sigsys: syscall "socketcall" does not exist on x86_64' },
  ])('usage error: $scenario', ({ argv, line }) => {
    const r = cli('explain', ...argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
  });

  it('a truncated policy file is a one-line error, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-ex-'));
    cli('compile', ARGS, '-o', join(dir, 'p.policy'));
    writeFileSync(join(dir, 't.policy'), readFileSync(join(dir, 'p.policy')).subarray(0, 100));
    const r = cli('explain', join(dir, 't.policy'), '--syscall', 'read');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sigsys: .*t\.policy: not a valid sigsys policy: truncated: 100 bytes, header says \d+\n$/);
  });
});
