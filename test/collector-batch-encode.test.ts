/**
 * The collector's batch path (src/collector/batch-encode.ts + the addon's
 * NdjsonEncoder, native/src/ndjson_encode.c) writes exactly the bytes the
 * event path writes - JSON.stringify(event) + '\n' of the events
 * fast-decode.ts / protobufjs + enrich build - and counts exactly what the
 * Prometheus sink counts from those events: on the golden vectors, records
 * encoded by proto.ts, real rings, mutated records and hostile contexts,
 * under every identity verdict.  Then the whole collector: the same spool
 * through the batch path and through the event path gives the same NDJSON
 * file and the same metrics, and a sink without writeEncoded keeps the
 * event path.
 */
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBatchEncoder, recordEvent, type PackedRecords } from '../src/collector/batch-encode.js';
import { createCollector } from '../src/collector/collector.js';
import { protoDecoder } from '../src/collector/decode.js';
import { createFastEnricher } from '../src/collector/fast-decode.js';
import { createEnricher, createRingContext, withIdentity, type RingContext } from '../src/events/enrich.js';
import { decodeRingMeta, encodeViolation } from '../src/events/proto.js';
import type { ViolationEvent } from '../src/events/types.js';
import { createMetrics } from '../src/metrics.js';
import { loadNative } from '../src/native/loader.js';
import { createNdjsonSink } from '../src/sinks/ndjson.js';
import { createPrometheusSink } from '../src/sinks/prometheus.js';
import type { Sink } from '../src/sinks/sink.js';
import { ringfill, root } from './collector-helpers.js';

const native = loadNative();
const decoder = protoDecoder();
const names = createEnricher({ syscallName: (nr, arch) => (arch === 'x86_64' && nr === 2 ? 'open' : arch === 'x86_64' && nr === 3 ? 'clo"se\u00e9' : undefined) });
const decoding = { fast: createFastEnricher(names), decoder, enricher: names };

const meta = {
  host: 'h', pid: 9, exe: '/bin/x', comm: 'x', mode: 1, bootId: 'boot', startNs: 5n,
  cgroup: '0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n',
  maps: [{ start: 0x400000n, end: 0x500000n, offset: 0x1000n, path: '/bin/x' }, { start: 0x7f0000000000n, end: 0x7f0000100000n, offset: 0n, path: '/lib/libc.so.6' }],
};
const plain = createRingContext(meta);
const contexts: [string, RingContext][] = [
  ['an enforce ring with mappings', plain],
  ['an audit ring (ret on every event)', createRingContext({ ...meta, mode: 2 })],
  ['a ring without metadata', createRingContext(undefined, 77, '123')],
  ['a verified ring', withIdentity(plain, { identity: 'verified', writerUid: 0, exe: '/usr/bin/x', cgroup: meta.cgroup })],
  ['an unverified ring', withIdentity(plain, { identity: 'unverified', writerUid: 1000 })],
  ['a forged ring (pid from the writer, tid 0, no call sites)', withIdentity(plain, { identity: 'forged', writerUid: 1000, pid: 4242, host: 'real', bootId: 'b2' })],
  [
    'strings that need escaping (quote, backslash, control, non-ASCII, lone surrogate)',
    createRingContext({
      ...meta,
      host: 'h"\\\n\u0001',
      exe: '/bin/\u00fc\u4e2d',
      comm: '\ud800x',
      pod: 'p\u2028',
      namespace: 'ns',
      maps: [{ start: 0x400000n, end: 0x500000n, offset: 0n, path: '/lib/we"ird\ud83d\ude00\udc00.so' }],
    }),
  ],
];

/** Records back to back, as RingReader.readPacked returns them. */
function pack(records: Uint8Array[], firstSeq = 1000): PackedRecords {
  const ends = new Uint32Array(records.length);
  let at = 0;
  records.forEach((r, i) => (ends[i] = at += r.length));
  return { data: Buffer.concat(records), ends, seqs: Float64Array.from(records, (_r, i) => firstSeq + i) };
}

/** What the event path writes and counts for these records. */
async function eventPath(ctx: RingContext, recs: PackedRecords) {
  const events: ViolationEvent[] = [];
  let undecodable = 0;
  for (let i = 0, start = 0; i < recs.ends.length; start = recs.ends[i++]!) {
    const ev = recordEvent(decoding, recs.data, start, recs.ends[i]!, recs.seqs[i]!, ctx);
    if (ev) events.push(ev);
    else undecodable++;
  }
  const metrics = createMetrics({ defaultMetrics: false });
  await createPrometheusSink({ metrics }).write(events);
  return { ndjson: events.map((e) => JSON.stringify(e) + '\n').join(''), metrics: await metrics.registry.metrics(), events: events.length, undecodable };
}

/** The batch path for the same records, through a fresh encoder (no syscall names yet). */
let nativeRecords = 0;
async function batchPath(ctx: RingContext, recs: PackedRecords, encoder = createBatchEncoder(native, decoding)!) {
  const res = encoder.encode(ctx, recs);
  if (!res) return undefined;
  nativeRecords = res.native;
  const metrics = createMetrics({ defaultMetrics: false });
  await createPrometheusSink({ metrics }).writeEncoded!(res.batch);
  return { ndjson: Buffer.from(res.batch.ndjson).toString('utf8'), metrics: await metrics.registry.metrics(), events: res.batch.events, undecodable: res.undecodable };
}

const vectorDir = join(root, 'test/vectors');
const vectors = readdirSync(vectorDir)
  .filter((f) => f.startsWith('violation-') && f.endsWith('.bin'))
  .map((f) => readFileSync(join(vectorDir, f)));

const scenarios: [string, Parameters<typeof encodeViolation>[0]][] = [
  ['audit mode with a negative ret', { mode: 2, ret: -38n, nr: 2, arch: 0xc000003e, outcome: 2 }],
  ['audit mode without ret', { mode: 2, nr: 2, arch: 0xc000003e }],
  ['the smallest ret', { mode: 2, ret: -(2n ** 63n), nr: 2, arch: 0xc000003e }],
  ['negative nr and errno', { nr: -1, errnoRet: -5, arch: 0xc000003e }],
  ['x32 syscall bit', { nr: 0x40000002, arch: 0xc000003e }],
  ['an unknown arch', { nr: 1, arch: 0x12345678 }],
  ['a syscall whose name needs escaping', { nr: 3, arch: 0xc000003e }],
  ['an ip in a mapping with an offset', { ip: 0x400abcn, nr: 2, arch: 0xc000003e }],
  ['an ip at a mapping end', { ip: 0x500000n }],
  ['an ip above 2^53', { ip: 0xffffffffff600000n }],
  ['max 64-bit args', { args: [2n ** 64n - 1n, 2n ** 63n, 1n, 0n, 2n ** 32n, 2n ** 32n - 1n] }],
  ['fewer than six args', { args: [1n, 2n] }],
  ['unknown action, outcome and mode numbers', { action: 99, outcome: 77, mode: 9 }],
  ['a count record', { nr: 2, arch: 0xc000003e, repeat: 1_000_000n }],
  ['a count record past 2^53', { nr: 2, arch: 0xc000003e, repeat: 2n ** 60n }],
  ['time zero', { timeNs: 0n }],
  ['time below one second', { timeNs: 999_999_999n }],
  ['time where lo carries into the next second', { timeNs: (418_000_000n << 32n) + 4_294_967_295n }],
  ['the largest time', { timeNs: 2n ** 64n - 1n }],
  ['a pid and tid above 2^31', { pid: 4_000_000_000, tid: 3_000_000_000 }],
];

describe('batch path = event path, byte for byte and count for count', () => {
  describe.each(contexts)('%s', (_name, ctx) => {
    it('golden vectors, one batch', async () => {
      const recs = pack(vectors);
      const got = await batchPath(ctx, recs);
      expect(got).toEqual(await eventPath(ctx, recs));
      expect(nativeRecords).toBeGreaterThan(vectors.length / 2); // written by the addon, not handed back
    });

    it.each(scenarios)('encoded by proto.ts: %s', async (_s, v) => {
      const recs = pack([encodeViolation(v)]);
      expect(await batchPath(ctx, recs)).toEqual(await eventPath(ctx, recs));
    });
  });

  it('records the encoder leaves to the event path keep their place (foreign field, seven args, not a Violation)', async () => {
    const seven = Buffer.concat(Array.from({ length: 7 }, (_x, i) => Buffer.from([0x38, i + 1]))); // field 7, unpacked, seven times
    const foreign = encodeViolation({ nr: 2, arch: 0xc000003e, syscall: 'forged-name' } as Parameters<typeof encodeViolation>[0]);
    const garbage = Buffer.from([0x0a, 0xff]); // field 1 as LEN, cut short
    const good = encodeViolation({ nr: 2, arch: 0xc000003e, ip: 0x400100n });
    const recs = pack([good, seven, good, foreign, garbage, good, encodeViolation({ nr: 5, arch: 0xc000003e, repeat: 3n })]);
    const want = await eventPath(ctx0(), recs);
    expect(want.undecodable).toBe(1);
    expect(await batchPath(ctx0(), recs)).toEqual(want);
  });

  it('mutated records: lines and counts equal the event path on 3000 seeded mutations', async () => {
    let state = 4242;
    const rand = (n: number) => ((state = (state * 1103515245 + 12345) >>> 0) % n);
    const encoder = createBatchEncoder(native, decoding)!;
    for (let round = 0; round < 30; round++) {
      const recs: Uint8Array[] = [];
      for (let i = 0; i < 100; i++) {
        const b = Buffer.from(vectors[rand(vectors.length)]!);
        for (let k = 0; k <= rand(3); k++) {
          const op = rand(3);
          if (op === 0 && b.length) b[rand(b.length)] = rand(256);
          else if (op === 1 && b.length) b[rand(b.length)] ^= 1 << rand(8);
        }
        recs.push(rand(4) === 0 ? b.subarray(0, rand(b.length + 1)) : b);
      }
      const ctx = contexts[round % contexts.length]![1];
      const packed = pack(recs, round * 100);
      expect(await batchPath(ctx, packed, encoder), `round ${round}`).toEqual(await eventPath(ctx, packed));
    }
  });

  it('every record of a real ring (two producer threads), batch by batch, one encoder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigsys-batch-'));
    try {
      const { path } = await ringfill(dir, 3000, { threads: 2, records: 8192 });
      const r = new native.RingReader(path);
      const ctx = createRingContext(decodeRingMeta(r.meta()), r.stats().ownerPid);
      const encoder = createBatchEncoder(native, decoding)!;
      let next = 0;
      let total = 0;
      let written = 0;
      for (;;) {
        const res = r.readPacked(next, 1024);
        const got = await batchPath(ctx, res, encoder);
        expect(got).toEqual(await eventPath(ctx, res));
        total += got!.events;
        written += nativeRecords;
        next = res.next;
        if (res.stop !== 'max') break;
      }
      r.close();
      expect(total).toBe(6000);
      expect(written).toBe(6000); // every record by the addon (names are asked for, then the batch encoded again)
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a mapping that ends past 2^53', [{ start: 0x400000n, end: 2n ** 60n, offset: 0n, path: '/x' }]],
    ['a mapping offset that takes call sites past 2^53', [{ start: 0x400000n, end: 0x500000n, offset: 2n ** 53n, path: '/x' }]],
  ])('a ring with %s takes the event path (fast-decode resolves call sites in doubles)', (_n, maps) => {
    const ctx = createRingContext({ ...meta, maps });
    expect(createBatchEncoder(native, decoding)!.encode(ctx, pack([encodeViolation({ ip: 0x400010n })]))).toBeUndefined();
  });

  it('an error while a batch is encoded sends the batch down the event path instead of reaching the collector loop', () => {
    // A ring context whose text cannot be made (here: a getter that throws,
    // standing for any failure inside encode) must not escape: the collector
    // would drop the ring from collection.
    const broken = Object.defineProperty({ ...plain }, 'host', { get: () => { throw new Error('boom'); } });
    const enc = createBatchEncoder(native, decoding)!;
    expect(enc.encode(broken, pack([encodeViolation({ nr: 2, arch: 0xc000003e })]))).toBeUndefined();
    expect(enc.encode(plain, pack([encodeViolation({ nr: 2, arch: 0xc000003e })]))?.batch.events).toBe(1);
  });

  it('a batch whose calls add up past 2^53 takes the event path (sums would round differently)', async () => {
    const big = encodeViolation({ nr: 2, arch: 0xc000003e, repeat: 2n ** 52n + 1n });
    const recs = pack([big, big, big]);
    expect(createBatchEncoder(native, decoding)!.encode(plain, recs)).toBeUndefined();
  });
});

function ctx0(): RingContext {
  return contexts[0]![1];
}

describe('the collector on the batch path', () => {
  async function collect(spool: string, out: string, opts: { batchEncode: boolean; extra?: Sink }) {
    const metrics = createMetrics({ defaultMetrics: false });
    // The NDJSON sink counts which of its entries the collector used: the
    // comparisons below prove nothing unless the batch path really ran.
    const nd = createNdjsonSink({ path: out, fsync: 'never' });
    const used = { write: 0, writeEncoded: 0 };
    const counted: Sink = {
      name: nd.name,
      write: (evs) => (used.write++, nd.write(evs)),
      writeEncoded: (b) => (used.writeEncoded++, nd.writeEncoded!(b)),
      close: () => nd.close(),
    };
    const sinks: Sink[] = [counted, createPrometheusSink({ metrics })];
    if (opts.extra) sinks.push(opts.extra);
    const c = createCollector({ spoolDir: spool, sinks, metrics, removeFinished: false, batchSize: 700, batchEncode: opts.batchEncode, logger: undefined });
    await c.drain({ timeoutMs: 60_000 });
    const st = c.stats();
    await c.stop();
    const text = await metrics.registry.metrics();
    // The series this change touches: violations and events collected (lag and rings are timing).
    const series = text.split('\n').filter((l) => /^sigsys_(violations_total|events_collected_total|corrupt_records_total|label_overflow_total)\b/.test(l));
    return { ndjson: await readFile(out), series, events: st.events, used };
  }

  it('NDJSON + Prometheus: the same file and the same counts as the event path, from copies of one spool', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigsys-batch-col-'));
    try {
      const a = join(dir, 'a');
      await mkdir(a);
      await ringfill(a, 2500, { threads: 2, records: 8192 });
      await ringfill(a, 1200, { records: 2048 });
      await cp(a, join(dir, 'b'), { recursive: true });
      const batch = await collect(a, join(dir, 'batch.ndjson'), { batchEncode: true });
      const event = await collect(join(dir, 'b'), join(dir, 'event.ndjson'), { batchEncode: false });
      expect(batch.events).toBe(6200);
      expect(event.events).toBe(6200);
      expect(batch.used.writeEncoded).toBeGreaterThan(0);
      expect(batch.used.write).toBe(0);
      expect(event.used.writeEncoded).toBe(0);
      expect(batch.ndjson.equals(event.ndjson)).toBe(true);
      expect(batch.series).toEqual(event.series);
      expect(batch.series.some((l) => l.startsWith('sigsys_violations_total{'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a sink without writeEncoded (like Kafka) gets events, and NDJSON beside it writes the same bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigsys-batch-mix-'));
    try {
      const a = join(dir, 'a');
      await mkdir(a);
      await ringfill(a, 1500, { records: 2048 });
      await cp(a, join(dir, 'b'), { recursive: true });
      const seen: ViolationEvent[] = [];
      const plainSink: Sink = { name: 'plain', write: async (evs) => void seen.push(...evs), close: async () => {} };
      const mixed = await collect(a, join(dir, 'mixed.ndjson'), { batchEncode: true, extra: plainSink });
      const batch = await collect(join(dir, 'b'), join(dir, 'batch.ndjson'), { batchEncode: true });
      expect(seen).toHaveLength(1500);
      expect(mixed.used).toEqual({ write: expect.any(Number), writeEncoded: 0 });
      expect(mixed.used.write).toBeGreaterThan(0);
      expect(batch.used.writeEncoded).toBeGreaterThan(0);
      expect(mixed.ndjson.equals(batch.ndjson)).toBe(true);
      expect(seen.map((e) => JSON.stringify(e) + '\n').join('')).toBe(mixed.ndjson.toString('utf8'));
      expect(mixed.series).toEqual(batch.series);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
