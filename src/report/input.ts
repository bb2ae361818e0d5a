/**
 * input.ts - the two sources of `sigsys report`: an NDJSON file of events
 * (what `sigsys collect --out` and `sigsys run --out` write) and the
 * aggregator's GET /report.  Both feed a ReportFold; bad input is one
 * SigsysError naming the place (file:line, or the URL) and the cause, exit 2.
 */
import { isAscii } from 'node:buffer';
import { open } from 'node:fs/promises';
import { SigsysError, describeError } from '../errors.js';
import type { ReportEvent, ReportFold } from './model.js';

const CHUNK = 4 << 20;
const REQUIRED = ['syscall', 'action', 'outcome'] as const;

export interface ReadResult {
  lines: number;
  /** A last line without its newline that did not parse (a writer stopped mid-line): skipped, reported. */
  partialLastLine: boolean;
}

function badLine(file: string, line: number, cause: string): SigsysError {
  return new SigsysError(`${file}:${line}: ${cause}`, { exitCode: 2 });
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

/** One NDJSON line to an event, or a precise error. */
function parseLine(text: string, file: string, line: number): ReportEvent {
  const r = parseEventLine(text);
  if (typeof r === 'string') throw badLine(file, line, r);
  return r;
}

/**
 * Stream `file` into `fold`, line by line in 4 MiB chunks (a 1M-event file
 * is ~700 MB: it is never held whole).
 */
export async function readEventsFile(file: string, fold: ReportFold): Promise<ReadResult> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  }
  let lines = 0;
  let rest = '';
  try {
    // A chunk can end inside a line (or a multi-byte UTF-8 character): the
    // bytes after the last newline move to the front of the buffer and the
    // next read appends to them.
    let buf = Buffer.allocUnsafe(CHUNK);
    let carry = 0;
    for (;;) {
      if (carry === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null);
      if (bytesRead === 0) break;
      const end = carry + bytesRead;
      const nl = buf.lastIndexOf(10, end - 1);
      if (nl === -1) {
        carry = end;
        continue;
      }
      // An all-ASCII chunk (the usual case) decodes faster as latin1, to the same string.
      const text = buf.toString(isAscii(buf.subarray(0, nl + 1)) ? 'latin1' : 'utf8', 0, nl + 1);
      buf.copy(buf, 0, nl + 1, end);
      carry = end - nl - 1;
      let i = 0;
      let j: number;
      while ((j = text.indexOf('\n', i)) !== -1) {
        lines++;
        if (j > i) {
          const s = text.slice(i, j);
          if (s.trim()) fold.add(parseLine(s, file, lines));
        }
        i = j + 1;
      }
    }
    rest = buf.toString('utf8', 0, carry);
  } catch (err) {
    if (err instanceof SigsysError) throw err;
    throw new SigsysError(`${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
  } finally {
    await fh.close();
  }
  let partialLastLine = false;
  if (rest.trim()) {
    lines++;
    let ev: ReportEvent | undefined;
    try {
      ev = parseLine(rest, file, lines);
    } catch {
      partialLastLine = true;
    }
    if (ev) fold.add(ev);
  }
  return { lines, partialLastLine };
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
