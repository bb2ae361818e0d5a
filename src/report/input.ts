/**
 * input.ts - what `sigsys report` reads besides the chunks of an events
 * file (parallel.ts): one NDJSON line checked to be an event (the JSON.parse
 * path of the file reader, and the reference for fast-line.ts), and the
 * aggregator's GET /report.  Bad input is one SigsysError naming the place
 * (file:line, or the URL) and the cause, exit 2.
 */
import { SigsysError, describeError } from '../errors.js';
import type { ReportEvent, ReportFold } from './model.js';

const REQUIRED = ['syscall', 'action', 'outcome'] as const;

export interface ReadResult {
  lines: number;
  /** A last line without its newline that did not parse (a writer stopped mid-line): skipped, reported. */
  partialLastLine: boolean;
}

/** One NDJSON line to an event, or the cause why it is not one. */
export function parseEventLine(text: string): ReportEvent | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `not JSON (${describeError(err)})`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object (expected one sigsys event per line)';
  const e = v as Record<string, unknown>;
  for (const k of REQUIRED) if (typeof e[k] !== 'string') return `field "${k}" missing or not a string (is this a sigsys events file?)`;
  if (typeof e.timeNs !== 'string' && typeof e.time !== 'string') return 'neither "timeNs" nor "time" present';
  return e as unknown as ReportEvent;
}

interface AggregateReport {
  events?: number;
  duplicates?: number;
  rows: { workload: string; syscall: string; action: string; outcome: string; count: number; hosts: string[]; firstSeenNs: string; lastSeenNs: string }[];
  timeline?: { bucketMs: number; points: { syscall: string; startNs: string; count: number }[] };
  callSites?: { callSite: string; syscall: string; exe: string; workload: string; count: number }[];
}

/** The aggregator's report URL: the base address or /report itself. */
export function reportUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SigsysError(`--aggregate ${url}: not a URL (expected e.g. http://aggregator:9479)`, { exitCode: 2 });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SigsysError(`--aggregate ${url}: only http and https URLs`, { exitCode: 2 });
  if (!u.pathname.endsWith('/report')) u.pathname = `${u.pathname.replace(/\/+$/, '')}/report`;
  return u;
}

/** GET the aggregator's /report into `fold`; returns the duplicate count it reported. */
export async function readAggregate(url: string, fold: ReportFold, timeoutMs = 30_000): Promise<{ duplicates: number }> {
  const u = reportUrl(url);
  let res: Response;
  try {
    res = await fetch(u, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause ?? err;
    throw new SigsysError(`--aggregate ${u.href}: ${describeError(cause)}`, { exitCode: 1, retriable: true, cause: err });
  }
  if (!res.ok) throw new SigsysError(`--aggregate ${u.href}: HTTP ${res.status} ${res.statusText}`, { exitCode: 1 });
  let body: AggregateReport;
  try {
    body = (await res.json()) as AggregateReport;
  } catch (err) {
    throw new SigsysError(`--aggregate ${u.href}: response is not JSON (${describeError(err)})`, { exitCode: 1 });
  }
  if (!body || !Array.isArray(body.rows)) throw new SigsysError(`--aggregate ${u.href}: no "rows" array (is this a sigsys aggregator?)`, { exitCode: 1 });
  body.rows.forEach((r, i) => {
    if (typeof r?.syscall !== 'string' || typeof r.count !== 'number') throw new SigsysError(`--aggregate ${u.href}: rows[${i}]: missing syscall or count`, { exitCode: 1 });
    fold.addRow({ ...r, hosts: Array.isArray(r.hosts) ? r.hosts : [] });
  });
  for (const p of body.timeline?.points ?? []) fold.addTimeline(p.syscall, Number(p.startNs.slice(0, -6)), p.count, body.timeline!.bucketMs);
  for (const c of body.callSites ?? []) fold.addCallSite(c);
  return { duplicates: body.duplicates ?? 0 };
}
