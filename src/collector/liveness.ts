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
 * The rule the collector applies (see collector.ts, docs/collector.md):
 *   a ring is removed when it is drained (cursor == head, nothing pending),
 *   no process we can look into maps the file, and we can vouch for the rest:
 *   every process whose maps we cannot read (EACCES, e.g. non-dumpable)
 *   started before the ring was created (it cannot have inherited the
 *   mapping), and the ring's pid namespace (RingMeta.pid_ns) is ours or was
 *   seen in the scan.  Otherwise it is removed once nobody visible maps it
 *   and its head has not moved for `staleMs` (default 10 minutes).
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
  /**
   * Start time (CLOCK_REALTIME ns, +-1 s) of every process whose maps could
   * not be read; -1n when even that is unknown.  Such a process can only
   * hold a ring it inherited, so one that started before the ring was
   * created does not matter (`mayHold`).
   */
  unreadableStartNs: bigint[];
}

/** Could one of the processes we could not look into hold a ring created at `createdNs`? */
export function mayHold(scan: MapScan, createdNs: bigint, slackNs = 2_000_000_000n): boolean {
  return scan.unreadableStartNs.some((t) => t < 0n || t + slackNs >= createdNs);
}

let bootNs: bigint | undefined;
let ticksPerSec = 100n; // CLK_TCK on every Linux ABI we build for

async function processStartNs(proc: string, pid: string): Promise<bigint> {
  try {
    if (bootNs === undefined) {
      const m = /^btime (\d+)$/m.exec(await readFile(`${proc}/stat`, 'utf8'));
      bootNs = m ? BigInt(m[1]!) * 1_000_000_000n : -1n;
    }
    if (bootNs < 0n) return -1n;
    const stat = await readFile(`${proc}/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = BigInt(fields[19]!); // field 22 of stat: starttime in clock ticks since boot
    return bootNs + (start * 1_000_000_000n) / ticksPerSec;
  } catch {
    return -1n;
  }
}
/** For tests on other kernels' clocks. */
export function setClockTicks(n: number): void {
  ticksPerSec = BigInt(n);
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

/** Our own mappings (the RingReaders) do not count: `self` is skipped. */
export async function scanMappedRings(proc = '/proc', self = process.pid): Promise<MapScan> {
  const out: MapScan = { mapped: new Set(), pidNs: new Set(), complete: true, unreadableStartNs: [] };
  let pids: string[];
  try {
    pids = (await readdir(proc)).filter((n) => /^\d+$/.test(n));
  } catch {
    out.complete = false;
    return out;
  }
  for (const pid of pids) {
    if (Number(pid) === self) continue;
    let text: string;
    try {
      text = await readFile(`${proc}/${pid}/maps`, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH') {
        // EACCES (e.g. a non-dumpable process): we cannot see its mappings
        out.complete = false;
        out.unreadableStartNs.push(await processStartNs(proc, pid));
      }
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
