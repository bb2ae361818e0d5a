/**
 * The whole fleet path with real processes: spool rings written by the real
 * producer code (sigsys-ringfill) -> `sigsys collect --kafka` -> the real
 * broker -> `sigsys aggregate`.  Exactly once after dedup, a collector
 * SIGKILLed mid-stream, and a broker that is down while events wait in the ring.
 */
import { existsSync, mkdtempSync as mkdtempRaw, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { execFile } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { suggestionFileName, type Report } from '../src/aggregate/aggregator.js';
import { RING, readU64, ringfill, ringfillLive, root, tool } from './collector-helpers.js';
import {
  getJson,
  sharedBroker,
  spawnCli,
  startAggregator,
  startBroker,
  stopBroker,
  uniqueTopic,
  waitFor,
  type CliProcess,
} from './services/kafka/harness.js';

const haveRingfill = existsSync(tool('sigsys-ringfill'));
const havePreload = existsSync(tool('libsigsys.so')) && existsSync(tool('sigsys-wl-calls'));
const pexec = promisify(execFile);
const children: CliProcess[] = [];
const tempDirs: string[] = [];
/** A temp dir removed when the file's tests are done. */
function mkdtempSync(prefix: string): string {
  const d = mkdtempRaw(prefix);
  tempDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await c.exited;
  }
});

async function report(url: string): Promise<Report> {
  return (await getJson<Report>(`${url}/report`)).body;
}

async function collect(args: string[]): Promise<CliProcess> {
  const p = await spawnCli(['collect', '--no-remove', '--poll-ms', '20', ...args]);
  children.push(p);
  return p;
}

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

describe.skipIf(!haveRingfill)('sigsys collect -> Kafka -> sigsys aggregate (real processes)', () => {
  let broker: string;
  let dir: string;
  beforeAll(async () => {
    broker = await sharedBroker();
  });

  it.each([
    ['one sigsys.v1.Violation per message (--kafka-format violation)', ['--kafka-format', 'violation']],
    ['sigsys.v1.Batch values (the default)', []],
  ])('events from real rings arrive at the aggregator exactly once and the rings are committed: %s', async (_name, extra) => {
    dir = mkdtempSync(join(tmpdir(), 'sigsys-kcollect-'));
    const spool = join(dir, 'spool');
    await mkdir(spool);
    const topic = uniqueTopic('collect');
    const fills = [await ringfill(spool, 1500, { records: 2048 }), await ringfill(spool, 500, { threads: 2, records: 2048 })];
    const total = fills.reduce((s, f) => s + f.pushed, 0);
    expect(total).toBe(2500);
    expect(fills.map((f) => f.dropped)).toEqual([0, 0]);
    await collect(['--spool', spool, '--kafka', broker, '--topic', topic, ...extra]);
    const agg = await startAggregator(['--kafka', broker, '--topic', topic, '--group', `g-${topic}`]);
    children.push(agg);
    const r = await waitFor(async () => {
      const rep = await report(agg.url);
      return rep.events === total ? rep : undefined;
    }, { timeoutMs: 60_000, what: `${total} events at the aggregator` });
    expect(r.duplicates).toBe(0);
    expect(r.undecodable).toBe(0);
    expect(r.rows.reduce((s, x) => s + x.count, 0)).toBe(total);
    expect(r.rows.every((x) => x.action === 'errno' && x.outcome === 'denied')).toBe(true);
    for (const f of fills) {
      await waitFor(async () => (await readU64(f.path, RING.off.cursor)) === BigInt(f.pushed), { what: `cursor of ${f.path}` });
    }
  });

  it('collector SIGKILLed mid-stream and restarted: nothing lost, duplicates removed by the aggregator', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigsys-kcollect-kill-'));
    const spool = join(dir, 'spool');
    await mkdir(spool);
    const topic = uniqueTopic('collect-kill');
    const TOTAL = 60_000;
    const agg = await startAggregator(['--kafka', broker, '--topic', topic, '--group', `g-${topic}`]);
    children.push(agg);
    // A producer that blocks on a small ring: the stream lasts as long as the collector takes.
    const live = await ringfillLive(spool, TOTAL, { records: 1024, block: true });
    const c1 = await collect(['--spool', spool, '--kafka', broker, '--topic', topic]);
    live.go();
    await waitFor(async () => (await report(agg.url)).events >= 5000, { timeoutMs: 60_000, intervalMs: 20, what: 'the collector mid-stream' });
    c1.child.kill('SIGKILL');
    await c1.exited;
    const atKill = (await report(agg.url)).events;
    expect(atKill).toBeLessThan(TOTAL);

    await collect(['--spool', spool, '--kafka', broker, '--topic', topic]);
    const res = await live.done();
    expect(res.pushed).toBe(TOTAL);
    const r = await waitFor(async () => {
      const rep = await report(agg.url);
      return rep.events === TOTAL ? rep : undefined;
    }, { timeoutMs: 120_000, intervalMs: 200, what: `${TOTAL} distinct events` });
    expect(r.rows.reduce((s, x) => s + x.count, 0)).toBe(TOTAL);
    await waitFor(async () => (await readU64(res.path, RING.off.cursor)) === BigInt(TOTAL), { what: 'ring cursor at the end' });
    // Whatever was re-sent (the batch in flight at the kill) was counted as duplicate, never twice.
    const after = await report(agg.url);
    expect(after.events).toBe(TOTAL);
  }, 240_000);
});

describe.skipIf(!havePreload)('real processes under the preload -> sigsys collect -> Kafka -> sigsys aggregate', () => {
  it('the fleet report and suggestions match exactly the denials the workloads made (forked child included)', async () => {
    const broker = await sharedBroker();
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-kreal-'));
    const spool = join(dir, 'spool');
    const suggest = join(dir, 'suggest');
    await mkdir(spool);
    const policy = join(dir, 'default.policy');
    const comp = await spawnCli(['compile', join(root, 'deploy/profiles/default.json'), '-o', policy]);
    expect(await comp.exited).toBe(0);
    const topic = uniqueTopic('real');
    await collect(['--spool', spool, '--kafka', broker, '--topic', topic]);
    const agg = await startAggregator(['--kafka', broker, '--topic', topic, '--group', `g-${topic}`, '--suggest', suggest]);
    children.push(agg);

    const wl = tool('sigsys-wl-calls');
    const env = { ...process.env, LD_PRELOAD: tool('libsigsys.so'), SIGSYS_POLICY: policy, SIGSYS_SPOOL: spool };
    // acct and keyctl are denied (EPERM) by the default profile, getpid is allowed.
    const runs = [
      ['acct=3', 'keyctl=2', 'getpid=2'], // acct 3, keyctl 2
      ['keyctl=4', 'fork', 'acct=2'], // keyctl 4, acct 2 in the parent + 2 in the child
      ['acct=1', 'getpid=5'], // acct 1
    ];
    for (const args of runs) {
      const { stdout } = await pexec(wl, args, { env });
      expect(stdout).toMatch(/^acct ret=-1 errno=1 /m);
    }
    const r = await waitFor(async () => {
      const rep = await report(agg.url);
      return rep.events >= 14 ? rep : undefined;
    }, { timeoutMs: 60_000, what: '14 violations at the aggregator' });
    expect(r.events).toBe(14);
    expect(r.duplicates).toBe(0);
    expect(r.rows.map((x) => [x.workload, x.syscall, x.action, x.outcome, x.count, x.hosts])).toEqual([
      [wl, 'acct', 'errno', 'denied', 8, [hostname()]],
      [wl, 'keyctl', 'errno', 'denied', 6, [hostname()]],
    ]);
    agg.child.kill('SIGTERM');
    expect(await agg.exited).toBe(0);
    const file = join(suggest, suggestionFileName(wl));
    const sug = JSON.parse(readFileSync(file, 'utf8'));
    expect(sug.syscalls[0].names).toEqual(['acct', 'keyctl']);
    expect(sug.comment).toMatch(/^SUGGESTION/);
  }, 120_000);
});

describe.skipIf(!haveRingfill)('broker down: events wait in the ring, and flow when it is back (own broker)', () => {
  // Created by kafka.sh start, removed by stop (not at collection time: a filtered run leaves nothing).
  const stateDir = join(tmpdir(), `sigsys-kafka-down-${process.pid}-${Date.now().toString(36)}`);
  afterAll(async () => {
    await stopBroker(stateDir);
  });

  it('the cursor stays put and /healthz says degraded while Kafka is unreachable; all events arrive after it starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-kcollect-down-'));
    const spool = join(dir, 'spool');
    await mkdir(spool);
    const port = await freePort();
    const topic = uniqueTopic('collect-down');
    const fill = await ringfill(spool, 1000);
    const c = await collect(['--spool', spool, '--kafka', `127.0.0.1:${port}`, '--topic', topic, '--metrics-port', '0']);
    const metricsPort = await waitFor(() => c.logs().find((l) => typeof l.port === 'number')?.port as number | undefined, {
      what: 'the metrics port',
    });
    await waitFor(() => c.logs().some((l) => /batch stays in the ring/.test(String(l.msg))), { timeoutMs: 60_000, what: 'a failed Kafka write' });
    expect(await readU64(fill.path, RING.off.cursor)).toBe(0n);
    const h = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    expect(await h.text()).toMatch(/degraded/);
    expect(c.child.exitCode).toBeNull(); // the daemon does not exit because of Kafka

    process.env.KAFKA_PORT = String(port);
    try {
      await startBroker(stateDir);
    } finally {
      delete process.env.KAFKA_PORT;
    }
    const agg = await startAggregator(['--kafka', `127.0.0.1:${port}`, '--topic', topic, '--group', `g-${topic}`]);
    children.push(agg);
    await waitFor(async () => (await readU64(fill.path, RING.off.cursor)) === 1000n, { timeoutMs: 90_000, what: 'the ring to drain' });
    await waitFor(async () => (await report(agg.url)).events === 1000, { timeoutMs: 60_000, what: '1000 events at the aggregator' });
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^sigsys_kafka_delivered_total 1000$/m);
    expect(metrics).toMatch(/^sigsys_kafka_errors_total [1-9]/m);
  }, 240_000);
});
