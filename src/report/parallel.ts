/**
 * parallel.ts - the NDJSON events file reader: chunks of ~8 MiB cut at line
 * ends are parsed into columns (parse-worker.ts) - by worker threads for
 * large files, on this thread for small ones and `--jobs 1` - and folded on
 * this thread in file order, so duplicates, first/last times and line
 * numbers in errors do not depend on the number of threads.
 */
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SigsysError, describeError } from '../errors.js';
import { parseEventLine, type ReadResult } from './input.js';
import type { FineHandle, ReportFold } from './model.js';
import { PARSER_THREAD, createParserState, parseChunk, type ChunkProducer, type ChunkResult, type ChunkTask } from './parse-worker.js';

const CHUNK = 8 << 20;

export interface ReadOptions {
  /** Parser threads; 1 (the default) parses on this thread. */
  workers?: number;
  /** false: JSON.parse every line, no fast line reader (the reference in tests; default true). */
  fast?: boolean;
  /** false: the JS fast line reader instead of the addon's LineScanner (tests; default true). */
  native?: boolean;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

interface Pool {
  /** Parse on thread `thread` (each thread's parser numbers keys and rings on across its chunks). */
  run(task: ChunkTask, thread: number): Promise<ChunkResult>;
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
        x.w.postMessage(task, [task.bytes.buffer as ArrayBuffer]);
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
  return {
    run: (task) => Promise.resolve(parseChunk(task, state)),
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
  const { fine, producer, seq, pid, ms, calls } = r;
  for (let i = 0; i < r.events; i++) {
    const p = producers[producer[i]!]!;
    fold.addResolved(handles[fine[i]!]!, p.id, seq[i]!, p.host, pid[i]!, ms[i]!, calls[i]!);
  }
}

/**
 * Stream `file` into `fold` (never held whole: a 1M-event file is ~700
 * MB).  A line that is not an event is one error `FILE:LINE: cause`; a last
 * line without its newline that does not parse (a writer stopped mid-line)
 * is skipped and reported in the result.
 */
export async function readEventsFile(file: string, fold: ReportFold, opts: ReadOptions = {}): Promise<ReadResult> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  }
  const size = opts.workers ?? 1;
  const pool = size > 1 ? createPool(size) : inlinePool();
  const threads: ThreadIds[] = Array.from({ length: size }, () => ({ handles: [], producers: [] }));
  const inflight: { thread: number; result: Promise<ChunkResult> }[] = [];
  let lines = 0;
  let carry: Uint8Array = new Uint8Array(0);
  let index = 0;
  // Each chunk is read into its own buffer (after the previous chunk's
  // unfinished line), which moves to the worker and back without a copy;
  // buffers come back with the results and are read into again (new 8 MiB
  // buffers per chunk cost full garbage collections).
  const free: ArrayBuffer[] = [];
  const settle = async () => {
    const { thread, result } = inflight.shift()!;
    const r = await result;
    if (r.error) throw new SigsysError(`${file}:${lines + r.error.line}: ${r.error.cause}`, { exitCode: 2 });
    lines += r.lines;
    apply(fold, r, threads[thread]!);
    free.push(r.bytes.buffer as ArrayBuffer);
  };
  try {
    for (;;) {
      const spare = free.pop();
      const buf = spare && spare.byteLength >= carry.length + CHUNK ? Buffer.from(spare) : Buffer.allocUnsafeSlow(carry.length + CHUNK);
      buf.set(carry);
      const { bytesRead } = await fh.read(buf, carry.length, buf.length - carry.length, null);
      if (bytesRead === 0) break;
      const end = carry.length + bytesRead;
      const nl = buf.lastIndexOf(10, end - 1);
      if (nl === -1) {
        carry = buf.subarray(0, end); // a line longer than a chunk so far
        continue;
      }
      // A copy (Buffer's own slice() would be a view): buf moves to the worker.
      carry = Uint8Array.prototype.slice.call(buf, nl + 1, end);
      const thread = index % size;
      inflight.push({ thread, result: pool.run({ index: index++, bytes: new Uint8Array(buf.buffer, buf.byteOffset, nl + 1), fast: opts.fast, native: opts.native }, thread) });
      if (inflight.length >= 2 * size) await settle();
    }
    while (inflight.length) await settle();
  } catch (err) {
    // Let the other chunks finish before the pool goes (no unhandled rejections).
    await Promise.allSettled(inflight.splice(0).map((x) => x.result));
    if (err instanceof SigsysError) throw err;
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  } finally {
    await pool.close();
    await fh.close();
  }
  // The last line without its newline.
  const rest = Buffer.from(carry.buffer, carry.byteOffset, carry.byteLength).toString('utf8');
  let partialLastLine = false;
  if (rest.trim()) {
    lines++;
    const e = parseEventLine(rest);
    if (typeof e === 'string') partialLastLine = true;
    else fold.add(e);
  }
  return { lines, partialLastLine };
}
