/**
 * codec.ts - the Kafka value: a ViolationEvent (what sinks get) as a
 * protobuf sigsys.v1.Violation and back.  The wire format itself is
 * src/events/proto.ts (encodeViolation / decodeViolation); field numbers,
 * enum names and the event itself (buildEvent) come from
 * src/events/schema.ts, like the collector's.  This file maps between the
 * two shapes, so `sigsys aggregate` decodes exactly what the collector's
 * enricher produced.
 *
 * Encoding is on the collector's hot path (every event goes through it), so
 * `encodeViolation` writes the protobuf wire format directly: the same
 * canonical bytes proto.ts's protobufjs encoder produces (fields in number
 * order, proto3 defaults omitted, args packed; a test checks byte equality)
 * at a fraction of the cost.  Decoding always goes through proto.ts.
 *
 * Two value formats (header `sigsys-schema` says which; names in topic.ts):
 *   sigsys.v1.Violation  one event per Kafka message (the default)
 *   sigsys.v1.Batch      several events of one key per message (opt-in):
 *                        kafkajs spends most of its time per record, so
 *                        packing multiplies the events/s one collector ships.
 */
import { decodeViolation as decodeProto } from '../events/proto.js';
import { hex64 } from '../events/enrich.js';
import {
  ACTION_VALUE,
  BatchField,
  IDENTITY_VALUE,
  MODE_VALUE,
  OUTCOME_VALUE,
  Source,
  ViolationField as F,
  WireType,
  actionName,
  archName,
  auditArch,
  buildEvent,
  identityName,
  modeName,
  outcomeName,
  repeatCount,
  sourceName,
  tagOf,
} from '../events/schema.js';
import type { ViolationEvent } from '../events/types.js';
import { SigsysError } from '../errors.js';

// ---- wire-format writer (protobuf varints into a reused scratch buffer) ----

let scratch = Buffer.allocUnsafe(4096);
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= scratch.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, pos + n + 1024));
  scratch.copy(bigger, 0, 0, pos);
  scratch = bigger;
}

function varint32(v: number): void {
  // v is a non-negative integer < 2^32
  while (v > 0x7f) {
    scratch[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  scratch[pos++] = v;
}

function varint64(lo: number, hi: number): void {
  while (hi !== 0) {
    scratch[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  varint32(lo);
}

const M32 = 0xffffffffn;
function varintBig(v: bigint): void {
  const u = BigInt.asUintN(64, v);
  varint64(Number(u & M32), Number(u >> 32n));
}

/** int32 field: negative values are sign-extended to 10 bytes, like protobufjs. */
function int32(v: number): void {
  if (v >= 0) varint32(v);
  else varint64(v >>> 0, 0xffffffff);
}

function tag(t: number): void {
  varint32(t);
}

function str(t: number, v: string): void {
  if (!v) return;
  const len = v.length;
  ensure(len * 3 + 10);
  tag(t);
  if (len < 128) {
    // Short ASCII strings (names, ids, paths) are copied by hand: cheaper
    // than a native utf8 write; anything else takes Buffer.write.
    const at = pos++;
    let i = 0;
    for (; i < len; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) break;
      scratch[pos++] = c;
    }
    if (i === len) {
      scratch[at] = len;
      return;
    }
    pos = at;
  }
  const n = Buffer.byteLength(v);
  varint32(n);
  scratch.write(v, pos, n, 'utf8');
  pos += n;
}

/**
 * Fields that are constant per ring (host, boot id, exe, workload...) repeat
 * in every event: their encoded bytes (tag, length, utf8) are cached by
 * string value, so the hot loop copies instead of encoding.  Bounded: the
 * cache is simply cleared when it fills.
 */
const fieldCaches = new Map<number, Map<string, Buffer>>();
const FIELD_CACHE_MAX = 1024;

function cacheFor(t: number): Map<string, Buffer> {
  let c = fieldCaches.get(t);
  if (!c) fieldCaches.set(t, (c = new Map()));
  return c;
}

function cachedStr(t: number, v: string): void {
  if (!v) return;
  const fieldCache = cacheFor(t);
  let b = fieldCache.get(v);
  if (!b) {
    const save = pos;
    str(t, v);
    b = Buffer.from(scratch.subarray(save, pos));
    pos = save;
    if (fieldCache.size >= FIELD_CACHE_MAX) fieldCache.clear();
    fieldCache.set(v, b);
  }
  ensure(b.length);
  if (b.length <= 48) for (let i = 0; i < b.length; i++) scratch[pos++] = b[i]!;
  else pos += b.copy(scratch, pos);
}

/** u64 decimal string (timeNs) as a varint; BigInt only past 2^53. */
function varintDec(dec: string): void {
  const n = Number(dec);
  if (Number.isSafeInteger(n)) {
    varint64(n % 4294967296, Math.floor(n / 4294967296));
    return;
  }
  // e.g. 1.7e18 ns: split in two decimal halves to stay exact without BigInt
  if (dec.length <= 20 && /^\d+$/.test(dec)) {
    const hiDec = Number(dec.slice(0, -9)); // < 2^37 for any u64
    const loDec = Number(dec.slice(-9)); // < 1e9
    const a = hiDec % 65536;
    const b = Math.floor(hiDec / 65536);
    if (b < 131072) {
      // value = (a*1e9 + loDec) + (b*1e9) * 65536, each part exact in a double
      const x = a * 1e9 + loDec;
      const y = b * 1e9;
      const lo = (x % 4294967296) + (y % 65536) * 65536;
      const hi = Math.floor(x / 4294967296) + Math.floor(y / 65536) + Math.floor(lo / 4294967296);
      varint64(lo % 4294967296, hi);
      return;
    }
  }
  varintBig(BigInt(dec));
}

/** A 0x-hex u64 (how ViolationEvent carries args and ip) as a varint, without BigInt. */
function varintHex(hex: string | undefined): void {
  if (!hex || hex === '0x0') {
    scratch[pos++] = 0;
    return;
  }
  const digits = hex.charCodeAt(1) === 0x78 || hex.charCodeAt(1) === 0x58 ? hex.slice(2) : hex;
  if (digits.length <= 8) {
    const lo = Number.parseInt(digits, 16);
    if (Number.isNaN(lo)) scratch[pos++] = 0;
    else varint32(lo);
    return;
  }
  if (digits.length <= 16) {
    const lo = Number.parseInt(digits.slice(-8), 16);
    const hi = Number.parseInt(digits.slice(0, -8), 16);
    if (!Number.isNaN(lo) && !Number.isNaN(hi)) {
      varint64(lo, hi);
      return;
    }
  }
  let v = 0n;
  try {
    v = BigInt(hex);
  } catch {
    v = 0n;
  }
  varintBig(v);
}

const isZeroHex = (hex: string | undefined): boolean => !hex || /^0x0*$/i.test(hex);

// Keys (field number and wire type) of every field written below.
const V = WireType.VARINT;
const L = WireType.LEN;
const T_TIME = tagOf(F.timeNs, V), T_SEQ = tagOf(F.seq, V), T_PID = tagOf(F.pid, V), T_TID = tagOf(F.tid, V);
const T_NR = tagOf(F.nr, V), T_ARCH = tagOf(F.arch, V), T_ARGS = tagOf(F.args, L), T_IP = tagOf(F.ip, V);
const T_ACTION = tagOf(F.action, V), T_OUTCOME = tagOf(F.outcome, V), T_ERRNO = tagOf(F.errnoRet, V);
const T_RET = tagOf(F.ret, V), T_MODE = tagOf(F.mode, V), T_SYSCALL = tagOf(F.syscall, L), T_HOST = tagOf(F.host, L);
const T_BOOT_ID = tagOf(F.bootId, L), T_EXE = tagOf(F.exe, L), T_CONTAINER = tagOf(F.containerId, L);
const T_WORKLOAD = tagOf(F.workload, L), T_POD = tagOf(F.pod, L), T_NAMESPACE = tagOf(F.namespace, L);
const T_POLICY_HASH = tagOf(F.policyHash, L), T_RING_PID = tagOf(F.ringPid, V), T_CALL_SITE = tagOf(F.callSite, L);
const T_COMM = tagOf(F.comm, L), T_RING_START = tagOf(F.ringStartNs, V), T_WRITER_UID = tagOf(F.writerUid, V);
const T_IDENTITY = tagOf(F.identity, V), T_SOURCE = tagOf(F.source, V), T_REPEAT = tagOf(F.repeat, V);
const T_BATCH_VIOLATION = tagOf(BatchField.violations, L);

function writeViolation(e: ViolationEvent): void {
  ensure(200); // every fixed-size field below fits: 13 varints of <= 11 bytes + packed args
  if (e.timeNs && e.timeNs !== '0') (tag(T_TIME), varintDec(e.timeNs));
  if (e.seq) (tag(T_SEQ), Number.isSafeInteger(e.seq) && e.seq < 2 ** 32 ? varint32(e.seq) : varintBig(BigInt(e.seq)));
  if (e.pid) (tag(T_PID), varint32(e.pid >>> 0));
  if (e.tid) (tag(T_TID), varint32(e.tid >>> 0));
  if (e.nr) (tag(T_NR), int32(e.nr | 0));
  const arch = auditArch(e.arch);
  if (arch) (tag(T_ARCH), varint32(arch));
  if (e.args.length > 0) {
    // packed repeated uint64: length first, so encode the body after a 1-byte hole
    tag(T_ARGS);
    const at = pos++;
    for (const a of e.args) varintHex(a);
    const len = pos - at - 1; // at most 6 * 10 = 60 < 128: one length byte
    scratch[at] = len;
  }
  if (!isZeroHex(e.ip)) (tag(T_IP), varintHex(e.ip));
  const action = ACTION_VALUE.get(e.action) ?? 0;
  if (action) (tag(T_ACTION), varint32(action));
  const outcome = OUTCOME_VALUE.get(e.outcome) ?? 0;
  if (outcome) (tag(T_OUTCOME), varint32(outcome));
  if (e.errno) (tag(T_ERRNO), int32(e.errno | 0));
  if (e.ret !== undefined && e.ret !== '0' && e.ret !== '') {
    const r = BigInt.asIntN(64, BigInt(e.ret));
    if (r !== 0n) (tag(T_RET), varintBig(r >= 0n ? r << 1n : (-r << 1n) - 1n)); // zigzag
  }
  const mode = MODE_VALUE.get(e.mode) ?? 0;
  if (mode) (tag(T_MODE), varint32(mode));
  str(T_SYSCALL, e.syscall);
  cachedStr(T_HOST, e.host);
  cachedStr(T_BOOT_ID, e.bootId);
  cachedStr(T_EXE, e.exe);
  cachedStr(T_CONTAINER, e.containerId);
  cachedStr(T_WORKLOAD, e.workload);
  cachedStr(T_POD, e.pod);
  cachedStr(T_NAMESPACE, e.namespace);
  if (e.policyHash) cachedHex(T_POLICY_HASH, e.policyHash);
  ensure(12);
  if (e.ringPid) (tag(T_RING_PID), varint32(e.ringPid >>> 0));
  str(T_CALL_SITE, e.callSite);
  cachedStr(T_COMM, e.comm);
  ensure(40);
  if (e.ringStartNs && e.ringStartNs !== '0') (tag(T_RING_START), varintDec(e.ringStartNs));
  if (e.writerUid) (tag(T_WRITER_UID), varint32(e.writerUid >>> 0));
  const identity = IDENTITY_VALUE.get(e.identity) ?? 0;
  if (identity) (tag(T_IDENTITY), varint32(identity));
  if (e.source === 'supervisor') (tag(T_SOURCE), varint32(Source.SUPERVISOR));
  if (e.repeat && e.repeat > 0) (tag(T_REPEAT), varintDec(String(e.repeat)));
}

function cachedHex(t: number, hex: string): void {
  const fieldCache = cacheFor(t);
  let b = fieldCache.get(hex);
  if (!b) {
    const bytes = Buffer.from(hex, 'hex');
    const save = pos;
    ensure(bytes.length + 10);
    tag(t);
    varint32(bytes.length);
    pos += bytes.copy(scratch, pos);
    b = Buffer.from(scratch.subarray(save, pos));
    pos = save;
    if (fieldCache.size >= FIELD_CACHE_MAX) fieldCache.clear();
    fieldCache.set(hex, b);
  }
  ensure(b.length);
  pos += b.copy(scratch, pos);
}

/** ViolationEvent -> protobuf bytes of sigsys.v1.Violation (a new Buffer). */
export function encodeViolation(e: ViolationEvent): Buffer {
  pos = 0;
  writeViolation(e);
  return Buffer.from(scratch.subarray(0, pos));
}

/** Several events -> protobuf bytes of sigsys.v1.Batch (field 1: repeated Violation). */
export function encodeBatch(events: readonly ViolationEvent[]): Buffer {
  pos = 0;
  for (const e of events) {
    ensure(8);
    tag(T_BATCH_VIOLATION);
    // reserve 2 length bytes (a Violation is < 16 KiB), fix up after
    const at = pos;
    pos += 2;
    writeViolation(e);
    const len = pos - at - 2;
    if (len < 0x80) {
      scratch[at] = len;
      scratch.copy(scratch, at + 1, at + 2, pos);
      pos -= 1;
    } else if (len < 0x4000) {
      scratch[at] = (len & 0x7f) | 0x80;
      scratch[at + 1] = len >>> 7;
    } else {
      // rare: move the body to make room for a longer length varint
      const body = Buffer.from(scratch.subarray(at + 2, pos));
      pos = at;
      varint32(len);
      ensure(len);
      body.copy(scratch, pos);
      pos += len;
    }
  }
  return Buffer.from(scratch.subarray(0, pos));
}

/** protobuf bytes of sigsys.v1.Batch -> the Violation messages in it (undecoded). */
export function splitBatch(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  const readVarint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (i >= bytes.length) throw new SigsysError('invalid sigsys.v1.Batch: truncated varint');
      const b = bytes[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
      if (shift > 63) throw new SigsysError('invalid sigsys.v1.Batch: varint too long');
    }
  };
  while (i < bytes.length) {
    const key = readVarint();
    const wire = key & 7;
    if (key >>> 3 === BatchField.violations && wire === WireType.LEN) {
      const len = readVarint();
      if (i + len > bytes.length) throw new SigsysError('invalid sigsys.v1.Batch: truncated message');
      out.push(bytes.subarray(i, i + len));
      i += len;
    } else if (wire === 0) readVarint();
    else if (wire === 2) i += readVarint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new SigsysError(`invalid sigsys.v1.Batch: wire type ${wire}`);
  }
  if (i !== bytes.length) throw new SigsysError('invalid sigsys.v1.Batch: truncated field');
  return out;
}

/** protobuf bytes of sigsys.v1.Violation -> ViolationEvent (throws SigsysError on bad bytes). */
export function decodeViolation(bytes: Uint8Array): ViolationEvent {
  const v = decodeProto(bytes);
  const mode = modeName(v.mode);
  // The [collector] fields travel in the message itself: they are the origin.
  const origin = {
    host: v.host,
    bootId: v.bootId,
    ringPid: v.ringPid,
    ringStartNs: v.ringStartNs.toString(),
    comm: v.comm,
    exe: v.exe,
    containerId: v.containerId,
    pod: v.pod,
    namespace: v.namespace,
    workload: v.workload,
    policyHash: v.policyHash.toString('hex'),
    identity: identityName(v.identity),
    writerUid: v.writerUid,
    source: sourceName(v.source),
  };
  return buildEvent(origin, {
    time: new Date(Number(v.timeNs / 1_000_000n)).toISOString(),
    timeNs: v.timeNs.toString(),
    seq: Number(v.seq),
    pid: v.pid,
    tid: v.tid,
    syscall: v.syscall || `nr:${v.nr}`,
    nr: v.nr,
    arch: archName(v.arch, v.nr),
    args: Array.from({ length: 6 }, (_, i) => hex64(v.args[i])),
    ip: hex64(v.ip),
    callSite: v.callSite,
    action: actionName(v.action),
    outcome: outcomeName(v.outcome),
    errno: v.errnoRet,
    mode,
    ret: mode === 'audit' ? v.ret.toString() : undefined,
    repeat: v.repeat > 0n ? repeatCount(v.repeat) : 0,
  });
}
