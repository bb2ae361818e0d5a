/**
 * fast-decode.ts - the collector's hot path: one ring record (a protobuf
 * sigsys.v1.Violation as the SIGSYS handler writes it) straight to a
 * ViolationEvent, without the intermediate message and without a BigInt per
 * 64-bit field.
 *
 * This is not a second schema implementation: it understands exactly the
 * [handler] fields (1-13 and 36) with the wire types the C encoder uses, and returns
 * `undefined` for anything else (another field, another wire type, a
 * truncated varint), in which case the collector takes the general path
 * (src/events/proto.ts decodeViolation + enrich), which also decides whether
 * the record is corrupt.  test/collector-fast-decode.test.ts proves the two
 * paths give equal events on the golden vectors and on real rings, and that
 * mutated records either agree or fall back.
 */
import { callSiteOf, mappingIndex, type RingContext, type Enricher } from '../events/enrich.js';
import { ACTIONS, archName as archNameOf, buildEvent, MODES, OUTCOMES, ViolationField as F, WireType, type EventFields } from '../events/schema.js';
import type { ViolationEvent } from '../events/types.js';

// Result registers of readVarint (uint32 halves); a failed read sets pos = -1.
let LO = 0;
let HI = 0;

function readVarint(b: Uint8Array, pos: number, end: number): number {
  let lo = 0;
  let hi = 0;
  let i = 0;
  let byte: number;
  // bytes 0..3: bits 0..27
  for (; i < 4; i++) {
    if (pos >= end) return -1;
    byte = b[pos++]!;
    lo |= (byte & 0x7f) << (i * 7);
    if (byte < 0x80) {
      LO = lo >>> 0;
      HI = 0;
      return pos;
    }
  }
  // byte 4: bits 28..34
  if (pos >= end) return -1;
  byte = b[pos++]!;
  lo |= (byte & 0x7f) << 28;
  hi = (byte & 0x7f) >> 4;
  if (byte < 0x80) {
    LO = lo >>> 0;
    HI = hi >>> 0;
    return pos;
  }
  // bytes 5..9: bits 35..69 (the tenth byte may carry only bit 63)
  for (i = 0; i < 5; i++) {
    if (pos >= end) return -1;
    byte = b[pos++]!;
    hi |= (byte & 0x7f) << (i * 7 + 3);
    if (byte < 0x80) {
      if (i === 4 && byte > 1) return -1;
      LO = lo >>> 0;
      HI = hi >>> 0;
      return pos;
    }
  }
  return -1;
}

const TWO32 = 4294967296;
const NO_ARGS: string[] = [];

// Field numbers as plain constants: the switch below compares against them.
const F_TIME = F.timeNs, F_SEQ = F.seq, F_PID = F.pid, F_TID = F.tid, F_NR = F.nr, F_ARCH = F.arch;
const F_ARGS = F.args, F_IP = F.ip, F_ACTION = F.action, F_OUTCOME = F.outcome, F_ERRNO = F.errnoRet;
const F_RET = F.ret, F_MODE = F.mode, F_REPEAT = F.repeat;
/** The contiguous run of [handler] fields (1-13); field 36 is the other one this path reads. */
const HANDLER_FIRST = F_TIME, HANDLER_LAST = F_MODE;
const WT_VARINT = WireType.VARINT, WT_LEN = WireType.LEN;

// Byte tables: Number#toString(16) is slow for large values and this runs
// seven times per event.
const H1 = Array.from({ length: 256 }, (_, i) => i.toString(16));
const H2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(x: number): string {
  const b3 = x >>> 24;
  const b2 = (x >>> 16) & 255;
  const b1 = (x >>> 8) & 255;
  const b0 = x & 255;
  if (b3) return H1[b3]! + H2[b2]! + H2[b1]! + H2[b0]!;
  if (b2) return H1[b2]! + H2[b1]! + H2[b0]!;
  if (b1) return H1[b1]! + H2[b0]!;
  return H1[b0]!;
}

// '0x0'..'0xfff' as ready strings: most args are small (fds, flags, lengths),
// and a new string per arg and event is garbage the collector then sweeps.
const SMALL_HEX = Array.from({ length: 4096 }, (_, i) => '0x' + i.toString(16));

// Strings of 13 characters or more that are built by `+` are ropes (V8 cons
// strings): the NDJSON encoder reads them character by character, which
// first flattens each into a new string in the runtime - measured at
// ~150-400 ns per string, more than building it.  Long strings of an event
// (timeNs, 64-bit args and addresses, call sites) are therefore made flat
// at once: their character codes in a scratch array, then one
// String.fromCharCode call.
const fromCodes = String.fromCharCode;
const SCRATCH: number[][] = [];
const MAX_FLAT = 256;
function scratch(n: number): number[] {
  return (SCRATCH[n] ??= Array.from({ length: n }, () => 0)); // packed, not holey: the fast path of apply
}
const HEX_CODE = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));

/** '0x' + hex(hi) + eight digits of lo, flat; hi > 0. */
function hex64(lo: number, hi: number): string {
  const n = 8 - (Math.clz32(hi) >> 2); // digits of hi
  const a = scratch(n + 10);
  a[0] = 0x30;
  a[1] = 0x78;
  for (let k = n + 1, x = hi; k >= 2; k--, x >>>= 4) a[k] = HEX_CODE[x & 15]!;
  for (let k = n + 9, x = lo; k >= n + 2; k--, x >>>= 4) a[k] = HEX_CODE[x & 15]!;
  return fromCodes.apply(null, a);
}

function hex(lo: number, hi: number): string {
  if (hi === 0) return lo < 4096 ? SMALL_HEX[lo]! : '0x' + hex32(lo);
  return hex64(lo, hi);
}

// Time without BigInt: ns = hi * 2^32 + lo.  hi * 2^32 is split once per hi
// (it changes every ~4.3 s) into whole seconds and nanoseconds; adding lo
// then stays within safe integers (seconds < 2^64 / 1e9 < 2^35).
const NS_PER_S = 1_000_000_000;

// The seconds' digits change once a second: kept as character codes.
let decSec = -1;
let decSecCodes: number[] = [];

/** sec (1 .. 2^64 / 1e9) and ns (< 1e9) as one flat decimal string: sec's digits, then ns in nine. */
function decimalNs(sec: number, ns: number): string {
  if (sec !== decSec) {
    decSec = sec;
    decSecCodes = [];
    for (let x = sec; x > 0; x = Math.floor(x / 10)) decSecCodes.unshift(0x30 + (x % 10));
  }
  const n = decSecCodes.length;
  const a = scratch(n + 9);
  for (let k = 0; k < n; k++) a[k] = decSecCodes[k]!;
  for (let k = n + 8, x = ns | 0; k >= n; k--) {
    const q = (x / 10) | 0;
    a[k] = 0x30 + x - q * 10;
    x = q;
  }
  return fromCodes.apply(null, a);
}

/** Bounds of the per-arch name cache (syscall numbers are below 1024 on every arch today). */
const MAX_CACHED_NR = 4096;
const MAX_CACHED_ARCHES = 16;

export interface FastEnricher {
  /**
   * The event, or undefined when the record needs the general decoder.  The
   * record is data[start, end) (default: all of data), so a packed read
   * (RingReader.readPacked) needs no view per record.
   */
  enrich(data: Uint8Array, ctx: RingContext, start?: number, end?: number): ViolationEvent | undefined;
}

interface NumMap {
  start: number;
  end: number;
  offset: number;
  module: string;
  /** Character codes of `<module>+0x`, when short enough to build call sites flat. */
  prefix: number[] | undefined;
}

function prefixCodes(module: string): number[] | undefined {
  const p = module + '+0x';
  if (p.length > MAX_FLAT - 14) return undefined;
  const out: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c > 0xff) return undefined; // fromCharCode would make a two-byte string: same text, but keep it simple
    out.push(c);
  }
  return out;
}

export function createFastEnricher(names: Pick<Enricher, 'syscallName'>): FastEnricher {
  let lastMsKey = -1;
  let lastIso = '';
  let lastTimeLo = -1;
  let lastTimeHi = -1;
  let lastTimeNs = '';
  let splitHi = -1, splitSec = 0, splitNs = 0;
  let mapsFor: RingContext | undefined;
  let numMaps: NumMap[] | undefined;
  const args = new Array<string>(6);
  const fields: EventFields = {
    time: '', timeNs: '', seq: 0, pid: 0, tid: 0, syscall: '', nr: 0, arch: '', args: NO_ARGS, ip: '', callSite: '',
    action: 'unknown', outcome: 'unknown', errno: 0, mode: 'unknown', ret: undefined, repeat: 0,
  };
  // Syscall names by arch, then nr: the enricher's cache keys on a string
  // built per call; arch names come from a fixed table (the same string
  // objects), so this is a Map hit on a cached hash and an array index.
  const namesByArch = new Map<string, string[]>();

  function syscallName(nr: number, arch: string): string {
    if (nr < 0 || nr >= MAX_CACHED_NR) return names.syscallName(nr, arch);
    let byNr = namesByArch.get(arch);
    if (!byNr) {
      // Unknown arches are named by their number: a hostile ring could make many.
      if (namesByArch.size >= MAX_CACHED_ARCHES) namesByArch.clear();
      namesByArch.set(arch, (byNr = []));
    }
    return (byNr[nr] ??= names.syscallName(nr, arch));
  }

  function mapsOf(ctx: RingContext): NumMap[] | undefined {
    if (mapsFor === ctx) return numMaps;
    mapsFor = ctx;
    const safe = ctx.maps.every((m) => m.end <= BigInt(Number.MAX_SAFE_INTEGER));
    numMaps = safe ? ctx.maps.map((m) => ({ start: Number(m.start), end: Number(m.end), offset: Number(m.offset), module: m.module, prefix: prefixCodes(m.module) })) : undefined;
    return numMaps;
  }

  function callSite(ctx: RingContext, ipLo: number, ipHi: number): string {
    const maps = ipHi < 0x200000 ? mapsOf(ctx) : undefined;
    if (!maps) return callSiteOf(ctx.maps, (BigInt(ipHi) << 32n) | BigInt(ipLo));
    const ip = ipHi * TWO32 + ipLo;
    const i = mappingIndex(maps, ip);
    if (i < 0) return hex(ipLo, ipHi);
    const m = maps[i]!;
    const off = ip - m.start + m.offset;
    const pre = m.prefix;
    if (!pre || off >= TWO32 || off < 0) return `${m.module}+0x${off.toString(16)}`;
    // module+0x<off>, flat (see SCRATCH)
    const n = off === 0 ? 1 : 8 - (Math.clz32(off) >> 2);
    const a = scratch(pre.length + n);
    for (let k = 0; k < pre.length; k++) a[k] = pre[k]!;
    for (let k = pre.length + n - 1, x = off; k >= pre.length; k--, x >>>= 4) a[k] = HEX_CODE[x & 15]!;
    return fromCodes.apply(null, a);
  }

  function enrich(b: Uint8Array, ctx: RingContext, start = 0, end = b.length): ViolationEvent | undefined {
    let timeLo = 0, timeHi = 0, seq = 0, pid = 0, tid = 0, nr = 0, arch = 0, ipLo = 0, ipHi = 0;
    let action = 0, outcome = 0, errno = 0, mode = 0, retLo = 0, retHi = 0, hasRet = false, repeat = 0;
    let nargs = 0;
    args[0] = args[1] = args[2] = args[3] = args[4] = args[5] = '0x0';
    let pos = start;
    while (pos < end) {
      pos = readVarint(b, pos, end);
      if (pos < 0 || HI !== 0) return undefined;
      const key = LO;
      const field = key >>> 3;
      const wt = key & 7;
      if (field === F_ARGS && wt === WT_LEN) {
        pos = readVarint(b, pos, end);
        if (pos < 0 || HI !== 0) return undefined;
        const stop = pos + LO;
        if (stop > end) return undefined;
        while (pos < stop) {
          pos = readVarint(b, pos, stop);
          if (pos < 0) return undefined;
          if (nargs < 6) args[nargs] = hex(LO, HI);
          nargs++;
        }
        continue;
      }
      if (wt !== WT_VARINT || ((field < HANDLER_FIRST || field > HANDLER_LAST) && field !== F_REPEAT)) return undefined;
      pos = readVarint(b, pos, end);
      if (pos < 0) return undefined;
      switch (field) {
        case F_TIME: timeLo = LO; timeHi = HI; break;
        case F_SEQ: seq = HI * TWO32 + LO; break;
        case F_PID: pid = LO; break;
        case F_TID: tid = LO; break;
        case F_NR: nr = LO | 0; break;
        case F_ARCH: arch = LO; break;
        case F_ARGS: if (nargs < 6) args[nargs] = hex(LO, HI); nargs++; break;
        case F_IP: ipLo = LO; ipHi = HI; break;
        case F_ACTION: action = LO | 0; break;
        case F_OUTCOME: outcome = LO | 0; break;
        case F_ERRNO: errno = LO | 0; break;
        case F_RET: retLo = LO; retHi = HI; hasRet = true; break;
        case F_MODE: mode = LO | 0; break;
        case F_REPEAT: repeat = HI * TWO32 + LO; break;
      }
    }
    if (nargs > 6) return undefined; // the general path decides what more than six args mean

    const archName = archNameOf(arch, nr);
    if (timeLo !== lastTimeLo || timeHi !== lastTimeHi) {
      lastTimeLo = timeLo;
      lastTimeHi = timeHi;
      if (timeHi !== splitHi) {
        const b = BigInt(timeHi) << 32n;
        splitHi = timeHi;
        splitSec = Number(b / 1_000_000_000n);
        splitNs = Number(b % 1_000_000_000n);
      }
      const t = splitNs + timeLo; // < 1e9 + 2^32
      const carry = Math.floor(t / NS_PER_S);
      const sec = splitSec + carry;
      const ns = t - carry * NS_PER_S;
      lastTimeNs = sec === 0 ? '' + ns : decimalNs(sec, ns);
      const ms = sec * 1000 + Math.floor(ns / 1_000_000);
      if (ms !== lastMsKey) {
        lastMsKey = ms;
        const d = new Date(ms);
        lastIso = Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
      }
    }
    const modeName = MODES[mode] ?? 'unknown';
    const evMode = modeName === 'unknown' ? ctx.mode : modeName;
    let ret: string | undefined;
    if (evMode === 'audit') {
      // sint64: zigzag
      const z = (BigInt(retHi) << 32n) | BigInt(retLo);
      ret = (hasRet ? (z >> 1n) ^ -(z & 1n) : 0n).toString();
    }
    // One fields object for every event: buildEvent copies what it reads
    // (it is not inlined here, so a literal would be one more object per event).
    const f = fields;
    f.time = lastIso;
    f.timeNs = lastTimeNs;
    f.seq = seq;
    f.pid = pid;
    f.tid = tid;
    f.syscall = syscallName(nr, archName);
    f.nr = nr;
    f.arch = archName;
    f.args = [args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!];
    f.ip = hex(ipLo, ipHi);
    f.callSite = callSite(ctx, ipLo, ipHi);
    f.action = ACTIONS[action] ?? 'unknown';
    f.outcome = OUTCOMES[outcome] ?? 'unknown';
    f.errno = errno;
    f.mode = evMode;
    f.ret = ret;
    f.repeat = repeat > 0 ? Math.min(repeat, Number.MAX_SAFE_INTEGER) : 0;
    const ev = buildEvent(ctx, f);
    f.args = NO_ARGS; // not kept alive by the scratch object
    return ev;
  }

  return { enrich };
}
