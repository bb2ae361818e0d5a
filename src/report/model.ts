/**
 * model.ts - what the HTML report shows, folded from events: rows per
 * (workload, syscall, action, outcome, errno), a per-syscall timeline, call
 * sites, and the run's verdict.  Pure state; the inputs (NDJSON file,
 * aggregator URL, an in-process run) feed it and html.ts draws it.
 *
 * Events are at-least-once (a collector retry appends a batch again), so the
 * fold drops duplicates by the ring identity with the aggregator's deduper.
 * The timeline keeps counts per millisecond per syscall (bounded by the
 * number of distinct milliseconds, not of events) and is bucketed only when
 * the report is built, once the time range is known.
 */
import { DENYING } from '../events/schema.js';
import { eventCalls, type ViolationEvent } from '../events/types.js';
import { createDeduper, producerId, type Deduper } from '../aggregate/dedupe.js';
import { describeAction, describeExit, type ExitInfo } from './report.js';

/** The fields of a ViolationEvent the report reads. */
export type ReportEvent = Pick<
  ViolationEvent,
  'timeNs' | 'host' | 'bootId' | 'ringPid' | 'ringStartNs' | 'seq' | 'pid' | 'exe' | 'syscall' | 'action' | 'outcome' | 'errno' | 'mode' | 'workload' | 'callSite'
> & { time?: string; repeat?: number };

export interface ModelRow {
  workload: string;
  syscall: string;
  action: string;
  /** "errno(EPERM)", "kill_process", ... */
  actionText: string;
  outcome: string;
  count: number;
  processes: number;
  hosts: number;
  firstSeen: string;
  lastSeen: string;
}

export interface CallSiteRow {
  callSite: string;
  syscall: string;
  exe: string;
  workloads: number;
  count: number;
}

export interface Timeline {
  /** Bucket width in ms and the start of the first bucket (ms since the epoch). */
  bucketMs: number;
  startMs: number;
  buckets: number;
  /** Series in legend order: the busiest syscalls, then "other" when there are more. */
  series: { syscall: string; total: number; counts: number[] }[];
}

export interface RunInfo {
  command: string[];
  profile: string;
  mode: string;
  exit: ExitInfo;
  dropped: number;
  corrupt: number;
  torn: number;
}

export type VerdictLevel = 'pass' | 'warn' | 'fail';

export interface Verdict {
  level: VerdictLevel;
  /** One headline: "FAIL: 3 calls denied ...". */
  headline: string;
  /** The longer sentences under it. */
  details: string[];
}

export interface ReportModel {
  title: string;
  source: string;
  generatedAt: string;
  events: number;
  duplicates: number;
  syscalls: number;
  workloads: number;
  processes: number;
  hosts: number;
  modes: string[];
  firstSeen?: string;
  lastSeen?: string;
  rows: ModelRow[];
  timeline: Timeline;
  callSites: CallSiteRow[];
  /** Syscalls the workloads were denied (or would be, in audit mode): what the suggestion allows. */
  denied: string[];
  verdict: Verdict;
  run?: RunInfo;
}

/**
 * A chunk of events as columns (the parallel reader's parser threads make
 * them, src/report/parse-worker.ts): event i is fine[i] (a key id), its
 * ring producer[i], ticket seq[i], pid[i], time ms[i] and the calls it
 * stands for, calls[i] (`repeat` of a count record, else 1).
 */
export interface EventColumns {
  fine: Int32Array;
  producer: Int32Array;
  seq: Float64Array;
  pid: Float64Array;
  ms: Float64Array;
  calls: Float64Array;
}

export interface ReportFoldOptions {
  /** Series drawn separately in the chart; the rest are summed as "other" (default 8). */
  topSyscalls?: number;
  /** Call sites listed (default 20). */
  topCallSites?: number;
  /** Buckets the chart aims for (default 60). */
  targetBuckets?: number;
}

/** What one event counts into (see ReportFold.resolve). */
export interface FineKey {
  workload: string;
  syscall: string;
  action: string;
  errno: number;
  outcome: string;
  callSite: string;
  exe: string;
}

/** An opaque handle for a FineKey, from ReportFold.resolve. */
export interface FineHandle {
  readonly __fine: true;
}

export interface ReportFold {
  /** Fold one event; false when it was a duplicate. */
  add(e: ReportEvent): boolean;
  /**
   * The two halves of add() for input that is already split into columns
   * (the parallel NDJSON reader): resolve a key once, then fold events by
   * handle.  `producer` is producerId() of the event's ring.
   */
  resolve(k: FineKey): FineHandle;
  /** `calls`: how many calls the event stands for (a count record's `repeat`; default 1). */
  addResolved(h: FineHandle, producer: string, seq: number, host: string, pid: number, ms: number, calls?: number): boolean;
  /**
   * addResolved for `n` events given as columns (the parallel reader's
   * chunks), in order: handles[fine[i]], producers[producer[i]], seq[i], ...
   * One loop with its counters in locals instead of a call per event.
   */
  addColumns(c: EventColumns & { handles: readonly FineHandle[]; producers: readonly { id: string; host: string }[]; n: number }): void;
  /** Modes and policy hashes seen (add() records them from the event). */
  noteMode(mode: string): void;
  notePolicyHash(hash: string): void;
  /** The policyHash values of the events folded (which profile produced them). */
  policyHashes(): string[];
  /**
   * Fold a pre-aggregated row (the aggregator's /report): `count` events of
   * one (workload, syscall, action, outcome) seen between first and last.
   */
  addRow(r: { workload: string; syscall: string; action: string; outcome: string; count: number; hosts: string[]; firstSeenNs: string; lastSeenNs: string }): void;
  /**
   * Add `count` events of `syscall` at `ms` to the timeline only
   * (pre-bucketed input of resolution `bucketMs`: the chart's buckets are
   * never finer than that).
   */
  addTimeline(syscall: string, ms: number, count: number, bucketMs?: number): void;
  /** Add pre-counted call sites (the aggregator's /report). */
  addCallSite(c: { callSite: string; syscall: string; exe: string; workload: string; count: number }): void;
  readonly events: number;
  build(meta: { title: string; source: string; run?: RunInfo; duplicates?: number }): ReportModel;
}

/** Actions under which the call did not (or, in audit mode, would not) run (schema.ts). */
export { DENYING };

interface Cell {
  workload: string;
  syscall: string;
  action: string;
  errno: number;
  outcome: string;
  count: number;
  /** host -> pids seen there (no string built per event). */
  pids: Map<string, Set<number>>;
  hosts: Set<string>;
  first: number;
  last: number;
}

interface Site {
  callSite: string;
  syscall: string;
  exe: string;
  workloads: Set<string>;
  count: number;
}

/** Bucket widths the chart chooses from: round numbers a reader can say. */
const STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 7 * 86_400_000,
];

/** ns since the epoch (decimal string) to ms, without BigInt on the hot path. */
export function nsToMs(ns: string | undefined, iso?: string): number {
  if (ns && ns.length > 6) {
    const ms = Number(ns.slice(0, -6));
    if (Number.isFinite(ms)) return ms;
  }
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : 0;
}

const countPids = (m: Map<string, Set<number>>): number => {
  let n = 0;
  for (const s of m.values()) n += s.size;
  return n;
};
const iso = (ms: number): string => new Date(ms).toISOString();
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function createReportFold(opts: ReportFoldOptions = {}): ReportFold {
  const topSyscalls = opts.topSyscalls ?? 8;
  const topCallSites = opts.topCallSites ?? 20;
  const targetBuckets = opts.targetBuckets ?? 60;
  const dedupe: Deduper = createDeduper();
  const cells = new Map<string, Cell>();
  const sites = new Map<string, Site>();
  const timeline = new Map<string, Map<number, number>>();
  const modes = new Set<string>();
  const policyHashes = new Set<string>();
  let events = 0;
  let duplicates = 0;
  let minMs = Infinity;
  let maxMs = -Infinity;
  let resolutionMs = 1;
  // Per-event timeline points wait in two typed arrays (time, syscall) and
  // are folded into the per-ms maps only when the arrays are full: an array
  // store per event instead of two map updates, memory still bounded.
  const PENDING = 1 << 20;
  let pendingMs = new Float64Array(0);
  let pendingSys = new Int32Array(0);
  let pending = 0;
  const syscallIds = new Map<string, number>();
  const syscallNames: string[] = [];
  // One "fine" cell per (workload, syscall, action, errno, outcome, call
  // site, exe): the row and the call site it counts into.  A run of events
  // from one ring usually repeats the previous event's fields, so the last
  // one is kept and compared field by field before any key is built.
  interface Fine {
    key: FineKey;
    cell: Cell;
    site: Site;
    sys: number;
    lastPid: number;
    lastHost: string;
  }
  // workload -> syscall -> call site -> the few fines that differ in action,
  // errno, outcome or exe: lookups by the event's own strings, no key built.
  const fines = new Map<string, Map<string, Map<string, Fine[]>>>();
  let prev: { e: ReportEvent; f: Fine } | undefined;

  function cell(workload: string, syscall: string, action: string, errno: number, outcome: string): Cell {
    const key = `${workload}\0${syscall}\0${action}\0${errno}\0${outcome}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { workload, syscall, action, errno, outcome, count: 0, pids: new Map(), hosts: new Set(), first: Infinity, last: -Infinity }));
    return c;
  }

  function tick(syscall: string, ms: number, n: number): void {
    let m = timeline.get(syscall);
    if (!m) timeline.set(syscall, (m = new Map()));
    m.set(ms, (m.get(ms) ?? 0) + n);
    if (ms < minMs) minMs = ms;
    if (ms > maxMs) maxMs = ms;
  }

  function site(callSite: string, syscall: string, exe: string, workload: string, n: number): Site {
    const key = `${callSite}\0${syscall}\0${exe}`;
    let s = sites.get(key);
    if (!s) sites.set(key, (s = { callSite, syscall, exe, workloads: new Set(), count: 0 }));
    s.workloads.add(workload);
    s.count += n;
    return s;
  }

  function syscallId(name: string): number {
    let id = syscallIds.get(name);
    if (id === undefined) {
      id = syscallNames.length;
      syscallIds.set(name, id);
      syscallNames.push(name);
    }
    return id;
  }

  function flushPending(): void {
    for (let i = 0; i < pending; i++) tick(syscallNames[pendingSys[i]!]!, pendingMs[i]!, 1);
    pending = 0;
  }

  function fine(e: FineKey): Fine {
    let bySyscall = fines.get(e.workload);
    if (!bySyscall) fines.set(e.workload, (bySyscall = new Map()));
    let bySite = bySyscall.get(e.syscall);
    if (!bySite) bySyscall.set(e.syscall, (bySite = new Map()));
    let list = bySite.get(e.callSite);
    if (!list) bySite.set(e.callSite, (list = []));
    for (const f of list) {
      const k = f.key;
      if (k.action === e.action && k.errno === e.errno && k.outcome === e.outcome && k.exe === e.exe) return f;
    }
    const f: Fine = {
      key: { ...e },
      cell: cell(e.workload, e.syscall, e.action, e.errno, e.outcome),
      site: site(e.callSite || '(unknown)', e.syscall, e.exe, e.workload, 0),
      sys: syscallId(e.syscall),
      lastPid: -1,
      lastHost: '',
    };
    list.push(f);
    return f;
  }

  function addFine(f: Fine, producer: string, seq: number, host: string, pid: number, ms: number, calls = 1): boolean {
    if (!dedupe.acceptId(producer, seq)) {
      duplicates++;
      return false;
    }
    events += calls;
    const c = f.cell;
    c.count += calls;
    f.site.count += calls;
    if (pid !== f.lastPid || host !== f.lastHost) {
      let onHost = c.pids.get(host);
      if (!onHost) c.pids.set(host, (onHost = new Set()));
      onHost.add(pid);
      c.hosts.add(host);
      f.lastPid = pid;
      f.lastHost = host;
    }
    if (ms < c.first) c.first = ms;
    if (ms > c.last) c.last = ms;
    if (ms < minMs) minMs = ms;
    if (ms > maxMs) maxMs = ms;
    if (calls !== 1) {
      // A count record (a hot loop counted at the source): all its calls at its time.
      tick(f.key.syscall, ms, calls);
      return true;
    }
    pushPending(ms, f.sys);
    return true;
  }

  function pushPending(ms: number, sys: number): void {
    if (pending === pendingMs.length) {
      if (pending === PENDING) flushPending();
      else {
        const n = Math.min(PENDING, Math.max(1024, pending * 2));
        const a = new Float64Array(n);
        a.set(pendingMs);
        pendingMs = a;
        const b = new Int32Array(n);
        b.set(pendingSys);
        pendingSys = b;
      }
    }
    pendingMs[pending] = ms;
    pendingSys[pending++] = sys;
  }

  function buildTimeline(): Timeline {
    if (!Number.isFinite(minMs)) return { bucketMs: 1000, startMs: 0, buckets: 0, series: [] };
    const span = maxMs - minMs + 1;
    const bucketMs = STEPS_MS.find((s) => s >= resolutionMs && span / s <= targetBuckets) ?? Math.max(resolutionMs, Math.ceil(span / targetBuckets));
    const startMs = Math.floor(minMs / bucketMs) * bucketMs;
    // At least 12 buckets drawn, so one burst is a bar, not the whole chart.
    const buckets = Math.max(12, Math.floor((maxMs - startMs) / bucketMs) + 1);
    const bySys = new Map<string, { syscall: string; total: number; counts: number[] }>();
    const series = (syscall: string) => {
      let x = bySys.get(syscall);
      if (!x) bySys.set(syscall, (x = { syscall, total: 0, counts: new Array<number>(buckets).fill(0) }));
      return x;
    };
    for (const [syscall, m] of timeline) {
      const x = series(syscall);
      for (const [ms, n] of m) {
        x.counts[Math.floor((ms - startMs) / bucketMs)]! += n;
        x.total += n;
      }
    }
    const direct = syscallNames.map((name) => series(name));
    for (let i = 0; i < pending; i++) {
      const x = direct[pendingSys[i]!]!;
      x.counts[Math.floor((pendingMs[i]! - startMs) / bucketMs)]!++;
      x.total++;
    }
    const all = [...bySys.values()].filter((x) => x.total > 0);
    all.sort((a, b) => b.total - a.total || a.syscall.localeCompare(b.syscall));
    // "other" only when it stands for two or more syscalls; one would just be named.
    if (all.length <= topSyscalls + 1) return { bucketMs, startMs, buckets, series: all };
    const other = { syscall: 'other', total: 0, counts: new Array<number>(buckets).fill(0) };
    for (const s of all.slice(topSyscalls)) {
      other.total += s.total;
      s.counts.forEach((n, i) => (other.counts[i]! += n));
    }
    return { bucketMs, startMs, buckets, series: [...all.slice(0, topSyscalls), other] };
  }

  return {
    add(e) {
      const p = prev;
      let f: Fine;
      if (
        p &&
        p.e.syscall === e.syscall &&
        p.e.workload === e.workload &&
        p.e.exe === e.exe &&
        p.e.callSite === e.callSite &&
        p.e.action === e.action &&
        p.e.outcome === e.outcome &&
        p.e.errno === e.errno
      ) {
        f = p.f;
      } else {
        f = fine({ workload: e.workload || e.exe || 'unknown', syscall: e.syscall, action: e.action, errno: e.errno, outcome: e.outcome, callSite: e.callSite, exe: e.exe });
        prev = { e, f };
      }
      if (e.mode && !modes.has(e.mode)) modes.add(e.mode);
      const hash = (e as { policyHash?: string }).policyHash;
      if (hash && !policyHashes.has(hash)) policyHashes.add(hash);
      return addFine(f, producerId(e), e.seq, e.host, e.pid, nsToMs(e.timeNs, e.time), eventCalls(e));
    },
    resolve(k) {
      return fine(k) as unknown as FineHandle;
    },
    addResolved(h, producer, seq, host, pid, ms, calls) {
      return addFine(h as unknown as Fine, producer, seq, host, pid, ms, calls);
    },
    addColumns(x) {
      // addFine, event by event, with the running totals in locals (written back at the end).
      const handles = x.handles as unknown as readonly Fine[];
      const { producers, fine: fineCol, producer: producerCol, seq, pid: pidCol, ms: msCol, calls: callsCol, n } = x;
      // The running total itself (not a chunk sum added at the end): past 2^53
      // the additions must happen in addFine's order to round alike.
      let total = events;
      let dups = 0;
      let lo = minMs;
      let hi = maxMs;
      for (let i = 0; i < n; i++) {
        const p = producers[producerCol[i]!]!;
        if (!dedupe.acceptId(p.id, seq[i]!)) {
          dups++;
          continue;
        }
        const f = handles[fineCol[i]!]!;
        const calls = callsCol[i]!;
        const ms = msCol[i]!;
        const pid = pidCol[i]!;
        total += calls;
        const c = f.cell;
        c.count += calls;
        f.site.count += calls;
        if (pid !== f.lastPid || p.host !== f.lastHost) {
          let onHost = c.pids.get(p.host);
          if (!onHost) c.pids.set(p.host, (onHost = new Set()));
          onHost.add(pid);
          c.hosts.add(p.host);
          f.lastPid = pid;
          f.lastHost = p.host;
        }
        if (ms < c.first) c.first = ms;
        if (ms > c.last) c.last = ms;
        if (ms < lo) lo = ms;
        if (ms > hi) hi = ms;
        // A count record (a hot loop counted at the source): all its calls at its time.
        if (calls !== 1) tick(f.key.syscall, ms, calls);
        else pushPending(ms, f.sys);
      }
      events = total;
      duplicates += dups;
      if (lo < minMs) minMs = lo;
      if (hi > maxMs) maxMs = hi;
    },
    noteMode(mode) {
      if (mode) modes.add(mode);
    },
    notePolicyHash(hash) {
      if (hash) policyHashes.add(hash);
    },
    policyHashes() {
      return [...policyHashes].sort();
    },
    addRow(r) {
      const c = cell(r.workload, r.syscall, r.action, -1, r.outcome);
      c.count += r.count;
      events += r.count;
      for (const h of r.hosts) c.hosts.add(h);
      const f = nsToMs(r.firstSeenNs);
      const l = nsToMs(r.lastSeenNs);
      if (f < c.first) c.first = f;
      if (l > c.last) c.last = l;
    },
    addTimeline(syscall, ms, count, bucketMs = 1) {
      if (bucketMs > resolutionMs) resolutionMs = bucketMs;
      tick(syscall, ms, count);
    },
    addCallSite(c) {
      site(c.callSite, c.syscall, c.exe, c.workload, c.count);
    },
    get events() {
      return events;
    },
    build(meta) {
      const list = [...cells.values()];
      const rows: ModelRow[] = list
        .map((c) => ({
          workload: c.workload,
          syscall: c.syscall,
          action: c.action,
          // errno 0: an audit-mode event (the call ran), the profile's errno is not recorded.
          actionText: c.errno <= 0 ? c.action : describeAction(c.action, c.errno),
          outcome: c.outcome,
          count: c.count,
          processes: countPids(c.pids),
          hosts: c.hosts.size,
          firstSeen: Number.isFinite(c.first) ? iso(c.first) : '',
          lastSeen: Number.isFinite(c.last) ? iso(c.last) : '',
        }))
        .sort((a, b) => a.workload.localeCompare(b.workload) || b.count - a.count || a.syscall.localeCompare(b.syscall));
      const callSites = [...sites.values()]
        .sort((a, b) => b.count - a.count || a.callSite.localeCompare(b.callSite))
        .slice(0, topCallSites)
        .map((s) => ({ callSite: s.callSite, syscall: s.syscall, exe: s.exe, workloads: s.workloads.size, count: s.count }));
      const pids = new Map<string, Set<number>>();
      const hosts = new Set<string>();
      let first = Infinity;
      let last = -Infinity;
      for (const c of list) {
        for (const [h, set] of c.pids) {
          let all = pids.get(h);
          if (!all) pids.set(h, (all = new Set()));
          for (const p of set) all.add(p);
        }
        for (const h of c.hosts) hosts.add(h);
        if (c.first < first) first = c.first;
        if (c.last > last) last = c.last;
      }
      const denied = [...new Set(list.filter((c) => DENYING.has(c.action)).map((c) => c.syscall))].sort();
      const model: ReportModel = {
        title: meta.title,
        source: meta.source,
        generatedAt: new Date().toISOString(),
        events,
        duplicates: meta.duplicates ?? duplicates,
        syscalls: new Set(list.map((c) => c.syscall)).size,
        workloads: new Set(list.map((c) => c.workload)).size,
        processes: countPids(pids),
        hosts: hosts.size,
        modes: [...modes].sort(),
        ...(Number.isFinite(first) ? { firstSeen: iso(first), lastSeen: iso(last) } : {}),
        rows,
        timeline: buildTimeline(),
        callSites,
        denied,
        verdict: { level: 'pass', headline: '', details: [] },
        ...(meta.run ? { run: meta.run } : {}),
      };
      model.verdict = verdictOf(model);
      return model;
    },
  };
}

/**
 * The verdict a reader acts on: FAIL when a call was denied or a process
 * killed (the workload does not work under this profile), WARN when calls
 * ran only because of audit/log mode (it would fail under enforce) or events
 * were lost, PASS otherwise.
 */
export function verdictOf(m: ReportModel): Verdict {
  const by = (o: string) => m.rows.filter((r) => r.outcome === o).reduce((n, r) => n + r.count, 0);
  const killed = by('killed');
  const denied = by('denied');
  const wouldDeny = m.rows.filter((r) => r.outcome === 'allowed' && DENYING.has(r.action)).reduce((n, r) => n + r.count, 0);
  const details: string[] = [];
  const scope = `${plural(m.events, 'violation')} of ${plural(m.syscalls, 'syscall')} in ${plural(m.workloads, 'workload')}` + (m.processes ? ` (${plural(m.processes, 'process', 'processes')})` : '');
  if (m.events) details.push(`${scope}.`);
  const lost: string[] = [];
  if (m.run?.dropped) lost.push(`${plural(m.run.dropped, 'event')} dropped (ring full)`);
  if (m.run?.torn) lost.push(plural(m.run.torn, 'torn record'));
  if (m.run?.corrupt) lost.push(plural(m.run.corrupt, 'corrupt record'));
  if (lost.length) details.push(`Events lost: ${lost.join(', ')}; the counts are a lower bound.`);
  if (m.run) details.push(`Workload: ${describeExit(m.run.exit)}.`);
  let level: VerdictLevel;
  let headline: string;
  if (killed || denied || (m.run && m.run.exit.signal === 'SIGSYS')) {
    level = 'fail';
    const parts = [];
    if (denied) parts.push(`${plural(denied, 'call')} denied`);
    if (killed) parts.push(`${plural(killed, 'call')} that killed ${killed === 1 ? 'its' : 'their'} process`);
    if (!parts.length) parts.push('workload killed by seccomp');
    headline = `FAIL: ${parts.join(', ')} — the workload does not run cleanly under this profile`;
  } else if (wouldDeny) {
    level = 'warn';
    headline = `WARN: ${plural(wouldDeny, 'call')} would be denied under enforce (they ran because of audit/log mode)`;
  } else if (m.events) {
    level = lost.length ? 'warn' : 'pass';
    headline = `${lost.length ? 'WARN' : 'PASS'}: only calls the profile allows with logging`;
  } else {
    level = lost.length ? 'warn' : 'pass';
    headline = lost.length ? 'WARN: no violations recorded, but events were lost' : 'PASS: no violations';
  }
  return { level, headline, details };
}
