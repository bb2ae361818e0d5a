/**
 * profile-tools: `sigsys profile diff` and `sigsys profile check` through the
 * real CLI (exit codes, table and JSON), on the project's default profile and
 * fixtures whose every finding is known.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = process.env.SIGSYS_TEST_CLI ?? join(ROOT, 'dist', 'cli', 'main.js');
const DEFAULT = join(ROOT, 'deploy', 'profiles', 'default.json');
const FINDINGS = join(ROOT, 'test', 'fixtures', 'profiles', 'check-findings.json');

function cli(...argv: string[]) {
  return spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', env: { ...process.env, SIGSYS_LOG_LEVEL: 'silent' } });
}

/** The default profile with `edit` applied, written to a temp file. */
function variant(edit: (p: { defaultAction: string; syscalls: { names: string[]; action: string; args?: unknown[] }[] }) => void): string {
  const p = JSON.parse(readFileSync(DEFAULT, 'utf8'));
  edit(p);
  const f = join(mkdtempSync(join(tmpdir(), 'sigsys-pd-')), 'variant.json');
  writeFileSync(f, JSON.stringify(p, null, 2));
  return f;
}

describe('sigsys profile diff', () => {
  it('a profile against itself: "same", exit 0', () => {
    const r = cli('profile', 'diff', DEFAULT, DEFAULT);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/are the same for this target/);
  });

  it('an added allowance, a removed entry and a new argument rule show per syscall, exit 1', () => {
    const b = variant((p) => {
      p.syscalls.push({ names: ['acct'], action: 'SCMP_ACT_ALLOW' });
      p.syscalls = p.syscalls.filter((s) => !s.names.includes('ptrace'));
      p.syscalls.push({ names: ['kcmp'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 0, op: 'SCMP_CMP_EQ' }] });
    });
    const r = cli('profile', 'diff', DEFAULT, b, '--json');
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout);
    const by = Object.fromEntries(d.syscalls.map((s: { syscall: string }) => [s.syscall, s]));
    expect(by.acct).toMatchObject({ change: 'added', added: [{ action: 'SCMP_ACT_ALLOW', when: '' }], removed: [] });
    expect(by.ptrace).toMatchObject({ change: 'removed', added: [], removed: [{ action: 'SCMP_ACT_ALLOW' }] });
    expect(by.kcmp).toMatchObject({ change: 'added', added: [{ action: 'SCMP_ACT_ALLOW', when: 'arg2 EQ 0' }] });
    expect(d.defaultAction).toBeNull();
    // Only what changed: process_vm_readv shares ptrace's entry but the edit removed it too.
    expect(Object.keys(by).sort()).toEqual(['acct', 'kcmp', 'process_vm_readv', 'process_vm_writev', 'ptrace']);

    const t = cli('profile', 'diff', DEFAULT, b);
    expect(t.status).toBe(1);
    expect(t.stdout).toMatch(/^acct\s+-\s+\(default\) SCMP_ACT_ERRNO\(1\)\s*$/m);
    expect(t.stdout).toMatch(/^acct\s+\+\s+SCMP_ACT_ALLOW\s+\$\.syscalls\[\d+\]$/m);
    expect(t.stdout).toMatch(/^ptrace\s+\+\s+\(default\) SCMP_ACT_ERRNO\(1\)\s*$/m);
    expect(t.stdout).toMatch(/^syscalls: 2 added, 3 removed, 0 changed$/m);
  });

  it('a changed default action is one line, not one per syscall', () => {
    const b = variant((p) => {
      p.defaultAction = 'SCMP_ACT_KILL_PROCESS';
      delete (p as { defaultErrnoRet?: number }).defaultErrnoRet;
    });
    const r = cli('profile', 'diff', DEFAULT, b);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^defaultAction: SCMP_ACT_ERRNO\(1\) -> SCMP_ACT_KILL_PROCESS$/m);
    // Entries that were skipped for having the old default's action now count.
    expect(r.stdout).not.toMatch(/^(read|write|openat)\s/m);
  });

  it.each([
    [['profile', 'diff', DEFAULT], /profile diff: give two profiles/],
    [['profile', 'diff', DEFAULT, '/nonexistent.json'], /^sigsys: \/nonexistent\.json: cannot read: no such file$/m],
    [['profile', 'frob'], /unknown subcommand "frob"/],
    [['profile'], /give a subcommand, diff or check/],
  ])('bad input %j: one line, exit 2', (argv, re) => {
    const r = cli(...argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('sigsys profile check', () => {
  const r = cli('profile', 'check', FINDINGS, '--json');
  const found = JSON.parse(r.stdout) as { findings: { severity: string; code: string; source: string; syscall?: string; message: string }[] };

  it('unknown names are errors: exit 1', () => {
    expect(r.status).toBe(1);
    expect(found.findings.filter((f) => f.severity === 'error')).toEqual([
      expect.objectContaining({ code: 'unknown-syscall', source: '$.syscalls[2]', syscall: 'acctt' }),
    ]);
  });

  it.each([
    ['duplicate', '$.syscalls[0]', 'read', /listed twice/],
    ['duplicate', '$.syscalls[1]', 'write', /\$\.syscalls\[0\] already gives SCMP_ACT_ALLOW/],
    ['shadowed', '$.syscalls[4]', 'openat', /never applies: the unconditional SCMP_ACT_ALLOW rule at \$\.syscalls\[3\]/],
    ['dangerous', '$.syscalls[6]', 'unshare', /with CLONE_NEWUSER: creates a user namespace/],
    ['dangerous', '$.syscalls[6]', 'bpf', /eBPF/],
    ['dangerous', '$.syscalls[6]', 'mount', /mount table/],
  ])('%s at %s for %s', (code, source, syscall, re) => {
    const f = found.findings.find((x) => x.code === code && x.syscall === syscall);
    expect(f).toMatchObject({ severity: 'warning', source });
    expect(f!.message).toMatch(re);
  });

  it('an entry with the default action has no effect', () => {
    expect(found.findings).toContainEqual(expect.objectContaining({ code: 'no-effect', source: '$.syscalls[5]' }));
  });

  it('argument rules that exclude the dangerous arguments are not flagged (decided by the real BPF)', () => {
    const flagged = found.findings.filter((f) => f.code === 'dangerous').map((f) => f.syscall);
    expect(flagged).not.toContain('clone');
    expect(flagged).not.toContain('personality');
  });

  it("the default profile: no errors, exit 0; ptrace (allowed on 4.8+ as in Docker's) is a warning; --strict fails", () => {
    const d = cli('profile', 'check', DEFAULT);
    expect(d.status).toBe(0);
    expect(d.stdout).toMatch(/\$\.syscalls\[\d+\]: warning: allows ptrace: .* \[dangerous\]/);
    expect(d.stdout).not.toMatch(/allows (unshare|clone|bpf|mount)/);
    expect(d.stdout).toMatch(/: 0 error\(s\), \d+ warning\(s\)$/m);
    expect(cli('profile', 'check', DEFAULT, '--strict').status).toBe(1);
  });

  it('a malformed profile is one error finding naming the JSON path', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sigsys-pc-')), 'bad.json');
    writeFileSync(f, '{"defaultAction":"SCMP_ACT_FOO","syscalls":[]}');
    const b = cli('profile', 'check', f);
    expect(b.status).toBe(1);
    expect(b.stdout).toMatch(/bad\.json: \$\.defaultAction: error: .*SCMP_ACT_FOO.* \[invalid\]/);
  });
});
