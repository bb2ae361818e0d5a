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
import type { Sink } from './sink.js';

export interface NdjsonSinkOptions {
  /** File to append to, or "-" for stdout. */
  path: string;
  fsync?: 'always' | 'interval' | 'never';
  fsyncIntervalMs?: number;
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
  const toStdout = opts.path === '-';

  const handle = (): Promise<FileHandle> => {
    if (fh) return Promise.resolve(fh);
    opening ??= open(opts.path, 'a', 0o644).then((h) => (fh = h));
    return opening;
  };

  async function writeStdout(text: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }

  return {
    name: toStdout ? 'ndjson:stdout' : `ndjson:${opts.path}`,
    async write(events: readonly ViolationEvent[]) {
      if (closed) throw new Error(`ndjson sink ${opts.path} is closed`);
      if (events.length === 0) return;
      let text = '';
      for (const ev of events) text += JSON.stringify(ev) + '\n';
      try {
        if (toStdout) return await writeStdout(text);
        const h = await handle();
        await h.appendFile(text);
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
      }
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
