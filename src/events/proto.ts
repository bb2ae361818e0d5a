/**
 * proto.ts - the one place TypeScript reads and writes sigsys.v1 protobuf
 * messages (proto/sigsys/v1/violation.proto).
 *
 * The schema is loaded at run time with protobufjs from
 * `<packageRoot>/proto/sigsys/v1/violation.proto` (packageRoot from
 * src/native/loader.ts, so this works from src/ under vitest and from dist/
 * when installed), once, on first use.
 *
 * 64-bit fields.  protobufjs represents uint64/sint64 as `Long` objects; here
 * every 64-bit field is converted to a `bigint` on decode (exact: uint64
 * values above 2^53 and negative sint64 values survive), and `encode*`
 * accepts bigint, number (if it is a safe integer) or a decimal string.
 * Enums are plain numbers (unknown values from a newer producer are kept as
 * numbers, as proto3 open enums require); bytes are Buffers.  Field names
 * are protobufjs' camelCase (errno_ret -> errnoRet).
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { SigsysError } from '../errors.js';
import { packageRoot } from '../native/loader.js';

// The enums live in schema.ts (one home for the schema's numbers); re-exported for callers of this module.
export { Action, Identity, Mode, Outcome, Source } from './schema.js';

/** A decoded sigsys.v1.Violation: every field present, defaults filled in. */
export interface Violation {
  timeNs: bigint;
  seq: bigint;
  pid: number;
  tid: number;
  nr: number;
  arch: number;
  /** Six uint64 arguments as written by the handler. */
  args: bigint[];
  ip: bigint;
  action: number;
  outcome: number;
  errnoRet: number;
  /** sint64: negative values (e.g. -ENOSYS) stay negative. */
  ret: bigint;
  mode: number;
  syscall: string;
  host: string;
  bootId: string;
  exe: string;
  containerId: string;
  workload: string;
  pod: string;
  namespace: string;
  policyHash: Buffer;
  ringPid: number;
  callSite: string;
  comm: string;
  ringStartNs: bigint;
  writerUid: number;
  identity: number;
  /** sigsys.v1.Source (field 35). */
  source: number;
  /** Field 36: calls a count record stands for (0 = one event). */
  repeat: bigint;
}

export interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  path: string;
}

/** A decoded sigsys.v1.RingMeta: every field present, defaults filled in. */
export interface RingMeta {
  host: string;
  pid: number;
  ppid: number;
  pidNs: bigint;
  cgroup: string;
  exe: string;
  argv: string[];
  bootId: string;
  policyHash: Buffer;
  pod: string;
  namespace: string;
  mode: number;
  startNs: bigint;
  comm: string;
  maps: Mapping[];
  /** sigsys.v1.Source: who writes the ring (0/1 handler, 2 supervisor). */
  source: number;
  /** Supervisor rings: the supervisor's pid. */
  writerPid: number;
}

/** What a 64-bit field accepts when encoding. */
export type Int64Input = bigint | number | string;

/** Input of encodeViolation: any subset of the fields; missing = default. */
export type ViolationInput = Partial<
  Omit<Violation, 'timeNs' | 'seq' | 'args' | 'ip' | 'ret' | 'policyHash' | 'ringStartNs' | 'repeat'>
> & {
  timeNs?: Int64Input;
  ringStartNs?: Int64Input;
  repeat?: Int64Input;
  seq?: Int64Input;
  args?: Int64Input[];
  ip?: Int64Input;
  ret?: Int64Input;
  policyHash?: Uint8Array | string; // bytes, or lowercase hex
};

/** Path of the schema file this module loads. */
export const protoFile = join(packageRoot, 'proto', 'sigsys', 'v1', 'violation.proto');

interface Types {
  root: protobuf.Root;
  violation: protobuf.Type;
  ringMeta: protobuf.Type;
}

let types: Types | undefined;

function load(): Types {
  if (types) return types;
  let root: protobuf.Root;
  try {
    root = new protobuf.Root().loadSync(protoFile, { keepCase: false });
  } catch (err) {
    throw new SigsysError(`${protoFile}: cannot load the event schema: ${(err as Error).message}`, {
      cause: err,
    });
  }
  types = {
    root,
    violation: root.lookupType('sigsys.v1.Violation'),
    ringMeta: root.lookupType('sigsys.v1.RingMeta'),
  };
  return types;
}

/** The loaded schema root (for Batch, Summary and other messages). */
export function protoRoot(): protobuf.Root {
  return load().root;
}

/**
 * Load the schema and generate the ring decoders now (protobufjs builds a
 * type's decode function on its first use: ~5 ms on a small VM), for a
 * caller that has time to spare before the first ring (RingDecoder.prepare).
 */
export function prepareDecoders(): void {
  const t = load();
  t.ringMeta.setup();
  t.violation.setup();
}

/** A message type of package sigsys.v1 by short name, e.g. 'Summary'. */
export function messageType(name: string): protobuf.Type {
  return load().root.lookupType(`sigsys.v1.${name}`);
}

// ---- 64-bit conversion ----

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

/** Long | number | string | bigint -> bigint, as unsigned or signed 64-bit. */
function toBigint(v: unknown, unsigned: boolean): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') b = BigInt(v);
  else if (typeof v === 'string') b = BigInt(v === '' ? 0 : v);
  else if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as LongLike;
    b = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
  } else b = 0n;
  return unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
}

/** Encoding side: a decimal string protobufjs' fromObject turns into a Long. */
function int64String(v: Int64Input | undefined, field: string, unsigned: boolean): string {
  if (v === undefined) return '0';
  let b: bigint;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      throw new SigsysError(`${field}: ${v} is not a safe integer; pass a bigint or decimal string`);
    }
    b = BigInt(v);
  } else {
    try {
      b = BigInt(v);
    } catch {
      throw new SigsysError(`${field}: ${String(v)} is not an integer`);
    }
  }
  const lo = unsigned ? 0n : -(1n << 63n);
  const hi = unsigned ? (1n << 64n) - 1n : (1n << 63n) - 1n;
  if (b < lo || b > hi) {
    throw new SigsysError(`${field}: ${b} is out of range for ${unsigned ? 'uint64' : 'sint64'}`);
  }
  return b.toString();
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const buf = (v: unknown): Buffer =>
  v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0);

/**
 * Drop fields holding their proto3 default, so encode* output is canonical
 * (what protobufjs decodes and re-encodes, and what the C encoder writes):
 * protobufjs writes any field that is set, even to 0.
 */
function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === 0 || v === '' || v === '0') continue;
    if (v instanceof Uint8Array && v.length === 0) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

// ---- public API ----

/**
 * Decode a sigsys.v1.Violation (a ring record or a Kafka value).  Throws a
 * SigsysError naming the cause when the bytes are not a valid message.
 */
export function decodeViolation(data: Uint8Array): Violation {
  const t = load().violation;
  let m: Record<string, unknown>;
  try {
    m = t.decode(data) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new SigsysError(`invalid sigsys.v1.Violation: ${(err as Error).message}`, { cause: err });
  }
  return {
    timeNs: toBigint(m.timeNs, true),
    seq: toBigint(m.seq, true),
    pid: num(m.pid),
    tid: num(m.tid),
    nr: num(m.nr),
    arch: num(m.arch),
    args: ((m.args as unknown[] | undefined) ?? []).map((a) => toBigint(a, true)),
    ip: toBigint(m.ip, true),
    action: num(m.action),
    outcome: num(m.outcome),
    errnoRet: num(m.errnoRet),
    ret: toBigint(m.ret, false),
    mode: num(m.mode),
    syscall: str(m.syscall),
    host: str(m.host),
    bootId: str(m.bootId),
    exe: str(m.exe),
    containerId: str(m.containerId),
    workload: str(m.workload),
    pod: str(m.pod),
    namespace: str(m.namespace),
    policyHash: buf(m.policyHash),
    ringPid: num(m.ringPid),
    callSite: str(m.callSite),
    comm: str(m.comm),
    ringStartNs: toBigint(m.ringStartNs, true),
    writerUid: num(m.writerUid),
    identity: num(m.identity),
    source: num(m.source),
    repeat: toBigint(m.repeat, true),
  };
}

/** Decode the sigsys.v1.RingMeta of a ring header (RingReader.meta()). */
export function decodeRingMeta(data: Uint8Array): RingMeta {
  const t = load().ringMeta;
  let m: Record<string, unknown>;
  try {
    m = t.decode(data) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new SigsysError(`invalid sigsys.v1.RingMeta: ${(err as Error).message}`, { cause: err });
  }
  const maps = (m.maps as Record<string, unknown>[] | undefined) ?? [];
  return {
    host: str(m.host),
    pid: num(m.pid),
    ppid: num(m.ppid),
    pidNs: toBigint(m.pidNs, true),
    cgroup: str(m.cgroup),
    exe: str(m.exe),
    argv: ((m.argv as unknown[] | undefined) ?? []).map(str),
    bootId: str(m.bootId),
    policyHash: buf(m.policyHash),
    pod: str(m.pod),
    namespace: str(m.namespace),
    mode: num(m.mode),
    startNs: toBigint(m.startNs, true),
    comm: str(m.comm),
    maps: maps.map((x) => ({
      start: toBigint(x.start, true),
      end: toBigint(x.end, true),
      offset: toBigint(x.offset, true),
      path: str(x.path),
    })),
    source: num(m.source),
    writerPid: num(m.writerPid),
  };
}

/**
 * Encode a sigsys.v1.Violation (the Kafka value).  64-bit fields take
 * bigint, safe-integer numbers or decimal strings; anything out of range
 * throws a SigsysError instead of being silently wrapped.
 */
export function encodeViolation(v: ViolationInput): Uint8Array {
  const t = load().violation;
  const hash =
    typeof v.policyHash === 'string' ? Buffer.from(v.policyHash, 'hex') : (v.policyHash ?? undefined);
  const obj: Record<string, unknown> = {
    ...v,
    timeNs: int64String(v.timeNs, 'timeNs', true),
    seq: int64String(v.seq, 'seq', true),
    args: (v.args ?? []).map((a, i) => int64String(a, `args[${i}]`, true)),
    ip: int64String(v.ip, 'ip', true),
    ret: int64String(v.ret, 'ret', false),
    ringStartNs: int64String(v.ringStartNs, 'ringStartNs', true),
    repeat: int64String(v.repeat, 'repeat', true),
    policyHash: hash,
  };
  return t.encode(t.fromObject(compact(obj))).finish();
}

/** Encode a sigsys.v1.RingMeta (tests and tools; the preload writes its own in C). */
export function encodeRingMeta(m: Partial<RingMeta>): Uint8Array {
  const t = load().ringMeta;
  const obj: Record<string, unknown> = {
    ...m,
    pidNs: int64String(m.pidNs, 'pidNs', true),
    startNs: int64String(m.startNs, 'startNs', true),
    maps: (m.maps ?? []).map((x, i) =>
      compact({
        start: int64String(x.start, `maps[${i}].start`, true),
        end: int64String(x.end, `maps[${i}].end`, true),
        offset: int64String(x.offset, `maps[${i}].offset`, true),
        path: x.path,
      }),
    ),
  };
  return t.encode(t.fromObject(compact(obj))).finish();
}
