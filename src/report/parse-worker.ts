/**
 * parse-worker.ts - a worker thread of the parallel NDJSON reader
 * (parallel.ts): parses the lines of one chunk (JSON.parse, the same checks
 * as the sequential reader) and sends back columns instead of objects: per
 * event the index of its (workload, syscall, action, errno, outcome, call
 * site, exe) and of its ring in two small tables, plus seq, pid and time.
 * Parsing is most of a report's cost; columns are cheap to send and to fold.
 */
import { isAscii } from 'node:buffer';
import { parentPort } from 'node:worker_threads';
import { parseEventLine } from './input.js';
import { nsToMs, type FineKey } from './model.js';

export interface ChunkTask {
  index: number;
  bytes: Uint8Array;
}

export interface ChunkProducer {
  host: string;
  bootId: string;
  ringPid: number;
  ringStartNs: string;
}

export interface ChunkResult {
  index: number;
  /** Lines in the chunk (empty ones included). */
  lines: number;
  /** First bad line, 1-based within the chunk, and why. */
  error?: { line: number; cause: string };
  events: number;
  fines: FineKey[];
  producers: ChunkProducer[];
  modes: string[];
  hashes: string[];
  fine: Int32Array;
  producer: Int32Array;
  seq: Float64Array;
  pid: Float64Array;
  ms: Float64Array;
}

export function parseChunk(task: ChunkTask): ChunkResult {
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  // An all-ASCII chunk (the usual case) decodes faster as latin1, to the same string.
  const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  let cap = 1024;
  let fine = new Int32Array(cap);
  let producer = new Int32Array(cap);
  let seq = new Float64Array(cap);
  let pid = new Float64Array(cap);
  let ms = new Float64Array(cap);
  const fines: FineKey[] = [];
  // workload -> syscall -> call site -> ids of the fines under it (no key string built per event).
  const fineIds = new Map<string, Map<string, Map<string, number[]>>>();
  const producers: ChunkProducer[] = [];
  const producerIds = new Map<string, number>();
  const modes = new Set<string>();
  const hashes = new Set<string>();
  let n = 0;
  let lines = 0;
  let i = 0;
  let j: number;
  let pf = -1;
  let pp = -1;
  let prev: Record<string, unknown> | undefined;
  const res = (error?: ChunkResult['error']): ChunkResult => ({
    index: task.index,
    lines,
    ...(error ? { error } : {}),
    events: n,
    fines,
    producers,
    modes: [...modes],
    hashes: [...hashes],
    fine: fine.subarray(0, n),
    producer: producer.subarray(0, n),
    seq: seq.subarray(0, n),
    pid: pid.subarray(0, n),
    ms: ms.subarray(0, n),
  });
  while ((j = text.indexOf('\n', i)) !== -1) {
    lines++;
    const line = text.slice(i, j);
    i = j + 1;
    if (!line.trim()) continue;
    const e = parseEventLine(line);
    if (typeof e === 'string') return res({ line: lines, cause: e });
    if (n === cap) {
      cap *= 2;
      const grow = <T extends Int32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
      fine = grow(fine, new Int32Array(cap));
      producer = grow(producer, new Int32Array(cap));
      seq = grow(seq, new Float64Array(cap));
      pid = grow(pid, new Float64Array(cap));
      ms = grow(ms, new Float64Array(cap));
    }
    // Runs of alike events (one ring's batch) skip the key building.
    const p = prev as typeof e | undefined;
    if (!(p && p.syscall === e.syscall && p.workload === e.workload && p.exe === e.exe && p.callSite === e.callSite && p.action === e.action && p.outcome === e.outcome && p.errno === e.errno)) {
      const workload = e.workload || e.exe || 'unknown';
      let bySyscall = fineIds.get(workload);
      if (!bySyscall) fineIds.set(workload, (bySyscall = new Map()));
      let bySite = bySyscall.get(e.syscall);
      if (!bySite) bySyscall.set(e.syscall, (bySite = new Map()));
      let ids = bySite.get(e.callSite);
      if (!ids) bySite.set(e.callSite, (ids = []));
      let id = -1;
      for (const x of ids) {
        const k = fines[x]!;
        if (k.action === e.action && k.errno === e.errno && k.outcome === e.outcome && k.exe === e.exe) {
          id = x;
          break;
        }
      }
      if (id < 0) {
        id = fines.length;
        ids.push(id);
        fines.push({ workload, syscall: e.syscall, action: e.action, errno: e.errno, outcome: e.outcome, callSite: e.callSite, exe: e.exe });
      }
      pf = id;
    }
    if (!(p && p.host === e.host && p.bootId === e.bootId && p.ringPid === e.ringPid && p.ringStartNs === e.ringStartNs)) {
      const key = `${e.host}\0${e.bootId}\0${e.ringPid}\0${e.ringStartNs}`;
      let id = producerIds.get(key);
      if (id === undefined) {
        id = producers.length;
        producerIds.set(key, id);
        producers.push({ host: e.host, bootId: e.bootId, ringPid: e.ringPid, ringStartNs: e.ringStartNs });
      }
      pp = id;
    }
    if (!(p && p.mode === e.mode)) modes.add(e.mode);
    const hash = (e as { policyHash?: string }).policyHash;
    if (hash && !(p && (p as { policyHash?: string }).policyHash === hash)) hashes.add(hash);
    prev = e as unknown as Record<string, unknown>;
    fine[n] = pf;
    producer[n] = pp;
    seq[n] = e.seq;
    pid[n] = e.pid;
    ms[n] = nsToMs(e.timeNs, e.time);
    n++;
  }
  return res();
}

parentPort?.on('message', (task: ChunkTask) => {
  const r = parseChunk(task);
  parentPort!.postMessage(r, [r.fine.buffer, r.producer.buffer, r.seq.buffer, r.pid.buffer, r.ms.buffer] as ArrayBuffer[]);
});
