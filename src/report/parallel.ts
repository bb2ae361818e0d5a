/**
 * parallel.ts - the NDJSON reader for large files: chunks of ~8 MiB cut at
 * line ends are parsed by worker threads (parse-worker.ts, JSON.parse is
 * most of the cost) and folded on this thread in file order, so duplicates,
 * first/last times and line numbers in errors are exactly those of the
 * sequential reader (input.ts), which small files still use.
 */
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SigsysError, describeError } from '../errors.js';
import { producerId } from '../aggregate/dedupe.js';
import { parseEventLine, type ReadResult } from './input.js';
import type { ReportFold } from './model.js';
import type { ChunkResult, ChunkTask } from './parse-worker.js';

const CHUNK = 8 << 20;

export interface ParallelReadOptions {
  /** Worker threads (default: the CPUs available, at most 4). */
  workers?: number;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

interface Pool {
  run(task: ChunkTask): Promise<ChunkResult>;
  close(): Promise<void>;
}

function createPool(size: number): Pool {
  const url = new URL('./parse-worker.js', import.meta.url);
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(url);
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

/** Fold one chunk's columns, in order. */
function apply(fold: ReportFold, r: ChunkResult): void {
  const handles = r.fines.map((k) => fold.resolve(k));
  const producers = r.producers.map((p) => ({ id: producerId(p), host: p.host }));
  for (const m of r.modes) fold.noteMode(m);
  for (const h of r.hashes) fold.notePolicyHash(h);
  const { fine, producer, seq, pid, ms } = r;
  for (let i = 0; i < r.events; i++) {
    const p = producers[producer[i]!]!;
    fold.addResolved(handles[fine[i]!]!, p.id, seq[i]!, p.host, pid[i]!, ms[i]!);
  }
}

/**
 * Stream `file` into `fold` with `workers` parser threads; the same result
 * and errors as readEventsFile.
 */
export async function readEventsFileParallel(file: string, fold: ReportFold, opts: ParallelReadOptions = {}): Promise<ReadResult> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  }
  const size = opts.workers ?? defaultWorkers();
  const pool = createPool(size);
  const inflight: Promise<ChunkResult>[] = [];
  let lines = 0;
  const settle = async () => {
    const r = await inflight.shift()!;
    if (r.error) throw new SigsysError(`${file}:${lines + r.error.line}: ${r.error.cause}`, { exitCode: 2 });
    lines += r.lines;
    apply(fold, r);
  };
  let carry = new Uint8Array(0);
  let index = 0;
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
      if (nl === -1) {
        const c = new Uint8Array(carry.length + bytesRead);
        c.set(carry);
        c.set(buf.subarray(0, bytesRead), carry.length);
        carry = c;
        continue;
      }
      // A chunk of whole lines in its own ArrayBuffer (moved, not copied, to the worker).
      const bytes = new Uint8Array(carry.length + nl + 1);
      bytes.set(carry);
      bytes.set(buf.subarray(0, nl + 1), carry.length);
      carry = Uint8Array.from(buf.subarray(nl + 1, bytesRead));
      inflight.push(pool.run({ index: index++, bytes }));
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
  // The last line without its newline: parsed here, as the sequential reader does.
  const rest = Buffer.from(carry).toString('utf8');
  let partialLastLine = false;
  if (rest.trim()) {
    lines++;
    const e = parseEventLine(rest);
    if (typeof e === 'string') partialLastLine = true;
    else fold.add(e);
  }
  return { lines, partialLastLine };
}
