/**
 * aggregator.ts - the fleet view: deduplicated violations folded per
 * (workload, syscall, action, outcome) into count, hosts, first/last seen
 * (the sigsys.v1.Summary shape), and the profile suggestions derived from it.
 *
 * Pure state, no I/O except `writeSuggestions`; the Kafka consumer and the
 * HTTP server live in service.ts.
 */
import { DENYING } from '../events/schema.js';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventCalls, type ViolationEvent } from '../events/types.js';
import { createDeduper, type DeduperOptions } from './dedupe.js';

export interface SummaryRow {
  workload: string;
  /** The collector's identity verdict for the rings these events came from. */
  identity: string;
  syscall: string;
  action: string;
  outcome: string;
  count: number;
  hosts: string[];
  /** ns since the epoch as decimal strings (exact), plus ISO times. */
  firstSeenNs: string;
  lastSeenNs: string;
  firstSeen: string;
  lastSeen: string;
}

export interface Report {
  generatedAt: string;
  /** Events accepted after dedup. */
  events: number;
  duplicates: number;
  undecodable: number;
  producers: number;
  /** Kafka partitions whose events this report covers. */
  partitions: number[];
  rows: SummaryRow[];
  /** Violations per syscall per minute (for `sigsys report --aggregate`'s chart). */
  timeline: { bucketMs: number; points: { syscall: string; startNs: string; count: number }[] };
  /** The busiest call sites (at most 32 per row are tracked; the top 50 are listed). */
  callSites: { workload: string; syscall: string; callSite: string; exe: string; count: number }[];
}

export interface Suggestion {
  comment: string;
  workload: string;
  syscalls: { names: string[]; action: 'SCMP_ACT_ALLOW'; comment: string }[];
  unnamed: string[];
  hosts: string[];
  events: number;
}

export interface Aggregator {
  /**
   * Fold one event read from `partition` (default 0); false if it was a
   * duplicate.  State is kept per partition: a ring's events share one key
   * (the workload), so they all live on one partition, and dedup per
   * partition is exact.
   */
  add(e: ViolationEvent, partition?: number): boolean;
  /** Count a Kafka value that could not be decoded. */
  undecodable(partition?: number): void;
  /**
   * The partitions this member owns now: the state of every other partition
   * is dropped (another member folds it from the start), so reports of the
   * members of one group add up to the fleet.
   */
  assign(partitions: readonly number[]): void;
  /** Partitions with state. */
  partitions(): number[];
  report(): Report;
  /** Per workload: the syscalls whose denial it hit (union across replicas/hosts). */
  suggestions(): Suggestion[];
  /** Write one <workload>.json per workload into `dir` (atomic rename). */
  writeSuggestions(dir: string): Promise<string[]>;
  readonly events: number;
  readonly duplicates: number;
}

interface Cell {
  row: Omit<SummaryRow, 'hosts' | 'firstSeen' | 'lastSeen' | 'firstSeenNs' | 'lastSeenNs'>;
  hosts: Set<string>;
  first: bigint;
  last: bigint;
  /** call site + exe -> count, at most SITES_PER_CELL (a workload's call sites are few; a hostile one could invent many). */
  sites: Map<string, { callSite: string; exe: string; count: number }>;
}

const SITES_PER_CELL = 32;
const TIMELINE_BUCKET_MS = 60_000;

const nsToIso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** A workload name as a safe file name. */
export function suggestionFileName(workload: string): string {
  const safe = workload.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120) || 'unknown';
  return `${safe}.json`;
}

interface Fold {
  dedupe: ReturnType<typeof createDeduper>;
  cells: Map<string, Cell>;
  /** syscall -> minute (ms since the epoch) -> count. */
  timeline: Map<string, Map<number, number>>;
  events: number;
  duplicates: number;
  undecodable: number;
}

/**
 * The workload an event is counted under.  Events the collector did not
 * verify never count under a name they claim: a collector of this version
 * already names them "<identity>:uid-<uid>"; this holds for any other too.
 */
export function workloadOf(e: ViolationEvent): string {
  const w = e.workload || e.exe || 'unknown';
  if (e.identity === 'unverified' || e.identity === 'forged') {
    return w.startsWith(`${e.identity}:`) ? w : `${e.identity}:uid-${e.writerUid ?? 0}`;
  }
  return w;
}

/** Suggestions come only from verified events (and from collectors that predate identity). */
const suggestible = (identity: string) => identity === 'verified' || identity === 'unknown';

function timeOf(e: ViolationEvent): bigint {
  try {
    return BigInt(e.timeNs);
  } catch {
    return BigInt(Date.parse(e.time) || 0) * 1_000_000n;
  }
}

function timelineOf(folds: Iterable<Fold>): Report['timeline'] {
  const sum = new Map<string, number>();
  for (const f of folds) {
    for (const [syscall, m] of f.timeline) {
      for (const [minute, n] of m) {
        const k = `${syscall}\u0000${minute}`;
        sum.set(k, (sum.get(k) ?? 0) + n);
      }
    }
  }
  const points = [...sum].map(([k, count]) => {
    const [syscall, minute] = k.split('\u0000') as [string, string];
    return { syscall, startNs: `${minute}000000`, count };
  });
  points.sort((a, b) => a.startNs.localeCompare(b.startNs) || a.syscall.localeCompare(b.syscall));
  return { bucketMs: TIMELINE_BUCKET_MS, points };
}

export function createAggregator(opts: DeduperOptions = {}): Aggregator {
  const folds = new Map<number, Fold>();

  function fold(partition: number): Fold {
    let f = folds.get(partition);
    if (!f) folds.set(partition, (f = { dedupe: createDeduper(opts), cells: new Map(), timeline: new Map(), events: 0, duplicates: 0, undecodable: 0 }));
    return f;
  }

  /** Cells of every partition merged (a workload can move between partitions only if the topic grew). */
  function merged(): Map<string, Cell> {
    if (folds.size === 1) return folds.values().next().value!.cells;
    const out = new Map<string, Cell>();
    for (const f of folds.values()) {
      for (const [key, c] of f.cells) {
        const m = out.get(key);
        if (!m) out.set(key, { row: { ...c.row }, hosts: new Set(c.hosts), first: c.first, last: c.last, sites: new Map([...c.sites].map(([k, v]) => [k, { ...v }])) });
        else {
          m.row.count += c.row.count;
          for (const [k, v] of c.sites) {
            const ms = m.sites.get(k);
            if (ms) ms.count += v.count;
            else m.sites.set(k, { ...v });
          }
          for (const h of c.hosts) m.hosts.add(h);
          if (c.first < m.first) m.first = c.first;
          if (c.last > m.last) m.last = c.last;
        }
      }
    }
    return out;
  }

  const sum = (k: 'events' | 'duplicates' | 'undecodable'): number => {
    let n = 0;
    for (const f of folds.values()) n += f[k];
    return n;
  };

  const agg: Aggregator = {
    add(e, partition = 0) {
      const f = fold(partition);
      const identity = e.identity ?? 'unknown';
      if (!f.dedupe.accept({ host: e.host, bootId: e.bootId, ringPid: e.ringPid, ringStartNs: e.ringStartNs, seq: e.seq, identity })) {
        f.duplicates++;
        return false;
      }
      f.events++;
      const workload = workloadOf(e);
      const key = `${workload}\u0000${e.syscall}\u0000${e.action}\u0000${e.outcome}\u0000${identity}`;
      const t = timeOf(e);
      let c = f.cells.get(key);
      if (!c) {
        c = {
          row: { workload, identity, syscall: e.syscall, action: e.action, outcome: e.outcome, count: 0 },
          hosts: new Set(),
          first: t,
          last: t,
          sites: new Map(),
        };
        f.cells.set(key, c);
      }
      const calls = eventCalls(e); // a count record stands for `repeat` calls
      c.row.count += calls;
      const siteKey = `${e.callSite}\u0000${e.exe}`;
      const site = c.sites.get(siteKey);
      if (site) site.count += calls;
      else if (c.sites.size < SITES_PER_CELL) c.sites.set(siteKey, { callSite: e.callSite, exe: e.exe, count: calls });
      const minute = Math.floor(Number(t / 1_000_000n) / TIMELINE_BUCKET_MS) * TIMELINE_BUCKET_MS;
      let tl = f.timeline.get(e.syscall);
      if (!tl) f.timeline.set(e.syscall, (tl = new Map()));
      tl.set(minute, (tl.get(minute) ?? 0) + calls);
      c.hosts.add(e.host);
      if (t < c.first) c.first = t;
      if (t > c.last) c.last = t;
      return true;
    },
    undecodable(partition = 0) {
      fold(partition).undecodable++;
    },
    assign(partitions) {
      const keep = new Set(partitions);
      for (const p of [...folds.keys()]) if (!keep.has(p)) folds.delete(p);
    },
    partitions() {
      return [...folds.keys()].sort((a, b) => a - b);
    },
    report() {
      const cells = merged();
      const rows = [...cells.values()]
        .map((c) => ({
          ...c.row,
          hosts: [...c.hosts].sort(),
          firstSeenNs: c.first.toString(),
          lastSeenNs: c.last.toString(),
          firstSeen: nsToIso(c.first),
          lastSeen: nsToIso(c.last),
        }))
        .sort((a, b) => b.count - a.count || a.workload.localeCompare(b.workload) || a.syscall.localeCompare(b.syscall));
      let producers = 0;
      for (const f of folds.values()) producers += f.dedupe.producers;
      return {
        generatedAt: new Date().toISOString(),
        events: sum('events'),
        duplicates: sum('duplicates'),
        undecodable: sum('undecodable'),
        producers,
        partitions: agg.partitions(),
        rows,
        timeline: timelineOf(folds.values()),
        callSites: [...cells.values()]
          .flatMap((c) => [...c.sites.values()].map((s) => ({ workload: c.row.workload, syscall: c.row.syscall, callSite: s.callSite, exe: s.exe, count: s.count })))
          .sort((a, b) => b.count - a.count || a.callSite.localeCompare(b.callSite))
          .slice(0, 50),
      };
    },
    suggestions() {
      const per = new Map<string, { names: Set<string>; unnamed: Set<string>; hosts: Set<string>; events: number }>();
      for (const c of merged().values()) {
        if (!DENYING.has(c.row.action)) continue;
        // Nothing unverified or forged goes into any workload's suggested profile.
        if (!suggestible(c.row.identity)) continue;
        let s = per.get(c.row.workload);
        if (!s) per.set(c.row.workload, (s = { names: new Set(), unnamed: new Set(), hosts: new Set(), events: 0 }));
        if (/^nr:/.test(c.row.syscall) || c.row.syscall === '') s.unnamed.add(c.row.syscall);
        else s.names.add(c.row.syscall);
        for (const h of c.hosts) s.hosts.add(h);
        s.events += c.row.count;
      }
      return [...per.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([workload, s]) => ({
          comment:
            `SUGGESTION generated by sigsys aggregate at ${new Date().toISOString()} from ${s.events} denied calls ` +
            `on ${s.hosts.size} host(s); not a profile on its own. Merge these rules into the workload's ` +
            `seccomp profile only after checking each syscall is really needed.`,
          workload,
          syscalls: [
            {
              names: [...s.names].sort(),
              action: 'SCMP_ACT_ALLOW' as const,
              comment: 'syscalls this workload was denied; allowing them removes its observed denials',
            },
          ],
          unnamed: [...s.unnamed].sort(),
          hosts: [...s.hosts].sort(),
          events: s.events,
        }));
    },
    async writeSuggestions(dir) {
      await mkdir(dir, { recursive: true });
      const written: string[] = [];
      for (const s of agg.suggestions()) {
        const file = join(dir, suggestionFileName(s.workload));
        const tmp = `${file}.tmp-${process.pid}`;
        await writeFile(tmp, `${JSON.stringify(s, null, 2)}\n`);
        await rename(tmp, file);
        written.push(file);
      }
      return written;
    },
    get events() {
      return sum('events');
    },
    get duplicates() {
      return sum('duplicates');
    },
  };
  return agg;
}
