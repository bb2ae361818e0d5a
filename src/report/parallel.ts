/**
 * parallel.ts - the NDJSON events file reader: byte ranges of 8 MiB are
 * read and parsed into columns (parse-worker.ts: each range's lines are
 * those that start in it) - by worker threads for large files, on this
 * thread for small ones and `--jobs 1` - and folded on this thread in file
 * order, so duplicates, first/last times and line numbers in errors do not
 * depend on the number of threads.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SigsysError, describeError } from '../errors.js';
import { parseEventLine, type ReadResult } from './input.js';
import type { FineHandle, ReportFold } from './model.js';
import { PARSER_THREAD, createParserState, createRangeReader, parseChunk, type ChunkProducer, type ChunkResult, type RangeTask } from './parse-worker.js';

const CHUNK = 8 << 20;

export interface ReadOptions {
  /** Parser threads; 1 (the default) parses on this thread. */
  workers?: number;
  /** false: JSON.parse every line, no fast line reader (the reference in tests; default true). */
  fast?: boolean;
  /** false: the JS fast line reader instead of the addon's LineScanner (tests; default true). */
  native?: boolean;
  /** Bytes per range a parser thread reads (default 8 MiB; small in tests, to cut lines everywhere). */
  chunkBytes?: number;
  /** Bytes read at a time within a range (default 128 KiB, parse-worker.ts; small in tests, to cut lines everywhere). */
  pieceBytes?: number;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

interface Pool {
  /** Parse on thread `thread` (each thread's parser numbers keys and rings on across its chunks). */
  run(task: RangeTask, thread: number): Promise<ChunkResult>;
  close(): Promise<void>;
}

/** `size` worker threads. */
function createPool(size: number): Pool {
  const url = new URL('./parse-worker.js', import.meta.url);
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(url, { workerData: PARSER_THREAD });
    // Each worker answers its tasks in order: a FIFO of callbacks.
    const waiting: { resolve: (r: ChunkResult) => void; reject: (e: unknown) => void }[] = [];
    w.on('message', (r: ChunkResult) => waiting.shift()?.resolve(r));
    w.on('error', (err) => {
      for (const x of waiting.splice(0)) x.reject(err);
    });
    // A worker that ends with tasks outstanding (killed, out of memory) must not leave them waiting forever.
    w.on('exit', (code) => {
      for (const x of waiting.splice(0)) x.reject(new Error(`parser thread exited (code ${code})`));
    });
    return { w, waiting };
  });
  return {
    run(task, thread) {
      const x = workers[thread]!;
      return new Promise<ChunkResult>((resolve, reject) => {
        x.waiting.push({ resolve, reject });
        x.w.postMessage(task);
      });
    },
    async close() {
      await Promise.all(workers.map(({ w }) => w.terminate()));
    },
  };
}

/** Parsing on this thread (one worker's worth). */
function inlinePool(): Pool {
  const state = createParserState();
  const reader = createRangeReader();
  return {
    run: (task) => Promise.resolve(reader.read(task, state)),
    close: async () => {},
  };
}

/** What this thread knows of one parser thread's ids: fine id -> handle, ring id -> ring. */
interface ThreadIds {
  handles: FineHandle[];
  producers: ChunkProducer[];
}

/**
 * Fold one chunk's columns, in order.  Keys are resolved when their parser
 * first sends them - in file order, as the first event with them comes
 * (the fold's rows keep that order among equals).
 */
function apply(fold: ReportFold, r: ChunkResult, ids: ThreadIds): void {
  const { handles, producers } = ids;
  if (handles.length !== r.fineBase || producers.length !== r.producerBase) throw new Error('parser thread ids out of step');
  for (const k of r.fines) handles.push(fold.resolve(k));
  for (const p of r.producers) producers.push(p);
  for (const m of r.modes) fold.noteMode(m);
  for (const h of r.hashes) fold.notePolicyHash(h);
  fold.addColumns({ handles, producers, fine: r.fine, producer: r.producer, seq: r.seq, pid: r.pid, ms: r.ms, calls: r.calls, n: r.events });
}

/**
 * Read `file` into `fold` (never held whole: a 1M-event file is ~780 MB):
 * its bytes are cut into ranges of `chunkBytes`, each parser thread reads
 * and parses the lines starting in its ranges, and the results are folded
 * here in file order.  A line that is not an event is one error
 * `FILE:LINE: cause`; a last line without its newline that does not parse
 * (a writer stopped mid-line) is skipped and reported in the result.
 */
export async function readEventsFile(file: string, fold: ReportFold, opts: ReadOptions = {}): Promise<ReadResult> {
  let bytes: number;
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  }
  try {
    const st = await fh.stat();
    // A pipe or FIFO (`sigsys report <(zcat events.gz)`) has no byte ranges: read in order on this thread.
    if (!st.isFile()) return await readStream(file, fh, fold, opts);
    bytes = st.size;
  } catch (err) {
    if (err instanceof SigsysError) throw err;
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  } finally {
    await fh.close();
  }
  const size = opts.workers ?? 1;
  const chunk = opts.chunkBytes ?? CHUNK;
  const ranges = Math.max(1, Math.ceil(bytes / chunk));
  const pool = size > 1 ? createPool(size) : inlinePool();
  const threads: ThreadIds[] = Array.from({ length: size }, () => ({ handles: [], producers: [] }));
  const inflight: { thread: number; result: Promise<ChunkResult> }[] = [];
  let lines = 0;
  let rest: Uint8Array | undefined;
  let index = 0;
  const settle = async () => {
    const { thread, result } = inflight.shift()!;
    const r = await result;
    if (r.error) throw new SigsysError(`${file}:${lines + r.error.line}: ${r.error.cause}`, { exitCode: 2 });
    lines += r.lines;
    apply(fold, r, threads[thread]!);
    // A range whose last line has no newline met the end of the file: no later range can have lines, unless the file changed meanwhile.
    if (rest && (r.lines > 0 || r.rest)) throw new SigsysError(`${file}: the file changed while it was read`, { exitCode: 2 });
    if (r.rest) rest = r.rest;
  };
  try {
    while (index < ranges) {
      const thread = index % size;
      const start = index * chunk;
      const end = index === ranges - 1 ? Infinity : start + chunk;
      inflight.push({ thread, result: pool.run({ index, file, start, end, fast: opts.fast, native: opts.native, pieceBytes: opts.pieceBytes }, thread) });
      index++;
      if (inflight.length >= 2 * size) await settle();
    }
    while (inflight.length) await settle();
  } catch (err) {
    // Let the other ranges finish before the pool goes (no unhandled rejections).
    await Promise.allSettled(inflight.splice(0).map((x) => x.result));
    if (err instanceof SigsysError) throw err;
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  } finally {
    await pool.close();
  }
  return lastLine(fold, lines, rest);
}

/** The last line without its newline: folded when it parses, else skipped and reported. */
function lastLine(fold: ReportFold, lines: number, rest: Uint8Array | undefined): ReadResult {
  const text = rest ? Buffer.from(rest.buffer, rest.byteOffset, rest.byteLength).toString('utf8') : '';
  let partialLastLine = false;
  if (text.trim()) {
    lines++;
    const e = parseEventLine(text);
    if (typeof e === 'string') partialLastLine = true;
    else fold.add(e);
  }
  return { lines, partialLastLine };
}

/** A file that is not a regular file, in chunks of whole lines, in order, on this thread. */
async function readStream(file: string, fh: FileHandle, fold: ReportFold, opts: ReadOptions): Promise<ReadResult> {
  const state = createParserState();
  const ids: ThreadIds = { handles: [], producers: [] };
  const chunk = opts.chunkBytes ?? CHUNK;
  let carry = new Uint8Array(0);
  let lines = 0;
  let index = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(carry.length + chunk);
      buf.set(carry);
      const { bytesRead } = await fh.read(buf, carry.length, chunk, null);
      if (bytesRead === 0) break;
      const end = carry.length + bytesRead;
      const nl = buf.lastIndexOf(10, end - 1);
      if (nl === -1) {
        carry = Uint8Array.prototype.slice.call(buf, 0, end);
        continue;
      }
      carry = Uint8Array.prototype.slice.call(buf, nl + 1, end);
      const r = parseChunk({ index: index++, bytes: buf.subarray(0, nl + 1), fast: opts.fast, native: opts.native }, state);
      if (r.error) throw new SigsysError(`${file}:${lines + r.error.line}: ${r.error.cause}`, { exitCode: 2 });
      lines += r.lines;
      apply(fold, r, ids);
    }
  } catch (err) {
    if (err instanceof SigsysError) throw err;
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  }
  return lastLine(fold, lines, carry);
}
