/**
 * ndjson.ts - one JSON object (a ViolationEvent, exactly its fields) per
 * line, to a file (appended) or to stdout ("-").
 *
 * Durability (what "write resolved" means, see sink.ts):
 *   - `write()` resolves after write(2) returned for the whole batch, so
 *     the lines are in the kernel's page cache: a crash or SIGKILL of the
 *     collector loses nothing whose cursor was committed.
 *   - fsync: `fsync: 'interval'` (default) syncs at most every
 *     `fsyncIntervalMs` (1 s) when something was written, and on close();
 *     `'always'` syncs before every write resolves (survives power loss, at
 *     a throughput cost); `'never'` leaves it to the kernel (close() still
 *     syncs).  stdout is never fsynced.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { ViolationEvent } from '../events/types.js';
import { createNdjsonEncoder } from './ndjson-encode.js';
import type { EncodedBatch, Sink } from './sink.js';

export interface NdjsonSinkOptions {
  /** File to append to, or "-" for stdout. */
  path: string;
  fsync?: 'always' | 'interval' | 'never';
  fsyncIntervalMs?: number;
}

/**
 * A collector killed in the middle of appending a batch leaves a partial last
 * line.  That batch was never acknowledged (its cursor was not committed), so
 * it is sent again after the restart: cut the file back to its last complete
 * line instead of gluing the next event onto the fragment.
 */
export async function dropTornTail(path: string): Promise<number> {
  let h: FileHandle;
  try {
    h = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const { size } = await h.stat();
    let end = size;
    const chunk = Buffer.alloc(64 * 1024);
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await h.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        end = start + nl + 1;
        break;
      }
      end = start;
    }
    if (end < size) await h.truncate(end);
    return size - end;
  } finally {
    await h.close();
  }
}

export function createNdjsonSink(opts: NdjsonSinkOptions): Sink {
  const fsyncMode = opts.fsync ?? 'interval';
  const interval = opts.fsyncIntervalMs ?? 1000;
  let fh: FileHandle | undefined;
  let opening: Promise<FileHandle> | undefined;
  let dirty = false;
  let lastSync = Date.now();
  let closed = false;
  let failed = false;
  let writing = 0;
  const toStdout = opts.path === '-';

  const handle = (): Promise<FileHandle> => {
    if (fh) return Promise.resolve(fh);
    opening ??= dropTornTail(opts.path)
      .then(() => open(opts.path, 'a', 0o644))
      .then((h) => (fh = h));
    return opening;
  };

  // Lines are JSON.stringify(ev) + '\n', encoded straight to UTF-8 (ndjson-encode.ts).
  const encoder = createNdjsonEncoder();

  async function writeStdout(bytes: Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Append the lines; resolves once write(2) returned for all of them (see the top). */
  async function writeBytes(bytes: Uint8Array, done: () => void): Promise<void> {
    try {
      if (toStdout) return await writeStdout(bytes);
      const h = await handle();
      // write() until all is written, not appendFile(): that cuts a batch into
      // 512 KiB writes, each a round trip through the thread pool.
      for (let off = 0; off < bytes.length; ) off += (await h.write(bytes, off, bytes.length - off)).bytesWritten;
      dirty = true;
      const now = Date.now();
      if (fsyncMode === 'always' || (fsyncMode === 'interval' && now - lastSync >= interval)) {
        await h.datasync();
        dirty = false;
        lastSync = now;
      }
      failed = false;
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      done();
    }
  }

  return {
    name: toStdout ? 'ndjson:stdout' : `ndjson:${opts.path}`,
    async write(events: readonly ViolationEvent[]) {
      if (closed) throw new Error(`ndjson sink ${opts.path} is closed`);
      if (events.length === 0) return;
      // The encoder's buffer is reused by its next encode(): the collector
      // awaits each write, a write while another is in flight gets its own.
      const bytes = (writing ? createNdjsonEncoder({ initialBytes: 64 * 1024 }) : encoder).encode(events);
      writing++;
      await writeBytes(bytes, () => writing--);
    },
    // The collector's batch path (src/collector/batch-encode.ts): the lines are ready.
    async writeEncoded(batch: EncodedBatch) {
      if (closed) throw new Error(`ndjson sink ${opts.path} is closed`);
      if (batch.events === 0) return;
      await writeBytes(batch.ndjson, () => undefined);
    },
    health: () => (failed ? 'degraded' : 'ok'),
    async close() {
      if (closed) return;
      closed = true;
      if (opening) {
        const h = await opening;
        if (dirty) await h.datasync();
        await h.close();
      }
    },
  };
}
