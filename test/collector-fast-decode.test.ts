/**
 * The collector's fused fast path (src/collector/fast-decode.ts) gives the
 * same ViolationEvent as the general path (proto.ts decodeViolation +
 * enrich) on every golden vector written by the C encoder, on every record
 * of a real ring, and on thousands of mutated records it either agrees or
 * hands the record to the general path.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFastEnricher } from '../src/collector/fast-decode.js';
import { createEnricher, createRingContext } from '../src/events/enrich.js';
import { decodeRingMeta, decodeViolation, encodeViolation } from '../src/events/proto.js';
import { loadNative } from '../src/native/loader.js';
import { root, ringfill } from './collector-helpers.js';

const names = createEnricher({ syscallName: (nr, arch) => (arch === 'x86_64' && nr === 2 ? 'open' : undefined) });
const ctx = createRingContext({
  host: 'h', pid: 9, exe: '/bin/x', comm: 'x', mode: 2,
  maps: [{ start: 0x400000n, end: 0x500000n, offset: 0x1000n, path: '/bin/x' }, { start: 0x7f0000000000n, end: 0x7f0000100000n, offset: 0n, path: '/lib/libc.so.6' }],
});
const fast = createFastEnricher(names);
const general = (b: Uint8Array) => names.enrich(decodeViolation(b), ctx);

const vectorDir = join(root, 'test/vectors');
const vectors = readdirSync(vectorDir).filter((f) => f.startsWith('violation-') && f.endsWith('.bin'));

describe('fast path = general path', () => {
  it.each(vectors)('golden vector %s', (file) => {
    const b = readFileSync(join(vectorDir, file));
    const ev = fast.enrich(b, ctx);
    expect(ev).toBeDefined();
    expect(ev).toEqual(general(b));
  });

  it.each([
    ['audit mode with a negative ret', { mode: 2, ret: -38n, nr: 2, arch: 0xc000003e, outcome: 2 }],
    ['negative nr and errno', { nr: -1, errnoRet: -5, arch: 0xc000003e }],
    ['x32 syscall bit', { nr: 0x40000002, arch: 0xc000003e }],
    ['an unknown arch', { nr: 1, arch: 0x12345678 }],
    ['an ip in a mapping with an offset', { ip: 0x400abcn }],
    ['an ip above 2^53', { ip: 0xffffffffff600000n }],
    ['max 64-bit args', { args: [2n ** 64n - 1n, 2n ** 63n, 1n, 0n, 2n ** 32n, 2n ** 32n - 1n] }],
    ['fewer than six args', { args: [1n, 2n] }],
    ['time far in the future', { timeNs: 2n ** 63n }],
    // timeNs is computed without BigInt: whole seconds of hi * 2^32 plus lo
    ['time zero', { timeNs: 0n }],
    ['time below one second', { timeNs: 999_999_999n }],
    ['time with a leading zero after the seconds', { timeNs: 1_796_223_047_000_000_007n }],
    ['time where lo carries into the next second', { timeNs: (418_000_000n << 32n) + 4_294_967_295n }],
    ['time at 2^32 ns', { timeNs: 2n ** 32n }],
    ['the largest time', { timeNs: 2n ** 64n - 1n }],
  ])('encoded by proto.ts: %s', (_n, v) => {
    const b = encodeViolation(v);
    expect(fast.enrich(b, ctx)).toEqual(general(b));
  });

  it('every record of a real ring', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigsys-fast-'));
    try {
      const { path } = await ringfill(dir, 2000, { threads: 2, records: 4096 });
      const native = loadNative();
      const r = new native.RingReader(path);
      const ringCtx = createRingContext(decodeRingMeta(r.meta()), r.stats().ownerPid);
      const res = r.read(0, 4096);
      r.close();
      expect(res.records).toHaveLength(4000);
      for (const rec of res.records) expect(fast.enrich(rec.data, ringCtx)).toEqual(names.enrich(decodeViolation(rec.data), ringCtx));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('mutated records: the fast path agrees with the general path or defers to it, never differs', () => {
    const seeds = vectors.map((f) => readFileSync(join(vectorDir, f)));
    let state = 12345;
    const rand = (n: number) => ((state = (state * 1103515245 + 12345) >>> 0) % n);
    let agreed = 0;
    let deferred = 0;
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(seeds[rand(seeds.length)]!);
      for (let k = 0; k <= rand(3); k++) {
        const op = rand(3);
        if (op === 0 && b.length) b[rand(b.length)] = rand(256);
        else if (op === 1 && b.length) b[rand(b.length)] ^= 1 << rand(8);
      }
      const cut = rand(4) === 0 ? b.subarray(0, rand(b.length + 1)) : b;
      const ev = fast.enrich(cut, ctx);
      if (ev === undefined) {
        deferred++;
        continue;
      }
      let want;
      try {
        want = general(cut);
      } catch {
        want = 'general path rejects';
      }
      expect(ev).toEqual(want);
      agreed++;
    }
    expect(agreed).toBeGreaterThan(1000);
    expect(deferred).toBeGreaterThan(100);
  });
});
