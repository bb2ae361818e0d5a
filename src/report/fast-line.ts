/**
 * fast-line.ts - the fields the report folds, read straight out of an
 * NDJSON line written by sigsys itself, without JSON.parse.
 *
 * Why it exists: `JSON.parse` of every line (a ~700-byte object of ~30
 * fields, a dozen strings and an array per event) was most of the cost of a
 * report from a large file: ~3.8 s of CPU for 1M events, when the page must
 * be written in under 2 s (bench/report).  The report needs 17 of those
 * fields, most of them the same as on the line before (one ring's burst).
 *
 * How: the NDJSON sink (src/sinks/ndjson.ts) writes
 * `JSON.stringify(ViolationEvent)`: always the same keys in the same order
 * (the object literal in src/events/enrich.ts), no whitespace.  matchLine()
 * accepts exactly that shape - those keys in that order (`identity`,
 * `writerUid`, `source`, written since the collector verifies ring
 * identities, and `ret`, audit mode only, may be absent), string values,
 * integer numbers, `args` an array of strings - and nothing else.
 *
 * Fallback: a line of any other shape (keys reordered, missing or extra,
 * whitespace, fractions or exponents, `timeNs` not a plain number, ...) is
 * not matched, and the caller parses it with JSON.parse (parseEventLine in
 * input.ts) - so every line gives what JSON.parse would give, and a line
 * that is not JSON gets JSON.parse's error.  A string is recognised by
 * searching for its closing quote, which is only right when the string has
 * no escapes and no raw control characters, and its bytes are its
 * characters only in ASCII: a string holding a backslash, a control
 * character or a byte >= 0x80 is not matched either.  So the line is
 * checked byte by byte, keys and punctuation included, in the one pass
 * that finds the values.  test/report-fast-line.test.ts holds both paths
 * to the same result on awkward input.
 */
import type { LineFields } from './parse-worker.js';

// What the last value read left behind.
let vs = 0; // a string value's contents are b[vs, ve)
let ve = 0;
let num = 0; // an integer value

const enc = (k: string) => Uint8Array.from(k, (c) => c.charCodeAt(0));

/** After `"key":` at p (p < 0: an earlier part did not match). */
function key(b: Uint8Array, p: number, k: Uint8Array): number {
  if (p < 0) return -1;
  for (let i = 0; i < k.length; i++) if (b[p + i] !== k[i]) return -1;
  return p + k.length;
}

/** After the string at p: bytes 0x20-0x7f but '\\' up to its closing quote (else not matched). */
function str(b: Uint8Array, p: number): number {
  if (p < 0 || b[p] !== 34) return -1;
  vs = ++p;
  for (;;) {
    const c = b[p]!;
    if (c === 34) break;
    if (c < 0x20 || c === 92 || c >= 0x80 || c === undefined) return -1;
    p++;
  }
  ve = p;
  return p + 1;
}

/**
 * Where the kept strings of the last matched line are (offsets and lengths
 * by slot, in `last`), and of the line being matched (`now`); `last` is
 * only used when that line is the one just before, in the same buffer.
 */
let now = new Int32Array(32);
let last = new Int32Array(32);
let lastBuf: Uint8Array | undefined;
let lastEnd = -1;
let lastValid = false;

/**
 * The string value just read, for slot `k`: `old` (the previous line's
 * value) again when its bytes are the same, else the string of these bytes
 * from `interned` (values repeat: a few hundred call sites, workloads,
 * hosts), made only the first time.  So most lines make no new string, and
 * runs of equal values are one string, cheap to compare downstream.
 */
function keep(b: Uint8Array, k: number, old: string): string {
  const n = ve - vs;
  now[2 * k] = vs;
  now[2 * k + 1] = n;
  if (lastValid && last[2 * k + 1] === n) {
    let i = 0;
    const q = last[2 * k]!;
    while (i < n && b[q + i] === b[vs + i]) i++;
    if (i === n) return old;
  }
  let h = n;
  for (let i = vs; i < ve; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
  const hit = interned.get(h);
  if (hit !== undefined && hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === b[vs + i]) i++;
    if (i === n) return hit;
  }
  const v = Buffer.prototype.latin1Slice.call(b, vs, ve) as string;
  if (interned.size >= 65536) interned.clear();
  interned.set(h, v);
  return v;
}

const interned = new Map<number, string>();

/** After the integer at p (JSON: -?(0|[1-9][0-9]*)), at most 15 digits (exact as a double), into `num`. */
function int(b: Uint8Array, p: number): number {
  if (p < 0) return -1;
  const neg = b[p] === 45;
  if (neg) p++;
  let c = b[p]! - 48;
  if (!(c >= 0 && c <= 9)) return -1;
  let n = c;
  const first = p++;
  if (c !== 0) {
    while ((c = b[p]! - 48) >= 0 && c <= 9) {
      n = n * 10 + c;
      p++;
    }
    if (p - first > 15) return -1;
  }
  num = neg ? -n : n;
  return p;
}

/** After the array of strings at p. */
function arr(b: Uint8Array, p: number): number {
  if (p < 0 || b[p] !== 91) return -1;
  if (b[++p] === 93) return p + 1;
  for (;;) {
    p = str(b, p);
    if (p < 0) return -1;
    const c = b[p++];
    if (c === 93) return p;
    if (c !== 44) return -1;
  }
}

/**
 * nsToMs (model.ts) of the `timeNs` string just read, when the part before
 * its last six characters (which nsToMs does not look at either) is digits;
 * -1 when not (the line goes to JSON.parse, and nsToMs may use `time`).
 */
function msOfNs(b: Uint8Array): number {
  if (ve - vs <= 6 || ve - vs - 6 > 15) return -1;
  let n = 0;
  for (let p = vs; p < ve - 6; p++) {
    const c = b[p]! - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    n = n * 10 + c;
  }
  return n;
}

const K = {
  time: enc('{"time":'),
  timeNs: enc(',"timeNs":'),
  host: enc(',"host":'),
  bootId: enc(',"bootId":'),
  ringPid: enc(',"ringPid":'),
  ringStartNs: enc(',"ringStartNs":'),
  seq: enc(',"seq":'),
  pid: enc(',"pid":'),
  tid: enc(',"tid":'),
  comm: enc(',"comm":'),
  exe: enc(',"exe":'),
  syscall: enc(',"syscall":'),
  nr: enc(',"nr":'),
  arch: enc(',"arch":'),
  args: enc(',"args":'),
  ip: enc(',"ip":'),
  callSite: enc(',"callSite":'),
  action: enc(',"action":'),
  outcome: enc(',"outcome":'),
  errno: enc(',"errno":'),
  mode: enc(',"mode":'),
  containerId: enc(',"containerId":'),
  pod: enc(',"pod":'),
  namespace: enc(',"namespace":'),
  workload: enc(',"workload":'),
  policyHash: enc(',"policyHash":'),
  identity: enc(',"identity":'),
  writerUid: enc(',"writerUid":'),
  source: enc(',"source":'),
  ret: enc(',"ret":'),
  repeat: enc(',"repeat":'),
};

/**
 * Read the line bytes[start, end) (end: its newline) into `out` if it has
 * the shape of sigsys's own writer, else false (`out` is then partly
 * written: the caller fills it from JSON.parse).  `prev`, the previous
 * line's fields, lends its strings to the equal values of this one.
 */
export function matchLine(b: Uint8Array, start: number, end: number, out: LineFields, prev: LineFields): boolean {
  lastValid = b === lastBuf && start === lastEnd + 1;
  lastBuf = undefined;
  if (!matchFields(b, start, end, out, prev)) return false;
  lastBuf = b;
  lastEnd = end;
  const t = now;
  now = last;
  last = t;
  return true;
}

function matchFields(b: Uint8Array, start: number, end: number, out: LineFields, prev: LineFields): boolean {
  // Key order of src/events/enrich.ts.
  let p = str(b, key(b, start, K.time));
  p = str(b, key(b, p, K.timeNs));
  if (p < 0 || (out.ms = msOfNs(b)) < 0) return false;
  p = str(b, key(b, p, K.host));
  if (p < 0) return false;
  out.host = keep(b, 0, prev.host!);
  p = str(b, key(b, p, K.bootId));
  if (p < 0) return false;
  out.bootId = keep(b, 1, prev.bootId!);
  p = int(b, key(b, p, K.ringPid));
  if (p < 0) return false;
  out.ringPid = num;
  p = str(b, key(b, p, K.ringStartNs));
  if (p < 0) return false;
  out.ringStartNs = keep(b, 2, prev.ringStartNs!);
  p = int(b, key(b, p, K.seq));
  if (p < 0) return false;
  out.seq = num;
  p = int(b, key(b, p, K.pid));
  if (p < 0) return false;
  out.pid = num;
  p = str(b, key(b, int(b, key(b, p, K.tid)), K.comm));
  p = str(b, key(b, p, K.exe));
  if (p < 0) return false;
  out.exe = keep(b, 3, prev.exe!);
  p = str(b, key(b, p, K.syscall));
  if (p < 0) return false;
  out.syscall = keep(b, 4, prev.syscall!);
  p = str(b, key(b, arr(b, key(b, str(b, key(b, int(b, key(b, p, K.nr)), K.arch)), K.args)), K.ip));
  p = str(b, key(b, p, K.callSite));
  if (p < 0) return false;
  out.callSite = keep(b, 5, prev.callSite!);
  p = str(b, key(b, p, K.action));
  if (p < 0) return false;
  out.action = keep(b, 6, prev.action!);
  p = str(b, key(b, p, K.outcome));
  if (p < 0) return false;
  out.outcome = keep(b, 7, prev.outcome!);
  p = int(b, key(b, p, K.errno));
  if (p < 0) return false;
  out.errno = num;
  p = str(b, key(b, p, K.mode));
  if (p < 0) return false;
  out.mode = keep(b, 8, prev.mode!);
  p = str(b, key(b, str(b, key(b, str(b, key(b, p, K.containerId)), K.pod)), K.namespace));
  p = str(b, key(b, p, K.workload));
  if (p < 0) return false;
  out.workload = keep(b, 9, prev.workload!);
  p = str(b, key(b, p, K.policyHash));
  if (p < 0) return false;
  out.policyHash = keep(b, 10, prev.policyHash!);
  // Optional, in this order.
  out.identity = undefined;
  now[2 * 11 + 1] = -1;
  if (key(b, p, K.identity) > 0) {
    p = str(b, key(b, p, K.identity));
    if (p < 0) return false;
    out.identity = keep(b, 11, prev.identity!);
  }
  if (key(b, p, K.writerUid) > 0) p = int(b, key(b, p, K.writerUid));
  if (key(b, p, K.source) > 0) p = str(b, key(b, p, K.source));
  if (key(b, p, K.ret) > 0) p = str(b, key(b, p, K.ret));
  out.calls = 1;
  if (key(b, p, K.repeat) > 0) {
    p = int(b, key(b, p, K.repeat));
    if (p < 0 || num < 1) return false;
    out.calls = num;
  }
  return p === end - 1 && b[p] === 125;
}
