/**
 * aggregator.ts - the fleet view: deduplicated violations folded per
 * (workload, syscall, action, outcome) into count, hosts, first/last seen
 * (the sigsys.v1.Summary shape), and the profile suggestions derived from it.
 *
 * Pure state, no I/O except `writeSuggestions`; the Kafka consumer and the
 * HTTP server live in service.ts.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventCalls, type ViolationEvent } from '../events/types.js';
import { createDeduper, type DeduperOptions } from './dedupe.js';

export interface SummaryRow {
  workload: string;
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
}

/** Actions under which the call did not (or, in audit mode, would not) run. */
const DENYING = new Set(['errno', 'kill_process', 'kill_thread', 'trap', 'trace', 'user_notif']);

const nsToIso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** A workload name as a safe file name. */
export function suggestionFileName(workload: string): string {
  const safe = workload.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120) || 'unknown';
  return `${safe}.json`;
}

interface Fold {
  dedupe: ReturnType<typeof createDeduper>;
  cells: Map<string, Cell>;
  events: number;
  duplicates: number;
  undecodable: number;
}

function timeOf(e: ViolationEvent): bigint {
  try {
    return BigInt(e.timeNs);
  } catch {
    return BigInt(Date.parse(e.time) || 0) * 1_000_000n;
  }
}

export function createAggregator(opts: DeduperOptions = {}): Aggregator {
  const folds = new Map<number, Fold>();

  function fold(partition: number): Fold {
    let f = folds.get(partition);
    if (!f) folds.set(partition, (f = { dedupe: createDeduper(opts), cells: new Map(), events: 0, duplicates: 0, undecodable: 0 }));
    return f;
  }

  /** Cells of every partition merged (a workload can move between partitions only if the topic grew). */
  function merged(): Map<string, Cell> {
    if (folds.size === 1) return folds.values().next().value!.cells;
    const out = new Map<string, Cell>();
    for (const f of folds.values()) {
      for (const [key, c] of f.cells) {
        const m = out.get(key);
        if (!m) out.set(key, { row: { ...c.row }, hosts: new Set(c.hosts), first: c.first, last: c.last });
        else {
          m.row.count += c.row.count;
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
      if (!f.dedupe.accept({ host: e.host, bootId: e.bootId, ringPid: e.ringPid, ringStartNs: e.ringStartNs, seq: e.seq })) {
        f.duplicates++;
        return false;
      }
      f.events++;
      const workload = e.workload || e.exe || 'unknown';
      const key = `${workload}\u0000${e.syscall}\u0000${e.action}\u0000${e.outcome}`;
      const t = timeOf(e);
      let c = f.cells.get(key);
      if (!c) {
        c = {
          row: { workload, syscall: e.syscall, action: e.action, outcome: e.outcome, count: 0 },
          hosts: new Set(),
          first: t,
          last: t,
        };
        f.cells.set(key, c);
      }
      c.row.count += eventCalls(e);
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
      const rows = [...merged().values()]
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
      };
    },
    suggestions() {
      const per = new Map<string, { names: Set<string>; unnamed: Set<string>; hosts: Set<string>; events: number }>();
      for (const c of merged().values()) {
        if (!DENYING.has(c.row.action)) continue;
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
