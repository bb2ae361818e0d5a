/**
 * The NDJSON encoder (src/sinks/ndjson-encode.ts) writes exactly the bytes of
 * `JSON.stringify(ev) + '\n'` (UTF-8) for every event: fixtures with nasty
 * strings in every string field, 64-bit args, optional and absent fields,
 * count records, numbers JSON writes specially, objects that are not of the
 * event layout (written by JSON.stringify, or its TypeError for a bigint),
 * events made by the collector's real decoders, and a seeded random
 * comparison over batches that keep the encoder's per-ring caches warm.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFastEnricher } from '../src/collector/fast-decode.js';
import { createEnricher, createRingContext } from '../src/events/enrich.js';
import { decodeRingMeta, decodeViolation as decodeProtoViolation, encodeViolation } from '../src/events/proto.js';
import type { ViolationEvent } from '../src/events/types.js';
import { loadNative } from '../src/native/loader.js';
import { decodeViolation as decodeKafka, encodeViolation as encodeKafka } from '../src/kafka/codec.js';
import { createNdjsonEncoder } from '../src/sinks/ndjson-encode.js';
import { createNdjsonSink } from '../src/sinks/ndjson.js';
import { ringfill } from './collector-helpers.js';
import { sampleEvent } from './fixtures/events.js';

const event = sampleEvent;

const expected = (events: readonly unknown[]): Buffer => Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''), 'utf8');
/** Encoded by a fresh encoder and by one whose caches hold other values (a warm one). */
function expectSameBytes(events: readonly unknown[]): void {
  const want = expected(events);
  expect(Buffer.from(createNdjsonEncoder().encode(events as ViolationEvent[])).toString('utf8')).toBe(want.toString('utf8'));
  const warm = createNdjsonEncoder({ initialBytes: 16 });
  warm.encode([event(), event({ host: 'other', comm: 'x', syscall: 'open', nr: 2, workload: 'w' })]);
  expect(Buffer.from(warm.encode(events as ViolationEvent[])).equals(want)).toBe(true);
}

const STRING_FIELDS = [
  'time', 'timeNs', 'host', 'bootId', 'ringStartNs', 'comm', 'exe', 'syscall', 'arch', 'ip', 'callSite', 'action', 'outcome', 'mode',
  'containerId', 'pod', 'namespace', 'workload', 'policyHash', 'identity', 'source',
] as const;
const NASTY: Array<[string, string]> = [
  ['double quotes', 'say "hi"'],
  ['backslashes', 'C:\\path\\'],
  ['every control character', Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')],
  ['DEL and printable ASCII', '\x7f ~!@#$%^&*()_+{}|:<>?'],
  ['Latin-1 and BMP unicode', 'caf\u00e9 \u65e5\u672c \u0416'],
  ['an emoji (a surrogate pair)', 'a\ud83d\ude00b'],
  ['a lone high surrogate', 'x\ud800y'],
  ['a lone low surrogate', 'x\udc00'],
  ['a reversed pair', '\ude00\ud83d'],
  ['line and paragraph separators', '\u2028\u2029'],
  ['the empty string', ''],
  ['a long string', 'long-'.repeat(3000)],
];

describe('NDJSON encoder = JSON.stringify, byte for byte', () => {
  it.each(STRING_FIELDS.flatMap((field) => NASTY.map(([what, s]) => [field, what, s] as const)))('%s with %s', (field, _what, s) => {
    expectSameBytes([event({ [field]: s }), event({ [field]: s, seq: 1 }), event({ seq: 2 })]);
  });

  it.each(NASTY)('an arg with %s', (_what, s) => {
    expectSameBytes([event({ args: ['0x1', s, '0x3', '0x4', '0x5', '0x6'] })]);
  });

  it.each<[string, Partial<ViolationEvent> | Record<string, unknown>]>([
    ['64-bit args', { args: ['0xffffffffffffffff', '0x8000000000000000', '0x100000000', '0xffffffff', '0x0', '0x7fffffffffffffff'] }],
    ['fewer than six args', { args: ['0x1', '0x2'] }],
    ['no args', { args: [] }],
    ['more than six args', { args: ['0x1', '0x2', '0x3', '0x4', '0x5', '0x6', '0x7', '0x8'] }],
    ['an audit event with a negative ret', { mode: 'audit', ret: '-38' }],
    ['a count record (repeat, no ret)', { repeat: 123456 }],
    ['a count record of an audited call (ret then repeat)', { mode: 'audit', ret: '0', repeat: 2 }],
    ['repeat at 2^53-1', { repeat: Number.MAX_SAFE_INTEGER }],
    ['negative numbers', { nr: -1, errno: -5, pid: -1, writerUid: -2 }],
    ['-0', { seq: -0, errno: -0, nr: -0 }],
    ['fractions and exponents', { seq: 1.5, pid: 1e21, tid: 5e-7, ringPid: 123456789.125, writerUid: 1e300 }],
    ['big safe integers', { seq: 2 ** 53 - 1, ringPid: 4194304, writerUid: 4294967295 }],
    ['single digits', { seq: 9, pid: 0, tid: 1 }],
    ['NaN and Infinity (JSON null)', { seq: NaN, pid: Infinity, tid: -Infinity, repeat: NaN }],
    ['ret present but undefined (JSON leaves it out)', { ret: undefined }],
    ['repeat present but undefined', { repeat: undefined }],
    ['a number where a string belongs', { time: 5, host: 7 }],
    ['null fields', { comm: null, ret: null, repeat: null }],
    ['an args entry that is a number, null or undefined', { args: [1, null, undefined, '0x0'] }],
    ['an args hole', { args: ['0x0', , '0x0'] }], // eslint-disable-line no-sparse-arrays
    ['args not an array', { args: '0x0' }],
    ['a nested object', { pod: { a: 1 } }],
    ['an extra key', { extra: 'x' }],
    ['a boolean', { errno: true }],
  ])('%s', (_n, over) => {
    expectSameBytes([event(over as Partial<ViolationEvent>), event({ seq: 5 })]);
  });

  // The encoder caches runs of fields; a first event (nothing cached yet)
  // whose field is undefined must not match an empty cache.
  it.each<[string, Record<string, unknown>]>([
    ['time', { time: undefined }],
    ['host, bootId, ringPid, ringStartNs', { host: undefined, bootId: undefined, ringPid: undefined, ringStartNs: undefined }],
    ['comm and exe', { comm: undefined, exe: undefined }],
    ['syscall, nr, arch', { syscall: undefined, nr: undefined, arch: undefined }],
    ['action and outcome', { action: undefined, outcome: undefined }],
    ['mode and the workload fields', { mode: undefined, containerId: undefined, pod: undefined, namespace: undefined, workload: undefined, policyHash: undefined, identity: undefined, writerUid: undefined, source: undefined }],
  ])('undefined %s in the first event of a fresh encoder', (_n, over) => {
    expectSameBytes([event(over as Partial<ViolationEvent>), event()]);
  });

  it('a syscall that becomes undefined right after comm changed', () => {
    expectSameBytes([event(), event({ comm: 'other' }), event({ comm: 'other2', syscall: undefined } as unknown as Partial<ViolationEvent>), event()]);
  });

  it.each<[string, () => object]>([
    ['keys in another order', () => {
      const { time, ...rest } = event();
      return { ...rest, time };
    }],
    ['a missing key', () => {
      const { pod: _pod, ...rest } = event();
      return rest;
    }],
    ['repeat before ret', () => ({ ...event(), repeat: 3, ret: '1' })],
    ['ret twice is impossible, repeat after an extra key', () => ({ ...event(), x: 1, repeat: 3 })],
    ['an empty object', () => ({})],
    ['null', () => null as unknown as object],
    ['an array', () => [1, 2] as unknown as object],
    ['a toJSON method', () => ({ ...event(), toJSON: () => 'replaced' })],
  ])('not the event layout: %s', (_n, make) => {
    expectSameBytes([make(), event()]);
  });

  it('a bigint throws the TypeError JSON.stringify throws', () => {
    const bad = event({ seq: 1n as unknown as number });
    expect(() => JSON.stringify(bad)).toThrow(TypeError);
    expect(() => createNdjsonEncoder().encode([bad])).toThrow(TypeError);
    const badArg = event({ args: ['0x0', 2n as unknown as string] });
    expect(() => createNdjsonEncoder().encode([badArg])).toThrow(TypeError);
  });

  it('per-ring caches follow changes of value, not only of identity', () => {
    const enc = createNdjsonEncoder();
    const a = [event({ host: 'a' + 'b' }), event({ host: 'ab' }), event({ host: 'ac' }), event({ workload: 'x' }), event({ writerUid: 5 })];
    const b = [event({ syscall: 'open', nr: 2 }), event({ syscall: 'open', nr: 3 }), event({ syscall: 'open', nr: 3, arch: 'x32' }), event({ syscall: 'open', nr: 2 })];
    const c = [event({ time: 'T1' }), event({ time: 'T2' }), event({ time: 'T1' }), event({ comm: 'z' }), event({ exe: 'z' }), event({ ringPid: 2 })];
    for (const batch of [a, b, c, a, c, b]) expect(Buffer.from(enc.encode(batch)).equals(expected(batch))).toBe(true);
  });

  it('an empty batch is no bytes; a batch larger than the buffer grows it', () => {
    const enc = createNdjsonEncoder({ initialBytes: 8 });
    expect(enc.encode([]).length).toBe(0);
    const many = Array.from({ length: 3000 }, (_, i) => event({ seq: i, exe: '/x'.repeat(i % 50) }));
    expect(Buffer.from(enc.encode(many)).equals(expected(many))).toBe(true);
  });

  it('events of the collector: fast path and general path on a real ring, audit and count records, Kafka decode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigsys-ndjson-enc-'));
    try {
      const { path } = await ringfill(dir, 1500, { threads: 2, records: 4096 });
      const native = loadNative();
      const r = new native.RingReader(path);
      const names = createEnricher({ syscallName: native.syscallName });
      const ctx = createRingContext(decodeRingMeta(r.meta()), r.stats().ownerPid);
      const fast = createFastEnricher(names);
      const res = r.read(0, 4096);
      r.close();
      const fastEvents = res.records.map((rec) => fast.enrich(rec.data, ctx)!);
      const generalEvents = res.records.map((rec) => names.enrich(decodeProtoViolation(rec.data), ctx));
      expect(fastEvents).toHaveLength(3000);
      const special = [
        { mode: 2, ret: -38n, nr: 2, arch: 0xc000003e, outcome: 2 },
        { mode: 2, ret: 0n, repeat: 77n },
        { repeat: 2n ** 60n },
        { nr: 0x40000002, arch: 0xc000003e, ip: 0xffffffffff600000n, args: [2n ** 64n - 1n, 2n ** 63n] },
      ].map((v) => encodeViolation(v));
      const specials = special.flatMap((b) => [fast.enrich(b, ctx)!, names.enrich(decodeProtoViolation(b), ctx)]);
      const kafka = [...fastEvents.slice(0, 50), ...specials].map((e) => decodeKafka(encodeKafka(e)));
      expectSameBytes(fastEvents);
      expectSameBytes(generalEvents);
      expectSameBytes(specials);
      expectSameBytes(kafka);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('seeded random events over batches (caches warm across them)', () => {
    // mulberry32: a fixed seed, so a failure is reproducible.
    let seed = 0x5eed1e;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
    const CHARS = ['a', 'Z', '0', '/', ' ', '"', '\\', '\n', '\t', '\x00', '\x1f', '\x7f', '\u00e9', '\u2028', '\ud83d', '\ude00', '\ud83d\ude00', '\uffff'];
    const randStr = () => {
      if (rand() < 0.5) return pick(['x86_64', 'read', 'verified', '', '/usr/bin/app', '0123456789abcdef', 'enforce']);
      let s = '';
      const n = Math.floor(rand() * 12);
      for (let i = 0; i < n; i++) s += rand() < 0.7 ? pick(['a', 'b', '0', '/', '-']) : pick(CHARS);
      return s;
    };
    const randNum = () =>
      pick([
        () => Math.floor(rand() * 10),
        () => Math.floor(rand() * 2 ** 32),
        () => Math.floor(rand() * Number.MAX_SAFE_INTEGER),
        () => -Math.floor(rand() * 1000),
        () => rand() * 1e6,
        () => -0,
        () => NaN,
      ])();
    const hex = () => '0x' + Math.floor(rand() * 2 ** 32).toString(16) + (rand() < 0.3 ? 'ffffffff' : '');
    const rings = Array.from({ length: 4 }, () => ({ host: randStr(), bootId: randStr(), ringPid: randNum(), ringStartNs: randStr(), comm: randStr(), exe: randStr(), workload: randStr() }));
    let total = 0;
    const enc = createNdjsonEncoder({ initialBytes: 256 });
    for (let b = 0; b < 60; b++) {
      const batch: unknown[] = [];
      const n = 1 + Math.floor(rand() * 60);
      for (let i = 0; i < n; i++) {
        const ring = pick(rings);
        const e = event({
          ...ring,
          time: rand() < 0.8 ? '2026-01-01T00:00:00.000Z' : randStr(),
          timeNs: String(Math.floor(rand() * 1e15)),
          seq: randNum(), pid: randNum(), tid: randNum(),
          syscall: rand() < 0.8 ? pick(['read', 'write', 'open']) : randStr(), nr: rand() < 0.8 ? pick([0, 1, 2]) : randNum(),
          arch: rand() < 0.9 ? 'x86_64' : randStr(),
          args: Array.from({ length: rand() < 0.9 ? 6 : Math.floor(rand() * 9) }, () => (rand() < 0.9 ? hex() : randStr())),
          ip: hex(), callSite: randStr(), errno: randNum(), mode: pick(['enforce', 'audit', 'unknown']),
          containerId: randStr(), pod: randStr(), namespace: randStr(), policyHash: randStr(), identity: randStr(), writerUid: randNum(), source: randStr(),
        });
        if (rand() < 0.3) e.ret = String(randNum());
        if (rand() < 0.3) e.repeat = randNum();
        batch.push(rand() < 0.03 ? { ...e, extra: 1 } : e);
      }
      total += batch.length;
      expect(Buffer.from(enc.encode(batch as ViolationEvent[])).toString('utf8')).toBe(expected(batch).toString('utf8'));
    }
    expect(total).toBeGreaterThan(1000);
  });
});

describe('NDJSON sink with the encoder', () => {
  it('writes in flight at once each keep their own bytes (the encoder buffer is reused)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigsys-ndjson-conc-'));
    try {
      const path = join(dir, 'events.ndjson');
      const s = createNdjsonSink({ path, fsync: 'never' });
      const a = Array.from({ length: 500 }, (_, i) => event({ seq: i, comm: 'A' }));
      const b = Array.from({ length: 500 }, (_, i) => event({ seq: i, comm: 'B' }));
      const c = Array.from({ length: 500 }, (_, i) => event({ seq: i, comm: 'C' }));
      await Promise.all([s.write(a), s.write(b)]);
      await s.write(c);
      await s.close();
      const text = await readFile(path, 'utf8');
      const lines = text.trimEnd().split('\n');
      expect(lines).toHaveLength(1500);
      // Each batch's bytes are intact and complete (appends of two writes in flight may come in either order).
      const want = new Set([...a, ...b, ...c].map((e) => JSON.stringify(e)));
      expect(new Set(lines)).toEqual(want);
      expect(text.endsWith(expected(c).toString('utf8'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
