/**
 * parse-worker.ts - one chunk of whole NDJSON lines to columns: per event
 * the index of its (workload, syscall, action, errno, outcome, call site,
 * exe) and of its ring in two small tables, plus seq, pid and time.  No
 * object per event: columns are cheap to send from a worker thread and to
 * fold (parallel.ts); the same function parses chunks on the main thread
 * for small files and `--jobs 1`.
 *
 * Lines in sigsys's own writer's shape are read without JSON.parse: by the
 * addon's LineScanner (native/src/ndjson_scan.c: the bytes are checked and
 * the strings and each line's key tuples interned in C, so this thread
 * looks a key up once per distinct tuple and a line costs it a few array
 * reads) or, without the addon or with `native: false`, by fast-line.ts in
 * JS; both accept exactly the same lines.  Any other line (and every line
 * with `fast: false`, the reference the tests compare against) goes through
 * JSON.parse and the checks of parseEventLine (input.ts).
 */
import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { producerId } from '../aggregate/dedupe.js';
import { eventCalls } from '../events/types.js';
import { loadNative } from '../native/loader.js';
import type { LineScanColumns, LineScanner } from '../native/native.js';
import { matchLine } from './fast-line.js';
import { parseEventLine } from './input.js';
import { nsToMs, type EventColumns, type FineKey, type ReportEvent } from './model.js';

export interface ChunkTask {
  index: number;
  bytes: Uint8Array;
  /** false: JSON.parse every line (default true: the fast line reader where it applies). */
  fast?: boolean;
  /** false: the JS fast line reader (fast-line.ts) even when the addon's LineScanner is there (default true). */
  native?: boolean;
}

export interface ChunkProducer {
  /** producerId() of the ring: what the deduper keys by. */
  id: string;
  host: string;
}

export interface ChunkResult extends EventColumns {
  index: number;
  /** Lines in the chunk (empty ones included). */
  lines: number;
  /** First bad line, 1-based within the chunk, and why. */
  error?: { line: number; cause: string };
  events: number;
  /** Lines read without JSON.parse. */
  fastLines: number;
  /**
   * The keys and rings this parser had not sent before (its ids go on
   * across the chunks it parses, so a key is sent and resolved once per
   * thread, not once per chunk): ids fineBase, fineBase + 1, ...
   */
  fineBase: number;
  fines: FineKey[];
  producerBase: number;
  producers: ChunkProducer[];
  modes: string[];
  hashes: string[];
  /** The task's bytes, back for the next chunk to be read into (empty for a RangeTask). */
  bytes: Uint8Array;
  /** RangeTask: the bytes after the range's last '\n' when the file ended there (a last line without its newline). */
  rest?: Uint8Array;
}

/**
 * The lines of `file` that start at a byte in [start, end): each parser
 * thread reads its own ranges (the reads run in parallel too), reading on
 * past `end` to finish its last line and skipping the line that started
 * before `start` (the range before ends it).
 */
export interface RangeTask {
  index: number;
  file: string;
  start: number;
  /** Infinity: to the end of the file (the last range, so lines appended meanwhile are read too). */
  end: number;
  fast?: boolean;
  native?: boolean;
  /** Bytes read at a time (default PIECE; tests make it small to cut lines at many places). */
  pieceBytes?: number;
}

/** The fields of one event the fold reads (from fast-line.ts or from a parsed object). */
export interface LineFields {
  workload: string;
  exe: string;
  syscall: string;
  callSite: string;
  action: string;
  outcome: string;
  errno: number;
  host: string;
  bootId: string;
  ringPid: number;
  ringStartNs: string;
  identity: string | undefined;
  mode: string;
  policyHash: string | undefined;
  seq: number;
  pid: number;
  ms: number;
  /** `repeat` of a count record (hot loops counted at the source), else 1. */
  calls: number;
}

const emptyFields = (): LineFields => ({
  workload: '', exe: '', syscall: '', callSite: '', action: '', outcome: '', errno: 0, host: '', bootId: '', ringPid: 0,
  ringStartNs: '', identity: undefined, mode: '', policyHash: undefined, seq: 0, pid: 0, ms: 0, calls: 1,
});

function fromEvent(e: ReportEvent, out: LineFields): void {
  const x = e as ReportEvent & { identity?: string; policyHash?: string };
  out.workload = x.workload;
  out.exe = x.exe;
  out.syscall = x.syscall;
  out.callSite = x.callSite;
  out.action = x.action;
  out.outcome = x.outcome;
  out.errno = x.errno;
  out.host = x.host;
  out.bootId = x.bootId;
  out.ringPid = x.ringPid;
  out.ringStartNs = x.ringStartNs;
  out.identity = x.identity;
  out.mode = x.mode;
  out.policyHash = x.policyHash;
  out.seq = x.seq;
  out.pid = x.pid;
  out.ms = nsToMs(x.timeNs, x.time);
  out.calls = eventCalls(x);
}

/** This thread's LineScanner (undefined: no addon; the JS reader is used) and the strings of its ids. */
interface NativeScan {
  s: LineScanner;
  names: string[];
  cols: Required<LineScanColumns>;
  slots: number;
  nums: number;
  tups: number;
}
let scanner: NativeScan | undefined | null = null;
const SCAN_BATCH = 4096;
const MAX_NAMES = 1 << 20;

function lineScanner() {
  if (scanner !== null) return scanner;
  try {
    const { LineScanner: L } = loadNative();
    if (typeof L.TUPS !== 'number') throw new Error('an addon without tuple ids');
    const cols = {
      end: new Int32Array(SCAN_BATCH),
      ok: new Uint8Array(SCAN_BATCH),
      str: new Int32Array(SCAN_BATCH * L.SLOTS),
      num: new Float64Array(SCAN_BATCH * L.NUMS),
      tup: new Int32Array(SCAN_BATCH * L.TUPS),
    };
    scanner = { s: new L(), names: [], cols, slots: L.SLOTS, nums: L.NUMS, tups: L.TUPS };
  } catch {
    // No addon (not built, or an older one): the JS reader gives the same result, slower.
    scanner = undefined;
  }
  return scanner;
}

/** Whether chunks are read by the addon's LineScanner (for the bench and tests). */
export const nativeScanAvailable = (): boolean => lineScanner() !== undefined;

/** What a parser keeps across the chunks it parses: the ids of keys and rings. */
export interface ParserState {
  fines: FineKey[];
  /** workload -> syscall -> call site -> ids of the fines under it (no key string built per event). */
  fineIds: Map<string, Map<string, Map<string, number[]>>>;
  producers: ChunkProducer[];
  producerIds: Map<string, number>;
  /**
   * Per tuple id of the scanner that read this parser's lines (ndjson_scan.h:
   * the fields a line is keyed by), this parser's fine / producer id: resolved
   * at the first line with that tuple, so the key lookups run once per
   * distinct tuple, not once per line.  Reset when the scanner changes.
   */
  tuples?: { scan: NativeScan; fineOf: number[]; producerOf: number[]; /** meta tuples (mode, policyHash) already reported */ metaSeen: Uint8Array };
}

export const createParserState = (): ParserState => ({ fines: [], fineIds: new Map(), producers: [], producerIds: new Map() });

/** One chunk; `state` (default: a fresh one) carries the ids on from the chunks this parser parsed before. */
export function parseChunk(task: ChunkTask, state: ParserState = createParserState()): ChunkResult {
  const parser = createChunkParser(task, state, task.bytes.byteLength);
  parser.feed(Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength));
  const r = parser.result();
  r.bytes = task.bytes;
  return r;
}

/**
 * A chunk's parser fed its whole lines in pieces (a range read piece by
 * piece into one small buffer; parseChunk feeds one): the events of all
 * pieces go into one set of columns, and line numbers run on across pieces.
 */
export interface ChunkParser {
  /** Whole '\n'-terminated lines; false: a bad line (the result has the error; feed no more). */
  feed(bytes: Buffer): boolean;
  result(): ChunkResult;
}

export function createChunkParser(task: { index: number; fast?: boolean; native?: boolean }, state: ParserState, sizeHint: number): ChunkParser {
  const fast = task.fast !== false;
  // Sized for sigsys's ~700-byte lines: grown (copied) only for shorter ones.
  let cap = Math.max(64, Math.ceil(sizeHint / 512));
  let fine = new Int32Array(cap);
  let producer = new Int32Array(cap);
  let seq = new Float64Array(cap);
  let pid = new Float64Array(cap);
  let ms = new Float64Array(cap);
  let calls = new Float64Array(cap);
  const { fines, fineIds, producers, producerIds } = state;
  const fineBase = fines.length;
  const producerBase = producers.length;
  const modes = new Set<string>();
  const hashes = new Set<string>();
  let n = 0;
  let lines = 0;
  let fastLines = 0;
  let error: ChunkResult['error'];
  let pf = -1;
  let pp = -1;
  // Two records, swapped per event: this line's fields and the previous line's.
  let cur = emptyFields();
  let prev = emptyFields();
  let havePrev = false;
  const res = (): ChunkResult => ({
    index: task.index,
    lines,
    ...(error ? { error } : {}),
    events: n,
    fastLines,
    fineBase,
    fines: fines.slice(fineBase),
    producerBase,
    producers: producers.slice(producerBase),
    modes: [...modes],
    hashes: [...hashes],
    fine: fine.subarray(0, n),
    producer: producer.subarray(0, n),
    seq: seq.subarray(0, n),
    pid: pid.subarray(0, n),
    ms: ms.subarray(0, n),
    calls: calls.subarray(0, n),
    bytes: new Uint8Array(0),
  });
  // The scanner's ids are this thread's (they become keys once per distinct tuple), so a scanner that
  // has seen too many distinct strings or tuples (a long-lived process, hostile input) is replaced between chunks.
  if (scanner && (scanner.names.length > MAX_NAMES || scanner.s.tuples(0) > MAX_NAMES || scanner.s.tuples(1) > MAX_NAMES || scanner.s.tuples(2) > MAX_NAMES)) scanner = null;
  const sc = fast && task.native !== false ? lineScanner() : undefined;
  if (sc && state.tuples?.scan !== sc) state.tuples = { scan: sc, fineOf: [], producerOf: [], metaSeen: new Uint8Array(64) };

  /** The parser's id of line `e`'s fine key (workload, syscall, action, errno, outcome, call site, exe). */
  const fineId = (e: LineFields): number => {
    const workload = e.workload || e.exe || 'unknown';
    let bySyscall = fineIds.get(workload);
    if (!bySyscall) fineIds.set(workload, (bySyscall = new Map()));
    let bySite = bySyscall.get(e.syscall);
    if (!bySite) bySyscall.set(e.syscall, (bySite = new Map()));
    let ids = bySite.get(e.callSite);
    if (!ids) bySite.set(e.callSite, (ids = []));
    for (const x of ids) {
      const k = fines[x]!;
      if (k.action === e.action && k.errno === e.errno && k.outcome === e.outcome && k.exe === e.exe) return x;
    }
    const id = fines.length;
    ids.push(id);
    fines.push({ workload, syscall: e.syscall, action: e.action, errno: e.errno, outcome: e.outcome, callSite: e.callSite, exe: e.exe });
    return id;
  };
  /** The parser's id of line `e`'s ring. */
  const producerIdOf = (e: LineFields): number => {
    const key = producerId(e);
    let id = producerIds.get(key);
    if (id === undefined) {
      id = producers.length;
      producerIds.set(key, id);
      producers.push({ id: key, host: e.host });
    }
    return id;
  };
  const grow = (): void => {
    cap *= 2;
    const g = <T extends Int32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    fine = g(fine, new Int32Array(cap));
    producer = g(producer, new Int32Array(cap));
    seq = g(seq, new Float64Array(cap));
    pid = g(pid, new Float64Array(cap));
    ms = g(ms, new Float64Array(cap));
    calls = g(calls, new Float64Array(cap));
  };

  /** Append the event in `cur` (read by fast-line.ts or JSON.parse) to the columns; `cur` becomes `prev`. */
  function append(): void {
    if (n === cap) grow();
    const e = cur;
    const p = prev;
    // Runs of alike events (one ring's batch) skip the lookups.
    if (!(havePrev && p.syscall === e.syscall && p.workload === e.workload && p.exe === e.exe && p.callSite === e.callSite && p.action === e.action && p.outcome === e.outcome && p.errno === e.errno)) pf = fineId(e);
    if (!(havePrev && p.host === e.host && p.bootId === e.bootId && p.ringPid === e.ringPid && p.ringStartNs === e.ringStartNs && p.identity === e.identity)) pp = producerIdOf(e);
    if (!(havePrev && p.mode === e.mode)) modes.add(e.mode);
    if (e.policyHash && !(havePrev && p.policyHash === e.policyHash)) hashes.add(e.policyHash);
    fine[n] = pf;
    producer[n] = pp;
    seq[n] = e.seq;
    pid[n] = e.pid;
    ms[n] = e.ms;
    calls[n] = e.calls;
    n++;
    prev = e;
    cur = p;
    havePrev = true;
  }

  /** The line bytes[start, j) (not read fast) through JSON.parse; false: not an event (error set). */
  function slowLine(bytes: Buffer, start: number, j: number): boolean {
    // An all-ASCII line (the usual case) decodes faster as latin1, to the same string.
    const line = bytes.toString(isAscii(bytes.subarray(start, j)) ? 'latin1' : 'utf8', start, j);
    if (!line.trim()) return true;
    const e = parseEventLine(line);
    if (typeof e === 'string') {
      error = { line: lines, cause: e };
      return false;
    }
    fromEvent(e, cur);
    append();
    return true;
  }

  /**
   * Lines b, b+1, ... of the scanner's batch while they are in the writer's
   * shape, to the columns: their tuple ids say which keys they have, and the
   * strings are read only for a tuple this parser has not seen (the first
   * line of each).  Returns the first line that is not (or `batch`).  Kept
   * apart from the other paths: the hot loop, small to compile.
   */
  function nativeRun(sc: NativeScan, t: NonNullable<ParserState['tuples']>, b: number, batch: number): number {
    const { ok, str, num, tup } = sc.cols;
    const names = sc.names;
    const { fineOf, producerOf } = t;
    for (; b < batch; b++) {
      if (ok[b] !== 1) return b;
      const o = b * sc.slots;
      const q = b * sc.nums;
      const u = b * sc.tups;
      let f = fineOf[tup[u]!];
      if (f === undefined) {
        cur.workload = names[str[o + 9]!]!;
        cur.exe = names[str[o + 3]!]!;
        cur.syscall = names[str[o + 4]!]!;
        cur.callSite = names[str[o + 5]!]!;
        cur.action = names[str[o + 6]!]!;
        cur.outcome = names[str[o + 7]!]!;
        cur.errno = num[q + 4]!;
        f = fineOf[tup[u]!] = fineId(cur);
      }
      let p = producerOf[tup[u + 1]!];
      if (p === undefined) {
        const id = str[o + 11]!;
        cur.host = names[str[o]!]!;
        cur.bootId = names[str[o + 1]!]!;
        cur.ringStartNs = names[str[o + 2]!]!;
        cur.identity = id < 0 ? undefined : names[id]!;
        cur.ringPid = num[q + 1]!;
        p = producerOf[tup[u + 1]!] = producerIdOf(cur);
      }
      const m = tup[u + 2]!;
      if (m >= t.metaSeen.length || t.metaSeen[m] === 0) {
        // Modes and policy hashes are sets (sorted when shown): once per parser is enough.
        if (m >= t.metaSeen.length) {
          const a = new Uint8Array(Math.max(m + 1, t.metaSeen.length * 2));
          a.set(t.metaSeen);
          t.metaSeen = a;
        }
        t.metaSeen[m] = 1;
        modes.add(names[str[o + 8]!]!);
        const hash = names[str[o + 10]!]!;
        if (hash) hashes.add(hash);
      }
      if (n === cap) grow();
      fine[n] = f;
      producer[n] = p;
      seq[n] = num[q + 2]!;
      pid[n] = num[q + 3]!;
      ms[n] = num[q]!;
      calls[n] = num[q + 5]!;
      n++;
      lines++;
      fastLines++;
    }
    return batch;
  }

  /** With the addon: batches of lines scanned in C; the lines not in the writer's shape through JSON.parse. */
  function feedNative(sc: NativeScan, bytes: Buffer): boolean {
    const t = state.tuples!;
    const { end } = sc.cols;
    let i = 0;
    for (;;) {
      const batch = sc.s.scan(bytes, i, sc.cols);
      if (batch === 0) return true;
      const more = sc.s.strings(sc.names.length);
      for (const x of more) sc.names.push(x);
      for (let b = 0; b < batch; b++) {
        b = nativeRun(sc, t, b, batch);
        if (b === batch) break;
        lines++;
        if (!slowLine(bytes, b === 0 ? i : end[b - 1]! + 1, end[b]!)) return false;
      }
      i = end[batch - 1]! + 1;
    }
  }

  /** Without the addon (or `native: false`): fast-line.ts, or JSON.parse for every line (`fast: false`). */
  function feedJs(bytes: Buffer): boolean {
    for (let i = 0; ; ) {
      const j = bytes.indexOf(10, i);
      if (j === -1) return true;
      const start = i;
      i = j + 1;
      if (fast && matchLine(bytes, start, j, cur, prev)) {
        lines++;
        fastLines++;
        append();
      } else {
        lines++;
        if (!slowLine(bytes, start, j)) return false;
      }
    }
  }

  function feed(bytes: Buffer): boolean {
    if (error) return false;
    return sc ? feedNative(sc, bytes) : feedJs(bytes);
  }
  return { feed, result: res };
}

/** A parser thread's range reader: one small buffer, read into again and again. */
export interface RangeReader {
  read(task: RangeTask, state: ParserState): ChunkResult;
}

/**
 * Bytes read at a time.  A range is read piece by piece into one buffer of
 * this size and each piece's whole lines are scanned at once: the buffer
 * stays in the CPU's L2 cache, so the kernel's copy of the file into it and
 * the scan that reads it again both hit the cache (the kernel's copy of the
 * 742 MiB bench file into 8 MiB buffers was a sixth of the report's CPU).
 * Grown only for a line longer than it.
 */
const PIECE = 128 << 10;

export function createRangeReader(): RangeReader {
  let buf = Buffer.allocUnsafeSlow(PIECE);
  return {
    read(task, state) {
      if (task.pieceBytes && buf.length !== task.pieceBytes) buf = Buffer.allocUnsafeSlow(task.pieceBytes);
      const fd = openSync(task.file, 'r');
      try {
        const whole = !Number.isFinite(task.end);
        const parser = createChunkParser(task, state, whole ? 8 << 20 : task.end - task.start);
        // buf[0, have) holds the file's bytes from `pos`.  From the byte before `start`: a '\n' there means a line starts at `start`.
        let pos = task.start === 0 ? 0 : task.start - 1;
        let have = 0;
        // Until the first '\n' at or after pos: the line that started before `start` (the range before ends it).
        let skipping = task.start > 0;
        for (;;) {
          if (have === buf.length) {
            // One line longer than the buffer: twice the room, keeping its bytes.
            const b = Buffer.allocUnsafeSlow(buf.length * 2);
            buf.copy(b, 0, 0, have);
            buf = b;
          }
          let got = 0;
          while (have < buf.length) {
            const r = readSync(fd, buf, have, buf.length - have, pos + have);
            if (r === 0) break;
            have += r;
            got += r;
          }
          const eof = got === 0 || have < buf.length;
          const bytes = buf.subarray(0, have);
          let s = 0;
          if (skipping) {
            const nl = bytes.indexOf(10);
            // No line starts in the range (inside one longer line, or past the end of the file).
            if (nl === -1 ? eof || pos + have >= task.end : pos + nl + 1 >= task.end) return parser.result();
            if (nl === -1) {
              pos += have;
              have = 0;
              continue;
            }
            s = nl + 1;
            skipping = false;
          }
          // The last line of the range is the one whose '\n' is the first at or after end - 1.
          const stop = whole ? -1 : bytes.indexOf(10, Math.max(s, task.end - 1 - pos));
          if (stop !== -1) {
            parser.feed(bytes.subarray(s, stop + 1));
            return parser.result();
          }
          const last = bytes.lastIndexOf(10);
          if (last >= s && !parser.feed(bytes.subarray(s, last + 1))) return parser.result();
          // Carry the cut line over to the front.
          const keep = Math.max(s, last + 1);
          if (eof) {
            const r = parser.result();
            // The file ended inside a line (one without its newline): the caller decides about it.
            if (keep < have) r.rest = Uint8Array.prototype.slice.call(buf, keep, have);
            return r;
          }
          buf.copy(buf, 0, keep, have);
          pos += keep;
          have -= keep;
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** The workerData of a parser thread (parallel.ts): only then does this module answer messages. */
export const PARSER_THREAD = 'sigsys-report-parser';

if (parentPort && workerData === PARSER_THREAD) {
  const port = parentPort;
  // One reader's chunks come to one thread's parser in turn (parallel.ts): its ids last as long as the thread.
  const state = createParserState();
  const reader = createRangeReader();
  port.on('message', (task: RangeTask) => {
    const r = reader.read(task, state);
    port.postMessage(r, [r.fine.buffer, r.producer.buffer, r.seq.buffer, r.pid.buffer, r.ms.buffer, r.calls.buffer] as ArrayBuffer[]);
  });
}
