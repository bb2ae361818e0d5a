/**
 * reader.ts - reading one ring: map it (the addon's RingReader: map and
 * close, no descriptor kept), decode its RingMeta once, then batch by batch
 * from the ticket after the last commit: decode each record (the fast path,
 * else protobufjs + enrich) - or, when every sink takes encoded batches, let
 * batch-encode.ts turn the batch into NDJSON lines and a tally without event
 * objects -, hand the batch to every sink in order, and only
 * after all of them resolved store the new cursor in the file.  A sink that
 * rejects leaves the cursor where it was and puts the ring in back-off.
 * Pending tickets that stay pending are skipped as torn; the header's
 * untrusted numbers (head, drops) are clamped before they reach a metric.
 */
import { describeError } from '../errors.js';
import { createRingContext, type DecodedRingMeta, type Enricher } from '../events/enrich.js';
import type { ViolationEvent } from '../events/types.js';
import type { RingReader, SigsysNative } from '../native/native.js';
import type { Sink } from '../sinks/sink.js';
import { recordEvent, type BatchEncoder } from './batch-encode.js';
import type { RingDecoder } from './decode.js';
import type { FastEnricher } from './fast-decode.js';
import { fileKey } from './identity.js';
import type { RingState, RingTable } from './rings.js';

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
export const MAX_TORN_RUN = 256;

export interface RingReadingOptions {
  table: RingTable;
  native: SigsysNative;
  decoder: RingDecoder;
  enricher: Enricher;
  /** Handler-written records straight to events; undefined: always the decoder. */
  fast?: FastEnricher;
  /** Batches straight to NDJSON lines and tallies, used when every sink has writeEncoded. */
  batchEncoder?: BatchEncoder;
  sinks: Sink[];
  /** Records per read (and per sink write). Default 1024. */
  batchSize?: number;
  /** Batches read from one ring before moving to the next (fairness). Default 8. */
  batchesPerTurn?: number;
  /** A ticket pending this long is skipped as torn. Default 2000. */
  tornTimeoutMs?: number;
  /** Back-off after a sink rejected a batch. Default 1000. */
  retryDelayMs?: number;
  /**
   * Hot-loop counts become count records at most this often per ring
   * (default 100 ms), except when a turn is told to flush (drain, removal).
   * Every turn flushing made a ring in a hot loop always have news: the
   * collector's loop never slept, and its flushes competed with the
   * handler's counting for the counters' cache line.
   */
  hotFlushIntervalMs?: number;
  onCommit?: (info: { path: string; events: number; cursor: number }) => void;
}

export interface RingReading {
  /**
   * Map the ring at `path` (throws when it is not a ring).  Undefined, and
   * unmapped again, when `isOpen` says its file (a hard link of a ring
   * already read) is open under another name.
   */
  open(path: string, isOpen: (key: string) => boolean): RingState | undefined;
  /**
   * Read one ring until caught up or its turn is over. Returns events
   * delivered.  flushHot: turn hot-loop counts into records now, whatever
   * the interval (drain, a finished ring).
   */
  turn(r: RingState, now: number, flushHot?: boolean): Promise<number>;
  /** Head, lag and drops from the ring's header, clamped. */
  refreshStats(r: RingState, now: number): void;
}

export function createRingReading(o: RingReadingOptions): RingReading {
  const { table, native, decoder, enricher, fast, sinks } = o;
  const decoding = { fast, decoder, enricher };
  const batchEncoder = o.batchEncoder;
  const encodedPath = batchEncoder !== undefined && sinks.length > 0 && sinks.every((s) => typeof s.writeEncoded === 'function');
  const { totals, metrics, log } = table;
  const batchSize = o.batchSize ?? 1024;
  const batchesPerTurn = o.batchesPerTurn ?? 8;
  const tornMs = o.tornTimeoutMs ?? 2000;
  const retryMs = o.retryDelayMs ?? 1000;
  const hotFlushMs = o.hotFlushIntervalMs ?? 100;

  function open(path: string, isOpen: (key: string) => boolean): RingState | undefined {
    // O_NOFOLLOW|O_NONBLOCK in the addon: a file swapped for a FIFO or a
    // symlink since the lstat neither blocks nor is followed.
    const reader: RingReader = new native.RingReader(path);
    const file = reader.file();
    const key = fileKey(file.devMajor, file.devMinor, file.ino);
    if (isOpen(key)) {
      reader.close();
      return undefined;
    }
    let meta: DecodedRingMeta | undefined;
    try {
      const raw = reader.meta();
      meta = raw.length ? decoder.ringMeta(raw) : undefined;
    } catch (err) {
      table.countCorrupt('meta', 1);
      log.warn({ ring: path }, `ring ${path}: metadata undecodable (${describeError(err)}); events keep their own fields only`);
    }
    const st = reader.stats();
    const now = Date.now();
    const claims = createRingContext(meta, st.ownerPid, st.createdNs);
    return {
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
      hotFlushedAt: 0,
      retryAt: 0,
      lag: 0,
      gone: false,
      pidNs: meta?.pidNs ? String(meta.pidNs) : '', // 0/absent: unknown
      ownerPid: st.ownerPid,
    };
  }

  async function writeAll(events: ViolationEvent[]): Promise<void> {
    for (const sink of sinks) await sink.write(events);
  }

  async function turn(r: RingState, now: number, flushHot = false): Promise<number> {
    if (now < r.retryAt) return 0;
    let delivered = 0;
    for (let b = 0; b < batchesPerTurn; b++) {
      // Hot-loop counts become count records first, read below like any
      // record (a full ring: the next batch, after this one is committed).
      // A ring whose file is gone may be closed after this turn: its counts now.
      if (flushHot || r.gone || now - r.hotFlushedAt >= hotFlushMs) {
        r.reader.flushHot(BigInt(Date.now()) * 1_000_000n);
        r.hotFlushedAt = now;
      }
      // Packed: one buffer for the batch, not an object and a Buffer per record.
      const res = r.reader.readPacked(r.next, batchSize);
      // Every sink takes encoded batches: no event objects (batch-encode.ts).
      const encoded = encodedPath ? batchEncoder!.encode(r.ctx, res) : undefined;
      let count: number;
      let undecodable = 0;
      let deliver: () => Promise<void>;
      if (encoded) {
        const { batch } = encoded;
        count = batch.events;
        undecodable = encoded.undecodable;
        deliver = async () => {
          for (const sink of sinks) await sink.writeEncoded!(batch);
        };
      } else {
        const { data, ends, seqs } = res;
        const events: ViolationEvent[] = [];
        for (let i = 0, start = 0; i < ends.length; start = ends[i++]!) {
          const ev = recordEvent(decoding, data, start, ends[i]!, seqs[i]!, r.ctx);
          if (ev) events.push(ev);
          else undecodable++;
        }
        count = events.length;
        deliver = () => writeAll(events);
      }
      if (count) {
        try {
          await deliver();
        } catch (err) {
          totals.sinkErrors++;
          r.retryAt = Date.now() + retryMs;
          log.warn({ ring: r.path, events: count }, `sink failed, batch stays in the ring and is retried: ${describeError(err)}`);
          return delivered;
        }
      }
      if (res.next !== r.next) {
        // Counted once the batch is acknowledged, so a retried batch is not counted twice.
        table.countCorrupt('ring', res.corrupt);
        table.countCorrupt('decode', undecodable);
        r.reader.commit(res.next);
        r.next = res.next;
        totals.events += count;
        metrics?.eventsCollected.inc(count);
        delivered += count;
        o.onCommit?.({ path: r.path, events: count, cursor: res.next });
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
            table.countCorrupt('ring', 1);
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

  return { open, turn, refreshStats };
}
