/**
 * `sigsys run` on programs the preload cannot reach (static musl, pure Go):
 * confined by the filter sigsys-exec installs before execve, every denied
 * call answered and reported by its supervisor (source "supervisor") with
 * the right syscall, errno and pid; audit mode lets the calls run; the
 * profile's KILL ends the program as seccomp would; and where confinement is
 * impossible sigsys says so in one line and runs nothing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { ensureDist, root } from './collector-helpers.js';
import { buildFixtures, deniedLines, readNdjson, runCmd, tempDir, type Fixtures } from './confine-helpers.js';

let main: string;
let fx: Fixtures;
let dir: string;

beforeAll(async () => {
  main = await ensureDist();
  fx = await buildFixtures();
  dir = await tempDir('sigsys-launcher-test-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], cmd: string[]) => runCmd([process.execPath, main, 'run', ...args, '--', ...cmd]);

describe('sigsys run through the launcher', () => {
  it('static musl under the default profile: acct and unshare(CLONE_NEWUTS) get EPERM and are reported with syscall, errno and pid; the exit status passes through', async () => {
    const out = join(dir, 'static.ndjson');
    const r = await run(['--out', out], [fx.deniedStatic, 'acct', 'unshare', 'exit=7']);
    expect(r.status).toBe(7);
    const seen = deniedLines(r.stderr);
    expect(seen.map((l) => [l.name, l.ret, l.errno])).toEqual([
      ['acct', -1, 1],
      ['unshare', -1, 1],
    ]);
    const pid = seen[0]!.pid;
    const events = await readNdjson(out);
    expect(events.map((e) => [e.syscall, e.nr, e.pid, e.tid, e.errno, e.outcome, e.action, e.source])).toEqual([
      ['acct', 163, pid, pid, 1, 'denied', 'errno', 'supervisor'],
      ['unshare', 272, pid, pid, 1, 'denied', 'errno', 'supervisor'],
    ]);
    expect(events[1]!.args[0]).toBe('0x4000000'); // CLONE_NEWUTS
    expect(events[0]).toMatchObject({ exe: fx.deniedStatic, ringPid: pid, mode: 'enforce' });
    expect(r.stderr).toMatch(/sigsys: 2 violations of 2 syscalls in 1 process \(enforce, profile default\.json\); exit status 7/);
  });

  it('pure Go (CGO_ENABLED=0) with goroutines and os/exec: both processes confined, each acct reported with its own pid', async () => {
    const out = join(dir, 'go.ndjson');
    const r = await run(['--out', out], [fx.goStatic]);
    expect(r.status).toBe(4);
    expect(r.stdout).toBe('goroutines=8 sum=1020001800000\nchild said: child done\n');
    const seen = deniedLines(r.stderr);
    expect(seen).toHaveLength(2);
    expect(new Set(seen.map((l) => l.pid)).size).toBe(2);
    for (const l of seen) expect([l.ret, l.errno]).toEqual([-1, 1]);
    const events = await readNdjson(out);
    expect(events.map((e) => [e.syscall, e.pid, e.tid, e.errno, e.source]).sort()).toEqual(
      seen.map((l) => ['acct', l.pid, l.tid, 1, 'supervisor']).sort(),
    );
  });

  it('audit mode: the calls run (as unconfined) and are reported as allowed', async () => {
    const out = join(dir, 'audit.ndjson');
    const r = await run(['--mode', 'audit', '--out', out], [fx.deniedStatic, 'threads=2', 'acct', 'unshare']);
    expect(r.status).toBe(0);
    const seen = deniedLines(r.stderr);
    expect(seen).toHaveLength(4);
    for (const l of seen) expect([l.ret, l.errno]).toEqual([0, 0]);
    const events = await readNdjson(out);
    expect(events.map((e) => [e.syscall, e.pid, e.tid, e.outcome, e.mode, e.source]).sort()).toEqual(
      seen.map((l) => [l.name, l.pid, l.tid, 'allowed', 'audit', 'supervisor']).sort(),
    );
  });

  it('a KILL_PROCESS action: reported as killed, the call never returns, sigsys says "killed by seccomp (SIGSYS)" and exits 159', async () => {
    const out = join(dir, 'kill.ndjson');
    const r = await run(['--profile', join(root, 'test/fixtures/run-profiles/kill-acct.json'), '--out', out], [fx.deniedStatic, 'unshare', 'acct', 'exit=3']);
    expect(r.status).toBe(128 + 31);
    expect(deniedLines(r.stderr).map((l) => l.name)).toEqual(['unshare']);
    const events = await readNdjson(out);
    expect(events.map((e) => [e.syscall, e.action, e.outcome, e.source])).toEqual([['acct', 'kill_process', 'killed', 'supervisor']]);
    expect(r.stderr).toMatch(/killed by seccomp \(SIGSYS\), exit status 159/);
  });

  it.each([
    ['the default profile: EPERM from the kernel, exit status passed through', [], ['acct', 'unshare', 'exit=4'], 4, /; exit status 4$/, ['acct', 'unshare']],
    ['a KILL_PROCESS rule: the kernel kills by SIGSYS', ['--profile', join(root, 'test/fixtures/run-profiles/kill-acct.json')], ['acct', 'exit=4'], 159, /; killed by seccomp \(SIGSYS\), exit status 159$/, []],
  ])('--native applies the profile as a container runtime would (%s); nothing is reported and sigsys says so', async (_name, args, steps, status, tail, returned) => {
    const r = await run(['--native', ...args], [fx.deniedStatic, ...steps]);
    expect(r.status).toBe(status);
    expect(deniedLines(r.stderr).map((l) => l.name)).toEqual(returned);
    for (const l of deniedLines(r.stderr)) expect([l.ret, l.errno]).toEqual([-1, 1]);
    const last = r.stderr.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^sigsys: ran under the profile's own filter \(--native\): denied calls were answered by the kernel, not reported/);
    expect(last).toMatch(tail);
  });

  it('a workload that SIGKILLs its supervisor: later denied calls still fail (ENOSYS: the kernel answers so when no listener is left) and sigsys says the supervisor was killed rather than passing its signal off as the command\'s', async () => {
    const r = await run([], [fx.deniedStatic, 'acct', 'sigparent=9', 'acct']);
    expect(r.status).toBe(128 + 9);
    const seen = deniedLines(r.stderr);
    expect(seen[0]).toMatchObject({ name: 'acct', ret: -1, errno: 1 });
    // The command may be gone (PDEATHSIG) before its second call; if it
    // made it, the call was denied all the same.
    for (const l of seen.slice(1)) expect([l.name, l.ret, l.errno]).toEqual(['acct', -1, 38]);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^sigsys: warning: the supervisor \(sigsys-exec\) was killed by SIGKILL before the command ended/);
  });

  it('a workload that sends SIGUSR1 to sigsys run\'s own Node process gets it forwarded back; the inspector (which would run its code outside the confinement) never opens', async () => {
    const r = await run([], [process.execPath, join(root, 'test/fixtures/confine/inspector.cjs')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('forwarded=true');
    expect(r.stderr).not.toMatch(/Debugger listening/);
  });

  it.each([['SIGPWR'], ['SIGIO'], ['SIGXCPU'], ['SIGPROF'], ['SIGSYS'], ['SIGTRAP'], ['SIGVTALRM']])('a workload that sends %s to sigsys run\'s own process does not end the run: its later denied call is reported and the report printed', async (sig) => {
    const out = join(dir, `shield-${sig}.ndjson`);
    const num = (await import('node:os')).constants.signals[sig as NodeJS.Signals];
    const r = await run(['--out', out], [fx.deniedStatic, `siggrandparent=${num}`, 'acct', 'exit=6']);
    expect(r.stdout).toContain('siggrandparent ret=0');
    expect(r.status).toBe(6);
    expect(deniedLines(r.stderr).map((l) => [l.name, l.ret, l.errno])).toEqual([['acct', -1, 1]]);
    expect((await readNdjson(out)).map((e) => e.syscall)).toEqual(['acct']);
    expect(r.stderr).toMatch(/sigsys: 1 violation/);
  });

  it.each([
    ['a profile that denies execve', ['--profile', join(root, 'test/fixtures/run-profiles/deny-execve.json')], /^sigsys: run: .*denies execve, which sigsys-exec must make to start the command$/, 125],
    ['a command that does not exist', [], /^sigsys: run: cannot start \/nonexistent\/cmd: No such file or directory$/, 127],
  ])('fails closed with one line: %s', async (_name, args, msg, code) => {
    const r = await run(args, args.length ? [fx.deniedStatic, 'acct'] : ['/nonexistent/cmd']);
    expect(r.status).toBe(code);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(msg)]);
    expect(deniedLines(r.stderr)).toEqual([]); // nothing ran
  });
});
