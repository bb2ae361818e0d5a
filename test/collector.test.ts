/**
 * The collector against real rings written by sigsys-ringfill (the real
 * producer code): delivery exactly once in ticket order with the cursor
 * committed only after every sink acknowledged, retry after a failing sink,
 * hostile rings counted and skipped without touching other rings, producer
 * drops and lag in the metrics, removal of finished rings only.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCollector, type CollectorOptions } from '../src/collector/collector.js';
import { createMetrics, type SigsysMetrics } from '../src/metrics.js';
import { memorySink, patch, readU64, recordOffset, RING, ringfill, ringfillLive, u32, u64, until } from './collector-helpers.js';
import type { ViolationEvent } from '../src/events/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigsys-coll-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const quiet = { level: 'silent' };
function collector(over: Partial<CollectorOptions> & Pick<CollectorOptions, 'sinks'>, metrics?: SigsysMetrics) {
  return createCollector({ spoolDir: dir, metrics, pollIntervalMs: 10, tornTimeoutMs: 300, retryDelayMs: 10, removeFinished: false, ...over });
}
async function metricValue(m: SigsysMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = m.registry.getSingleMetric(name)!;
  const values = (await metric.get()).values;
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}
const bySeq = (evs: ViolationEvent[], ringPid: number) => evs.filter((e) => e.ringPid === ringPid).map((e) => e.seq);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const ownerPid = (path: string) => Number(/sigsys-(\d+)-/.exec(path)![1]);

describe('delivery', () => {
  it('every event of every ring reaches the sinks once, in ticket order, enriched, and the cursor in the file reaches head', async () => {
    const a = await ringfill(dir, 1500, { threads: 2, records: 4096 });
    const b = await ringfill(dir, 700, { records: 1024 });
    expect([a.pushed, b.pushed, a.dropped + b.dropped]).toEqual([3000, 700, 0]);
    const sink = memorySink();
    const metrics = createMetrics({ defaultMetrics: false });
    const c = collector({ sinks: [sink] }, metrics);
    await c.drain();
    await c.stop();
    expect(bySeq(sink.events, ownerPid(a.path))).toEqual(range(3000));
    expect(bySeq(sink.events, ownerPid(b.path))).toEqual(range(700));
    expect(await readU64(a.path, RING.off.cursor)).toBe(3000n);
    expect(await readU64(b.path, RING.off.cursor)).toBe(700n);
    const e = sink.events.find((x) => x.ringPid === ownerPid(b.path) && x.seq === 5)!;
    // sigsys-ringfill exited before the collector looked: its claims are
    // kept, labelled unverified, and its workload is its writer's uid.
    expect(e).toMatchObject({
      host: 'ringfill-host', bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), exe: '/usr/bin/ringfill', comm: 'ringfill', arch: 'x86_64',
      syscall: 'fstat', nr: 5, action: 'errno', outcome: 'denied', errno: 1, mode: 'enforce',
      containerId: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      workload: `unverified:uid-${process.getuid!()}`, identity: 'unverified', writerUid: process.getuid!(), source: 'handler',
      args: ['0x5', '0x0', '0x500000000', '0xffffffffffffffff', '0x0', '0x7'], ip: '0x401005', callSite: 'ringfill+0x1005',
    });
    expect(await metricValue(metrics, 'sigsys_events_collected_total')).toBe(3700);
    expect(await metricValue(metrics, 'sigsys_spool_lag_events')).toBe(0);
  });

  it('a sink that rejects keeps the cursor; the batch is read again and nothing is lost', async () => {
    const r = await ringfill(dir, 50);
    const first = memorySink();
    const flaky = memorySink({ failFirst: 2 });
    const metrics = createMetrics({ defaultMetrics: false });
    const c = collector({ sinks: [first, flaky] }, metrics);
    await c.poll();
    expect(flaky.calls).toBe(1);
    expect(await readU64(r.path, RING.off.cursor)).toBe(0n); // not acknowledged: not committed
    expect(await metricValue(metrics, 'sigsys_spool_lag_events')).toBe(50);
    await c.drain();
    await c.stop();
    expect(bySeq(flaky.events, ownerPid(r.path))).toEqual(range(50));
    // the sink before the failing one saw the unacknowledged batch again: at-least-once
    expect(bySeq(first.events, ownerPid(r.path))).toEqual([...range(50), ...range(50), ...range(50)]);
    expect(await readU64(r.path, RING.off.cursor)).toBe(50n);
  });

  it('a corrupt record in a batch that is retried is counted once', async () => {
    const r = await ringfill(dir, 20);
    await patch(r.path, recordOffset(3, 1024) + 4, u32(0xffffffff));
    const metrics = createMetrics({ defaultMetrics: false });
    const sink = memorySink({ failFirst: 2 });
    const c = collector({ sinks: [sink] }, metrics);
    await c.drain();
    await c.stop();
    expect(sink.calls).toBe(3);
    expect(bySeq(sink.events, ownerPid(r.path))).toEqual(range(20).filter((s) => s !== 3));
    expect(await metricValue(metrics, 'sigsys_corrupt_records_total', { reason: 'ring' })).toBe(1);
  });

  it('producer drops (ring full) become sigsys_events_dropped_total; lag is head - cursor', async () => {
    const r = await ringfill(dir, 100, { records: 16 });
    expect([r.pushed, r.dropped]).toEqual([16, 84]);
    const metrics = createMetrics({ defaultMetrics: false });
    const sink = memorySink();
    const c = collector({ sinks: [sink] }, metrics);
    await c.drain();
    await c.stop();
    expect(sink.events).toHaveLength(16);
    expect(await metricValue(metrics, 'sigsys_events_dropped_total')).toBe(84);
  });

  it('a restarted collector resumes at the committed cursor', async () => {
    const r = await ringfill(dir, 40);
    const s1 = memorySink();
    const c1 = collector({ sinks: [s1], batchSize: 10, batchesPerTurn: 1 });
    await c1.poll();
    await c1.stop();
    expect(bySeq(s1.events, ownerPid(r.path))).toEqual(range(10));
    const s2 = memorySink();
    const c2 = collector({ sinks: [s2] });
    await c2.drain();
    await c2.stop();
    expect(bySeq(s2.events, ownerPid(r.path))).toEqual(range(40).slice(10));
  });
});

describe('hostile rings', () => {
  type Case = [name: string, make: (good: string) => Promise<void>, expect: { rejected?: number; corrupt?: Record<string, number>; torn?: number; delivered?: number }];
  const cases: Case[] = [
    ['random bytes under a ring name', async () => writeFile(join(dir, 'sigsys-1-1.ring'), randomBytes(64 * 1024)), { rejected: 1 }],
    ['an empty file', async () => writeFile(join(dir, 'sigsys-2-2.ring'), ''), { rejected: 1 }],
    ['a ring truncated inside its records', async (good) => {
      const p = join(dir, 'sigsys-3-3.ring');
      await copyFile(good, p);
      await truncate(p, RING.headerSize + 1000);
    }, { rejected: 1 }],
    ['a record count that is not a power of two', async (good) => {
      const p = join(dir, 'sigsys-4-4.ring');
      await copyFile(good, p);
      await patch(p, RING.off.recordCount, u32(1000));
    }, { rejected: 1 }],
    ['a record length past the end of its slot', async (good) => {
      const p = join(dir, 'sigsys-5-5.ring');
      await copyFile(good, p);
      await patch(p, recordOffset(3, 1024) + 4, u32(0xffffffff));
    }, { corrupt: { ring: 1 }, delivered: 19 }],
    ['a commit word from the future', async (good) => {
      const p = join(dir, 'sigsys-6-6.ring');
      await copyFile(good, p);
      await patch(p, recordOffset(4, 1024), u32(12345));
    }, { corrupt: { ring: 1 }, delivered: 19 }],
    ['a payload that is not a protobuf Violation', async (good) => {
      const p = join(dir, 'sigsys-7-7.ring');
      await copyFile(good, p);
      await patch(p, recordOffset(5, 1024) + 4, Buffer.concat([u32(40), Buffer.alloc(40, 0xff)]));
    }, { corrupt: { decode: 1 }, delivered: 19 }],
    ['a record reserved but never committed (producer died mid-write)', async (good) => {
      const p = join(dir, 'sigsys-8-8.ring');
      await copyFile(good, p);
      await patch(p, recordOffset(6, 1024), u32((6 + 1) ^ RING.WRITING_BIT));
    }, { torn: 1, delivered: 19 }],
    ['metadata that is not a RingMeta', async (good) => {
      const p = join(dir, 'sigsys-9-9.ring');
      await copyFile(good, p);
      await patch(p, RING.off.metaLen, u32(64));
      await patch(p, RING.off.meta, Buffer.alloc(64, 0xff));
    }, { corrupt: { meta: 1 }, delivered: 20 }],
    ['a cursor scribbled past head', async (good) => {
      const p = join(dir, 'sigsys-10-10.ring');
      await copyFile(good, p);
      await patch(p, RING.off.cursor, u64(1n << 40n));
    }, { rejected: 1 }],
  ];

  it.each(cases)('%s: counted, skipped, the collector keeps going and other rings are unaffected', async (_name, make, want) => {
    const src = await mkdtemp(join(tmpdir(), 'sigsys-src-'));
    try {
      const template = await ringfill(src, 20);
      await make(template.path);
    } finally {
      await rm(src, { recursive: true, force: true });
    }
    const good = await ringfill(dir, 30);
    const metrics = createMetrics({ defaultMetrics: false });
    const sink = memorySink();
    const c = collector({ sinks: [sink] }, metrics);
    c.start();
    await until('the good ring to be delivered', () => bySeq(sink.events, ownerPid(good.path)).length === 30 || undefined);
    await c.drain();
    await c.stop();
    expect(bySeq(sink.events, ownerPid(good.path))).toEqual(range(30));
    const others = sink.events.filter((e) => e.ringPid !== ownerPid(good.path));
    expect(others.length).toBe(want.delivered ?? 0);
    expect(await metricValue(metrics, 'sigsys_rings_rejected_total')).toBe(want.rejected ?? 0);
    expect(await metricValue(metrics, 'sigsys_torn_records_total')).toBe(want.torn ?? 0);
    for (const reason of ['ring', 'decode', 'meta']) {
      expect([reason, await metricValue(metrics, 'sigsys_corrupt_records_total', { reason })]).toEqual([reason, want.corrupt?.[reason] ?? 0]);
    }
  });
});

describe('deleted rings', () => {
  it('a ring deleted while its producer still writes is read until nobody maps it', async () => {
    const { unlink } = await import('node:fs/promises');
    const live = await ringfillLive(dir, 40);
    const sink = memorySink();
    const metrics = createMetrics({ defaultMetrics: false });
    const c = collector({ sinks: [sink], removeFinished: true, removeCheckIntervalMs: 0 }, metrics);
    c.start();
    await until('the ring to be opened', () => c.rings().length === 1 || undefined);
    await unlink(live.path);
    await until('the collector to notice', async () => (await c.poll(), c.rings().length === 1) || undefined);
    live.go();
    await live.done();
    await until('the deleted ring to be drained and closed', () => c.rings().length === 0 || undefined);
    await c.stop();
    expect(bySeq(sink.events, ownerPid(live.path))).toEqual(range(40));
  });
});

describe('idle rings', () => {
  it('a ring that went idle is still read, at the idle interval', async () => {
    const live = await ringfillLive(dir, 25);
    const sink = memorySink();
    const c = collector({ sinks: [sink], idleAfterMs: 0, idlePollIntervalMs: 200 });
    c.start();
    await until('the ring to be opened', () => c.rings().length === 1 || undefined);
    live.go();
    await live.done();
    await until('the idle ring to be read', () => sink.events.length === 25 || undefined, 10_000);
    await c.stop();
    expect(bySeq(sink.events, ownerPid(live.path))).toEqual(range(25));
  });
});

describe('finished rings', () => {
  it('a drained ring nobody maps is removed; a ring its live producer still maps is kept until it exits', async () => {
    const done = await ringfill(dir, 5);
    const live = await ringfillLive(dir, 7);
    const sink = memorySink();
    const metrics = createMetrics({ defaultMetrics: false });
    const c = collector({ sinks: [sink], removeFinished: true, removeCheckIntervalMs: 0 }, metrics);
    c.start();
    await until('the finished ring to be removed', () => !existsSync(done.path) || undefined);
    expect(bySeq(sink.events, ownerPid(done.path))).toEqual(range(5));
    expect(existsSync(live.path)).toBe(true); // drained (empty) but mapped by a live process
    live.go();
    await live.done();
    await until('the live ring to be drained and removed', () => !existsSync(live.path) || undefined);
    await c.stop();
    expect(bySeq(sink.events, ownerPid(live.path))).toEqual(range(7));
    expect(await metricValue(metrics, 'sigsys_rings_removed_total')).toBe(2);
  });
});
