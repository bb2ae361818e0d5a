/**
 * report.ts - the terminal summary of `sigsys run`: a sink that tallies
 * events per (syscall, action, outcome) and renders them as a table plus a
 * one-line verdict, or as JSON (`--json`).
 */
import { constants } from 'node:os';
import { eventCalls, type ViolationEvent } from '../events/types.js';
import type { Sink } from '../sinks/sink.js';
import { createDeduper } from '../aggregate/dedupe.js';

export interface ReportRow {
  syscall: string;
  nr: number;
  count: number;
  action: ViolationEvent['action'];
  outcome: ViolationEvent['outcome'];
  errno: number;
  /** Call site of the first event of this row (lowest time, then seq). */
  firstCallSite: string;
  firstTime: string;
  pids: number[];
}

export interface ExitInfo {
  /** Exit code when the workload exited normally. */
  code: number | null;
  /** Signal name when it was killed. */
  signal: NodeJS.Signals | null;
  /** What sigsys itself exits with (code, or 128 + signal number). */
  status: number;
}

export interface ReportSummary {
  violations: number;
  syscalls: number;
  processes: number;
  mode: string;
  profile: string;
  rows: ReportRow[];
  dropped: number;
  corrupt: number;
  torn: number;
  exit?: ExitInfo;
}

export interface ReportSink extends Sink {
  rows(): ReportRow[];
  summary(extra: { mode: string; profile: string; exit?: ExitInfo; dropped?: number; corrupt?: number; torn?: number }): ReportSummary;
}

interface Row extends Omit<ReportRow, 'pids'> {
  pids: Set<number>;
  firstNs: bigint;
}

export function createReportSink(): ReportSink {
  const rows = new Map<string, Row>();
  const pids = new Set<number>();
  // A batch delivered again (another sink failed and the collector retried
  // it) is counted once, as consumers of the other sinks do.
  const dedupe = createDeduper();
  const list = (): ReportRow[] =>
    [...rows.values()]
      .sort((a, b) => b.count - a.count || a.syscall.localeCompare(b.syscall) || a.action.localeCompare(b.action))
      .map(({ pids: p, firstNs: _f, ...r }) => ({ ...r, pids: [...p].sort((x, y) => x - y) }));
  return {
    name: 'report',
    async write(events) {
      for (const ev of events) {
        if (!dedupe.accept(ev)) continue;
        const key = `${ev.syscall}\0${ev.action}\0${ev.outcome}\0${ev.errno}`;
        const ns = BigInt(ev.timeNs || '0');
        let row = rows.get(key);
        if (!row) {
          row = { syscall: ev.syscall, nr: ev.nr, count: 0, action: ev.action, outcome: ev.outcome, errno: ev.errno, firstCallSite: ev.callSite, firstTime: ev.time, pids: new Set(), firstNs: ns };
          rows.set(key, row);
        } else if (ns < row.firstNs) {
          row.firstNs = ns;
          row.firstCallSite = ev.callSite;
          row.firstTime = ev.time;
        }
        row.count += eventCalls(ev); // a count record stands for `repeat` calls
        row.pids.add(ev.pid);
        pids.add(ev.pid);
      }
    },
    async close() {},
    rows: list,
    summary(extra) {
      const r = list();
      return {
        violations: r.reduce((n, x) => n + x.count, 0),
        syscalls: new Set(r.map((x) => x.syscall)).size,
        processes: pids.size,
        mode: extra.mode,
        profile: extra.profile,
        rows: r,
        dropped: extra.dropped ?? 0,
        corrupt: extra.corrupt ?? 0,
        torn: extra.torn ?? 0,
        ...(extra.exit ? { exit: extra.exit } : {}),
      };
    },
  };
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** "errno(EPERM)", "kill_process", ... */
export function describeAction(action: string, errno: number): string {
  if (action === 'errno') return `errno(${ERRNO_NAMES.get(errno) ?? errno})`;
  return action;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** How the workload ended, in words. */
export function describeExit(exit: ExitInfo): string {
  if (exit.signal === 'SIGSYS') return `killed by seccomp (SIGSYS), exit status ${exit.status}`;
  if (exit.signal) return `killed by signal ${exit.signal}, exit status ${exit.status}`;
  return `exit status ${exit.status}`;
}

export function verdictLine(s: ReportSummary): string {
  const what =
    s.violations === 0
      ? 'no violations'
      : `${plural(s.violations, 'violation')} of ${plural(s.syscalls, 'syscall')} in ${plural(s.processes, 'process', 'processes')}`;
  const lost: string[] = [];
  if (s.dropped) lost.push(`${plural(s.dropped, 'event')} dropped (ring full)`);
  if (s.torn) lost.push(`${plural(s.torn, 'torn record')}`);
  if (s.corrupt) lost.push(`${plural(s.corrupt, 'corrupt record')}`);
  const extra = lost.length ? `; ${lost.join(', ')}` : '';
  const exit = s.exit ? `; ${describeExit(s.exit)}` : '';
  return `sigsys: ${what} (${s.mode}, profile ${s.profile})${extra}${exit}`;
}

/** The table (empty string when there is nothing to show) followed by the verdict line. */
export function renderReport(s: ReportSummary): string {
  const out: string[] = [];
  if (s.rows.length) {
    const head = ['SYSCALL', 'COUNT', 'ACTION', 'OUTCOME', 'FIRST CALL SITE'];
    const body = s.rows.map((r) => [r.syscall, String(r.count), describeAction(r.action, r.errno), r.outcome, r.firstCallSite]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const fmt = (cells: string[]) =>
      cells
        .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    out.push(fmt(head), ...body.map(fmt));
  }
  out.push(verdictLine(s));
  return out.join('\n') + '\n';
}
