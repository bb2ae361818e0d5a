/**
 * collector.ts - reads every spool ring of a directory and hands the events
 * to the sinks, at least once.
 *
 *   const c = createCollector({ spoolDir, sinks: [ndjson, prom], metrics });
 *   c.start();            // watch + poll until stop()
 *   await c.drain();      // read everything that is there now (sigsys run)
 *   await c.stop();       // finish the batch in flight, commit, close sinks
 *
 * Per ring: read a batch from the ticket after the last commit, decode each
 * record (protobuf Violation), enrich it with the ring's RingMeta (decoded
 * once), write the batch to every sink in order, and only after all of them
 * resolved store the new cursor in the file (`commit`).  A sink that rejects
 * leaves the cursor where it was; the batch is read again after a back-off
 * (duplicates possible for that batch only).
 *
 * Damage never stops the collector: a file that is not a ring (constructor
 * throws) is counted once and ignored; corrupt records (bad length/commit
 * word) and records that are not a Violation are counted and skipped; a
 * ticket reserved but never committed (the producer died mid-write) is
 * skipped once it stayed pending for `tornTimeoutMs` and counted as torn.
 *
 * Discovery: fs.watch on the directory for quick pick-up plus a rescan every
 * `rescanIntervalMs` (watch events can be lost or coalesced).  Rings are
 * polled every `pollIntervalMs` while idle (producers write through mmap, so
 * there is nothing to watch).  Removal of finished rings: see liveness.ts.
 *
 * The spool is world-writable, so everything in it may come from a hostile
 * neighbour (docs/security.md, "The spool"): the listing is streamed and
 * never fails as a whole; entries that are not regular files are skipped
 * unopened; a non-root uid gets at most `maxRingsPerUid` files looked at and
 * a cgroup `maxRingsPerCgroup` verified rings; readers hold no descriptor
 * (map and close); every ring gets an identity verdict (identity.ts) before
 * its first read, and its events carry it; numbers from ring headers are
 * bounded before they reach a metric.
 */
import { watch, type Dirent, type FSWatcher } from 'node:fs';
import { lstat, opendir, readdir, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describeError, SpoolError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { createEnricher, createRingContext, withIdentity, type DecodedRingMeta, type DecodedViolation, type Enricher, type IdentityOptions, type RingContext } from '../events/enrich.js';
import type { IdentityName, ViolationEvent } from '../events/types.js';
import type { RingFile, RingReader, SigsysNative } from '../native/native.js';
import { loadNative } from '../native/loader.js';
import type { Sink } from '../sinks/sink.js';
import type { SigsysMetrics } from '../sinks/prometheus.js';
import { mayHold, ownPidNs, ringKey, scanMappedRings } from './liveness.js';
import { protoDecoder, type RingDecoder } from './decode.js';
import { createFastEnricher } from './fast-decode.js';
import { fileKey, kernelBootId, mapKey, ringKeysOfMaps, verifyRing, type ProcFacts, type Verdict } from './identity.js';
import { createVerdictStore, type SavedVerdict } from './verdicts.js';

export const RING_NAME = /^sigsys-.+\.ring$/;

export interface CollectorOptions {
  /**
   * The spool, or several (per-uid or per-pod sub-spools, docs/security.md):
   * one collector reads them all, caps and turns are shared.
   */
  spoolDir: string | readonly string[];
  sinks: Sink[];
  metrics?: SigsysMetrics;
  logger?: Logger;
  native?: SigsysNative;
  decoder?: RingDecoder;
  enricher?: Enricher;
  /** Decode handler-written records straight to events (fast-decode.ts); default true unless a decoder is given. */
  fastPath?: boolean;
  /** Records per read (and per sink write). Default 1024. */
  batchSize?: number;
  /** Batches read from one ring before moving to the next (fairness). Default 8. */
  batchesPerTurn?: number;
  pollIntervalMs?: number;
  rescanIntervalMs?: number;
  /** A ticket pending this long is skipped as torn. Default 2000. */
  tornTimeoutMs?: number;
  /** Back-off after a sink rejected a batch. Default 1000. */
  retryDelayMs?: number;
  /** Remove rings whose processes are gone once drained (default true). */
  removeFinished?: boolean;
  removeCheckIntervalMs?: number;
  /** Remove an unmapped, drained ring whose head did not move this long even if /proc was not fully visible. */
  staleMs?: number;
  /** A ring whose head did not move for `idleAfterMs` (5 s) is polled every `idlePollIntervalMs` (1 s). */
  idleAfterMs?: number;
  idlePollIntervalMs?: number;
  /**
   * Rings (and junk files under ring names) one non-root uid may have in
   * the spool; the rest are not opened, counted once and logged once.
   * Default 1024.
   */
  maxRingsPerUid?: number;
  /** Verified rings one cgroup (the kernel's, not the claimed one) may have open. Default 1024. */
  maxRingsPerCgroup?: number;
  /** How unverified rings are labelled (enrich.ts withIdentity). */
  identity?: IdentityOptions;
  /** Least time between two full /proc scans for rings whose writer is not found at once. Default 1000. */
  verifyScanIntervalMs?: number;
  /**
   * Keep identity verdicts in <spool>/.sigsys-collect.d (verdicts.ts), so a
   * restarted collector labels a ring's re-sent events as before.  Default
   * false; `sigsys collect` turns it on.
   */
  persistIdentity?: boolean;
  /** Called after every committed batch (tests, `run`'s progress). */
  onCommit?: (info: { path: string; events: number; cursor: number }) => void;
}

export interface RingStatus {
  path: string;
  ownerPid: number;
  head: number;
  cursor: number;
  dropped: number;
  lag: number;
  pendingSince?: number;
  identity: IdentityName;
  writerUid: number;
  /** Why the identity is what it is (one line). */
  identityReason: string;
}

export interface CollectorStats {
  rings: number;
  rejected: number;
  events: number;
  corrupt: number;
  torn: number;
  dropped: number;
  lag: number;
  removed: number;
  sinkErrors: number;
  /** Rings found forged. */
  forged: number;
  /** Spool files not opened because their uid or cgroup was over its cap. */
  overCap: number;
  /** Entries under ring names that are not regular files (FIFO, socket, directory, symlink...), skipped unopened. */
  skippedEntries: number;
}

export interface Collector {
  start(): void;
  /** Read until every ring is caught up (pending tickets wait for the torn timeout). */
  drain(opts?: { timeoutMs?: number }): Promise<void>;
  /** Stop polling, finish the batch in flight, close readers and sinks. */
  stop(opts?: { closeSinks?: boolean }): Promise<void>;
  /** One discovery + read pass (also what the loop runs). Returns events handed to sinks. */
  poll(everyRing?: boolean): Promise<number>;
  stats(): CollectorStats;
  rings(): RingStatus[];
}

interface RingState {
  path: string;
  reader: RingReader;
  /** The ring's claims (RingMeta); `ctx` is this with the identity verdict applied. */
  claims: RingContext;
  meta: DecodedRingMeta | undefined;
  ctx: RingContext;
  ino: number;
  file: RingFile;
  key: string;
  verdict?: Verdict;
  triedCheap?: boolean;
  cgroupKey?: string;
  headAtPending: number;
  next: number;
  lastDropped: number;
  pendingTicket: number;
  pendingSince: number;
  lastHead: number;
  headMovedAt: number;
  lastPolled: number;
  retryAt: number;
  lag: number;
  gone: boolean; // the file left the directory
  pidNs: string;
  ownerPid: number;
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Kind of a directory entry that is not a regular file (never opened). */
function entryKind(e: Dirent | { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isSymbolicLink(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (e.isDirectory()) return 'directory';
  if (e.isFIFO()) return 'fifo';
  if (e.isSocket()) return 'socket';
  if (e.isSymbolicLink()) return 'symlink';
  if (e.isCharacterDevice() || e.isBlockDevice()) return 'device';
  return 'other';
}

/**
 * A drop counter that moved this far between two looks (100 ms apart while
 * busy) is a scribble, not drops: no producer traps a million calls in that
 * time.  It moves the baseline and is not counted.
 */
const MAX_DROP_STEP = 1_000_000;
/**
 * More tickets than this reserved and never committed in a row cannot come
 * from real producers (each is a thread killed inside the SIGSYS handler):
 * such a run is a scribbled header, counted once as a corrupt ring record,
 * not as that many torn records.  The same bound is how far past a stuck
 * ticket the lag counts.
 */
const MAX_TORN_RUN = 256;
/** Least time between two listings of the spool asked for by watch events. */
const MIN_RESCAN_MS = 100;

export function createCollector(opts: CollectorOptions): Collector {
  const log = opts.logger ?? createLogger('collector');
  const native = opts.native ?? loadNative();
  const decoder = opts.decoder ?? protoDecoder();
  const enricher =
    opts.enricher ??
    createEnricher({
      syscallName: typeof native.syscallName === 'function' ? (native.syscallName as (nr: number, arch: string) => string | undefined) : undefined,
    });
  const fast = (opts.fastPath ?? !opts.decoder) ? createFastEnricher(enricher) : undefined;
  const metrics = opts.metrics;
  const batchSize = opts.batchSize ?? 1024;
  const batchesPerTurn = opts.batchesPerTurn ?? 8;
  const pollMs = opts.pollIntervalMs ?? 100;
  const rescanMs = opts.rescanIntervalMs ?? 2000;
  const tornMs = opts.tornTimeoutMs ?? 2000;
  const retryMs = opts.retryDelayMs ?? 1000;
  const removeFinished = opts.removeFinished ?? true;
  const removeCheckMs = opts.removeCheckIntervalMs ?? 5000;
  const staleMs = opts.staleMs ?? 10 * 60_000;
  const idleAfterMs = opts.idleAfterMs ?? 5000;
  const idlePollMs = Math.max(opts.idlePollIntervalMs ?? 1000, opts.pollIntervalMs ?? 100);
  const maxPerUid = opts.maxRingsPerUid ?? 1024;
  const maxPerCgroup = opts.maxRingsPerCgroup ?? 1024;
  const verifyScanMs = opts.verifyScanIntervalMs ?? 1000;
  const dirs: readonly string[] = (typeof opts.spoolDir === 'string' ? [opts.spoolDir] : opts.spoolDir).map((d) => resolve(d));
  const dir = dirs.join(', '); // for messages

  const rings = new Map<string, RingState>();
  /** fileKey (device, inode) -> path of the open ring. */
  const byKey = new Map<string, string>();
  /** Files that are not rings, by path -> inode and owner, so each is counted once. */
  const rejected = new Map<string, { ino: number; uid: number }>();
  /** Entries not opened (not regular files, over a cap, a second name of an open ring): path -> why. */
  const skipped = new Map<string, string>();
  /** Rings and rejected files per owner uid (the per-uid cap). */
  const perUid = new Map<number, number>();
  /** Verified rings per kernel cgroup (the per-cgroup cap). */
  const perCgroup = new Map<string, number>();
  /** Caps already logged, so each is logged once. */
  const capLogged = new Set<string>();
  /** Lines logged per key (a neighbour's files must not flood the log). */
  const logCounts = new Map<string, number>();
  const LOG_PER_KEY = 10;
  /** True while `key` may still log; the last allowed call says that the rest are only counted. */
  function mayLog(key: string): { ok: boolean; last: boolean } {
    const n = (logCounts.get(key) ?? 0) + 1;
    if (n > LOG_PER_KEY) return { ok: false, last: false };
    logCounts.set(key, n);
    return { ok: true, last: n === LOG_PER_KEY };
  }
  const totals: CollectorStats = {
    rings: 0, rejected: 0, events: 0, corrupt: 0, torn: 0, dropped: 0, lag: 0, removed: 0, sinkErrors: 0, forged: 0, overCap: 0, skippedEntries: 0,
  };
  const host = hostname();
  const store = opts.persistIdentity ? createVerdictStore({ warn: (line) => log.warn(line) }) : undefined;
  const pruned = new Set<string>();
  let saving: Promise<void>[] = [];
  let passNo = 0;
  let lastVerifyScan = 0;

  let running = false;
  let loop: Promise<void> | undefined;
  let watchers: FSWatcher[] = [];
  let wake: (() => void) | undefined;
  let lastScan = 0;
  let scanRequested = true;
  let scanForced = false;
  let lastRemoveCheck = 0;
  let busy: Promise<unknown> = Promise.resolve();
  let myPidNs: string | undefined;
  const dirErrorLogged = new Set<string>();

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = busy.then(fn, fn);
    busy = p.catch(() => undefined);
    return p;
  }

  // ---- discovery ----

  const addUid = (uid: number, d: number) => {
    const n = (perUid.get(uid) ?? 0) + d;
    if (n > 0) perUid.set(uid, n);
    else perUid.delete(uid);
  };

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
    lastScan = Date.now();
    scanRequested = false;
    scanForced = false;
    const present = new Set<string>();
    const listed = new Set<string>();
    for (const d of dirs) if (await scanDir(d, present)) listed.add(d);
    // Only what a complete listing did not show is gone.
    for (const [path, r] of rings) if (listed.has(dirname(path)) && !present.has(path)) r.gone = true;
    for (const [path, x] of rejected) {
      if (!listed.has(dirname(path)) || present.has(path)) continue;
      rejected.delete(path);
      addUid(x.uid, -1);
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
        if (st.uid !== 0 && (perUid.get(st.uid) ?? 0) >= maxPerUid) {
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
    const l = mayLog(`skip:${kind}`);
    if (l.ok) log.warn({ ring: path, kind }, `spool entry ${path}: a ${kind}, not a regular file: skipped without opening it${l.last ? ' (further ones are only counted in sigsys_spool_entries_skipped_total)' : ''}`);
  }

  function openRing(path: string, lstatIno: number, lstatUid: number): void {
    let reader: RingReader;
    try {
      // O_NOFOLLOW|O_NONBLOCK in the addon: a file swapped for a FIFO or a
      // symlink since the lstat neither blocks nor is followed.
      reader = new native.RingReader(path);
    } catch (err) {
      rejected.set(path, { ino: lstatIno, uid: lstatUid });
      addUid(lstatUid, 1);
      totals.rejected++;
      metrics?.ringsRejected.inc();
      const l = mayLog(`reject:${lstatUid}`);
      if (l.ok) log.warn({ ring: path, uid: lstatUid }, `ring ${path}: ignored: ${describeError(err)}${l.last ? ` (further files of uid ${lstatUid} that are not rings are only counted in sigsys_rings_rejected_total)` : ''}`);
      return;
    }
    const file = reader.file();
    const key = fileKey(file.devMajor, file.devMinor, file.ino);
    if (byKey.has(key)) {
      // A second name (hard link) of a ring we read already.
      reader.close();
      skipped.set(path, 'duplicate');
      return;
    }
    let meta: DecodedRingMeta | undefined;
    try {
      const raw = reader.meta();
      meta = raw.length ? decoder.ringMeta(raw) : undefined;
    } catch (err) {
      countCorrupt('meta', 1);
      log.warn({ ring: path }, `ring ${path}: metadata undecodable (${describeError(err)}); events keep their own fields only`);
    }
    const st = reader.stats();
    const now = Date.now();
    const claims = createRingContext(meta, st.ownerPid, st.createdNs);
    const state: RingState = {
      path,
      reader,
      claims,
      meta,
      ctx: claims,
      ino: file.ino,
      file,
      key,
      headAtPending: 0,
      next: st.cursor,
      lastDropped: 0,
      pendingTicket: -1,
      pendingSince: 0,
      lastHead: st.head,
      headMovedAt: now,
      lastPolled: 0,
      retryAt: 0,
      lag: 0,
      gone: false,
      pidNs: meta?.pidNs ? String(meta.pidNs) : '', // 0/absent: unknown
      ownerPid: st.ownerPid,
    };
    rings.set(path, state);
    byKey.set(key, path);
    addUid(file.uid, 1);
    totals.rings = rings.size;
    metrics?.ringsActive.set(rings.size);
    log.debug({ ring: path, ownerPid: st.ownerPid, cursor: st.cursor, head: st.head, uid: file.uid }, 'ring opened');
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
      opts.identity,
    );
    if (v.identity === 'forged') {
      totals.forged++;
      metrics?.ringsForged.inc({ uid: metrics.uidLabel(r.file.uid) });
      const l = mayLog(`forged:${r.file.uid}`);
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
        closeRing(r);
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
    if (left === 0 || now - lastVerifyScan < verifyScanMs) return;
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

  function closeRing(r: RingState): void {
    try {
      r.reader.close();
    } catch {
      /* already closed */
    }
    if (rings.get(r.path) === r) {
      addUid(r.file.uid, -1);
      if (byKey.get(r.key) === r.path) byKey.delete(r.key);
    }
    if (r.cgroupKey !== undefined) {
      const n = (perCgroup.get(r.cgroupKey) ?? 1) - 1;
      if (n > 0) perCgroup.set(r.cgroupKey, n);
      else perCgroup.delete(r.cgroupKey);
      r.cgroupKey = undefined;
    }
    rings.delete(r.path);
    totals.rings = rings.size;
    metrics?.ringsActive.set(rings.size);
  }

  function countCorrupt(reason: 'ring' | 'decode' | 'meta', n: number): void {
    if (n <= 0) return;
    totals.corrupt += n;
    metrics?.corruptRecords.inc({ reason }, n);
  }

  // ---- reading ----

  async function writeAll(events: ViolationEvent[]): Promise<void> {
    for (const sink of opts.sinks) await sink.write(events);
  }

  /** Read one ring until caught up or its turn is over. Returns events delivered. */
  async function turn(r: RingState, now: number): Promise<number> {
    if (now < r.retryAt) return 0;
    let delivered = 0;
    for (let b = 0; b < batchesPerTurn; b++) {
      // Hot-loop counts become count records first, read below like any
      // record (a full ring: the next batch, after this one is committed).
      r.reader.flushHot(BigInt(Date.now()) * 1_000_000n);
      // Packed: one buffer for the batch, not an object and a Buffer per record.
      const res = r.reader.readPacked(r.next, batchSize);
      const { data, ends, seqs } = res;
      const events: ViolationEvent[] = [];
      let undecodable = 0;
      for (let i = 0, start = 0; i < ends.length; start = ends[i++]!) {
        const end = ends[i]!;
        const quick = fast?.enrich(data, r.ctx, start, end);
        if (quick) {
          quick.seq = seqs[i]!;
          events.push(quick);
          continue;
        }
        let v: DecodedViolation;
        try {
          v = decoder.violation(data.subarray(start, end));
        } catch {
          undecodable++;
          continue;
        }
        try {
          const ev = enricher.enrich(v, r.ctx);
          ev.seq = seqs[i]!;
          events.push(ev);
        } catch {
          undecodable++;
        }
      }
      if (events.length) {
        try {
          await writeAll(events);
        } catch (err) {
          totals.sinkErrors++;
          r.retryAt = Date.now() + retryMs;
          log.warn({ ring: r.path, events: events.length }, `sink failed, batch stays in the ring and is retried: ${describeError(err)}`);
          return delivered;
        }
      }
      if (res.next !== r.next) {
        // Counted once the batch is acknowledged, so a retried batch is not counted twice.
        countCorrupt('ring', res.corrupt);
        countCorrupt('decode', undecodable);
        r.reader.commit(res.next);
        r.next = res.next;
        totals.events += events.length;
        metrics?.eventsCollected.inc(events.length);
        delivered += events.length;
        opts.onCommit?.({ path: r.path, events: events.length, cursor: res.next });
      }
      if (res.stop === 'pending') {
        const t = Date.now();
        if (r.pendingTicket !== res.next) {
          r.pendingTicket = res.next;
          r.pendingSince = t;
          r.headAtPending = r.reader.stats().head;
        } else if (t - r.pendingSince >= tornMs) {
          // The producer reserved this ticket and never published it.  Every
          // ticket reserved before we started waiting and still pending now
          // is as old: skip the whole run at once (a header scribbled to
          // millions of reserved tickets drains in one step, not one ticket
          // per timeout).
          const upto = Math.max(r.headAtPending, res.next + 1);
          const s = r.reader.skipPending(res.next, Math.min(upto, res.next + MAX_TORN_RUN + 1));
          r.pendingTicket = -1;
          if (s.skipped === 0) continue; // published meanwhile
          const what = s.skipped === 1 ? `ticket ${res.next}` : `tickets ${res.next}..${s.next - 1}`;
          if (s.skipped > MAX_TORN_RUN) {
            // No real producers leave this many reserved tickets in a row:
            // the header was scribbled.  Jump to where head was when we
            // started waiting, without touching the pages in between (a
            // sparse file of millions of records is never read).
            countCorrupt('ring', 1);
            log.warn(
              { ring: r.path, ticket: res.next, head: upto },
              `ring ${r.path}: tickets ${res.next}..${upto - 1} reserved and never committed: a scribbled header, skipped (counted as one corrupt record)`,
            );
            r.next = upto;
            r.reader.commit(r.next);
            continue;
          } else {
            totals.torn += s.skipped;
            metrics?.tornRecords.inc(s.skipped);
            log.warn({ ring: r.path, ticket: res.next, skipped: s.skipped }, `ring ${r.path}: ${what} pending for ${t - r.pendingSince} ms, skipped as torn`);
          }
          r.next = s.next;
          r.reader.commit(r.next);
          continue;
        }
        break;
      }
      r.pendingTicket = -1;
      if (res.stop === 'empty') break;
    }
    return delivered;
  }

  function refreshStats(r: RingState, now: number): void {
    const st = r.reader.stats();
    if (st.head !== r.lastHead) {
      r.lastHead = st.head;
      r.headMovedAt = now;
    }
    // Untrusted numbers: clamp so a scribbled header cannot poison metrics.
    // Past a ticket that is stuck pending, at most MAX_TORN_RUN more count:
    // a header claiming millions of reserved tickets shows as little lag
    // until the stuck run is skipped (tornTimeoutMs).
    let lag = Math.max(0, Math.min(st.head - r.next, st.recordCount));
    if (r.pendingTicket >= 0) lag = Math.min(lag, Math.max(0, r.pendingTicket - r.next) + MAX_TORN_RUN);
    r.lag = Number.isFinite(lag) ? lag : 0;
    if (st.dropped > r.lastDropped && Number.isFinite(st.dropped)) {
      const d = st.dropped - r.lastDropped;
      r.lastDropped = st.dropped;
      if (d > MAX_DROP_STEP) {
        log.warn({ ring: r.path, step: d }, `ring ${r.path}: drop counter jumped by ${d}: a scribbled header, not counted`);
      } else {
        totals.dropped += d;
        // A forged ring's header counts nowhere but in its own log lines.
        if (r.ctx.identity !== 'forged') metrics?.dropped.inc(d);
      }
    }
  }

  async function removeFinishedRings(now: number): Promise<void> {
    lastRemoveCheck = now;
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
      await turn(r, Date.now());
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
      closeRing(r);
    }
  }

  async function pollOnce(everyRing = false): Promise<number> {
    const now = Date.now();
    // A watch event asks for a listing, at most every MIN_RESCAN_MS: a
    // neighbour creating files in a loop cannot keep the collector listing.
    if (scanForced || (scanRequested && now - lastScan >= MIN_RESCAN_MS) || now - lastScan >= rescanMs) await scan();
    await verifyPending(now);
    let n = 0;
    // Fair turns: each pass starts one ring further, so no ring is always
    // first, and every ring gets at most batchesPerTurn batches per pass.
    const list = [...rings.values()];
    const start = list.length ? passNo++ % list.length : 0;
    for (let i = 0; i < list.length; i++) {
      const r = list[(start + i) % list.length]!;
      if (!r.verdict || !rings.has(r.path)) continue; // read once its writer was looked at
      // Rings whose head has not moved for a while are looked at less often:
      // a spool with thousands of idle processes costs little.
      const idle = now - r.headMovedAt > idleAfterMs && r.lag === 0 && r.pendingTicket < 0 && !r.gone;
      if (!everyRing && idle && now - r.lastPolled < idlePollMs) continue;
      r.lastPolled = now;
      try {
        n += await turn(r, now);
        refreshStats(r, now);
      } catch (err) {
        // The addon threw on a live ring (e.g. the file was truncated under us).
        log.warn({ ring: r.path }, `ring ${r.path}: dropped from collection: ${describeError(err)}`);
        closeRing(r);
        rejected.set(r.path, { ino: r.ino, uid: r.file.uid });
        addUid(r.file.uid, 1);
        totals.rejected++;
        metrics?.ringsRejected.inc();
        continue;
      }
      // A ring whose file was deleted under us: with removal on, the removal
      // check keeps reading it while any process still maps it; without, it
      // is closed once drained.
      if (!removeFinished && r.gone && r.lag === 0 && r.pendingTicket < 0) closeRing(r);
    }
    let lag = 0;
    let trustedLag = 0;
    const byIdentity: Record<string, number> = { verified: 0, unverified: 0, forged: 0, pending: 0 };
    for (const r of rings.values()) {
      lag += r.lag;
      if (r.verdict && r.ctx.identity !== 'forged') trustedLag += r.lag;
      byIdentity[r.verdict ? r.ctx.identity : 'pending'] = (byIdentity[r.verdict ? r.ctx.identity : 'pending'] ?? 0) + 1;
    }
    totals.lag = lag;
    // Forged rings' headers count nowhere but in their own log lines.
    metrics?.lag.set(trustedLag);
    for (const [identity, k] of Object.entries(byIdentity)) metrics?.ringsByIdentity.set({ identity }, k);
    if (removeFinished && now - lastRemoveCheck >= removeCheckMs) await removeFinishedRings(now);
    return n;
  }

  const poll = (everyRing = false) => exclusive(() => pollOnce(everyRing));

  async function mainLoop(): Promise<void> {
    while (running) {
      let n = 0;
      try {
        n = await poll();
      } catch (err) {
        log.error(`collector pass failed: ${describeError(err)}`);
      }
      if (!running) break;
      if (n === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  }

  function startWatch(): void {
    for (const d of dirs) {
      let w: FSWatcher;
      try {
        w = watch(d, { persistent: false }, (_ev, name) => {
          if (name && !RING_NAME.test(String(name))) return;
          scanRequested = true;
          wake?.();
        });
      } catch (err) {
        throw new SpoolError(`spool ${d}: cannot watch: ${describeError(err)}`, { cause: err });
      }
      w.on('error', (err) => {
        log.warn({ spool: d }, `spool ${d}: watch failed (${describeError(err)}); rescanning every ${rescanMs} ms`);
        w.close();
        watchers = watchers.filter((x) => x !== w);
      });
      watchers.push(w);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      startWatch();
      loop = mainLoop();
    },
    async drain({ timeoutMs = tornMs + 5000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      scanForced = true; // what is there now, even if the last listing was a moment ago
      for (;;) {
        const n = await poll(true);
        const waiting = [...rings.values()].some((r) => !r.verdict || r.lag > 0 || r.pendingTicket >= 0 || Date.now() < r.retryAt);
        if (n === 0 && !waiting) return;
        if (Date.now() >= deadline) {
          log.warn({ lag: totals.lag }, `drain gave up after ${timeoutMs} ms with ${totals.lag} events left in the spool`);
          return;
        }
        if (n === 0) await sleep(Math.min(50, pollMs));
      }
    },
    async stop({ closeSinks = true } = {}) {
      running = false;
      wake?.();
      for (const w of watchers) w.close();
      watchers = [];
      await loop;
      await exclusive(async () => {
        for (const r of [...rings.values()]) closeRing(r);
      });
      if (closeSinks) for (const s of opts.sinks) await s.close();
    },
    poll,
    stats: () => ({ ...totals }),
    rings: () =>
      [...rings.values()].map((r) => {
        const st = r.reader.stats();
        return {
          path: r.path,
          ownerPid: st.ownerPid,
          head: st.head,
          cursor: st.cursor,
          dropped: st.dropped,
          lag: r.lag,
          ...(r.pendingTicket >= 0 ? { pendingSince: r.pendingSince } : {}),
          identity: r.ctx.identity,
          writerUid: r.file.uid,
          identityReason: r.verdict?.reason ?? 'not looked at yet',
        };
      }),
  };
}
