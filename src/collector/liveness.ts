/**
 * liveness.ts - is anybody still producing into a ring?
 *
 * The preload maps its ring MAP_SHARED for the life of the process, and a
 * forked child inherits the mapping, so "some process maps the file" is the
 * exact test for "more events may come".  `scanMappedRings()` reads
 * /proc/<pid>/maps of every process we can see and returns the (inode, file
 * name) of every mapped sigsys ring, plus the pid namespaces it saw, so the
 * caller can tell "nobody maps it" from "we cannot see its processes".
 *
 * The rule the collector applies (see collector.ts, README):
 *   a ring is removed when it is drained (cursor == head, nothing pending) and
 *   - the scan was complete (every maps file readable), the ring's pid
 *     namespace (RingMeta.pid_ns) is ours or was seen in the scan, and no
 *     process maps the file; or, when we cannot see that far,
 *   - nobody visible maps it and its head has not moved for `staleMs`
 *     (default 10 minutes).
 */
import { readFile, readdir, readlink } from 'node:fs/promises';
import { basename } from 'node:path';

export interface MapScan {
  /** `${inode}:${basename}` of every mapped sigsys ring file. */
  mapped: Set<string>;
  /** pid-namespace inodes of the processes seen. */
  pidNs: Set<string>;
  /** False when some process's maps could not be read (permissions). */
  complete: boolean;
}

export const ringKey = (ino: number | bigint, path: string): string => `${ino}:${basename(path)}`;

const MAPS_LINE = /^[0-9a-f]+-[0-9a-f]+ \S+ [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ (\d+)\s+(.*)$/;

/** Inode of a pid namespace link target "pid:[4026531836]". */
function nsInode(link: string): string {
  const m = /\[(\d+)\]/.exec(link);
  return m ? m[1]! : link;
}

export async function ownPidNs(): Promise<string | undefined> {
  try {
    return nsInode(await readlink('/proc/self/ns/pid'));
  } catch {
    return undefined;
  }
}

export async function scanMappedRings(proc = '/proc'): Promise<MapScan> {
  const out: MapScan = { mapped: new Set(), pidNs: new Set(), complete: true };
  let pids: string[];
  try {
    pids = (await readdir(proc)).filter((n) => /^\d+$/.test(n));
  } catch {
    out.complete = false;
    return out;
  }
  for (const pid of pids) {
    let text: string;
    try {
      text = await readFile(`${proc}/${pid}/maps`, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH') out.complete = false; // EACCES: cannot see
      continue;
    }
    try {
      out.pidNs.add(nsInode(await readlink(`${proc}/${pid}/ns/pid`)));
    } catch {
      /* exited meanwhile */
    }
    if (!text.includes('sigsys-')) continue;
    for (const line of text.split('\n')) {
      if (!line.includes('sigsys-')) continue;
      const m = MAPS_LINE.exec(line);
      if (!m) continue;
      const path = m[2]!.replace(/ \(deleted\)$/, '');
      const name = basename(path);
      if (name.startsWith('sigsys-') && name.endsWith('.ring')) out.mapped.add(`${m[1]}:${name}`);
    }
  }
  return out;
}
