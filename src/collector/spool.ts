/**
 * spool.ts - getting the spool directories of `sigsys collect` ready: the
 * first is the shared spool, created sticky and world-writable (1777) when
 * missing; further ones are sub-spools (per uid or pod) that must exist
 * already with their tenant as owner; each is locked (lock.ts) so that one
 * collector reads it.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SpoolError, describeError } from '../errors.js';
import { lockSpool, type SpoolLock } from './lock.js';

/**
 * Create the spool directory (sticky and world-writable, like /tmp: workloads
 * of any user create their rings in it) one level at a time.  Node's
 * recursive mkdir never returns for a path under /proc, so it is not used.
 */
async function ensureSpool(spool: string): Promise<void> {
  const missing: string[] = [];
  for (let p = resolve(spool); ; p = dirname(p)) {
    const st = await stat(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new SpoolError(`collect: spool ${spool}: cannot look at ${p}: ${describeError(err)}`, { cause: err });
    });
    if (st) {
      if (!st.isDirectory()) throw new SpoolError(`collect: spool ${spool}: ${p} is not a directory`);
      break;
    }
    missing.unshift(p);
    if (p === dirname(p)) break;
  }
  for (const dir of missing) {
    const last = dir === missing[missing.length - 1];
    await mkdir(dir, { mode: last ? 0o1777 : 0o755 })
      // mkdir's mode is filtered by the umask; the spool itself must really be 1777.
      .then(() => (last ? chmod(dir, 0o1777) : undefined))
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw new SpoolError(`collect: cannot create spool ${spool}: ${describeError(err)}`, { cause: err });
      });
  }
}

export interface PrepareSpoolsOptions {
  /** One line about something planted under a lock's name and removed (lock.ts). */
  onPlanted?: (line: string) => void;
}

/** Create the shared spool, check the sub-spools, lock them all; release() unlocks every one. */
export async function prepareSpools(spools: readonly string[], opts: PrepareSpoolsOptions = {}): Promise<Pick<SpoolLock, 'release'>> {
  await ensureSpool(spools[0]!);
  for (const s of spools.slice(1)) {
    const st = await stat(s).catch((err: unknown) => {
      throw new SpoolError(`collect: sub-spool ${s}: ${describeError(err)}`, { cause: err });
    });
    if (!st.isDirectory()) throw new SpoolError(`collect: sub-spool ${s}: not a directory`);
  }
  const locks: SpoolLock[] = [];
  const lock = {
    release: async () => {
      for (const l of locks.splice(0)) await l.release();
    },
  };
  try {
    for (const s of spools) locks.push(await lockSpool(s, { onPlanted: opts.onPlanted }));
  } catch (err) {
    await lock.release();
    throw err;
  }
  return lock;
}
