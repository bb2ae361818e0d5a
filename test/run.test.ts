/**
 * `sigsys run` end to end: the real CLI (dist/), the real preload on a real
 * workload (test/fixtures/workloads/calls.c) making known denied calls.
 * NDJSON holds exactly those events, the table and verdict say so, the exit
 * status passes through (incl. death by SIGSYS and by a forwarded signal).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViolationEvent } from '../src/events/types.js';
import { ensureDist, pidsOf, root, sigsysRun as runCli, spawnCli, tool, until } from './collector-helpers.js';
import { readNdjson } from './confine-helpers.js';

let main: string;
let dir: string;
const workload = () => tool('sigsys-wl-calls');
const killProfile = join(root, 'test/fixtures/run-profiles/kill-acct.json');

beforeAll(async () => {
  main = await ensureDist();
  dir = await mkdtemp(join(tmpdir(), 'sigsys-run-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sigsysRun = (args: string[], cmd: string[], env: NodeJS.ProcessEnv = {}) => runCli(main, args, cmd, env);
const readEvents = readNdjson;

describe('sigsys run', () => {
  it('default profile, enforce: exactly the denied calls as NDJSON, the table, the verdict, the exit status', async () => {
    const out = join(dir, 'enforce.ndjson');
    const r = await sigsysRun(['--out', out], [workload(), 'acct=3', 'keyctl=2', 'getpid=4', 'exit=7']);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack traces
    expect(r.code).toBe(7);
    // the workload saw EPERM for the denied calls and a real pid for the allowed one
    expect(r.stdout).toMatch(/^acct ret=-1 errno=1 /m);
    expect(r.stdout).toMatch(/^keyctl ret=-1 errno=1 /m);
    expect(r.stdout).toMatch(/^getpid ret=\d+ errno=0 /m);
    const [pid] = pidsOf(r.stdout);
    const events = await readEvents(out);
    expect(events.map((e) => e.syscall)).toEqual(['acct', 'acct', 'acct', 'keyctl', 'keyctl']);
    for (const e of events) {
      expect(e).toMatchObject({ pid, tid: pid, ringPid: pid, arch: 'x86_64', action: 'errno', outcome: 'denied', errno: 1, mode: 'enforce', exe: workload(), workload: workload() });
      expect(e.args).toHaveLength(6);
      expect(e.callSite).toMatch(/^(libc\.so\.6|sigsys-wl-calls)\+0x[0-9a-f]+$/);
      expect(Date.now() - Date.parse(e.time)).toBeLessThan(10 * 60_000);
    }
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(events[0]!.nr).toBe(163);
    expect(events[3]!.args[0]).toBe('0x0');
    expect(events[3]!.args[1]).toBe('0xffffffffffffff9d'); // -99
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.slice(-4)).toEqual([
      expect.stringMatching(/^SYSCALL\s+COUNT\s+ACTION\s+OUTCOME\s+FIRST CALL SITE$/),
      expect.stringMatching(/^acct\s+3\s+errno\(EPERM\)\s+denied\s+\S+\+0x[0-9a-f]+$/),
      expect.stringMatching(/^keyctl\s+2\s+errno\(EPERM\)\s+denied\s+\S+\+0x[0-9a-f]+$/),
      'sigsys: 5 violations of 2 syscalls in 1 process (enforce, profile default.json); exit status 7',
    ]);
  });

  it('a KILL_PROCESS action: the event is reported, sigsys says "killed by seccomp (SIGSYS)" and exits 159', async () => {
    const out = join(dir, 'kill.ndjson');
    const r = await sigsysRun(['--profile', killProfile, '--out', out], [workload(), 'keyctl=1', 'acct=1', 'getpid=1']);
    expect(r.code).toBe(128 + 31);
    expect(r.stdout).not.toMatch(/^acct /m); // never returned
    expect(r.stdout).toMatch(/^keyctl ret=-1 errno=38 /m);
    const events = await readEvents(out);
    expect(events.map((e) => [e.syscall, e.action, e.outcome, e.errno])).toEqual([
      ['keyctl', 'errno', 'denied', 38],
      ['acct', 'kill_process', 'killed', 0],
    ]);
    expect(r.stderr).toMatch(/^acct\s+1\s+kill_process\s+killed\s/m);
    expect(r.stderr).toMatch(/^keyctl\s+1\s+errno\(ENOSYS\)\s+denied\s/m);
    expect(r.stderr.trimEnd().split('\n').pop()).toBe(
      `sigsys: 2 violations of 2 syscalls in 1 process (enforce, profile ${killProfile}); killed by seccomp (SIGSYS), exit status 159`,
    );
  });

  it('audit mode: the denied calls run and are reported as allowed', async () => {
    const out = join(dir, 'audit.ndjson');
    const r = await sigsysRun(['--mode', 'audit', '--out', out, '--json'], [workload(), 'keyctl=2', 'setns=1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^keyctl ret=-1 errno=22 /m); // the real kernel answer (EINVAL), not EPERM
    expect(r.stdout).toMatch(/^setns ret=-1 errno=9 /m); // EBADF from the real call
    const events = await readEvents(out);
    expect(events.map((e) => [e.syscall, e.outcome, e.mode])).toEqual([
      ['keyctl', 'allowed', 'audit'],
      ['keyctl', 'allowed', 'audit'],
      ['setns', 'allowed', 'audit'],
    ]);
    const summary = JSON.parse(r.stdout.trimEnd().split('\n').pop()!);
    expect(summary).toMatchObject({ violations: 3, syscalls: 2, processes: 1, mode: 'audit', profile: 'default.json', exit: { code: 0, signal: null, status: 0 } });
    expect(summary.rows.map((x: { syscall: string; count: number }) => [x.syscall, x.count])).toEqual([['keyctl', 2], ['setns', 1]]);
  });

  it('a forked child keeps reporting into the same ring: two processes in the verdict', async () => {
    const out = join(dir, 'fork.ndjson');
    const r = await sigsysRun(['--out', out], [workload(), 'fork', 'acct=1']);
    expect(r.code).toBe(0);
    const pids = pidsOf(r.stdout);
    const events = await readEvents(out);
    expect(events.map((e) => e.syscall)).toEqual(['acct', 'acct']);
    expect(new Set(events.map((e) => e.pid)).size).toBe(2);
    expect(events.every((e) => e.ringPid === pids[0])).toBe(true);
    expect(r.stderr).toMatch(/sigsys: 2 violations of 1 syscall in 2 processes /);
  });

  it('execve keeps reporting: the new image writes a new ring under the same pid', async () => {
    const out = join(dir, 'exec.ndjson');
    const r = await sigsysRun(['--out', out], [workload(), 'acct=1', 'exec', workload(), 'keyctl=2']);
    expect(r.code).toBe(0);
    const [pid, pid2] = pidsOf(r.stdout);
    expect(pid2).toBe(pid);
    const events = await readEvents(out);
    expect(events.map((e) => [e.syscall, e.pid, e.ringPid, e.seq]).sort()).toEqual([
      ['acct', pid, pid, 0],
      ['keyctl', pid, pid, 0],
      ['keyctl', pid, pid, 1],
    ]);
    // The two images share pid and seq 0; the ring start time keeps the dedup key unique.
    const keys = new Set(events.map((e) => `${e.host}/${e.bootId}/${e.ringPid}/${e.ringStartNs}/${e.seq}`));
    expect(keys.size).toBe(events.length);
    const starts = new Set(events.map((e) => e.ringStartNs));
    expect(starts.size).toBe(2);
    expect([...starts].every((s) => BigInt(s) > 0n)).toBe(true);
    expect(r.stderr).toMatch(/sigsys: 3 violations of 2 syscalls in 1 process /);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const)('%s to sigsys is forwarded: the workload dies by it and sigsys exits %i saying so', async (sig, status) => {
    const go = join(dir, 'never-created');
    const p = spawnCli(main, ['run', '--', workload(), 'acct=1', `wait=${go}`], { env: { SIGSYS_LOG_LEVEL: 'warn' } });
    await until('the workload to start', () => /acct ret=/.test(p.stdout()) || undefined);
    p.child.kill(sig);
    const exit = await p.exit;
    expect(exit.code).toBe(status);
    expect(p.stderr().trimEnd().split('\n').pop()).toBe(
      `sigsys: 1 violation of 1 syscall in 1 process (enforce, profile default.json); killed by signal ${sig}, exit status ${status}`,
    );
  });

  it('an existing LD_PRELOAD is kept (sigsys is appended) and the spool is removed unless --keep-spool', async () => {
    const r = await sigsysRun(['--keep-spool'], [workload(), 'acct=1'], { LD_PRELOAD: 'libm.so.6' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/sigsys: 1 violation of 1 syscall in 1 process/);
    const kept = /spool kept in (\S+)/.exec(r.stderr)?.[1];
    expect(kept && existsSync(kept)).toBe(true);
    await rm(join(kept!, '..'), { recursive: true, force: true });
  });

  it('a burst larger than the ring: every call is either an event or counted as dropped, none silently lost', async () => {
    const out = join(dir, 'burst.ndjson');
    const N = 30_000; // the default ring holds 8192 records
    // SIGSYS_HOT=0: every call a full event (no hot-loop counting), so the ring overflows.
    const r = await sigsysRun(['--out', out, '--json'], [workload(), `keyctl=${N}`], { SIGSYS_HOT: '0' });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trimEnd().split('\n').pop()!);
    const events = await readEvents(out);
    expect(events.length).toBe(summary.violations);
    expect(summary.violations + summary.dropped).toBe(N);
    expect(summary.corrupt + summary.torn).toBe(0);
    // what was delivered is in ticket order without gaps
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i));
  });

  it('--ring-records sizes the ring: a burst that fits loses nothing', async () => {
    const out = join(dir, 'big-ring.ndjson');
    const r = await sigsysRun(['--out', out, '--json', '--ring-records', '65536'], [workload(), 'keyctl=30000'], { SIGSYS_HOT: '0' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trimEnd().split('\n').pop()!)).toMatchObject({ violations: 30_000, dropped: 0 });
    expect((await readEvents(out)).length).toBe(30_000);
  });

  it.each([
    ['no command', [], /no command given/, 2],
    ['a bad mode', ['--mode', 'strict', '--', 'true'], /--mode must be enforce or audit/, 2],
    ['a bad ring size', ['--ring-records', 'lots', '--', 'true'], /--ring-records must be an integer/, 2],
    ['a command that does not exist', ['--', '/nonexistent/sigsys-nope'], /cannot start .*nope/, 127],
    ['an --out that cannot be written', ['--out', '/nonexistent/dir/events.ndjson', '--', 'true'], /--out \/nonexistent\/dir\/events.ndjson: .*ENOENT/, 2],
  ])('usage errors are one line with an exit code: %s', async (_n, args, msg, code) => {
    const p = spawnCli(main, ['run', ...args]);
    const exit = await p.exit;
    expect(p.stderr()).toMatch(msg);
    expect(p.stderr().trim().split('\n')).toHaveLength(1);
    expect(exit.code).toBe(code);
  });

  it('writes NDJSON to stdout with --out -', async () => {
    await writeFile(join(dir, 'x'), '');
    const r = await sigsysRun(['--out', '-'], [workload(), 'acct=2']);
    const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ViolationEvent);
    expect(events.map((e) => e.syscall)).toEqual(['acct', 'acct']);
  });
});
