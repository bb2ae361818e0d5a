/**
 * collect-supervisor: `sigsys collect` on a spool that sigsys-exec's
 * supervisor writes into (a static program, no preload): the supervisor
 * ring is attributed from the kernel's view - the supervisor maps it, the
 * workload is its child - so its events arrive verified, as the workload's
 * own, with source "supervisor".
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViolationEvent } from '../src/events/types.js';
import { ensureDist, spawnCli, until, type CliProcess } from './collector-helpers.js';
import { buildFixtures, compilePolicy, defaultProfile, sigsysExec, tempDir, type Fixtures } from './confine-helpers.js';

let main: string;
let fx: Fixtures;
let dir: string;
const procs: CliProcess[] = [];

beforeAll(async () => {
  main = await ensureDist();
  fx = await buildFixtures();
  dir = await tempDir('sigsys-collect-sup-');
});
afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('sigsys collect and the supervisor', () => {
  it("a static program under sigsys-exec: its supervisor ring is verified and its denied calls arrive under the program's own identity", async () => {
    const spool = join(dir, 'spool');
    const out = join(dir, 'events.ndjson');
    await mkdir(spool);
    await chmod(spool, 0o1777);
    const policy = await compilePolicy(main, defaultProfile, 'enforce', join(dir, 'default.policy'));
    const c = spawnCli(main, ['collect', '--spool', spool, '--out', out, '--no-remove'], { env: { SIGSYS_LOG_LEVEL: 'info' } });
    procs.push(c);
    await until('the collector to start', () => /"msg":"collecting"/.test(c.stderr()) || undefined);

    // acct and unshare are denied and reported; then the program waits, alive, for a signal.
    const wl = spawn(sigsysExec(), ['--spool', spool, policy, '--', fx.deniedStatic, 'acct', 'unshare', 'pause'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    wl.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await until('the workload to be ready', () => stdout.includes('ready') || undefined);
    const events = () =>
      existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as ViolationEvent) : [];
    await until('both events', () => events().length === 2 || undefined);
    const exited = new Promise<number | null>((r) => wl.once('exit', (code) => r(code)));
    wl.kill('SIGTERM'); // forwarded by sigsys-exec to the workload

    const ev = events();
    expect(ev.map((e) => [e.syscall, e.errno, e.outcome, e.source, e.identity])).toEqual([
      ['acct', 1, 'denied', 'supervisor', 'verified'],
      ['unshare', 1, 'denied', 'supervisor', 'verified'],
    ]);
    const pid = ev[0]!.pid;
    expect(pid).not.toBe(wl.pid); // the workload, not its supervisor
    expect(ev[0]).toMatchObject({ exe: fx.deniedStatic, ringPid: pid, writerUid: 0, workload: fx.deniedStatic });
    expect(await exited).not.toBeNull();
    c.child.kill('SIGTERM');
    expect((await c.exit).code).toBe(0);
  });
});
