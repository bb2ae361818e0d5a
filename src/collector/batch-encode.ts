/**
 * batch-encode.ts - the collector's batch path for sinks that take encoded
 * batches (NDJSON, Prometheus: Sink.writeEncoded): one readPacked batch of a
 * ring to its NDJSON lines and its label tally without a ViolationEvent per
 * record.
 *
 * The addon's NdjsonEncoder (native/src/ndjson_encode.c) decodes the
 * handler-written records and writes their lines into one buffer.  What it
 * cannot know is made here, once: the ring's constant fields (host, exe,
 * workload, identity, ...) and each syscall's name as JSON text, by
 * JSON.stringify itself, so every string in a line is escaped by the
 * reference.  Records the encoder leaves alone (another field or wire type,
 * a syscall it was not told the name of yet, ...) take the collector's
 * usual path (recordEvent below: fast-decode.ts, else protobufjs + enrich),
 * and their lines (ndjson-encode.ts) are put where they belong, so the
 * bytes are those of the event path in the same order.  Syscalls the
 * encoder has no name for yet are named here (enricher.syscallName) and the
 * batch encoded again.
 *
 * Rings whose mappings the encoder could not resolve exactly as
 * fast-decode.ts does (addresses or offsets past 2^53: a hostile RingMeta)
 * and batches whose calls add up past 2^53 (hostile repeat counts) are
 * not encoded here: the caller takes the event path for them.
 *
 * test/collector-batch-encode.test.ts proves the lines and tallies equal to
 * the event path's on golden vectors, real rings, forged/audit/unverified
 * contexts and mutated records.
 */
import type { DecodedViolation, Enricher, RingContext } from '../events/enrich.js';
import { ACTIONS, MODES, OUTCOMES, archName } from '../events/schema.js';
import { eventCalls, type ViolationEvent } from '../events/types.js';
import type { NdjsonEncodeResult, NdjsonEncoder, NdjsonRingSpec, SigsysNative } from '../native/native.js';
import { createNdjsonEncoder } from '../sinks/ndjson-encode.js';
import type { EncodedBatch, LabelCount } from '../sinks/sink.js';
import type { RingDecoder } from './decode.js';
import type { FastEnricher } from './fast-decode.js';

/** Record i of a packed read is data[ends[i-1] ?? 0, ends[i]), ticket seqs[i]. */
export interface PackedRecords {
  data: Uint8Array;
  ends: Uint32Array;
  seqs: Float64Array;
}

export interface RecordDecoding {
  fast?: FastEnricher;
  decoder: RingDecoder;
  enricher: Enricher;
}

/**
 * The collector's record -> event path: the fused fast path, else protobufjs
 * + enrich; undefined when the record is not a Violation (counted by the
 * caller as undecodable).
 */
export function recordEvent(d: RecordDecoding, data: Uint8Array, start: number, end: number, seq: number, ctx: RingContext): ViolationEvent | undefined {
  const quick = d.fast?.enrich(data, ctx, start, end);
  if (quick) {
    quick.seq = seq;
    return quick;
  }
  let v: DecodedViolation;
  try {
    v = d.decoder.violation(data.subarray(start, end));
  } catch {
    return undefined;
  }
  try {
    const ev = d.enricher.enrich(v, ctx);
    ev.seq = seq;
    return ev;
  } catch {
    return undefined;
  }
}

export interface BatchResult {
  batch: EncodedBatch;
  /** Records that are not Violations (skipped, counted as corrupt 'decode'). */
  undecodable: number;
  /** Records the addon wrote (the rest took the event path). */
  native: number;
}

export interface BatchEncoder {
  /** The batch encoded, or undefined when this ring or batch must take the event path. */
  encode(ctx: RingContext, recs: PackedRecords): BatchResult | undefined;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const J = (v: unknown): string => JSON.stringify(v);
const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The ring's constant fields as the encoder's JSON text; undefined when the
 * ring must take the event path.  Field order is buildEvent's (schema.ts).
 */
function ringSpec(ctx: RingContext): NdjsonRingSpec | undefined {
  const { host, bootId, ringPid, ringStartNs, comm, exe, containerId, pod, namespace, workload, policyHash, identity, writerUid, source } = ctx;
  if (!isStr(host) || !isStr(bootId) || !isNum(ringPid) || !isStr(ringStartNs) || !isStr(comm) || !isStr(exe)) return undefined;
  if (!isStr(containerId) || !isStr(pod) || !isStr(namespace) || !isStr(workload) || !isStr(policyHash) || !isStr(identity) || !isNum(writerUid) || !isStr(source)) {
    return undefined;
  }
  const mode = (MODES as readonly string[]).indexOf(ctx.mode);
  if (mode < 0) return undefined;
  // fast-decode.ts resolves call sites in doubles when every mapping ends
  // below 2^53: exact only while ip - start + offset stays below 2^53 too.
  const maps = ctx.maps;
  for (const m of maps) if (m.start < 0n || m.end > MAX_SAFE || m.offset < 0n || m.offset + (m.end - m.start) > MAX_SAFE) return undefined;
  const prefixes: Uint8Array[] = maps.map((m) => utf8(J(m.module + '+0x').slice(0, -1)));
  const prefixEnds = new Uint32Array(maps.length);
  let at = 0;
  prefixes.forEach((p, i) => (prefixEnds[i] = at += p.length));
  return {
    ring: utf8(`,"host":${J(host)},"bootId":${J(bootId)},"ringPid":${J(ringPid)},"ringStartNs":${J(ringStartNs)},"seq":`),
    comm: utf8(`,"comm":${J(comm)},"exe":${J(exe)},"syscall":`),
    tail: utf8(
      `,"containerId":${J(containerId)},"pod":${J(pod)},"namespace":${J(namespace)},"workload":${J(workload)},"policyHash":${J(policyHash)}` +
        `,"identity":${J(identity)},"writerUid":${J(writerUid)},"source":${J(source)}`,
    ),
    forgedPid: ctx.forged ? utf8(J(ringPid)) : undefined,
    mode,
    mapStart: BigUint64Array.from(maps, (m) => m.start),
    mapEnd: BigUint64Array.from(maps, (m) => m.end),
    mapOffset: BigUint64Array.from(maps, (m) => m.offset),
    prefixes: Buffer.concat(prefixes),
    prefixEnds,
  };
}

/** Undefined when the addon has no NdjsonEncoder (an older build): the collector keeps the event path. */
export function createBatchEncoder(native: SigsysNative, d: RecordDecoding): BatchEncoder | undefined {
  if (typeof native.NdjsonEncoder !== 'function') return undefined;
  const enc: NdjsonEncoder = new native.NdjsonEncoder();
  const lineEncoder = createNdjsonEncoder({ initialBytes: 64 * 1024 });
  // Per RingContext (a new object whenever a ring's identity verdict changes).
  const specs = new WeakMap<RingContext, NdjsonRingSpec | null>();
  /** Give the encoder a syscall's JSON text: what fast-decode.ts writes for (arch, nr). */
  function tell(arch: number, nr: number): void {
    const archText = archName(arch, nr);
    const name = d.enricher.syscallName(nr, archText);
    enc.setSyscall(arch, nr, utf8(`${J(name)},"nr":${J(nr)},"arch":${J(archText)},"args":[`));
  }

  // The lines go into one buffer, reused by the next batch: the collector
  // hands a batch to its sinks and waits for all of them before it reads
  // the next one (EncodedBatch.ndjson is valid until then).
  let out = Buffer.allocUnsafeSlow(4 << 20);

  function run(spec: NdjsonRingSpec, recs: PackedRecords): NdjsonEncodeResult {
    for (;;) {
      const res = enc.encode(spec, recs.data, recs.ends, recs.seqs, out);
      if (!('needBytes' in res)) return res;
      out = Buffer.allocUnsafeSlow(Math.max(res.needBytes, 2 * out.length));
    }
  }

  /** undefined when the addon refused the arguments: the batch takes the event path, the ring is not dropped. */
  function tryRun(spec: NdjsonRingSpec, recs: PackedRecords): NdjsonEncodeResult | undefined {
    try {
      return run(spec, recs);
    } catch {
      return undefined;
    }
  }

  function encodeBatch(ctx: RingContext, recs: PackedRecords): BatchResult | undefined {
    let spec = specs.get(ctx);
    if (spec === undefined) specs.set(ctx, (spec = ringSpec(ctx) ?? null));
    if (!spec) return undefined;
    const { data, ends, seqs } = recs;
    let res = tryRun(spec, recs);
    if (res?.missing.length) {
      // Syscalls the encoder meets for the first time: tell it their names and
      // encode again (once per batch with a new syscall).
      for (let k = 0; k < res.missing.length; k += 2) tell(res.missing[k]!, res.missing[k + 1]!);
      res = tryRun(spec, recs);
    }
    if (!res) return undefined;
    const lines = out.subarray(0, res.length);
    const t = res.tally;

    // Label sets: the encoder's (by arch, nr) and the event path's, merged by
    // label in order of first occurrence (the label caps admit values in the
    // order they are counted, like the Prometheus sink's write()).
    const firsts: { first: number; syscall: string; action: LabelCount['action']; outcome: LabelCount['outcome']; n: number }[] = [];
    let calls = 0;
    for (let k = 0; k < t.length; k += 6) {
      const arch = t[k]!, nr = t[k + 1]!;
      const syscall = d.enricher.syscallName(nr, archName(arch, nr));
      firsts.push({ first: t[k + 5]!, syscall, action: ACTIONS[t[k + 2]!] ?? 'unknown', outcome: OUTCOMES[t[k + 3]!] ?? 'unknown', n: t[k + 4]! });
      calls += t[k + 4]!;
    }

    let ndjson: Uint8Array = lines;
    const nativeCount = ends.length - res.fallback.length;
    let events = nativeCount;
    let undecodable = 0;
    if (res.fallback.length) {
      const parts: Uint8Array[] = [];
      let at = 0;
      for (let k = 0; k < res.fallback.length; k++) {
        const i = res.fallback[k]!;
        const ev = recordEvent(d, data, i === 0 ? 0 : ends[i - 1]!, ends[i]!, seqs[i]!, ctx);
        if (!ev) {
          undecodable++;
          continue;
        }
        events++;
        const cut = res.fallbackAt[k]!;
        if (cut > at) parts.push(lines.subarray(at, cut));
        at = cut;
        parts.push(Buffer.from(lineEncoder.encode([ev]))); // a copy: the encoder reuses its buffer
        firsts.push({ first: i, syscall: ev.syscall, action: ev.action, outcome: ev.outcome, n: eventCalls(ev) });
        calls += eventCalls(ev);
      }
      if (at < lines.length) parts.push(lines.subarray(at));
      ndjson = Buffer.concat(parts);
    }
    // Sums past 2^53 would round differently when added per label set than
    // event by event: such a batch takes the event path.
    if (calls > Number.MAX_SAFE_INTEGER) return undefined;

    firsts.sort((a, b) => a.first - b.first);
    const byLabel = new Map<string, LabelCount>();
    for (const f of firsts) {
      // Few label sets per batch: a key string per set, not per event.
      const key = `${f.syscall}\0${f.action}\0${f.outcome}`;
      const have = byLabel.get(key);
      if (have) have.n += f.n;
      else byLabel.set(key, { syscall: f.syscall, action: f.action, outcome: f.outcome, workload: ctx.workload, identity: ctx.identity, n: f.n });
    }
    return { batch: { events, ndjson, tally: [...byLabel.values()] }, undecodable, native: nativeCount };
  }

  // Anything that fails here (the addon out of memory naming a syscall, a
  // ring's text that cannot be made, ...) sends the batch down the event
  // path, which decides about it as it always did: a thrown error would
  // reach the collector loop and drop the whole ring from collection.
  function encode(ctx: RingContext, recs: PackedRecords): BatchResult | undefined {
    try {
      return encodeBatch(ctx, recs);
    } catch {
      return undefined;
    }
  }

  return { encode };
}
