/**
 * lock.ts - one collector per spool.  A ring has one consumer cursor, so two
 * collectors on one spool would deliver every event twice.  `sigsys collect`
 * holds <spool>/.sigsys-collect.lock (created O_EXCL, holding its pid); a
 * lock whose pid is gone (the collector was SIGKILLed) is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError, describeError } from '../errors.js';

export const LOCK_NAME = '.sigsys-collect.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SpoolLock {
  readonly path: string;
  release(): Promise<void>;
}

export async function lockSpool(spool: string): Promise<SpoolLock> {
  const path = join(spool, LOCK_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return {
        path,
        release: async () => {
          const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
          if (owner === process.pid) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SpoolError(`spool ${spool}: cannot create ${LOCK_NAME}: ${describeError(err)}`, { cause: err });
      }
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new SpoolError(`spool ${spool}: already collected by pid ${owner} (${path}); one collector per spool`);
    }
    // Stale (its collector died) or unreadable: take it over.
    await unlink(path).catch(() => undefined);
  }
  throw new SpoolError(`spool ${spool}: cannot take ${path} (another collector keeps racing for it)`);
}
