/**
 * lock.ts - one collector per spool.  A ring has one consumer cursor, so two
 * collectors on one spool would deliver every event twice.  `sigsys collect`
 * holds <spool>/.sigsys-collect.lock (created O_EXCL, holding its pid); a
 * lock whose pid is gone (the collector was SIGKILLed) is taken over.
 *
 * The spool is world-writable (1777), so anybody may have put something
 * under the lock's name before the collector starts: a FIFO (an open would
 * block, a read would never return), a socket, a directory, a symlink to a
 * file of theirs or of root's, a regular file of their own.  So:
 *
 *   - what is there is looked at with lstat (never opens, never follows);
 *     anything but a regular file owned by our euid with one link is not
 *     ours: it is removed (root may unlink anything in a sticky directory)
 *     and `onPlanted` says so in one line; a directory is refused with one
 *     line (removing a tree a neighbour built is not our business);
 *   - every open is O_NOFOLLOW|O_NONBLOCK (a swap between lstat and open
 *     can neither redirect nor block it) and is checked with fstat before
 *     a byte is read or written.
 */
import { constants } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError, describeError } from '../errors.js';

export const LOCK_NAME = '.sigsys-collect.lock';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY, O_CLOEXEC } = constants as typeof constants & { O_CLOEXEC?: number };
const SAFE = O_NOFOLLOW | O_NONBLOCK | (O_CLOEXEC ?? 0);

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

export interface LockOptions {
  /** Told (one line) when something that was not our lock file was removed from under its name. */
  onPlanted?: (line: string) => void;
}

const euid = () => (typeof process.geteuid === 'function' ? process.geteuid() : 0);

function kindOf(st: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isFile()) return 'a regular file';
  return 'a device or other special file';
}

/** The pid in our lock file, or undefined if what is there is not our lock file. */
async function readOwner(path: string): Promise<number | undefined> {
  let fh;
  try {
    fh = await open(path, O_RDONLY | SAFE);
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.uid !== euid() || st.nlink !== 1) return undefined;
    const b = Buffer.alloc(32);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    const pid = Number(b.subarray(0, bytesRead).toString('utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Remove a name that is not our lock file; a directory is refused. */
async function removePlanted(spool: string, path: string, opts: LockOptions): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return; // gone already
  }
  const mine = st.isFile() && st.uid === euid() && st.nlink === 1;
  if (mine) return;
  const what = `${kindOf(st)} owned by uid ${st.uid}${st.isFile() && st.nlink !== 1 ? ` with ${st.nlink} links` : ''}`;
  if (st.isDirectory()) {
    throw new SpoolError(`spool ${spool}: ${LOCK_NAME} is ${what}, not a collector lock file; remove it and start again`);
  }
  try {
    await unlink(path);
  } catch (err) {
    throw new SpoolError(`spool ${spool}: ${LOCK_NAME} is ${what}, not a collector lock file, and cannot be removed: ${describeError(err)}`, { cause: err });
  }
  opts.onPlanted?.(`spool ${spool}: removed ${what} found under the lock name ${LOCK_NAME}`);
}

export async function lockSpool(spool: string, opts: LockOptions = {}): Promise<SpoolLock> {
  const path = join(spool, LOCK_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    await removePlanted(spool, path, opts);
    try {
      const fh = await open(path, O_WRONLY | O_CREAT | O_EXCL | SAFE, 0o644);
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      return {
        path,
        release: async () => {
          if ((await readOwner(path)) === process.pid) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SpoolError(`spool ${spool}: cannot create ${LOCK_NAME}: ${describeError(err)}`, { cause: err });
      }
    }
    const owner = await readOwner(path);
    if (owner !== undefined && owner !== process.pid && alive(owner)) {
      throw new SpoolError(`spool ${spool}: already collected by pid ${owner} (${path}); one collector per spool`);
    }
    // Stale (its collector died), ours from an earlier life, or planted
    // between our lstat and open (removePlanted looks again): take it over.
    if (owner !== undefined) await unlink(path).catch(() => undefined);
  }
  throw new SpoolError(`spool ${spool}: cannot take ${path} (something keeps replacing it)`);
}
