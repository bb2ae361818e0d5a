/**
 * `sigsys learn` end to end: the real CLI (dist/), sigsys-exec and its
 * supervisor and real filters on real programs (sh/bash exec'ing ls and cat, the calls.c workload,
 * test/fixtures/learn/unknown.c).  What was learned is checked against what
 * the programs do, and every learned profile is put to the test it exists
 * for: `sigsys run --profile learned.json` (enforce) of the same command
 * reports no violation and ends the same way.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, root, spawnCli, tool } from './collector-helpers.js';

const pexec = promisify(execFile);
let main: string;
let dir: string;
let unknownBin: string;
let staticBin: string;
const workload = () => tool('sigsys-wl-calls');
const fixture = (name: string) => join(root, 'test/fixtures/learn', name);
const dockerDefault = join(root, 'deploy/profiles/default.json');

beforeAll(async () => {
  main = await ensureDist();
  dir = await mkdtemp(join(tmpdir(), 'sigsys-learn-test-'));
  unknownBin = join(dir, 'unknown');
  await pexec('gcc', ['-O1', '-o', unknownBin, fixture('unknown.c')]);
  staticBin = join(dir, 'unknown-static');
  await pexec('gcc', ['-O1', '-static', '-o', staticBin, fixture('unknown.c')]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sigsys(args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = spawnCli(main, args, { env: { SIGSYS_LOG_LEVEL: 'warn', ...env } });
  const exit = await p.exit;
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}
const learn = (args: string[], cmd: string[], env: NodeJS.ProcessEnv = {}) => sigsys(['learn', ...args, '--', ...cmd], env);
const enforce = (profile: string, cmd: string[]) => sigsys(['run', '--profile', profile, '--', ...cmd]);

interface Entry {
  names?: string[];
  name?: string;
  action: string;
  comment?: string;
  errnoRet?: number;
  args?: unknown[];
}
interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  comment?: string;
  syscalls: Entry[];
}
const readProfile = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Profile;
const learnedRule = (p: Profile) => p.syscalls.filter((e) => e.comment?.startsWith('learned by sigsys ['));
/** Every learned name, sorted (a name learned with argument rules appears once). */
const learnedNames = (p: Profile) => [...new Set(learnedRule(p).flatMap((e) => e.names ?? []))].sort();
const allowed = (p: Profile) => new Set(p.syscalls.filter((e) => e.action === 'SCMP_ACT_ALLOW').flatMap((e) => e.names ?? (e.name ? [e.name] : [])));

const shCmd = ['sh', '-c', 'ls / >/dev/null; cat /etc/hostname'];

describe('sigsys learn', () => {
  it('learns what sh and the ls and cat it execs did, from a base that denies everything', async () => {
    const out = join(dir, 'sh.json');
    const r = await learn(['-o', out], shCmd);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await readFile('/etc/hostname', 'utf8')); // the command ran for real
    const p = await readProfile(out);
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(1);
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64']);
    const names = learnedNames(p);
    // One ALLOW entry per kind of call, names sorted within, each name once.
    const groups = learnedRule(p).map((e) => /^learned by sigsys \[([^\]]+)\]/.exec(e.comment!)![1]);
    expect(groups).toEqual(expect.arrayContaining(['files and I/O', 'processes and threads', 'signals']));
    expect(new Set(groups).size).toBe(groups.length);
    for (const e of learnedRule(p)) {
      expect(e.action).toBe('SCMP_ACT_ALLOW');
      expect(e.names).toEqual([...e.names!].sort());
    }
    expect(learnedRule(p).flatMap((e) => e.names ?? [])).toHaveLength(names.length);
    expect(learnedRule(p).find((e) => e.names!.includes('getdents64'))!.comment).toMatch(/^learned by sigsys \[files and I\/O\] from /);
    // made by sh (vfork, wait4), ls (getdents64, ioctl), cat (write), and the
    // dynamic loader of each (openat, mmap, ...: supervised from execve on, so observed)
    for (const n of ['vfork', 'wait4', 'getdents64', 'write', 'rt_sigprocmask', 'openat', 'read', 'mmap', 'mprotect', 'close', 'brk']) expect(names).toContain(n);
    // what the launcher needs allowed (never observed), and rt_sigreturn
    const ok = allowed(p);
    for (const n of ['execve', 'exit_group', 'rt_sigreturn']) expect(ok).toContain(n);
    // never made by these programs
    for (const n of ['acct', 'socket', 'connect', 'ptrace', 'mount', 'keyctl', 'bpf', 'unshare', 'kill']) expect(ok).not.toContain(n);
    expect(learnedRule(p)[0]!.comment).toMatch(/^learned by sigsys \[[^\]]+\] from `sh -c 'ls \/ >\/dev\/null; cat \/etc\/hostname'` on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ - only as complete as these runs/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(
      new RegExp(`^sigsys: learned ${names.length} syscalls from \\d+ events in 3 processes -> ${out} \\(audit, base \\(deny everything\\)\\); exit status 0$`),
    );
  });

  it.each([
    ['sh exec\'ing ls and cat', shCmd, 0],
    ['bash exec\'ing ls and cat, exit 4', ['bash', '-c', 'ls / >/dev/null; cat /etc/hostname; exit 4'], 4],
    ['a forking workload', [`@wl`, 'getpid=2', 'fork', 'getppid=1', 'exit=6'], 6],
    ['a workload starting a pthread (clone3 answered ENOSYS, clone learned)', [`@wl`, 'thread', 'getppid=1', 'exit=3'], 3],
  ])('round trip: %s runs under its learned profile in enforce mode with no violations and the same exit status', async (_n, cmd0, status) => {
    const cmd = cmd0.map((a) => (a === '@wl' ? workload() : a));
    const out = join(dir, `rt-${status}.json`);
    const l = await learn(['-o', out], cmd);
    expect(l.code).toBe(status);
    const c = await sigsys(['compile', out, '-o', join(dir, `rt-${status}.pol`)]);
    expect(c.code).toBe(0);
    const r = await enforce(out, cmd);
    expect(r.stderr).toMatch(/sigsys: no violations \(enforce, profile .*\); exit status \d+$/m);
    expect(r.code).toBe(status);
    expect(r.stdout.replace(/\d+/g, 'N')).toBe(l.stdout.replace(/\d+/g, 'N'));
  });

  it.each([
    ['a base allowing all but acct, keyctl, swapoff, bpf(-1)', fixture('base-deny-acct.json')],
    ["the project's Docker-like default profile", dockerDefault],
    ['an OCI config.json whose seccomp denies everything (ENOSYS), acct and keyctl by KILL_PROCESS', fixture('oci-config.json')],
  ])('--base %s: only the calls the base denies are learned; the base stays as it was', async (_n, base) => {
    const out = join(dir, 'base.json');
    const cmd = [workload(), 'acct=1', 'keyctl=2', 'getpid=3', 'exit=5'];
    const r = await learn(['--base', base, '-o', out], cmd);
    expect(r.code).toBe(5);
    const p = await readProfile(out);
    const parsed = JSON.parse(await readFile(base, 'utf8')) as Profile & { linux?: { seccomp: Profile } };
    const b = parsed.linux?.seccomp ?? parsed; // the output is a Docker profile either way
    const denyAll = b.defaultAction !== 'SCMP_ACT_ALLOW' && b.syscalls.length === 1;
    // a base that denies everything else: every call of the workload is learned
    if (denyAll) expect(learnedNames(p)).toEqual(expect.arrayContaining(['acct', 'keyctl', 'getpid', 'write', 'mmap']));
    else expect(learnedNames(p)).toEqual(['acct', 'keyctl']);
    // a base that allows the loader's and the preload's calls gets no rules of ours for them
    const ours = p.syscalls.filter((e) => e.comment?.includes('sigsys') && !e.comment.startsWith('learned by sigsys'));
    expect(ours.length).toBe(denyAll ? 2 : 0);
    expect(p.architectures).toEqual(b.architectures);
    expect(p.defaultErrnoRet).toEqual(b.defaultErrnoRet);
    expect(p.defaultAction).toBe(b.defaultAction);
    // the learned names are no longer denied by any base entry; other entries are untouched
    const denied = p.syscalls.filter((e) => e.action !== 'SCMP_ACT_ALLOW').flatMap((e) => e.names ?? (e.name ? [e.name] : []));
    expect(denied).not.toContain('acct');
    expect(denied).not.toContain('keyctl');
    expect(p.syscalls.length).toBeGreaterThanOrEqual(b.syscalls.length - 1);
    if (base.endsWith('base-deny-acct.json')) {
      expect(p.comment).toBe(b.comment);
      expect(p.syscalls[0]).toEqual({ names: ['swapoff'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, comment: 'accounting and swap stay denied' });
      expect(await readFile(out, 'utf8')).toMatch(/"value": 18446744073709551615\b/); // exact 64-bit value
    }
    const run = await enforce(out, cmd);
    expect(run.stderr).toMatch(/sigsys: no violations \(enforce/);
    expect(run.code).toBe(5);
  });

  it('arguments where the risk is: unshare -u is learned as CLONE_NEWUTS only; under the learned profile unshare -u runs and unshare -n is denied; --merge adds -n', async () => {
    const out = join(dir, 'unshare.json');
    const l = await learn(['-o', out], ['unshare', '-u', 'true']);
    expect(l.code).toBe(0);
    const p = await readProfile(out);
    const rules = learnedRule(p).filter((e) => e.names?.includes('unshare'));
    expect(rules).toEqual([
      {
        names: ['unshare'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0x7e020000, valueTwo: 0x04000000, op: 'SCMP_CMP_MASKED_EQ' }],
        comment: expect.stringMatching(/^learned by sigsys \[unshare with namespace flags CLONE_NEWUTS\] from `unshare -u true` on /),
      },
    ]);
    expect((await enforce(out, ['unshare', '-u', 'true'])).code).toBe(0);
    const denied = await enforce(out, ['unshare', '-n', 'true']);
    expect(denied.code).toBe(1);
    // (its error message is denied too: the successful run never wrote)
    expect(denied.stderr).toMatch(/^unshare\s+1\s+errno\(EPERM\)\s+denied/m);

    const merged = await learn(['-o', out, '--merge'], ['unshare', '-n', 'true']);
    expect(merged.code).toBe(0);
    const values = learnedRule(await readProfile(out))
      .filter((e) => e.names?.includes('unshare'))
      .map((e) => (e.args![0] as { valueTwo: number }).valueTwo);
    expect(values).toEqual([0x04000000, 0x40000000]);
    expect((await enforce(out, ['unshare', '-n', 'true'])).code).toBe(0);
    expect((await enforce(out, ['unshare', '-un', 'true'])).code).toBe(1); // both at once was never seen
  });

  it('one run, each kind of call recorded once, yet every argument value of an argument rule learned: unshare -u then -n in one run gives both rules', async () => {
    const out = join(dir, 'unshare-once.json');
    const events = join(dir, 'unshare-once.ndjson');
    const l = await learn(['-o', out, '--out', events], ['sh', '-c', 'unshare -u true; unshare -n true; unshare -u true']);
    expect(l.code).toBe(0);
    const values = learnedRule(await readProfile(out))
      .filter((e) => e.names?.includes('unshare'))
      .map((e) => (e.args![0] as { valueTwo: number }).valueTwo);
    expect(values).toEqual([0x04000000, 0x40000000]);
    // three unshare calls, two kinds: two events; any other call once per name
    const evs = (await readFile(events, 'utf8')).trimEnd().split('\n').map((x) => JSON.parse(x) as { syscall: string; args: string[] });
    expect(evs.filter((e) => e.syscall === 'unshare')).toHaveLength(2);
    const names = evs.filter((e) => e.syscall !== 'unshare' && !['clone', 'socket', 'personality'].includes(e.syscall)).map((e) => e.syscall);
    expect(names).toHaveLength(new Set(names).size);
  });

  it('--merge adds the names of a new run to the learned rule; without it the file is replaced', async () => {
    const out = join(dir, 'merge.json');
    const base = fixture('base-deny-acct.json');
    const first = await learn(['--base', base, '-o', out, '--merge'], [workload(), 'acct=1']); // no file yet: a fresh profile
    expect(first.code).toBe(0);
    expect(learnedNames(await readProfile(out))).toEqual(['acct']);
    const second = await learn(['--base', base, '-o', out, '--merge'], [workload(), 'keyctl=1', 'swapoff=1']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/learned 2 syscalls from 2 events in 1 process, 2 new, 3 in total ->/);
    const p = await readProfile(out);
    expect(learnedNames(p)).toEqual(['acct', 'keyctl', 'swapoff']);
    expect(learnedRule(p)[0]!.comment).toMatch(/from `\S+ acct=1` on \S+, `\S+ keyctl=1 swapoff=1` on \S+ - only as complete/);
    const again = await learn(['--base', base, '-o', out, '--merge'], [workload(), 'acct=1']);
    expect(again.stderr).toMatch(/learned 1 syscall from 1 event in 1 process, 0 new, 3 in total ->/);
    const replaced = await learn(['--base', base, '-o', out], [workload(), 'keyctl=1']);
    expect(replaced.code).toBe(0);
    expect(learnedNames(await readProfile(out))).toEqual(['keyctl']);
  });

  it('a learned profile as --base (even as its own -o): known names are kept, only new calls are learned, no rule is doubled', async () => {
    const first = join(dir, 'gen1.json');
    await learn(['-o', first], [workload(), 'acct=1']);
    const gen1 = learnedNames(await readProfile(first));
    expect(gen1).toContain('acct');
    const r = await learn(['--base', first, '-o', first], [workload(), 'acct=1', 'keyctl=1']);
    expect(r.code).toBe(0);
    const p = await readProfile(first);
    const gen2 = learnedNames(p);
    expect(gen2).toEqual([...new Set([...gen1, 'keyctl'])].sort());
    expect(r.stderr).toMatch(/, 1 new, \d+ in total ->/);
    const comments = p.syscalls.map((e) => e.comment ?? '');
    expect(comments.filter((c) => c.startsWith('learned by sigsys ['))).toHaveLength(new Set(learnedRule(p).map((e) => e.comment)).size);
    expect(comments.filter((c) => c.startsWith('allowed by sigsys learn'))).toHaveLength(1);
    expect(comments.filter((c) => c.startsWith('needed by the sigsys preload'))).toHaveLength(1);
    expect(learnedRule(p)[0]!.comment).toMatch(/ acct=1` on \S+, `\S+ acct=1 keyctl=1` on /);
  });

  it('a syscall without a name (nr 1000) is left out of the profile with a warning; the exit status passes through', async () => {
    const out = join(dir, 'unknown.json');
    const r = await learn(['-o', out], [unknownBin]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^sigsys: warning: syscalls without a name are not in the profile: nr:1000 \(1x\)$/m);
    expect(await readFile(out, 'utf8')).not.toMatch(/nr:|1000/);
    expect(learnedNames(await readProfile(out))).toContain('mmap');
  });

  it.each([
    ['run directly', (bin: string) => [bin]],
    ["exec'd by sh", (bin: string) => ['sh', '-c', `exec ${bin}`]],
  ])('a static glibc binary %s is learned like any other (supervised from execve): its start-up calls, no SIGSYS', async (_n, cmd) => {
    const out = join(dir, 'static.json');
    const r = await learn(['-o', out], cmd(staticBin));
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/SIGSYS|no call was reported/);
    // static glibc start-up: arch_prctl, set_tid_address, brk (no loader: no openat of libraries)
    expect(learnedNames(await readProfile(out))).toEqual(expect.arrayContaining(['arch_prctl', 'set_tid_address', 'brk']));
  });

  it('a ring too small for a busy loop: learn through the supervisor says events were lost; the counter\'s end-of-run ring holds them all', async () => {
    const out = join(dir, 'dd.json');
    // SIGSYS_HOT=0: every call a full event (no hot-loop counting), so the loop overflows the ring
    // Through the supervisor (events while the program runs, one ring per process).
    const r = await learn(['--learn-via', 'supervisor', '--ring-records', '16', '-o', out], ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=50000', 'status=none'], { SIGSYS_HOT: '0' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^sigsys: warning: \d+ events lost \(dropped \d+, torn 0, corrupt 0\): the profile may miss calls/m);
    // The kernel's counter writes its events once, after the run, into a ring sized to hold them all.
    const counted = await learn(['--learn-via', 'bpf', '--ring-records', '16', '-o', out], ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=50000', 'status=none'], { SIGSYS_HOT: '0' });
    expect(counted.code).toBe(0);
    expect(counted.stderr).not.toMatch(/lost/);
    expect(learnedNames(await readProfile(out))).toContain('write');
    // with the default ring (65536 records) the same loop loses nothing
    const big = await learn(['-o', out], ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=50000', 'status=none']);
    expect(big.stderr).not.toMatch(/lost/);
    expect(learnedNames(await readProfile(out))).toContain('write'); // read is in the loader's list, allowed while learning
  });

  it('--verify: CMD runs again under the learned profile as runc applies it (--native), then supervised; a clean run keeps the exit status', async () => {
    const out = join(dir, 'verify.json');
    const r = await learn(['--verify', '-o', out], ['sh', '-c', 'cat /etc/hostname; exit 2']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe((await readFile('/etc/hostname', 'utf8')).repeat(3));
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toContain("sigsys: verify: under the learned profile's own filter (--native): exit status 2");
    expect(lines.at(-1)).toBe(`sigsys: verify: ok: same end under the kernel's filter, no call denied`);
  });

  it('--verify: a later run that takes another path fails under --native, and the supervised run names the call (exit 1)', async () => {
    const out = join(dir, 'verify2.json');
    const flag = join(dir, 'second-time');
    // learning run: creates the flag; --native run: rm gets EPERM (unlinkat never learned), so sh
    // ends 1 and the flag stays; supervised run: rm again, reported as denied by the profile
    const r = await learn(['--verify', '-o', out], ['sh', '-c', `if [ -e ${flag} ]; then rm ${flag}; else touch ${flag}; fi`]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toContain("sigsys: verify: under the learned profile's own filter (--native): exit status 1");
    expect(lines.at(-1)).toMatch(/^sigsys: learn: verify: exit status 1 under the learned profile \(--native\), exit status 0 while learning; the profile denies (\w+, )*unlinkat(, \w+)* \(taken by this run/);
  });

  it.each([
    ['--base, the workload gets the base\'s answers (EPERM, ENOSYS)', [fixture('base-deny-acct.json')], [/^acct ret=-1 errno=1 /m, /^keyctl ret=-1 errno=38 /m], ['acct', 'keyctl']],
  ])('--mode enforce, %s; what it tried is learned', async (_n, base, seen, names) => {
    const out = join(dir, 'enforce.json');
    const args = ['--mode', 'enforce', '-o', out, ...(base.length ? ['--base', base[0]!] : [])];
    const r = await learn(args, ['sh', '-c', `exec ${workload()} acct=1 keyctl=1`]);
    expect(r.code).toBe(0);
    for (const re of seen) expect(r.stdout).toMatch(re);
    expect(learnedNames(await readProfile(out))).toEqual(expect.arrayContaining(names));
    expect(r.stderr).toMatch(/ \(enforce, base /);
  });

  it.each([
    ['sh exec\'ing ls and cat', () => shCmd],
    ['a workload with a thread and a fork', () => [workload(), 'thread', 'fork', 'getppid=1']],
    ['a static glibc binary making an unnamed call (nr 1000: the same warning)', () => [staticBin]],
  ])('the kernel\'s counter (--learn-via bpf) and the supervisor alone learn the same profile: %s', async (_n, cmd) => {
    const got: Record<string, { names: string[]; rules: string[]; warnings: string[] }> = {};
    for (const via of ['bpf', 'supervisor']) {
      const out = join(dir, `via-${via}.json`);
      const r = await learn(['--learn-via', via, '-o', out], cmd());
      expect(r.stderr).not.toMatch(/sigsys-exec/);
      const p = await readProfile(out);
      // futex: a contended join or exit, only when the timing says so
      got[via] = { warnings: r.stderr.split('\n').filter((l) => l.includes('warning')), names: learnedNames(p).filter((n) => n !== 'futex'), rules: p.syscalls.filter((e) => e.args).map((e) => JSON.stringify([e.names, e.args])) };
    }
    expect(got.bpf).toEqual(got.supervisor);
    expect(got.bpf!.names.length).toBeGreaterThan(5);
  });

  it('--mode enforce learns through the supervisor (denied calls never reach the kernel\'s counter) and says so in one line', async () => {
    const out = join(dir, 'enforce-via.json');
    const r = await learn(['--mode', 'enforce', '--base', fixture('base-deny-acct.json'), '-o', out], [workload(), 'acct=1']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('sigsys-exec:'))).toEqual([
      'sigsys-exec: learning through the supervisor alone (every call stops; slower): enforce mode: calls the profile denies never reach the kernel\'s counter',
    ]);
    expect(learnedNames(await readProfile(out))).toEqual(['acct']);
  });

  it('--out also writes the learning run\'s events as NDJSON', async () => {
    const out = join(dir, 'events.json');
    const events = join(dir, 'events.ndjson');
    const r = await learn(['--base', fixture('base-deny-acct.json'), '-o', out, '--out', events], [workload(), 'acct=2']);
    expect(r.code).toBe(0);
    const lines = (await readFile(events, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { syscall: string; outcome: string; mode: string });
    // each kind of call once (the supervisor's --report-once), from the supervisor
    expect(lines.map((e) => [e.syscall, e.outcome, e.mode])).toEqual([['acct', 'allowed', 'audit']]);
    expect((lines[0] as unknown as { source: string }).source).toBe('supervisor');
  });

  it.each([
    ['no -o', ['--', 'true'], /^sigsys: learn: no output file given/, 2],
    ['no command', ['-o', '@out'], /^sigsys: learn: no command given/, 2],
    ['an unreadable base', ['--base', '/nonexistent/base.json', '-o', '@out', '--', 'true'], /^sigsys: \/nonexistent\/base\.json: cannot read: no such file$/m, 2],
    ['a base that is a directory', ['--base', '/tmp', '-o', '@out', '--', 'true'], /^sigsys: \/tmp: cannot read: is a directory$/m, 2],
    ['a base that is not a profile', ['--base', '@pkg', '-o', '@out', '--', 'true'], /^sigsys: \S+package\.json: \$/, 2],
    ['a bad mode', ['--mode', 'strict', '-o', '@out', '--', 'true'], /^sigsys: learn: --mode must be audit or enforce/, 2],
    ['a bad ring size', ['--ring-records', '8', '-o', '@out', '--', 'true'], /^sigsys: learn: --ring-records must be an integer in \[16, 4194304\], not "8"$/m, 2],
    ['a bad --learn-via', ['--learn-via', 'ptrace', '-o', '@out', '--', 'true'], /^sigsys: learn: --learn-via must be auto, bpf or supervisor, not "ptrace"$/m, 2],
    ['--learn-via bpf in enforce mode', ['--learn-via', 'bpf', '--mode', 'enforce', '-o', '@out', '--', 'true'], /^sigsys: learn: --learn-via bpf needs --mode audit/m, 2],
    ['an unknown option', ['--bogus', '-o', '@out', '--', 'true'], /^sigsys: learn: .*--bogus/, 2],
    ['--merge into a profile learn did not write', ['--merge', '-o', '@foreign', '--', 'true'], /^sigsys: \S+foreign\.json: \$\.syscalls: no rule learned by sigsys to merge with/, 2],
  ])('bad usage is one line and exit 2, before the command runs: %s', async (_n, args0, msg, code) => {
    const marker = join(dir, 'ran');
    await copyFile(fixture('not-learned.json'), join(dir, 'foreign.json'));
    const args = args0.map((a) =>
      a === '@out' ? join(dir, 'never.json') : a === '@pkg' ? join(root, 'package.json') : a === '@foreign' ? join(dir, 'foreign.json') : a === 'true' ? 'touch' : a,
    );
    if (args.at(-1) === 'touch') args.push(marker);
    const r = await sigsys(['learn', ...args]);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(code);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
    expect(await readFile(join(dir, 'foreign.json'), 'utf8')).toBe(await readFile(fixture('not-learned.json'), 'utf8'));
  });

  it('a command that cannot be started: exit 127 with one line, no profile written', async () => {
    const out = join(dir, 'never-started.json');
    const r = await learn(['-o', out], ['/nonexistent/sigsys-nope']);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sigsys: run: cannot start \/nonexistent\/sigsys-nope: (No such file or directory|.*ENOENT)/)]);
    expect(r.code).toBe(127);
    expect(existsSync(out)).toBe(false);
  });

  it('a profile that cannot be written: exit 1 with one line naming the file (the command did run)', async () => {
    const out = join(dir, 'no-such-dir', 'p.json');
    const r = await learn(['-o', out], ['sh', '-c', 'echo ran; exit 7']);
    expect(r.stdout).toBe('ran\n');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^sigsys: learn: cannot write ${out}: .*ENOENT`))]);
    expect(r.code).toBe(1);
  });
});
