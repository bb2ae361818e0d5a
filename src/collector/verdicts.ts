/**
 * verdicts.ts - identity verdicts that outlive the collector process.
 *
 * A ring is judged once, ideally while its writer is alive (identity.ts).
 * A collector restarted after the writer exited would judge it again with
 * less to go on (verified would become unverified), and the events it
 * re-sends (at-least-once) would carry another identity, workload and
 * dedup key than the copies already delivered.  So the verdict is kept per
 * ring in `<spool>/.sigsys-collect.d/<ring name>.json`, with the ring's
 * inode and creation time, and reused while they match.
 *
 * The spool is world-writable; the state directory is not: it is created
 * 0700 by the collector's uid, and anything else found under its name
 * (a neighbour's directory, file, FIFO or symlink) is moved out of the way
 * first.  Files in it are written with a temp name and renamed.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeError } from '../errors.js';
import type { Verdict } from './identity.js';

export const STATE_NAME = '.sigsys-collect.d';

export interface SavedVerdict {
  ino: number;
  createdNs: string;
  identity: Verdict['identity'];
  reason: string;
  /** The process the verdict's context was built from (verified: the subject; forged: the writer). */
  who?: { pid: number; exe: string; comm: string; cgroup: string };
}

export interface VerdictStore {
  load(ringPath: string, ino: number, createdNs: string): Promise<SavedVerdict | undefined>;
  save(ringPath: string, v: SavedVerdict): Promise<void>;
  forget(ringPath: string): Promise<void>;
  /** Drop saved verdicts of rings that are no longer in `spool`. */
  prune(spool: string, present: ReadonlySet<string>): Promise<void>;
}

const euid = () => (typeof process.geteuid === 'function' ? process.geteuid() : 0);

export function createVerdictStore(opts: { warn: (line: string) => void }): VerdictStore {
  const ready = new Map<string, Promise<string | undefined>>();

  /** The state directory of a spool, made safe; undefined (logged once) when it cannot be. */
  function stateDir(spool: string): Promise<string | undefined> {
    let p = ready.get(spool);
    if (!p) ready.set(spool, (p = prepare(spool)));
    return p;
  }

  async function prepare(spool: string): Promise<string | undefined> {
    const dir = join(spool, STATE_NAME);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        });
        if (st && st.isDirectory() && st.uid === euid() && (st.mode & 0o077) === 0) return dir;
        if (st) {
          // Not ours: move it aside (root may rename anything in a sticky directory).
          const aside = join(spool, `${STATE_NAME}.planted-${process.pid}-${Date.now()}`);
          await rename(dir, aside);
          opts.warn(`spool ${spool}: moved ${STATE_NAME} (not the collector's: uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}) aside to ${basename(aside)}`);
          continue;
        }
        await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
      }
      throw new Error('something keeps replacing it');
    } catch (err) {
      opts.warn(`spool ${spool}: cannot keep identity verdicts in ${STATE_NAME} (${describeError(err)}); a restarted collector judges rings again`);
      return undefined;
    }
  }

  const fileOf = async (ringPath: string): Promise<string | undefined> => {
    const dir = await stateDir(dirname(ringPath));
    return dir ? join(dir, `${basename(ringPath)}.json`) : undefined;
  };

  return {
    async load(ringPath, ino, createdNs) {
      const file = await fileOf(ringPath);
      if (!file) return undefined;
      let fh;
      try {
        fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch {
        return undefined;
      }
      try {
        const v = JSON.parse(await fh.readFile('utf8')) as SavedVerdict;
        if (v.ino !== ino || v.createdNs !== createdNs) return undefined; // another ring under the same name
        if (!['verified', 'unverified', 'forged'].includes(v.identity)) return undefined;
        return v;
      } catch {
        return undefined;
      } finally {
        await fh.close().catch(() => undefined);
      }
    },
    async save(ringPath, v) {
      const file = await fileOf(ringPath);
      if (!file) return;
      const tmp = `${file}.tmp-${process.pid}`;
      try {
        await writeFile(tmp, `${JSON.stringify(v)}\n`, { mode: 0o600 });
        await rename(tmp, file);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        opts.warn(`ring ${ringPath}: cannot save its identity verdict: ${describeError(err)}`);
      }
    },
    async forget(ringPath) {
      const file = await fileOf(ringPath);
      if (file) await unlink(file).catch(() => undefined);
    },
    async prune(spool, present) {
      const dir = await stateDir(spool);
      if (!dir) return;
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const ring = join(spool, name.replace(/\.json$/, ''));
        if (!name.endsWith('.json') || !present.has(ring)) await unlink(join(dir, name)).catch(() => undefined);
      }
    },
  };
}
