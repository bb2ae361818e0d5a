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
 * Three parts, each a small factory: discovery.ts (listing the spool,
 * opening rings, identity verdicts, removing finished rings), reader.ts
 * (mapping one ring, decoding its records, cursors, torn tickets), and this
 * file, the loop: fs.watch on the directory for quick pick-up plus a rescan
 * every `rescanIntervalMs` (watch events can be lost or coalesced), fair
 * turns over the rings every `pollIntervalMs` while idle (producers write
 * through mmap, so there is nothing to watch), sink back-off, drain and
 * shutdown.  What they share is rings.ts.
 *
 * The spool is world-writable, so everything in it may come from a hostile
 * neighbour (docs/security.md, "The spool"): discovery.ts says how listing,
 * caps and identity verdicts deal with that, reader.ts how numbers from ring
 * headers are bounded before they reach a metric.
 */
import { watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { describeError, SpoolError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { createEnricher, type Enricher, type IdentityOptions } from '../events/enrich.js';
import type { SigsysNative } from '../native/native.js';
import { loadNative } from '../native/loader.js';
import type { Sink } from '../sinks/sink.js';
import type { SigsysMetrics } from '../metrics.js';
import { protoDecoder, type RingDecoder } from './decode.js';
import { createDiscovery, RING_NAME } from './discovery.js';
import { createBatchEncoder } from './batch-encode.js';
import { createFastEnricher } from './fast-decode.js';
import { createRingReading } from './reader.js';
import { createRingTable, type CollectorStats, type RingStatus } from './rings.js';

export { RING_NAME } from './discovery.js';
export type { CollectorStats, RingStatus } from './rings.js';

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
  /**
   * Encode batches to NDJSON lines and label tallies in the addon
   * (batch-encode.ts) when every sink takes them; default true with the fast path.
   */
  batchEncode?: boolean;
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
  /** Only this process and its children can write the spool (discovery.ts). */
  privateSpool?: boolean;
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
  // Sinks that all take encoded batches (NDJSON, Prometheus) get them from
  // the addon's encoder, without an event object per record.
  const batchEncoder = fast && (opts.batchEncode ?? true) ? createBatchEncoder(native, { fast, decoder, enricher }) : undefined;
  const metrics = opts.metrics;
  const pollMs = opts.pollIntervalMs ?? 100;
  const rescanMs = opts.rescanIntervalMs ?? 2000;
  const tornMs = opts.tornTimeoutMs ?? 2000;
  const removeFinished = opts.removeFinished ?? true;
  const removeCheckMs = opts.removeCheckIntervalMs ?? 5000;
  const idleAfterMs = opts.idleAfterMs ?? 5000;
  const idlePollMs = Math.max(opts.idlePollIntervalMs ?? 1000, opts.pollIntervalMs ?? 100);
  const dirs: readonly string[] = (typeof opts.spoolDir === 'string' ? [opts.spoolDir] : opts.spoolDir).map((d) => resolve(d));

  const table = createRingTable({ log, metrics });
  const { rings, totals } = table;
  const reading = createRingReading({
    table,
    native,
    decoder,
    enricher,
    fast,
    batchEncoder,
    sinks: opts.sinks,
    batchSize: opts.batchSize,
    batchesPerTurn: opts.batchesPerTurn,
    tornTimeoutMs: tornMs,
    retryDelayMs: opts.retryDelayMs,
    onCommit: opts.onCommit,
  });
  const discovery = createDiscovery({
    dirs,
    table,
    reading,
    maxRingsPerUid: opts.maxRingsPerUid,
    maxRingsPerCgroup: opts.maxRingsPerCgroup,
    verifyScanIntervalMs: opts.verifyScanIntervalMs,
    staleMs: opts.staleMs,
    identity: opts.identity,
    privateSpool: opts.privateSpool,
    persistIdentity: opts.persistIdentity,
  });

  let passNo = 0;
  let running = false;
  let loop: Promise<void> | undefined;
  let watchers: FSWatcher[] = [];
  let wake: (() => void) | undefined;
  let lastScan = 0;
  let scanRequested = true;
  let scanForced = false;
  let lastRemoveCheck = 0;
  let busy: Promise<unknown> = Promise.resolve();

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = busy.then(fn, fn);
    busy = p.catch(() => undefined);
    return p;
  }

  async function scan(): Promise<void> {
    lastScan = Date.now();
    scanRequested = false;
    scanForced = false;
    await discovery.scan();
  }

  async function pollOnce(everyRing = false): Promise<number> {
    const now = Date.now();
    // A watch event asks for a listing, at most every MIN_RESCAN_MS: a
    // neighbour creating files in a loop cannot keep the collector listing.
    if (scanForced || (scanRequested && now - lastScan >= MIN_RESCAN_MS) || now - lastScan >= rescanMs) await scan();
    await discovery.verifyPending(now);
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
        n += await reading.turn(r, now, everyRing);
        reading.refreshStats(r, now);
      } catch (err) {
        // The addon threw on a live ring (e.g. the file was truncated under us).
        log.warn({ ring: r.path }, `ring ${r.path}: dropped from collection: ${describeError(err)}`);
        discovery.reject(r);
        continue;
      }
      // A ring whose file was deleted under us: with removal on, the removal
      // check keeps reading it while any process still maps it; without, it
      // is closed once drained.
      if (!removeFinished && r.gone && r.lag === 0 && r.pendingTicket < 0) table.close(r);
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
    if (removeFinished && now - lastRemoveCheck >= removeCheckMs) {
      lastRemoveCheck = now;
      await discovery.removeFinished(now, (r) => reading.turn(r, Date.now(), true));
    }
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
      try {
        decoder.prepare?.();
      } catch {
        // A schema that cannot be loaded is reported by the ring that needs it (corrupt, counted).
      }
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
        for (const r of [...rings.values()]) table.close(r);
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
