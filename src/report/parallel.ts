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
import type { ReportFold } from './model.js';
import { PARSER_THREAD, parseChunk, type ChunkResult, type ChunkTask } from './parse-worker.js';

const CHUNK = 8 << 20;

export interface ReadOptions {
  /** Parser threads; 1 (the default) parses on this thread. */
  workers?: number;
  /** false: JSON.parse every line, no fast line reader (the reference in tests; default true). */
  fast?: boolean;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

interface Pool {
  run(task: ChunkTask): Promise<ChunkResult>;
  close(): Promise<void>;
}

/** `size` worker threads, tasks dealt round robin. */
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
  let next = 0;
  return {
    run(task) {
      const x = workers[next++ % workers.length]!;
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
const inline: Pool = {
  run: (task) => Promise.resolve(parseChunk(task)),
  close: async () => {},
};

/** Fold one chunk's columns, in order. */
function apply(fold: ReportFold, r: ChunkResult): void {
  const handles = r.fines.map((k) => fold.resolve(k));
  for (const m of r.modes) fold.noteMode(m);
  for (const h of r.hashes) fold.notePolicyHash(h);
  const { fine, producer, seq, pid, ms, calls, producers } = r;
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
  const pool = size > 1 ? createPool(size) : inline;
  const inflight: Promise<ChunkResult>[] = [];
  let lines = 0;
  let carry: Uint8Array = new Uint8Array(0);
  let index = 0;
  // Each chunk is read into its own buffer (after the previous chunk's
  // unfinished line), which moves to the worker and back without a copy;
  // buffers come back with the results and are read into again (new 8 MiB
  // buffers per chunk cost full garbage collections).
  const free: ArrayBuffer[] = [];
  const settle = async () => {
    const r = await inflight.shift()!;
    if (r.error) throw new SigsysError(`${file}:${lines + r.error.line}: ${r.error.cause}`, { exitCode: 2 });
    lines += r.lines;
    apply(fold, r);
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
      inflight.push(pool.run({ index: index++, bytes: new Uint8Array(buf.buffer, buf.byteOffset, nl + 1), fast: opts.fast }));
      if (inflight.length >= 2 * size) await settle();
    }
    while (inflight.length) await settle();
  } catch (err) {
    // Let the other chunks finish before the pool goes (no unhandled rejections).
    await Promise.allSettled(inflight.splice(0));
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
