/**
 * rings.ts - what the parts of the collector share: the table of open rings
 * (by path and by file), the per-uid and per-cgroup counts the caps read,
 * the totals behind stats(), and rate-limited logging.  Discovery
 * (discovery.ts) adds and removes rings, reading (reader.ts) advances their
 * cursors, the loop (collector.ts) schedules both.
 */
import type { Logger } from '../logger.js';
import type { DecodedRingMeta, RingContext } from '../events/enrich.js';
import type { IdentityName } from '../events/types.js';
import type { SigsysMetrics } from '../metrics.js';
import type { RingFile, RingReader } from '../native/native.js';
import type { Verdict } from './identity.js';

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

/** One open ring. */
export interface RingState {
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
  /** When its hot-loop counts were last turned into records (reader.ts). */
  hotFlushedAt: number;
  retryAt: number;
  lag: number;
  gone: boolean; // the file left the directory
  pidNs: string;
  ownerPid: number;
}

/** Lines logged per key at most (a neighbour's files must not flood the log). */
const LOG_PER_KEY = 10;

export interface RingTable {
  /** Open rings by path. */
  readonly rings: Map<string, RingState>;
  /** fileKey (device, inode) -> path of the open ring. */
  readonly byKey: Map<string, string>;
  /** Verified rings per kernel cgroup (the per-cgroup cap). */
  readonly perCgroup: Map<string, number>;
  readonly totals: CollectorStats;
  readonly metrics: SigsysMetrics | undefined;
  readonly log: Logger;
  /** Rings and rejected files per owner uid (the per-uid cap). */
  uidCount(uid: number): number;
  addUid(uid: number, d: number): void;
  add(r: RingState): void;
  /** Unmap and forget a ring (idempotent). */
  close(r: RingState): void;
  countCorrupt(reason: 'ring' | 'decode' | 'meta', n: number): void;
  /** True while `key` may still log; the last allowed call says that the rest are only counted. */
  mayLog(key: string): { ok: boolean; last: boolean };
}

export function createRingTable(o: { log: Logger; metrics?: SigsysMetrics }): RingTable {
  const { log, metrics } = o;
  const rings = new Map<string, RingState>();
  const byKey = new Map<string, string>();
  const perUid = new Map<number, number>();
  const perCgroup = new Map<string, number>();
  const logCounts = new Map<string, number>();
  const totals: CollectorStats = {
    rings: 0, rejected: 0, events: 0, corrupt: 0, torn: 0, dropped: 0, lag: 0, removed: 0, sinkErrors: 0, forged: 0, overCap: 0, skippedEntries: 0,
  };

  const addUid = (uid: number, d: number): void => {
    const n = (perUid.get(uid) ?? 0) + d;
    if (n > 0) perUid.set(uid, n);
    else perUid.delete(uid);
  };

  return {
    rings,
    byKey,
    perCgroup,
    totals,
    metrics,
    log,
    uidCount: (uid) => perUid.get(uid) ?? 0,
    addUid,
    add(r) {
      rings.set(r.path, r);
      byKey.set(r.key, r.path);
      addUid(r.file.uid, 1);
      totals.rings = rings.size;
      metrics?.ringsActive.set(rings.size);
    },
    close(r) {
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
    },
    countCorrupt(reason, n) {
      if (n <= 0) return;
      totals.corrupt += n;
      metrics?.corruptRecords.inc({ reason }, n);
    },
    mayLog(key) {
      const n = (logCounts.get(key) ?? 0) + 1;
      if (n > LOG_PER_KEY) return { ok: false, last: false };
      logCounts.set(key, n);
      return { ok: true, last: n === LOG_PER_KEY };
    },
  };
}
