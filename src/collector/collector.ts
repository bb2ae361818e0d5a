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
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, SpoolError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { createEnricher, createRingContext, type DecodedRingMeta, type DecodedViolation, type Enricher, type RingContext } from '../events/enrich.js';
import type { ViolationEvent } from '../events/types.js';
import type { RingReader, SigsysNative } from '../native/native.js';
import { loadNative } from '../native/loader.js';
import type { Sink } from '../sinks/sink.js';
import type { SigsysMetrics } from '../sinks/prometheus.js';
import { mayHold, ownPidNs, ringKey, scanMappedRings } from './liveness.js';
import { protoDecoder, type RingDecoder } from './decode.js';
import { createFastEnricher } from './fast-decode.js';

export const RING_NAME = /^sigsys-.+\.ring$/;

export interface CollectorOptions {
  spoolDir: string;
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
  ctx: RingContext;
  ino: number;
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
  const dir = opts.spoolDir;

  const rings = new Map<string, RingState>();
  /** Files that are not rings, by path -> inode, so each is counted once. */
  const rejected = new Map<string, number>();
  const totals: CollectorStats = { rings: 0, rejected: 0, events: 0, corrupt: 0, torn: 0, dropped: 0, lag: 0, removed: 0, sinkErrors: 0 };

  let running = false;
  let loop: Promise<void> | undefined;
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  let lastScan = 0;
  let scanRequested = true;
  let lastRemoveCheck = 0;
  let busy: Promise<unknown> = Promise.resolve();
  let myPidNs: string | undefined;
  let dirErrorLogged = false;

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = busy.then(fn, fn);
    busy = p.catch(() => undefined);
    return p;
  }

  // ---- discovery ----

  async function scan(): Promise<void> {
    lastScan = Date.now();
    scanRequested = false;
    let names: string[];
    try {
      names = await readdir(dir);
      dirErrorLogged = false;
    } catch (err) {
      if (!dirErrorLogged) log.error({ spool: dir }, `spool ${dir}: cannot list: ${describeError(err)}`);
      dirErrorLogged = true;
      return;
    }
    const present = new Set<string>();
    for (const name of names) {
      if (!RING_NAME.test(name)) continue;
      const path = join(dir, name);
      present.add(path);
      if (rings.has(path)) continue;
      let ino: number;
      try {
        const st = await stat(path);
        if (!st.isFile()) continue;
        ino = st.ino;
      } catch {
        continue;
      }
      if (rejected.get(path) === ino) continue;
      openRing(path, ino);
    }
    for (const [path, r] of rings) if (!present.has(path)) r.gone = true;
    for (const path of rejected.keys()) if (!present.has(path)) rejected.delete(path);
  }

  function openRing(path: string, ino: number): void {
    let reader: RingReader;
    try {
      reader = new native.RingReader(path);
    } catch (err) {
      rejected.set(path, ino);
      totals.rejected++;
      metrics?.ringsRejected.inc();
      log.warn({ ring: path }, `ring ${path}: ignored: ${describeError(err)}`);
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
    const state: RingState = {
      path,
      reader,
      ctx: createRingContext(meta, st.ownerPid, st.createdNs),
      ino,
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
    totals.rings = rings.size;
    metrics?.ringsActive.set(rings.size);
    log.debug({ ring: path, ownerPid: st.ownerPid, cursor: st.cursor, head: st.head }, 'ring opened');
  }

  function closeRing(r: RingState): void {
    try {
      r.reader.close();
    } catch {
      /* already closed */
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
      const res = r.reader.read(r.next, batchSize);
      const events: ViolationEvent[] = [];
      let undecodable = 0;
      for (const rec of res.records) {
        const quick = fast?.enrich(rec.data, r.ctx);
        if (quick) {
          quick.seq = rec.seq;
          events.push(quick);
          continue;
        }
        let v: DecodedViolation;
        try {
          v = decoder.violation(rec.data);
        } catch {
          undecodable++;
          continue;
        }
        try {
          const ev = enricher.enrich(v, r.ctx);
          ev.seq = rec.seq;
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
        } else if (t - r.pendingSince >= tornMs) {
          // The producer reserved this ticket and never published it.
          totals.torn++;
          metrics?.tornRecords.inc();
          log.warn({ ring: r.path, ticket: res.next }, `ring ${r.path}: ticket ${res.next} pending for ${t - r.pendingSince} ms, skipped as torn`);
          r.next = res.next + 1;
          r.reader.commit(r.next);
          r.pendingTicket = -1;
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
    const lag = Math.max(0, Math.min(st.head - r.next, st.recordCount));
    r.lag = Number.isFinite(lag) ? lag : 0;
    if (st.dropped > r.lastDropped && Number.isFinite(st.dropped)) {
      const d = st.dropped - r.lastDropped;
      totals.dropped += d;
      metrics?.dropped.inc(d);
      r.lastDropped = st.dropped;
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
      // Nobody can produce any more: a last read, then remove if still drained.
      await turn(r, Date.now());
      if (r.reader.stats().head !== r.next) continue;
      try {
        if (!r.gone) await unlink(r.path);
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
    if (scanRequested || now - lastScan >= rescanMs) await scan();
    let n = 0;
    for (const r of [...rings.values()]) {
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
        rejected.set(r.path, r.ino);
        totals.rejected++;
        metrics?.ringsRejected.inc();
        closeRing(r);
        continue;
      }
      // A ring whose file was deleted under us: with removal on, the removal
      // check keeps reading it while any process still maps it; without, it
      // is closed once drained.
      if (!removeFinished && r.gone && r.lag === 0 && r.pendingTicket < 0) closeRing(r);
    }
    let lag = 0;
    for (const r of rings.values()) lag += r.lag;
    totals.lag = lag;
    metrics?.lag.set(lag);
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
    try {
      watcher = watch(dir, { persistent: false }, (_ev, name) => {
        if (name && !RING_NAME.test(String(name))) return;
        scanRequested = true;
        wake?.();
      });
      watcher.on('error', (err) => {
        log.warn({ spool: dir }, `spool ${dir}: watch failed (${describeError(err)}); rescanning every ${rescanMs} ms`);
        watcher?.close();
        watcher = undefined;
      });
    } catch (err) {
      throw new SpoolError(`spool ${dir}: cannot watch: ${describeError(err)}`, { cause: err });
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
      scanRequested = true;
      for (;;) {
        const n = await poll(true);
        const waiting = [...rings.values()].some((r) => r.lag > 0 || r.pendingTicket >= 0 || Date.now() < r.retryAt);
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
      watcher?.close();
      watcher = undefined;
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
        };
      }),
  };
}
