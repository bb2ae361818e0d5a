/**
 * `sigsys collect` as a real daemon process: a real Prometheus server scrapes
 * it and PromQL returns the counts of the events in the spool; SIGTERM
 * commits and exits 0; SIGKILL mid-stream and a restart lose nothing (the
 * NDJSON seq numbers show every event, duplicates only for one
 * unacknowledged batch).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ViolationEvent } from '../src/events/types.js';
import { ensureDist, readU64, RING, ringfill, ringfillLive, root, spawnCli, tool, until, type CliProcess } from './collector-helpers.js';
import { preloadPath } from '../src/native/loader.js';
import { freePort, startPrometheus } from './services/prometheus/prometheus.js';

let main: string;
let dir: string;
let spool: string;
const procs: CliProcess[] = [];

beforeAll(async () => {
  main = await ensureDist();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigsys-collect-'));
  spool = join(dir, 'spool');
});
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function collect(args: string[], spoolDir = spool): CliProcess {
  const p = spawnCli(main, ['collect', '--spool', spoolDir, ...args], { env: { SIGSYS_LOG_LEVEL: 'info' } });
  procs.push(p);
  return p;
}
async function ndjson(path: string): Promise<ViolationEvent[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  // a SIGKILL can leave a partial last line; the restart appends after it
  return text.split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as ViolationEvent);
}

describe('sigsys collect', () => {
  it('a real Prometheus scraping sigsys collect sees sigsys_violations_total per syscall; SIGTERM commits and exits 0', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(spool);
    const fill = await ringfill(spool, 1000); // nr = i % 450: nr 0 (read) three times
    const port = await freePort();
    const c = collect(['--metrics-port', String(port), '--no-remove']);
    const prom = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
    try {
      const read = await prom.waitFor('sigsys_violations_total{syscall="read"}', (r) => r[0]?.value === 3);
      // sigsys-ringfill exited before the collector started: never seen
      // alive, so its claimed container is not a label; its writer's uid is.
      expect(read[0]!.metric).toMatchObject({
        syscall: 'read', action: 'errno', outcome: 'denied', identity: 'unverified', workload: `unverified:uid-${process.getuid!()}`,
      });
      await prom.waitFor('sum(sigsys_violations_total)', (r) => r[0]?.value === 1000);
      await prom.waitFor('sigsys_spool_lag_events', (r) => r[0]?.value === 0);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await prom.stop();
    }
    c.child.kill('SIGTERM');
    expect(await c.exit).toEqual({ code: 0, signal: null });
    expect(await readU64(fill.path, RING.off.cursor)).toBe(1000n);
    expect(c.stderr()).toMatch(/"msg":"stopped"/);
  });

  it('real workloads under the preload: Prometheus gets per-syscall counts; their rings are removed once they exit and are drained', async () => {
    const { mkdir, readdir } = await import('node:fs/promises');
    const { spawn } = await import('node:child_process');
    await mkdir(spool);
    const policy = join(dir, 'default.policy');
    const compile = spawnCli(main, ['compile', join(root, 'deploy/profiles/default.json'), '-o', policy]);
    expect((await compile.exit).code).toBe(0);
    const port = await freePort();
    const c = collect(['--metrics-port', String(port)]);
    const prom = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
    try {
      const env = { ...process.env, LD_PRELOAD: preloadPath(), SIGSYS_POLICY: policy, SIGSYS_SPOOL: spool };
      // The workloads wait (ring mapped) until the collector has checked them
      // against /proc: verified, their exe is their workload.
      const go = join(dir, 'go');
      const runs = [['acct=3', 'keyctl=2'], ['acct=1', 'fork', 'setns=1']].map(
        (args) =>
          new Promise<number | null>((resolve) => {
            const w = spawn(tool('sigsys-wl-calls'), [`wait=${go}`, ...args], { env, stdio: 'ignore' });
            w.once('exit', (code) => resolve(code));
          }),
      );
      const metricsText = () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
      await until('both rings verified', async () => /sigsys_rings_identity\{identity="verified"\} 2\b/.test(await metricsText()) || undefined);
      await writeFile(go, '');
      expect(await Promise.all(runs)).toEqual([0, 0]);
      const acct = await prom.waitFor('sigsys_violations_total{syscall="acct"}', (r) => r[0]?.value === 4);
      expect(acct[0]!.metric).toMatchObject({ action: 'errno', outcome: 'denied', identity: 'verified', workload: tool('sigsys-wl-calls') });
      await prom.waitFor('sigsys_violations_total{syscall="keyctl"}', (r) => r[0]?.value === 2);
      await prom.waitFor('sigsys_violations_total{syscall="setns"}', (r) => r[0]?.value === 2); // parent and forked child
      await prom.waitFor('sigsys_rings_removed_total', (r) => r[0]?.value === 2);
      expect((await readdir(spool)).filter((f) => f.endsWith('.ring'))).toEqual([]);
    } finally {
      await prom.stop();
    }
    c.child.kill('SIGTERM');
    expect((await c.exit).code).toBe(0);
  });

  it('killed with SIGKILL mid-stream and restarted: no event lost, duplicates only from the one unacknowledged batch', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(spool);
    const out = join(dir, 'events.ndjson');
    const TOTAL = 200_000;
    // A live producer that blocks on a small ring: the stream lasts as long as the collector takes.
    const live = await ringfillLive(spool, TOTAL, { records: 1024, block: true });
    const c1 = collect(['--out', out, '--no-remove']);
    live.go();
    // ~600 bytes a line: a cheap stat instead of parsing the file every few ms
    await until('the collector to be mid-stream', () => (existsSync(out) && statSync(out).size > 3_000_000) || undefined, 30_000, 5);
    c1.child.kill('SIGKILL');
    await c1.exit;
    const atKill = (await ndjson(out)).length;
    expect(atKill).toBeLessThan(TOTAL); // really mid-stream
    expect(atKill).toBeGreaterThan(1000);
    const c2 = collect(['--out', out, '--no-remove']);
    const res = await live.done();
    expect(res).toMatchObject({ pushed: TOTAL });
    await until('every event in the NDJSON', async () => (new Set((await ndjson(out)).map((e) => e.seq)).size === TOTAL ? true : undefined), 60_000, 50);
    c2.child.kill('SIGTERM');
    expect((await c2.exit).code).toBe(0);
    const seqs = (await ndjson(out)).map((e) => e.seq);
    const seen = new Map<number, number>();
    for (const s of seqs) seen.set(s, (seen.get(s) ?? 0) + 1);
    expect(seen.size).toBe(TOTAL);
    expect(range(TOTAL).every((s) => seen.has(s))).toBe(true);
    const dups = [...seen].filter(([, n]) => n > 1).map(([s]) => s).sort((a, b) => a - b);
    // at most one batch (the one written but not committed when killed), contiguous
    expect(dups.length).toBeLessThanOrEqual(1024);
    if (dups.length) expect(dups[dups.length - 1]! - dups[0]!).toBe(dups.length - 1);
    expect([...seen.values()].every((n) => n <= 2)).toBe(true);
    expect(await readU64(res.path, RING.off.cursor)).toBe(BigInt(TOTAL));
  });

  it('one collector per spool: a second one refuses with one line; after the first is SIGKILLed its lock is taken over', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(spool);
    const metricsOnly = ['--metrics-port', '0', '--metrics-host', '127.0.0.1'];
    const first = collect(metricsOnly);
    await until('the first collector to hold the lock', () => existsSync(join(spool, '.sigsys-collect.lock')) || undefined);
    const second = collect(metricsOnly);
    expect((await second.exit).code).toBe(1);
    expect(second.stderr().trim()).toBe(`sigsys: spool ${spool}: already collected by pid ${first.child.pid} (${join(spool, '.sigsys-collect.lock')}); one collector per spool`);
    first.child.kill('SIGKILL');
    await first.exit;
    const fill = await ringfill(spool, 10);
    const third = collect(['--no-remove', ...metricsOnly]);
    await until('the third collector to commit', async () => ((await readU64(fill.path, RING.off.cursor)) === 10n ? true : undefined));
    third.child.kill('SIGTERM');
    expect((await third.exit).code).toBe(0);
    expect(existsSync(join(spool, '.sigsys-collect.lock'))).toBe(false);
  });

  it('a metrics port in use: one line, exit 1, and the spool is not left locked', async () => {
    const { mkdir } = await import('node:fs/promises');
    const { createServer } = await import('node:net');
    await mkdir(spool);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const { port } = busy.address() as { port: number };
    try {
      const c = collect(['--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
      expect((await c.exit).code).toBe(1);
      expect(c.stderr().trim().split('\n').pop()).toMatch(new RegExp(`^sigsys: collect: metrics server on 127.0.0.1:${port}: .*EADDRINUSE`));
      expect(existsSync(join(spool, '.sigsys-collect.lock'))).toBe(false);
    } finally {
      busy.close();
    }
  });

  it('a missing spool is created with its parents; the spool itself sticky and world-writable (1777) whatever the umask', async () => {
    const nested = join(spool, 'a', 'spool');
    const c = collect(['--out', join(spool, 'x.ndjson')], nested);
    await until('the collector to hold the lock', () => existsSync(join(nested, '.sigsys-collect.lock')) || undefined);
    expect(statSync(nested).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(spool, 'a')).mode & 0o7777).toBe(0o755);
    c.child.kill('SIGTERM');
    expect((await c.exit).code).toBe(0);
  });

  it.each([
    ['under /proc (where mkdir -p never returns)', '/proc/sigsys-nope/spool', /^sigsys: collect: cannot create spool \/proc\/sigsys-nope\/spool: .*ENOENT/],
    ['below a regular file', '/etc/hostname/spool', /^sigsys: collect: spool \/etc\/hostname\/spool: cannot look at .*ENOTDIR/],
  ])('a spool that cannot be created: %s -> one line, exit 1', async (_n, spoolDir, msg) => {
    const p = spawnCli(main, ['collect', '--spool', spoolDir, '--out', join(spool, 'x.ndjson')]);
    procs.push(p);
    expect((await p.exit).code).toBe(1);
    expect(p.stderr().trim().split('\n')).toEqual([expect.stringMatching(msg)]);
  });

  it.each([
    ['no --spool', [], /--spool DIR is required/],
    ['a bad port', ['--spool', '/tmp', '--metrics-port', 'http'], /--metrics-port must be an integer/],
    ['--topic without --kafka', ['--spool', '/tmp', '--topic', 't'], /--topic needs --kafka/],
    ['no destination (events would be thrown away)', ['--spool', '/tmp'], /nowhere to send events/],
    ['a bad --kafka-format', ['--spool', '/tmp', '--kafka', '127.0.0.1:1', '--kafka-format', 'json'], /--kafka-format must be batch or violation/],
  ])('usage errors: %s -> one line, exit 2', async (_n, args, msg) => {
    const p = spawnCli(main, ['collect', ...args]);
    procs.push(p);
    expect((await p.exit).code).toBe(2);
    expect(p.stderr()).toMatch(msg);
    expect(p.stderr().trim().split('\n')).toHaveLength(1);
  });
});
