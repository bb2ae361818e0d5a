/**
 * Golden vectors: bytes written by the C encoder (native/src/encode.c, via
 * native/tools/gen_vectors.c) decode with protobufjs to exactly the values in
 * test/vectors/vectors.json, protobufjs re-encodes them to the same bytes, and
 * src/events/proto.ts round-trips them (bigint 64-bit fields) byte for byte.
 * The native ctest ring-03-vectors keeps the committed .bin files equal to
 * what the current encoder writes, so together they pin C <-> JS.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  decodeRingMeta,
  decodeViolation,
  encodeRingMeta,
  encodeViolation,
  protoFile,
} from '../src/events/proto.js';

const dir = join(import.meta.dirname, 'vectors');

interface Vector {
  name: string;
  file: string;
  bytes: number;
  about: string;
  fields: Record<string, unknown>;
}
interface Vectors {
  violations: Vector[];
  ringMetas: Vector[];
}

const vectors = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8')) as Vectors;
const root = protobuf.loadSync(protoFile);
const ViolationT = root.lookupType('sigsys.v1.Violation');
const RingMetaT = root.lookupType('sigsys.v1.RingMeta');
const bin = (v: Vector): Uint8Array => new Uint8Array(readFileSync(join(dir, v.file)));

/** protobufjs' plain view: 64-bit as decimal strings, enums as numbers, bytes as hex. */
function plain(t: protobuf.Type, msg: protobuf.Message): Record<string, unknown> {
  const o = t.toObject(msg, { longs: String, enums: Number, bytes: Array, defaults: true, arrays: true });
  if (o.policyHash) o.policyHash = Buffer.from(o.policyHash as number[]).toString('hex');
  return o;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

describe('golden vectors', () => {
  it('every .bin in test/vectors is described by vectors.json and vice versa', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
    const described = [...vectors.violations, ...vectors.ringMetas].map((v) => v.file).sort();
    expect(files).toEqual(described);
    expect(vectors.violations.length).toBeGreaterThanOrEqual(15);
    expect(vectors.ringMetas.length).toBeGreaterThanOrEqual(4);
  });

  describe.each(vectors.violations)('Violation $name', (v) => {
    it('decodes with protobufjs to exactly the expected fields', () => {
      const bytes = bin(v);
      expect(bytes.length).toBe(v.bytes);
      const o = plain(ViolationT, ViolationT.decode(bytes));
      expect(pick(o, Object.keys(v.fields))).toEqual(v.fields);
      // Collector fields are never written by the handler's encoder.
      for (const k of ['syscall', 'host', 'bootId', 'exe', 'containerId', 'workload', 'comm', 'callSite']) {
        expect(o[k]).toBe('');
      }
      expect(o.ringPid).toBe(0);
    });

    it('re-encodes with protobufjs to the same bytes', () => {
      const bytes = bin(v);
      expect(Buffer.from(ViolationT.encode(ViolationT.decode(bytes)).finish())).toEqual(Buffer.from(bytes));
    });

    it('round-trips through proto.ts with exact bigint values', () => {
      const bytes = bin(v);
      const d = decodeViolation(bytes);
      const f = v.fields;
      expect(d.timeNs).toBe(BigInt(f.timeNs as string));
      expect(d.seq).toBe(BigInt(f.seq as string));
      expect(d.ip).toBe(BigInt(f.ip as string));
      expect(d.ret).toBe(BigInt(f.ret as string));
      expect(d.args).toEqual((f.args as string[]).map((a) => BigInt(a)));
      expect([d.pid, d.tid, d.nr, d.arch, d.action, d.outcome, d.errnoRet, d.mode]).toEqual([
        f.pid, f.tid, f.nr, f.arch, f.action, f.outcome, f.errnoRet, f.mode,
      ]);
      expect(Buffer.from(encodeViolation(d))).toEqual(Buffer.from(bytes));
    });
  });

  describe.each(vectors.ringMetas)('RingMeta $name', (v) => {
    it('decodes with protobufjs to exactly the expected fields', () => {
      const bytes = bin(v);
      expect(bytes.length).toBe(v.bytes);
      const o = plain(RingMetaT, RingMetaT.decode(bytes));
      expect(pick(o, Object.keys(v.fields))).toEqual(v.fields);
    });

    it('re-encodes with protobufjs to the same bytes', () => {
      const bytes = bin(v);
      expect(Buffer.from(RingMetaT.encode(RingMetaT.decode(bytes)).finish())).toEqual(Buffer.from(bytes));
    });

    it('round-trips through proto.ts', () => {
      const bytes = bin(v);
      const d = decodeRingMeta(bytes);
      const f = v.fields as { argv: string[]; maps: { start: string; path: string }[]; pidNs: string; startNs: string; policyHash: string };
      expect(d.argv).toEqual(f.argv);
      expect(d.pidNs).toBe(BigInt(f.pidNs));
      expect(d.startNs).toBe(BigInt(f.startNs));
      expect(d.policyHash.toString('hex')).toBe(f.policyHash);
      expect(d.maps.map((m) => [m.start, m.path])).toEqual(f.maps.map((m) => [BigInt(m.start), m.path]));
      expect(Buffer.from(encodeRingMeta(d))).toEqual(Buffer.from(bytes));
    });
  });
});

describe('proto.ts encoding guards', () => {
  it.each([
    ['a uint64 above 2^64-1', { seq: 1n << 64n }, /out of range for uint64/],
    ['a negative uint64', { ip: -1n }, /out of range for uint64/],
    ['a sint64 below -2^63', { ret: -(1n << 63n) - 1n }, /out of range for sint64/],
    ['an unsafe JS number', { timeNs: 2 ** 60 }, /not a safe integer/],
    ['a non-integer string', { timeNs: '12abc' }, /not an integer/],
  ])('rejects %s instead of wrapping it', (_name, input, msg) => {
    expect(() => encodeViolation(input)).toThrow(msg);
  });

  it('keeps uint64 values above 2^53 exact through encode and decode', () => {
    const big = (1n << 64n) - 2n;
    const d = decodeViolation(encodeViolation({ timeNs: big, args: [big, 0n, 1n, 2n, 3n, 4n], ret: -5n }));
    expect(d.timeNs).toBe(big);
    expect(d.args[0]).toBe(big);
    expect(d.ret).toBe(-5n);
  });

  it('reports a truncated message as an error naming the type', () => {
    const bytes = bin(vectors.violations.find((v) => v.name === 'violation-errno-openat')!);
    expect(() => decodeViolation(bytes.subarray(0, bytes.length - 3))).toThrow(/invalid sigsys.v1.Violation/);
  });
});
