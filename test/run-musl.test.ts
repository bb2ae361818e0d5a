/**
 * `sigsys run` on musl programs (every Alpine image): the same libsigsys.so
 * loads in a dynamically linked musl process, confines it with the default
 * profile and reports its denied calls, also across execve between musl and
 * glibc images (LD_PRELOAD is inherited; musl's loader would stop the program
 * with exit 127 if the preload could not be loaded).  The workload is
 * test/fixtures/workloads/calls.c built with musl-gcc (musl-tools, installed
 * by scripts/setup.sh); without it these tests fail, they do not skip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, pidsOf, sigsysRun as runCli, spawnCli, tool } from './collector-helpers.js';
import { readNdjson } from './confine-helpers.js';

let main: string;
let dir: string;
const musl = () => tool('sigsys-wl-calls-musl');
const glibc = () => tool('sigsys-wl-calls');

beforeAll(async () => {
  main = await ensureDist();
  dir = await mkdtemp(join(tmpdir(), 'sigsys-run-musl-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sigsysRun = (args: string[], cmd: string[], env: NodeJS.ProcessEnv = {}) => runCli(main, args, cmd, env);
const readEvents = readNdjson;

describe('sigsys run: a dynamically linked musl program', () => {
  it('the musl workload exists (musl-gcc from musl-tools; bash scripts/setup.sh installs it)', () => {
    expect(existsSync(musl()), `${musl()} missing: musl-gcc was not found when native/ was built`).toBe(true);
    expect(existsSync('/lib/ld-musl-x86_64.so.1')).toBe(true);
  });

  it('default profile, enforce: denied unshare and acct reported with syscall, errno and pid; threads work; exit status passes through', async () => {
    const out = join(dir, 'enforce.ndjson');
    const r = await sigsysRun(['--out', out], [musl(), 'unshare=1', 'thread', 'acct=2', 'getpid=1', 'exit=3']);
    expect(r.stderr).not.toMatch(/Error loading shared library|symbol not found/);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^unshare ret=-1 errno=1 /m);
    expect(r.stdout).toMatch(/^thread ok$/m);
    expect(r.stdout).toMatch(/^acct ret=-1 errno=1 /m);
    expect(r.stdout).toMatch(/^getpid ret=\d+ errno=0 /m);
    const [pid] = pidsOf(r.stdout);
    const events = await readEvents(out);
    expect(events.map((e) => e.syscall)).toEqual(['unshare', 'acct', 'acct']);
    for (const e of events)
      expect(e).toMatchObject({ pid, tid: pid, ringPid: pid, arch: 'x86_64', action: 'errno', outcome: 'denied', errno: 1, mode: 'enforce', exe: musl() });
    expect(events[0]!.nr).toBe(272);
    expect(r.stderr.trimEnd().split('\n').pop()).toBe(
      'sigsys: 3 violations of 2 syscalls in 1 process (enforce, profile default.json); exit status 3',
    );
  });

  it('audit mode: the denied calls run (real kernel answers) and are reported as allowed', async () => {
    const out = join(dir, 'audit.ndjson');
    const r = await sigsysRun(['--mode', 'audit', '--out', out], [musl(), 'keyctl=2', 'setns=1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^keyctl ret=-1 errno=22 /m);
    expect(r.stdout).toMatch(/^setns ret=-1 errno=9 /m);
    const [pid] = pidsOf(r.stdout);
    const events = await readEvents(out);
    expect(events.map((e) => [e.syscall, e.outcome, e.mode, e.pid])).toEqual([
      ['keyctl', 'allowed', 'audit', pid],
      ['keyctl', 'allowed', 'audit', pid],
      ['setns', 'allowed', 'audit', pid],
    ]);
  });

  it('a forked musl child reports with its own pid into the same ring', async () => {
    const out = join(dir, 'fork.ndjson');
    const r = await sigsysRun(['--out', out], [musl(), 'fork', 'acct=1']);
    expect(r.code).toBe(0);
    const pids = pidsOf(r.stdout);
    const events = await readEvents(out);
    expect(events.map((e) => e.syscall)).toEqual(['acct', 'acct']);
    expect(new Set(events.map((e) => e.pid)).size).toBe(2);
    expect(events.every((e) => e.ringPid === pids[0])).toBe(true);
    expect(r.stderr).toMatch(/sigsys: 2 violations of 1 syscall in 2 processes /);
  });

  it.each([
    ['musl -> glibc -> musl', musl, glibc],
    ['glibc -> musl -> glibc', glibc, musl],
  ] as const)('execve between libcs (%s): one filter, every image reports into its own ring', async (_n, first, second) => {
    const out = join(dir, `exec-${first === musl ? 'm' : 'g'}.ndjson`);
    const r = await sigsysRun(['--out', out], [first(), 'acct=1', 'exec', second(), 'unshare=1', 'exec', first(), 'keyctl=1']);
    expect(r.code).toBe(0);
    const pids = pidsOf(r.stdout);
    expect(pids).toHaveLength(3);
    expect(new Set(pids).size).toBe(1);
    expect(r.stdout).toMatch(/^unshare ret=-1 errno=1 /m);
    expect(r.stdout).toMatch(/^keyctl ret=-1 errno=1 /m);
    const events = await readEvents(out);
    expect(events.map((e) => [e.syscall, e.exe, e.pid, e.outcome]).sort()).toEqual([
      ['acct', first(), pids[0], 'denied'],
      ['keyctl', first(), pids[0], 'denied'],
      ['unshare', second(), pids[0], 'denied'],
    ]);
    expect(new Set(events.map((e) => e.ringStartNs)).size).toBe(3);
  });

  it('learn: a run that execs a musl program (its loader uses open and fcntl before the handler exists) is learned, and the profile then runs it with no violations', async () => {
    const profile = join(dir, 'learned.json');
    const cmd = [glibc(), 'getpid=1', 'exec', musl(), 'thread', 'fork', 'getppid=1'];
    const p = spawnCli(main, ['learn', '-o', profile, '--', ...cmd], { env: { SIGSYS_LOG_LEVEL: 'warn' } });
    const learned = await p.exit;
    expect(p.stderr()).not.toMatch(/killed by SIGSYS|incomplete/);
    expect(learned.code).toBe(0);
    expect(p.stdout()).toMatch(/^getppid ret=\d+ errno=0 /m);
    const r = await sigsysRun(['--profile', profile], cmd);
    expect(r.code).toBe(0);
    expect(r.stderr.trimEnd().split('\n').pop()).toBe(`sigsys: no violations (enforce, profile ${profile}); exit status 0`);
  });
});
