/**
 * discovery.ts - which rings the collector reads: listing the spool
 * directories, opening what is a ring (reader.ts maps it), giving every
 * ring an identity verdict before its first read (identity.ts), and
 * removing rings whose processes are gone once drained (liveness.ts).
 *
 * The spool is world-writable, so everything in it may come from a hostile
 * neighbour (docs/security.md, "The spool"): the listing is streamed and
 * never fails as a whole; entries that are not regular files are skipped
 * unopened; a non-root uid gets at most `maxRingsPerUid` files looked at and
 * a cgroup `maxRingsPerCgroup` verified rings; a file that is not a ring is
 * counted once and ignored.
 */
import type { Dirent } from 'node:fs';
import { lstat, opendir, readdir, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describeError } from '../errors.js';
import { withIdentity, type IdentityOptions } from '../events/enrich.js';
import { kernelBootId, mapKey, ringKeysOfMaps, verifyRing, type ProcFacts, type Verdict } from './identity.js';
import { mayHold, ownPidNs, ringKey, scanMappedRings } from './liveness.js';
import type { RingReading } from './reader.js';
import type { RingState, RingTable } from './rings.js';
import { createVerdictStore, type SavedVerdict } from './verdicts.js';

export const RING_NAME = /^sigsys-.+\.ring$/;

export interface DiscoveryOptions {
  /** The spool directories, resolved. */
  dirs: readonly string[];
  table: RingTable;
  reading: Pick<RingReading, 'open'>;
  /** Default 1024. */
  maxRingsPerUid?: number;
  /** Default 1024. */
  maxRingsPerCgroup?: number;
  /** Least time between two full /proc scans for rings whose writer is not found at once. Default 1000. */
  verifyScanIntervalMs?: number;
  /** Remove an unmapped, drained ring whose head did not move this long even if /proc was not fully visible. Default 10 min. */
  staleMs?: number;
  identity?: IdentityOptions;
  /**
   * The spool is a directory only this process and its children can write
   * (`sigsys run` and `learn` make a 0700 temp dir): a ring whose writer the
   * cheap check does not find is unverified at once.  The full /proc scan
   * exists to find a hostile writer that maps the ring under a false claim,
   * and costs tens of ms per pass on a busy machine.  Default false.
   */
  privateSpool?: boolean;
  /** Keep verdicts in <spool>/.sigsys-collect.d (verdicts.ts). */
  persistIdentity?: boolean;
}

export interface Discovery {
  /** List every spool directory; open new rings, mark vanished ones gone. */
  scan(): Promise<void>;
  /** Give every ring without a verdict one (saved verdicts are on disk when this resolves). */
  verifyPending(now: number): Promise<void>;
  /**
   * Remove drained rings nobody maps any more, after `lastRead` read each
   * once more (it turns hot-loop counters into count records).
   */
  removeFinished(now: number, lastRead: (r: RingState) => Promise<unknown>): Promise<void>;
  /** A ring the addon threw on while reading: closed and counted as rejected. */
  reject(r: RingState): void;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kind of a directory entry that is not a regular file (never opened). */
function entryKind(e: Dirent | { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isSymbolicLink(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (e.isDirectory()) return 'directory';
  if (e.isFIFO()) return 'fifo';
  if (e.isSocket()) return 'socket';
  if (e.isSymbolicLink()) return 'symlink';
  if (e.isCharacterDevice() || e.isBlockDevice()) return 'device';
  return 'other';
}

export function createDiscovery(o: DiscoveryOptions): Discovery {
  const { dirs, table, reading } = o;
  const { rings, byKey, perCgroup, totals, metrics, log } = table;
  const maxPerUid = o.maxRingsPerUid ?? 1024;
  const maxPerCgroup = o.maxRingsPerCgroup ?? 1024;
  const verifyScanMs = o.verifyScanIntervalMs ?? 1000;
  const staleMs = o.staleMs ?? 10 * 60_000;
  const dir = dirs.join(', '); // for messages
  const host = hostname();
  const store = o.persistIdentity ? createVerdictStore({ warn: (line) => log.warn(line) }) : undefined;

  /** Files that are not rings, by path -> inode and owner, so each is counted once. */
  const rejected = new Map<string, { ino: number; uid: number }>();
  /** Entries not opened (not regular files, over a cap, a second name of an open ring): path -> why. */
  const skipped = new Map<string, string>();
  /** Caps already logged, so each is logged once. */
  const capLogged = new Set<string>();
  const dirErrorLogged = new Set<string>();
  const pruned = new Set<string>();
  let saving: Promise<void>[] = [];
  let lastVerifyScan = 0;
  let myPidNs: string | undefined;

  // ---- listing ----

  function overCap(scope: 'uid' | 'cgroup', key: string, path: string, max: number): void {
    skipped.set(path, `over-cap-${scope}`);
    totals.overCap++;
    metrics?.ringsOverCap.inc({ scope });
    if (capLogged.has(`${scope}:${key}`)) return;
    capLogged.add(`${scope}:${key}`);
    log.warn({ spool: dir, scope, [scope]: key, max }, `spool ${dir}: ${scope} ${key} has more than ${max} rings; the rest are not read (counted in sigsys_rings_over_cap_total)`);
  }

  /**
   * List the spool.  Streams the directory (no array of every name), looks
   * at each entry's type before anything else (a FIFO, socket, directory or
   * symlink under a ring name is skipped without being opened), applies the
   * per-uid cap from lstat before opening, and survives any one entry
   * failing: the listing as a whole never fails because of what a
   * neighbour put in the spool.
   */
  async function scan(): Promise<void> {
    const present = new Set<string>();
    const listed = new Set<string>();
    for (const d of dirs) if (await scanDir(d, present)) listed.add(d);
    // Only what a complete listing did not show is gone.
    for (const [path, r] of rings) if (listed.has(dirname(path)) && !present.has(path)) r.gone = true;
    for (const [path, x] of rejected) {
      if (!listed.has(dirname(path)) || present.has(path)) continue;
      rejected.delete(path);
      table.addUid(x.uid, -1);
    }
    for (const path of skipped.keys()) if (listed.has(dirname(path)) && !present.has(path)) skipped.delete(path);
  }

  async function scanDir(spool: string, present: Set<string>): Promise<boolean> {
    try {
      const d = await opendir(spool, { bufferSize: 256 });
      for await (const ent of d) {
        const name = ent.name;
        if (!RING_NAME.test(name)) continue;
        const path = join(spool, name);
        present.add(path);
        if (rings.has(path) || rejected.has(path) || skipped.has(path)) continue;
        if (!ent.isFile()) {
          skipEntry(path, entryKind(ent));
          continue;
        }
        let st;
        try {
          st = await lstat(path);
        } catch {
          continue; // gone meanwhile
        }
        if (!st.isFile()) {
          skipEntry(path, entryKind(st));
          continue;
        }
        if (st.uid !== 0 && table.uidCount(st.uid) >= maxPerUid) {
          overCap('uid', String(st.uid), path, maxPerUid);
          continue;
        }
        openRing(path, st.ino, st.uid);
      }
      dirErrorLogged.delete(spool);
      if (store && !pruned.has(spool)) {
        pruned.add(spool);
        await store.prune(spool, present);
      }
      return true;
    } catch (err) {
      if (!dirErrorLogged.has(spool)) log.error({ spool }, `spool ${spool}: cannot list: ${describeError(err)}; rings already open are still read`);
      dirErrorLogged.add(spool);
      return false;
    }
  }

  function skipEntry(path: string, kind: string): void {
    skipped.set(path, kind);
    totals.skippedEntries++;
    metrics?.spoolEntriesSkipped.inc({ kind });
    const l = table.mayLog(`skip:${kind}`);
    if (l.ok) log.warn({ ring: path, kind }, `spool entry ${path}: a ${kind}, not a regular file: skipped without opening it${l.last ? ' (further ones are only counted in sigsys_spool_entries_skipped_total)' : ''}`);
  }

  function countRejected(path: string, ino: number, uid: number): void {
    rejected.set(path, { ino, uid });
    table.addUid(uid, 1);
    totals.rejected++;
    metrics?.ringsRejected.inc();
  }

  function openRing(path: string, lstatIno: number, lstatUid: number): void {
    let state: RingState | undefined;
    try {
      state = reading.open(path, (key) => byKey.has(key));
    } catch (err) {
      countRejected(path, lstatIno, lstatUid);
      const l = table.mayLog(`reject:${lstatUid}`);
      if (l.ok) log.warn({ ring: path, uid: lstatUid }, `ring ${path}: ignored: ${describeError(err)}${l.last ? ` (further files of uid ${lstatUid} that are not rings are only counted in sigsys_rings_rejected_total)` : ''}`);
      return;
    }
    if (!state) {
      // A second name (hard link) of a ring we read already.
      skipped.set(path, 'duplicate');
      return;
    }
    table.add(state);
    log.debug({ ring: path, ownerPid: state.ownerPid, cursor: state.next, head: state.lastHead, uid: state.file.uid }, 'ring opened');
  }

  // ---- identity (identity.ts) ----

  function applyVerdict(r: RingState, v: Verdict, bootId: string | undefined, save = true): boolean {
    r.verdict = v;
    const who = v.identity === 'verified' ? v.subject : v.writer;
    if (store && save) {
      // Awaited by verifyPending before the ring's first read: every event
      // sent leaves its verdict on disk for a restarted collector.
      saving.push(store.save(r.path, {
        ino: r.file.ino,
        createdNs: r.reader.stats().createdNs,
        identity: v.identity,
        reason: v.reason,
        ...(who ? { who: { pid: who.pid, exe: who.exe, comm: who.comm, cgroup: who.cgroup } } : {}),
      }));
    }
    r.ctx = withIdentity(
      r.claims,
      {
        identity: v.identity,
        writerUid: r.file.uid,
        ...(who ? { pid: who.pid, exe: who.exe, comm: who.comm, cgroup: who.cgroup } : {}),
        host,
        ...(bootId ? { bootId } : {}),
      },
      o.identity,
    );
    if (v.identity === 'forged') {
      totals.forged++;
      metrics?.ringsForged.inc({ uid: metrics.uidLabel(r.file.uid) });
      const l = table.mayLog(`forged:${r.file.uid}`);
      if (l.ok) log.warn(
        { ring: r.path, writerUid: r.file.uid, writerPid: v.writer?.pid, claimedPid: r.claims.ringPid, claimedExe: r.claims.exe, claimedWorkload: r.claims.workload },
        `ring ${r.path}: forged (${v.reason}); its events are reported as ${r.ctx.workload}, never under the identity it claims` +
          (l.last ? ` (further forged rings of uid ${r.file.uid} are only counted in sigsys_rings_forged_total)` : ''),
      );
    } else {
      log.debug({ ring: r.path, identity: v.identity, writerUid: r.file.uid }, `ring ${r.path}: ${v.identity} (${v.reason})`);
    }
    if (v.identity === 'verified' && who) {
      const cg = who.cgroup || '(none)';
      if ((perCgroup.get(cg) ?? 0) >= maxPerCgroup) {
        overCap('cgroup', cg.trim(), r.path, maxPerCgroup);
        table.close(r);
        return false;
      }
      perCgroup.set(cg, (perCgroup.get(cg) ?? 0) + 1);
      r.cgroupKey = cg;
    }
    return true;
  }

  /** Give every ring without a verdict one: the cheap check first, a full /proc scan at most every verifyScanMs. */
  async function verifyPending(now: number): Promise<void> {
    try {
      await judge(now);
    } finally {
      const p = saving;
      saving = [];
      await Promise.all(p);
    }
  }

  async function judge(now: number): Promise<void> {
    const pending = [...rings.values()].filter((r) => !r.verdict);
    if (pending.length === 0) return;
    myPidNs ??= await ownPidNs();
    const bootId = await kernelBootId();
    const cache = new Map();
    const claimsOf = (r: RingState) => ({ uid: r.file.uid, mapKey: mapKey(r.file.ino, r.path), ownerPid: r.ownerPid, meta: r.meta });
    let left = 0;
    for (const r of pending) {
      const saved = store ? await store.load(r.path, r.file.ino, r.reader.stats().createdNs) : undefined;
      if (saved) {
        applyVerdict(r, fromSaved(saved), bootId, false);
        continue;
      }
      // The cheap check once per ring; after that only full scans answer.
      const v = r.triedCheap ? undefined : await verifyRing(claimsOf(r), { ownPidNs: myPidNs, bootId, cache });
      r.triedCheap = true;
      if (v) applyVerdict(r, v, bootId);
      else left++;
    }
    if (left === 0) return;
    if (o.privateSpool) {
      for (const r of pending) if (!r.verdict) applyVerdict(r, { identity: 'unverified', reason: 'its writer is gone (private spool: no /proc scan)' }, bootId);
      return;
    }
    if (now - lastVerifyScan < verifyScanMs) return;
    lastVerifyScan = now;
    const mappers = await scanMappers();
    for (const r of pending) {
      if (r.verdict || !rings.has(r.path)) continue;
      const v = await verifyRing(claimsOf(r), { ownPidNs: myPidNs, bootId, cache, mappers: mappers.get(mapKey(r.file.ino, r.path)) ?? [] });
      if (v) applyVerdict(r, v, bootId);
    }
  }

  function fromSaved(v: SavedVerdict): Verdict {
    const who: ProcFacts | undefined = v.who ? { ...v.who, ppid: 0, uids: [], nsPid: v.who.pid, pidNs: '' } : undefined;
    return { identity: v.identity, reason: `${v.reason} (kept from an earlier look)`, ...(who ? { writer: who, subject: who } : {}) };
  }

  /** file key -> pids mapping it, over every process whose maps we can read (ours excluded). */
  async function scanMappers(): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    let pids: string[] = [];
    try {
      pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
    } catch {
      return out;
    }
    for (const pid of pids) {
      if (Number(pid) === process.pid) continue;
      let text: string;
      try {
        text = await readFile(`/proc/${pid}/maps`, 'utf8');
      } catch {
        continue;
      }
      for (const k of ringKeysOfMaps(text)) {
        const l = out.get(k);
        if (l) l.push(Number(pid));
        else out.set(k, [Number(pid)]);
      }
    }
    return out;
  }

  // ---- liveness (liveness.ts) ----

  async function removeFinished(now: number, lastRead: (r: RingState) => Promise<unknown>): Promise<void> {
    myPidNs ??= await ownPidNs();
    // Candidates: drained, and not obviously in use.  A ring in our pid
    // namespace whose creator is alive is skipped without scanning /proc (an
    // exec'd creator keeps its old, drained ring until it exits); the scan
    // reads every process's maps, so it runs only when something may go.
    const drained = [...rings.values()].filter(
      (r) =>
        r.verdict !== undefined &&
        r.lag === 0 &&
        r.pendingTicket < 0 &&
        r.reader.stats().head === r.next &&
        !((!r.pidNs || r.pidNs === myPidNs) && !r.gone && pidAlive(r.ownerPid)),
    );
    if (drained.length === 0) return;
    const scanned = await scanMappedRings();
    for (const r of drained) {
      if (scanned.mapped.has(ringKey(r.ino, r.path))) continue;
      const createdNs = BigInt(r.reader.stats().createdNs || '0');
      const visible = !mayHold(scanned, createdNs) && (!r.pidNs || r.pidNs === myPidNs || scanned.pidNs.has(r.pidNs));
      if (!visible && now - r.headMovedAt < staleMs) continue;
      // Nobody can produce any more: a last read (which also turns the
      // ring's hot-loop counters into count records), then remove if still
      // drained.  Not while its sinks are in back-off: that read would be
      // skipped and unflushed counts unlinked with the file.
      if (Date.now() < r.retryAt) continue;
      await lastRead(r);
      if (Date.now() < r.retryAt || r.reader.stats().head !== r.next) continue;
      try {
        if (!r.gone) await unlink(r.path);
        await store?.forget(r.path);
        totals.removed++;
        metrics?.ringsRemoved.inc();
        log.debug({ ring: r.path }, 'ring drained and unmapped: removed');
      } catch (err) {
        log.warn({ ring: r.path }, `ring ${r.path}: cannot remove: ${describeError(err)}`);
      }
      table.close(r);
    }
  }

  function reject(r: RingState): void {
    table.close(r);
    countRejected(r.path, r.ino, r.file.uid);
  }

  return { scan, verifyPending, removeFinished, reject };
}
