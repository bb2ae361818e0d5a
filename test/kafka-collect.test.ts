/**
 * The whole fleet path with real processes: spool rings written by the real
 * producer code (sigsys-ringfill) -> `sigsys collect --kafka` -> the real
 * broker -> `sigsys aggregate`.  Exactly once after dedup, a collector
 * SIGKILLed mid-stream, a broker that is down while events wait in the ring,
 * and a broker stopped and restarted under a running collector.
 *
 * The native tools are built by scripts/setup.sh (the README's test command):
 * a missing one fails these tests, it never skips them.
 */
import { existsSync, mkdtempSync as mkdtempRaw, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { execFile } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { suggestionFileName, type Report } from '../src/aggregate/aggregator.js';
import { RING, patch, readU64, ringfill, ringfillLive, root, tool, u64 } from './collector-helpers.js';
import {
  getJson,
  metricValue,
  readTopicEvents,
  sharedBroker,
  spawnCli,
  startAggregator,
  startBroker,
  stopBroker,
  uniqueTopic,
  waitFor,
  type CliProcess,
  type TopicEvent,
} from './services/kafka/harness.js';

/** Fail (never skip) when a native tool these tests run is missing. */
function requireTools(...names: string[]): void {
  const missing = names.map(tool).filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`missing native test tool(s): ${missing.join(', ')} - build them with \`bash scripts/setup.sh\` (or point SIGSYS_ADDON at a build that has them)`);
  }
}
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

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

async function healthz(port: number): Promise<{ status: number; body: { status: string; sinks: Record<string, string> } }> {
  return getJson(`http://127.0.0.1:${port}/healthz`);
}

/** The pid in a ring's file name (sigsys-<pid>-<ns>.ring): the ring pid its events carry. */
function ringPidOf(path: string): number {
  const m = /sigsys-(\d+)-\d+\.ring$/.exec(path);
  if (!m) throw new Error(`not a ring file name: ${path}`);
  return Number(m[1]);
}

/** Events read from a topic, per ring (ring pid) and seq: how many copies of each. */
function tally(events: readonly TopicEvent[]): Map<number, Map<number, number>> {
  const rings = new Map<number, Map<number, number>>();
  const identity = new Map<number, Set<string>>();
  for (const { event: e } of events) {
    let seqs = rings.get(e.ringPid);
    if (!seqs) rings.set(e.ringPid, (seqs = new Map()));
    seqs.set(e.seq, (seqs.get(e.seq) ?? 0) + 1);
    let ids = identity.get(e.ringPid);
    if (!ids) identity.set(e.ringPid, (ids = new Set()));
    ids.add(`${e.host}|${e.bootId}|${e.ringStartNs}`);
  }
  // One ring per pid here (each ringfill is its own process): the whole dedup key is one ring's.
  for (const [pid, ids] of identity) expect({ ring: pid, identities: ids.size }).toEqual({ ring: pid, identities: 1 });
  return rings;
}

/** Exactly the produced set: ring pid -> seqs 0..pushed-1, nothing missing, nothing else. */
function expectExactSet(rings: Map<number, Map<number, number>>, produced: Map<number, number>): void {
  expect([...rings.keys()].sort((a, b) => a - b)).toEqual([...produced.keys()].sort((a, b) => a - b));
  for (const [pid, n] of produced) {
    const seqs = rings.get(pid)!;
    const missing: number[] = [];
    for (let q = 0; q < n && missing.length < 10; q++) if (!seqs.has(q)) missing.push(q);
    const extra = [...seqs.keys()].filter((q) => !(Number.isInteger(q) && q >= 0 && q < n)).slice(0, 10);
    expect({ ring: pid, missing, extra, distinct: seqs.size }).toEqual({ ring: pid, missing: [], extra: [], distinct: n });
  }
}

const copies = (rings: Map<number, Map<number, number>>) => [...rings.values()].reduce((s, m) => s + [...m.values()].reduce((a, b) => a + b, 0), 0);
const distinct = (rings: Map<number, Map<number, number>>) => [...rings.values()].reduce((s, m) => s + m.size, 0);

describe('sigsys collect -> Kafka -> sigsys aggregate (real processes)', () => {
  let broker: string;
  let dir: string;
  beforeAll(async () => {
    requireTools('sigsys-ringfill');
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

  it('collector SIGKILLed mid-stream and restarted: nothing lost, every re-sent event removed by the aggregator\'s dedup', async () => {
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
    // Every message c1 wrote has a producer timestamp <= tKill; c2's are later (it starts after this line).
    const tKill = Date.now();
    const committedAtKill = Number(await readU64(live.path, RING.off.cursor));
    expect(committedAtKill).toBeLessThan(TOTAL);

    const c2 = await collect(['--spool', spool, '--kafka', broker, '--topic', topic]);
    const res = await live.done();
    expect(res.pushed).toBe(TOTAL);
    expect(res.path).toBe(live.path);
    await waitFor(async () => (await readU64(res.path, RING.off.cursor)) === BigInt(TOTAL), { timeoutMs: 120_000, what: 'ring cursor at the end' });

    // Where the kill lands is timing. The worst window - Kafka acknowledged, the cursor not yet
    // committed - made exact: c2 is killed and the cursor set back by REWIND acknowledged events
    // (their records are still in the ring: the last 1024 tickets), as if the kill had landed
    // there; the next collector must send them again.
    const REWIND = 1000;
    c2.child.kill('SIGKILL');
    await c2.exited;
    const tKill2 = Date.now();
    await patch(res.path, RING.off.cursor, u64(TOTAL - REWIND));
    const port = await freePort();
    await collect(['--spool', spool, '--kafka', broker, '--topic', topic, '--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
    await waitFor(async () => (await readU64(res.path, RING.off.cursor)) === BigInt(TOTAL), { timeoutMs: 60_000, what: 'ring cursor at the end again' });

    // Everything on the topic now (the ring is committed, so every event was acknowledged).
    const onTopic = await readTopicEvents(broker, topic, { timeoutMs: 120_000 });
    const rings = tally(onTopic);
    expectExactSet(rings, new Map([[ringPidOf(res.path), TOTAL]]));
    const seqs = rings.get(ringPidOf(res.path))!;
    const resent = copies(rings) - distinct(rings);
    const byC1 = new Set(onTopic.filter((t) => t.timestampMs <= tKill).map((t) => t.event.seq));
    const byC2 = onTopic.filter((t) => t.timestampMs > tKill && t.timestampMs <= tKill2).map((t) => t.event.seq);
    const byC3 = new Set(onTopic.filter((t) => t.timestampMs > tKill2).map((t) => t.event.seq));
    // The cursor moved only past acknowledged events: all of [0, committedAtKill) is c1's.
    const notByC1: number[] = [];
    for (let q = 0; q < committedAtKill && notByC1.length < 10; q++) if (!byC1.has(q)) notByC1.push(q);
    expect(notByC1).toEqual([]);
    // The restarted collector resumed at the committed cursor, not before it.
    expect(byC2.filter((q) => q < committedAtKill).slice(0, 10)).toEqual([]);
    // ... and the one after the rewind sent exactly the rewound events.
    expect([...byC3].sort((a, b) => a - b)).toEqual(Array.from({ length: REWIND }, (_, i) => TOTAL - REWIND + i));
    // What c1 got into Kafka past the committed cursor (acknowledged, or written with the ack lost)
    // was sent again by c2, and the rewound events by c3: each is on the topic at least twice.
    const ackedNotCommitted = [...byC1].filter((q) => q >= committedAtKill);
    const sentAgain = new Set([...ackedNotCommitted, ...byC3]);
    expect([...sentAgain].filter((q) => seqs.get(q)! < 2).slice(0, 10)).toEqual([]);
    expect(resent).toBeGreaterThanOrEqual(sentAgain.size);

    // The aggregator saw every copy; each re-sent one was counted as a duplicate and dropped.
    const r = await waitFor(async () => {
      const rep = await report(agg.url);
      return rep.events + rep.duplicates + rep.undecodable >= onTopic.length ? rep : undefined;
    }, { timeoutMs: 120_000, intervalMs: 200, what: `${onTopic.length} events (${TOTAL} distinct) consumed by the aggregator` });
    expect(r.undecodable).toBe(0);
    expect(r.events).toBe(TOTAL);
    expect(r.duplicates).toBe(resent);
    expect(r.duplicates).toBeGreaterThanOrEqual(REWIND + ackedNotCommitted.length);
    expect(r.rows.reduce((s, x) => s + x.count, 0)).toBe(TOTAL);
  }, 240_000);
});

describe('real processes under the preload -> sigsys collect -> Kafka -> sigsys aggregate', () => {
  beforeAll(() => requireTools('libsigsys.so', 'sigsys-wl-calls'));
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
    const port = await freePort();
    await collect(['--spool', spool, '--kafka', broker, '--topic', topic, '--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
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
    // Each workload waits (its ring mapped) until the collector verified it
    // against /proc, so its events carry its real identity.
    const verified = async () => {
      const m = /^sigsys_rings_identity\{identity="verified"\} (\d+)$/m.exec(await metrics(port).catch(() => ''));
      return m ? Number(m[1]) : 0;
    };
    for (const [i, args] of runs.entries()) {
      const go = join(dir, `go-${i}`);
      const run = pexec(wl, [`wait=${go}`, ...args], { env });
      await waitFor(async () => ((await verified()) === i + 1 ? true : undefined), { timeoutMs: 30_000, what: `workload ${i} verified` });
      writeFileSync(go, '');
      const { stdout } = await run;
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

describe('broker down: events wait in the ring, and flow when it is back (own broker)', () => {
  beforeAll(() => requireTools('sigsys-ringfill'));
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

describe('broker stopped mid-run and restarted under a running collector (own broker)', () => {
  // Its own broker: stopping the shared one would break the Kafka tests of other files running meanwhile.
  // Created by kafka.sh start, removed by stop (not at collection time: a filtered run leaves nothing).
  const stateDir = join(tmpdir(), `sigsys-kafka-bounce-${process.pid}-${Date.now().toString(36)}`);
  let broker: string;
  beforeAll(async () => {
    requireTools('sigsys-ringfill');
    broker = await startBroker(stateDir);
  });
  afterAll(async () => {
    await stopBroker(stateDir);
  });

  it('broker stopped mid-run and restarted: nothing lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-kcollect-bounce-'));
    const spool = join(dir, 'spool');
    await mkdir(spool);
    const topic = uniqueTopic('collect-bounce');
    const c = await collect(['--spool', spool, '--kafka', broker, '--topic', topic, '--metrics-port', '0', '--metrics-host', '127.0.0.1']);
    const port = await waitFor(() => c.logs().find((l) => typeof l.port === 'number')?.port as number | undefined, { what: 'the metrics port' });
    const delivered = async () => metricValue(await metrics(port), 'sigsys_kafka_delivered_total') ?? 0;
    const cursor = async (path: string) => Number(await readU64(path, RING.off.cursor));
    const produced = new Map<number, number>(); // ring pid -> events pushed
    const fills: { path: string; pushed: number }[] = [];
    const add = (f: { path: string; pushed: number; dropped: number }) => {
      expect(f.dropped).toBe(0);
      produced.set(ringPidOf(f.path), f.pushed);
      fills.push(f);
      return f;
    };

    // 1. Broker up: two rings shipped and acknowledged.
    add(await ringfill(spool, 1500, { records: 2048 }));
    add(await ringfill(spool, 500, { threads: 2, records: 2048 }));
    await waitFor(async () => (await delivered()) >= 2500, { timeoutMs: 60_000, what: '2500 events acknowledged by Kafka' });
    for (const f of fills) await waitFor(async () => (await cursor(f.path)) === f.pushed, { what: `cursor of ${f.path}` });
    expect(await delivered()).toBe(2500);
    expect((await healthz(port)).body.sinks.kafka).toBe('ok');

    // 2. Stop the broker (data and port kept) while a large ring is being shipped: depending on
    // timing part of it is acknowledged, in flight or refused; whatever it is, nothing may be lost.
    const stopping = stopBroker(stateDir, true);
    add(await ringfill(spool, 30_000, { records: 32_768 }));
    await stopping;
    // A ring filled while the broker is down: the collector must have tried (and failed) to ship it.
    const during = add(await ringfill(spool, 1000, { threads: 2, records: 4096 }));
    await waitFor(
      () => c.logs().some((l) => l.ring === during.path && /batch stays in the ring/.test(String(l.msg))),
      { timeoutMs: 90_000, what: `a failed Kafka write of ${during.path} (the batch staying in the ring)` },
    );
    const h = await waitFor(async () => {
      const r = await healthz(port);
      return r.body.sinks.kafka === 'degraded' ? r : undefined;
    }, { timeoutMs: 30_000, what: '/healthz degraded' });
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('degraded');
    expect(c.child.exitCode).toBeNull();
    // Cursors only move past acknowledged events: read them first, then the (monotonic) counter.
    const cursorsDown = new Map<number, number>();
    for (const f of fills) cursorsDown.set(ringPidOf(f.path), await cursor(f.path));
    const deliveredDown = await delivered();
    expect(cursorsDown.get(ringPidOf(during.path))).toBe(0);
    expect([...cursorsDown.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(deliveredDown);
    expect(metricValue(await metrics(port), 'sigsys_kafka_errors_total')).toBeGreaterThanOrEqual(1);

    // 3. Restart on the same port and data; the collector delivers the rest by itself.
    const restartedAt = Date.now();
    expect(await startBroker(stateDir)).toBe(broker);
    for (const f of fills) {
      await waitFor(async () => (await cursor(f.path)) === f.pushed, { timeoutMs: 120_000, what: `cursor of ${f.path} after the restart` });
    }
    await waitFor(async () => (await healthz(port)).body.sinks.kafka === 'ok', { timeoutMs: 60_000, what: '/healthz ok after the restart' });
    const total = [...produced.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(1500 + 2 * 500 + 30_000 + 2 * 1000);
    expect(await delivered()).toBeGreaterThanOrEqual(total);

    // 4. The topic holds exactly the produced (ring, seq) set; re-sends are extra copies only.
    const onTopic = await readTopicEvents(broker, topic, { timeoutMs: 120_000 });
    const rings = tally(onTopic);
    expectExactSet(rings, produced);
    // What a cursor had passed while the broker was down had been written before the restart.
    const writtenBefore = new Map<number, Set<number>>();
    for (const t of onTopic) {
      if (t.timestampMs >= restartedAt) continue;
      let s = writtenBefore.get(t.event.ringPid);
      if (!s) writtenBefore.set(t.event.ringPid, (s = new Set()));
      s.add(t.event.seq);
    }
    for (const [pid, cur] of cursorsDown) {
      const notWritten: number[] = [];
      for (let q = 0; q < cur && notWritten.length < 10; q++) if (!writtenBefore.get(pid)?.has(q)) notWritten.push(q);
      expect({ ring: pid, committedButNotInKafka: notWritten }).toEqual({ ring: pid, committedButNotInKafka: [] });
    }
    const resent = copies(rings) - distinct(rings);
    // Every acknowledged copy is on the topic (a copy written whose ack was lost is not counted).
    expect(await delivered()).toBeLessThanOrEqual(copies(rings));

    // 5. The aggregator reads all copies and keeps each event once.
    const agg = await startAggregator(['--kafka', broker, '--topic', topic, '--group', `g-${topic}`]);
    children.push(agg);
    const r = await waitFor(async () => {
      const rep = await report(agg.url);
      return rep.events + rep.duplicates + rep.undecodable >= onTopic.length ? rep : undefined;
    }, { timeoutMs: 120_000, intervalMs: 200, what: `${onTopic.length} events (${total} distinct) at the aggregator` });
    expect(r.undecodable).toBe(0);
    expect(r.events).toBe(total);
    expect(r.duplicates).toBe(resent);
    expect(r.rows.reduce((s, x) => s + x.count, 0)).toBe(total);
  }, 300_000);
});
