/**
 * `sigsys aggregate` as a real child process against the real broker:
 * exactly-once after dedup, the report and suggestions, a consumer group
 * whose member dies, and a broker that is not there yet.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/aggregate/aggregator.js';
import type { ViolationEvent } from '../src/events/types.js';
import { createKafkaSink } from '../src/sinks/kafka.js';
import {
  getJson,
  makeEvent,
  sharedBroker,
  startAggregator,
  startBroker,
  stopBroker,
  uniqueTopic,
  waitFor,
  type CliProcess,
} from './services/kafka/harness.js';

process.env.SIGSYS_LOG_LEVEL ??= 'silent';

const children: CliProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await c.exited;
  }
});

async function produce(
  broker: string,
  topic: string,
  events: ViolationEvent[],
  partitions = 4,
  valueFormat: 'violation' | 'batch' = 'violation',
): Promise<void> {
  const sink = createKafkaSink({ brokers: [broker], topic, partitions, valueFormat });
  try {
    for (let i = 0; i < events.length; i += 500) await sink.write(events.slice(i, i + 500));
  } finally {
    await sink.close();
  }
}

async function report(url: string): Promise<Report> {
  return (await getJson<Report>(`${url}/report`)).body;
}

/** A fleet: `hosts` × `workloads` rings, each hitting a known mix of denials. */
function fleet(opts: { hosts: number; workloads: number; perRing: number; seqBase?: number; boot?: string }): ViolationEvent[] {
  const out: ViolationEvent[] = [];
  const calls = [
    { syscall: 'mount', nr: 165, action: 'errno', outcome: 'denied' },
    { syscall: 'ptrace', nr: 101, action: 'errno', outcome: 'denied' },
    { syscall: 'keyctl', nr: 250, action: 'log', outcome: 'allowed' },
  ] as const;
  for (let h = 0; h < opts.hosts; h++) {
    for (let w = 0; w < opts.workloads; w++) {
      for (let i = 0; i < opts.perRing; i++) {
        const c = calls[i % calls.length]!;
        out.push(
          makeEvent({
            seq: (opts.seqBase ?? 0) + i,
            host: `node-${h}`,
            bootId: opts.boot ?? 'boot-1',
            ringPid: 1000 + w,
            workload: `app-${w}`,
            ...c,
          }),
        );
      }
    }
  }
  return out;
}

describe('sigsys aggregate (real broker, CLI child processes)', () => {
  let broker: string;
  beforeAll(async () => {
    broker = await sharedBroker();
  });

  it('events arrive exactly once after dedup and the report, metrics and suggestions match the known denials', async () => {
    const topic = uniqueTopic('agg-report');
    const events = fleet({ hosts: 3, workloads: 4, perRing: 30 }); // 360 events
    // At-least-once upstream: a third of them is delivered twice.
    await produce(broker, topic, [...events, ...events.filter((_, i) => i % 3 === 0)]);
    const suggest = mkdtempSync(join(tmpdir(), 'sigsys-agg-suggest-'));
    const agg = await startAggregator(['--kafka', broker, '--topic', topic, '--group', `g-${topic}`, '--suggest', suggest]);
    children.push(agg);

    const r = await waitFor(async () => {
      const rep = await report(agg.url);
      return rep.events + rep.duplicates >= 480 ? rep : undefined;
    }, { timeoutMs: 60_000, what: 'aggregate to read 480 messages' });
    expect(r.events).toBe(360);
    expect(r.duplicates).toBe(120);
    expect(r.undecodable).toBe(0);
    expect(r.rows).toHaveLength(4 * 3);
    for (const row of r.rows) {
      expect(row.count).toBe(30); // 3 hosts × 10 calls of each kind per ring
      expect(row.hosts).toEqual(['node-0', 'node-1', 'node-2']);
      expect(BigInt(row.firstSeenNs)).toBeLessThanOrEqual(BigInt(row.lastSeenNs));
    }
    expect(r.rows.filter((x) => x.syscall === 'keyctl').every((x) => x.action === 'log' && x.outcome === 'allowed')).toBe(true);

    const health = await getJson<{ status: string }>(`${agg.url}/healthz`);
    expect(health).toEqual({ status: 200, body: { status: 'ok' } });
    const metrics = await (await fetch(`${agg.url}/metrics`)).text();
    expect(metrics).toMatch(/sigsys_fleet_violations\{workload="app-0",syscall="mount",action="errno",outcome="denied",identity="verified"\} 30/);
    expect(metrics).toMatch(/sigsys_aggregate_events_total\{result="duplicate"\} 120/);
    expect(metrics).toMatch(/process_cpu_user_seconds_total/);

    // SIGTERM: leaves the group, writes the suggestions, exits 0.
    agg.child.kill('SIGTERM');
    expect(await agg.exited).toBe(0);
    for (let w = 0; w < 4; w++) {
      const s = JSON.parse(readFileSync(join(suggest, `app-${w}.json`), 'utf8'));
      expect(s.comment).toMatch(/^SUGGESTION/);
      expect(s.syscalls[0].names).toEqual(['mount', 'ptrace']); // keyctl was only logged
      expect(s.hosts).toEqual(['node-0', 'node-1', 'node-2']);
    }
    rmSync(suggest, { recursive: true, force: true });
  });

  it('hot-loop count records: each row sums `repeat`, a redelivered count record is counted once', async () => {
    const topic = uniqueTopic('agg-repeat');
    const at = (seq: number, repeat?: number): ViolationEvent => ({
      ...makeEvent({ seq, host: 'node-0', ringPid: 4242, workload: 'retry-loop', syscall: 'unshare', nr: 272, action: 'errno', outcome: 'denied' }),
      ...(repeat ? { repeat } : {}),
    });
    // 4 full events, then two count records: 10 million calls in all.
    const events = [at(0), at(1), at(2), at(3), at(4, 6_000_000), at(5, 3_999_996)];
    await produce(broker, topic, [...events, events[4]!]); // at-least-once: one count record twice
    const agg = await startAggregator(['--kafka', broker, '--topic', topic, '--group', `g-${topic}`]);
    children.push(agg);
    const r = await waitFor(async () => {
      const rep = await report(agg.url);
      return rep.events + rep.duplicates >= 7 ? rep : undefined;
    }, { timeoutMs: 60_000, what: 'aggregate to read 7 messages' });
    expect(r.duplicates).toBe(1);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ workload: 'retry-loop', syscall: 'unshare', action: 'errno', outcome: 'denied', count: 10_000_000 });
    agg.child.kill('SIGTERM');
    expect(await agg.exited).toBe(0);
  });

  it('two aggregators in one group split the partitions; one is SIGKILLed and the survivor takes over with the right totals', async () => {
    const topic = uniqueTopic('agg-group');
    const group = `g-${topic}`;
    const first = fleet({ hosts: 2, workloads: 8, perRing: 25 }); // 400
    await produce(broker, topic, first, 4);
    const args = ['--kafka', broker, '--topic', topic, '--group', group, '--session-timeout', '6000'];
    const a = await startAggregator(args);
    children.push(a);
    const b = await startAggregator(args);
    children.push(b);

    // Both members own partitions (after the rebalance), together they saw everything once.
    const [ra, rb] = await waitFor(async () => {
      const [x, y] = [await report(a.url), await report(b.url)];
      return x.events > 0 && y.events > 0 && x.events + y.events === 400 ? [x, y] : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250, what: 'both aggregators to share 400 events' });
    expect([...ra.partitions, ...rb.partitions].sort()).toEqual([0, 1, 2, 3]);
    const workloadsA = new Set(ra.rows.map((r) => r.workload));
    const workloadsB = new Set(rb.rows.map((r) => r.workload));
    expect([...workloadsA].filter((w) => workloadsB.has(w))).toEqual([]); // one workload = one key = one partition

    a.child.kill('SIGKILL');
    await a.exited;
    // More events while the group notices the death: nothing may be missed.
    const second = fleet({ hosts: 2, workloads: 8, perRing: 25, seqBase: 25 }); // 400 more
    await produce(broker, topic, [...second, ...first.slice(0, 50)], 4); // plus re-sent duplicates

    const rep = await waitFor(async () => {
      const r = await report(b.url);
      return r.events === 800 ? r : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250, what: 'the survivor to hold all 800 events' });
    expect(rep.rows).toHaveLength(8 * 3);
    const total = rep.rows.reduce((s, r) => s + r.count, 0);
    expect(total).toBe(800);
    for (const row of rep.rows) expect(row.hosts).toEqual(['node-0', 'node-1']);
    // And it stays there: no late double counting once the replay is done.
    const again = await report(b.url);
    expect(again.events).toBe(800);
    expect(again.partitions).toEqual([0, 1, 2, 3]);
  }, 240_000);

  it('sigsys.v1.Batch values (the sink\'s opt-in packing) and single Violations on one topic are counted alike', async () => {
    const topic = uniqueTopic('agg-batch');
    const events = fleet({ hosts: 2, workloads: 3, perRing: 40 }); // 240
    await produce(broker, topic, events.slice(0, 150), 2, 'batch');
    await produce(broker, topic, [...events.slice(100), ...events.slice(0, 20)], 2, 'violation'); // overlap = duplicates
    const agg = await startAggregator(['--kafka', broker, '--topic', topic, '--group', `g-${topic}`]);
    children.push(agg);
    const r = await waitFor(async () => {
      const rep = await report(agg.url);
      return rep.events + rep.duplicates >= 150 + 160 ? rep : undefined;
    }, { timeoutMs: 60_000, what: 'all 310 events read' });
    expect(r).toMatchObject({ events: 240, duplicates: 70, undecodable: 0 });
    expect(r.rows.reduce((n, x) => n + x.count, 0)).toBe(240);
  });

  it('rejects bad usage with one line and exit code 2', async () => {
    const { spawnCli } = await import('./services/kafka/harness.js');
    for (const args of [[], ['--kafka', 'nope'], ['--kafka', broker, '--listen', 'x'], ['--kafka', broker, '--bogus']]) {
      const p = await spawnCli(['aggregate', ...args]);
      children.push(p);
      expect(await p.exited).toBe(2);
      expect(p.lines.filter(Boolean)).toHaveLength(1);
      expect(p.lines[0]).toMatch(/^sigsys: /);
    }
  });
});

describe('sigsys aggregate: broker not there yet (own broker)', () => {
  // Created by kafka.sh start, removed by stop (not at collection time: a filtered run leaves nothing).
  const stateDir = join(tmpdir(), `sigsys-kafka-late-${process.pid}-${Date.now().toString(36)}`);
  afterAll(async () => {
    await stopBroker(stateDir);
  });

  it('SIGTERM while the broker is unreachable still exits 0 promptly', async () => {
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const agg = await startAggregator(['--kafka', `127.0.0.1:${port}`, '--topic', 'nowhere']);
    children.push(agg);
    await waitFor(() => agg.logs().find((l) => l.level === 40), { what: 'the warning about the broker' });
    agg.child.kill('SIGTERM');
    expect(await agg.exited).toBe(0);
  });

  it('says so in one line, /healthz is 503, keeps retrying, and consumes once the broker appears', async () => {
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const topic = uniqueTopic('agg-late');
    const agg = await startAggregator(['--kafka', `127.0.0.1:${port}`, '--topic', topic, '--group', `g-${topic}`]);
    children.push(agg);
    const warn = await waitFor(() => agg.logs().find((l) => l.level === 40), { what: 'a warning about the broker' });
    expect(String(warn.msg)).toMatch(new RegExp(`^kafka 127\\.0\\.0\\.1:${port}: .*; retrying$`));
    const h = await getJson<{ status: string; reason: string }>(`${agg.url}/healthz`);
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('degraded');

    process.env.KAFKA_PORT = String(port);
    let broker: string;
    try {
      broker = await startBroker(stateDir);
    } finally {
      delete process.env.KAFKA_PORT;
    }
    expect(broker).toBe(`127.0.0.1:${port}`);
    await produce(broker, topic, fleet({ hosts: 1, workloads: 2, perRing: 10 }), 2);
    await waitFor(async () => (await report(agg.url)).events === 20, { timeoutMs: 90_000, what: 'events after the broker came up' });
    expect((await getJson(`${agg.url}/healthz`)).status).toBe(200);
    // One line while it was down, not one per retry.
    expect(agg.logs().filter((l) => l.level === 40)).toHaveLength(1);
    expect(existsSync(stateDir)).toBe(true);
  }, 180_000);
});
