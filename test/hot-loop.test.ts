/**
 * Hot loops counted at the source (docs/ring.md "Hot loops"): a program
 * repeating one denied call from one call site writes a few full events,
 * then only bumps a counter in its ring; the collector turns the counts into
 * count records (Violation.repeat, field 36).  Every total stays exact:
 * NDJSON (sum of `repeat ?? 1`), the `sigsys run` report, Prometheus, and
 * across a collector SIGKILL + restart.  Real preload, real filters, real
 * threads, fork and exec.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventCalls, type ViolationEvent } from '../src/events/types.js';
import { preloadPath } from '../src/native/loader.js';
import { ensureDist, root, spawnCli, tool, until, type CliProcess } from './collector-helpers.js';
import { freePort } from './services/prometheus/prometheus.js';

let main: string;
let dir: string;
const procs: CliProcess[] = [];
const workload = () => tool('sigsys-wl-calls');

beforeAll(async () => {
  main = await ensureDist();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigsys-hot-'));
});
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function ndjson(path: string): Promise<ViolationEvent[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  // a SIGKILL can leave a partial last line
  return text.split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as ViolationEvent);
}

/** Calls per syscall: count records count `repeat` calls. */
function callsBySyscall(events: ViolationEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.syscall] = (out[e.syscall] ?? 0) + eventCalls(e);
  return out;
}

/** The same event delivered twice (an unacknowledged batch) is one event. */
function dedupe(events: ViolationEvent[]): ViolationEvent[] {
  const seen = new Map<string, ViolationEvent>();
  for (const e of events) {
    const k = `${e.ringPid}/${e.ringStartNs}/${e.seq}`;
    const prev = seen.get(k);
    if (prev) expect(prev).toEqual(e); // a duplicate is an exact copy, never a different count
    else seen.set(k, e);
  }
  return [...seen.values()];
}

function collect(args: string[], spool: string): CliProcess {
  const p = spawnCli(main, ['collect', '--spool', spool, ...args], { env: { SIGSYS_LOG_LEVEL: 'warn' } });
  procs.push(p);
  return p;
}

async function compileDefault(): Promise<string> {
  const policy = join(dir, 'default.policy');
  const c = spawnCli(main, ['compile', join(root, 'deploy/profiles/default.json'), '-o', policy]);
  expect((await c.exit).code).toBe(0);
  return policy;
}

function runPreloaded(args: string[], policy: string, spool: string): Promise<number | null> {
  const env = { ...process.env, LD_PRELOAD: preloadPath(), SIGSYS_POLICY: policy, SIGSYS_SPOOL: spool };
  return new Promise((resolve) => {
    const w = spawn(workload(), args, { env, stdio: 'ignore' });
    w.once('exit', (code) => resolve(code));
  });
}

async function metric(port: number, syscall: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('sigsys_violations_total{') && line.includes(`syscall="${syscall}"`)) n += Number(line.split(' ').pop());
  return n;
}

describe('hot loops counted at the source', () => {
  it('sigsys run: 4 threads, fork and exec in a denied-call loop: exact totals in NDJSON and the report, nothing dropped, few records', async () => {
    const out = join(dir, 'events.ndjson');
    // keyctl: 4 x 25000 in the first process; after fork, parent and child
    // each make 10000 unshare calls, then exec a new image that makes 5000
    // keyctl calls each (new rings).  keyctl 110000, unshare 20000.
    const w = workload();
    const p = spawnCli(main, ['run', '--out', out, '--json', '--', w, 'threads=4', 'keyctl=25000', 'threads=1', 'fork', 'unshare=10000', 'exec', w, 'keyctl=5000'], {
      env: { SIGSYS_LOG_LEVEL: 'warn' },
    });
    const r = await p.exit;
    expect(r.code).toBe(0);
    const summary = JSON.parse(p.stdout().trimEnd().split('\n').pop()!) as { violations: number; dropped: number; rows: { syscall: string; count: number }[] };
    const events = await ndjson(out);
    expect(callsBySyscall(events)).toEqual({ keyctl: 110_000, unshare: 20_000 });
    expect(summary.violations).toBe(130_000);
    expect(summary.dropped).toBe(0);
    expect(Object.fromEntries(summary.rows.map((x) => [x.syscall, x.count]))).toEqual({ keyctl: 110_000, unshare: 20_000 });
    // counted, not written one by one: far fewer records than calls
    expect(events.length).toBeLessThan(2000);
    const counts = events.filter((e) => e.repeat);
    expect(counts.length).toBeGreaterThan(0);
    for (const e of counts) expect(e).toMatchObject({ action: 'errno', outcome: 'denied', errno: 1 });
    // every process (parent, child, and their exec'd images) has its own full events first
    expect(new Set(events.filter((e) => !e.repeat).map((e) => `${e.pid}/${e.ringStartNs}/${e.syscall}`)).size).toBe(5);
  });

  it('sigsys run: a long denied-call loop does not keep the collector busy: count records come at the flush interval, not at every poll', async () => {
    // 1M calls, seconds of looping.  Were the counts flushed on every poll,
    // each flush would be news, so the collector would poll again at once:
    // a count record every ~0.1-0.2 ms (tens of thousands here, 250k in the
    // 10M-call loop of bench/loop).  At one flush per 100 ms per ring it is
    // about ten a second.
    const out = join(dir, 'events.ndjson');
    const p = spawnCli(main, ['run', '--out', out, '--json', '--', workload(), 'keyctl=1000000'], { env: { SIGSYS_LOG_LEVEL: 'warn' } });
    procs.push(p);
    expect((await p.exit).code).toBe(0);
    const events = await ndjson(out);
    expect(callsBySyscall(events)).toEqual({ keyctl: 1_000_000 });
    expect(events.filter((e) => e.repeat).length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(500);
  });

  it.each([
    ['the fast line reader, one thread', { workers: 1, fast: true }],
    ['JSON.parse, one thread', { workers: 1, fast: false }],
    ['the fast line reader, two threads', { workers: 2, fast: true }],
  ])('sigsys report of a counted run (%s): the rows, call sites and timeline hold every call', async (_n, opts) => {
    const out = join(dir, 'events.ndjson');
    const w = workload();
    const p = spawnCli(main, ['run', '--out', out, '--', w, 'threads=2', 'keyctl=20000', 'threads=1', 'unshare=3000'], { env: { SIGSYS_LOG_LEVEL: 'warn' } });
    expect((await p.exit).code).toBe(0);
    expect((await ndjson(out)).some((e) => e.repeat)).toBe(true);
    // The built modules: parser threads load dist/report/parse-worker.js.
    const { createReportFold } = (await import(join(root, 'dist/report/model.js'))) as typeof import('../src/report/model.js');
    const { readEventsFile } = (await import(join(root, 'dist/report/parallel.js'))) as typeof import('../src/report/parallel.js');
    const fold = createReportFold();
    await readEventsFile(out, fold, opts);
    const m = fold.build({ title: 't', source: out });
    expect(m.events).toBe(43_000);
    expect(Object.fromEntries(m.rows.map((r) => [r.syscall, r.count]))).toEqual({ keyctl: 40_000, unshare: 3_000 });
    expect(m.callSites.reduce((n, c) => n + c.count, 0)).toBe(43_000);
    expect(m.timeline.series.reduce((n, x) => n + x.total, 0)).toBe(43_000);
  });

  it('sigsys collect: Prometheus sigsys_violations_total is the exact number of calls of threads and a forked child', async () => {
    const spool = join(dir, 'spool');
    await mkdir(spool);
    const policy = await compileDefault();
    const port = await freePort();
    const c = collect(['--metrics-port', String(port), '--metrics-host', '127.0.0.1', '--no-remove'], spool);
    await until('metrics server', async () => ((await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined))?.ok ? true : undefined));
    expect(await runPreloaded(['threads=4', 'keyctl=50000', 'threads=1', 'fork', 'acct=20000'], policy, spool)).toBe(0);
    await until('exact keyctl total', async () => ((await metric(port, 'keyctl')) === 200_000 ? true : undefined), 30_000, 50);
    await until('exact acct total', async () => ((await metric(port, 'acct')) === 40_000 ? true : undefined), 30_000, 50);
    c.child.kill('SIGTERM');
    expect((await c.exit).code).toBe(0);
  });

  it('collector SIGKILLed while counts are flowing, then restarted: the NDJSON total is exact, duplicates are only exact copies', async () => {
    const spool = join(dir, 'spool');
    await mkdir(spool);
    const policy = await compileDefault();
    const out = join(dir, 'events.ndjson');
    const go = join(dir, 'go');
    const c1 = collect(['--out', out, '--no-remove'], spool);
    // 2 threads x 50000 keyctl, twice; the second round only after the kill.
    const done = runPreloaded(['threads=2', 'keyctl=50000', `wait=${go}`, 'keyctl=50000'], policy, spool);
    await until('a count record from the first collector', async () => ((await ndjson(out)).some((e) => e.repeat) ? true : undefined), 30_000, 20);
    c1.child.kill('SIGKILL');
    await c1.exit;
    const before = callsBySyscall(dedupe(await ndjson(out))).keyctl ?? 0;
    expect(before).toBeGreaterThan(0);
    await writeFile(go, '');
    expect(await done).toBe(0);
    const c2 = collect(['--out', out, '--no-remove'], spool);
    await until('every call in the NDJSON', async () => ((callsBySyscall(dedupe(await ndjson(out))).keyctl ?? 0) >= 200_000 ? true : undefined), 30_000, 50);
    c2.child.kill('SIGTERM');
    expect((await c2.exit).code).toBe(0);
    expect(callsBySyscall(dedupe(await ndjson(out)))).toEqual({ keyctl: 200_000 });
  });
});
