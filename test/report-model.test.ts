/**
 * report-model.test.ts - the report's fold without a browser: the verdict
 * for each kind of event set, the chart's bucket width and "other" series,
 * and the parallel NDJSON reader (worker threads) giving exactly the
 * sequential reader's model and errors, duplicates and line numbers
 * included.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { producerId } from '../src/aggregate/dedupe.js';
import { eventCalls, type ViolationEvent } from '../src/events/types.js';
import { createReportFold, type ReportModel } from '../src/report/model.js';
import { ensureDist, root } from './collector-helpers.js';

// The parallel reader starts worker threads from compiled JS: use the built tree.
type PageModule = typeof import('../src/report/page.js');
let buildReportPage: PageModule['buildReportPage'];

const fixture = join(root, 'test/fixtures/report/events.ndjson');
let dir: string;
let big: string;

beforeAll(async () => {
  const main = await ensureDist();
  ({ buildReportPage } = (await import(join(dirname(main), '..', 'report', 'page.js'))) as PageModule);
  dir = await mkdtemp(join(tmpdir(), 'sigsys-report-model-'));
  // 30k events from the bench generator (bursts, 24 workloads, 40 syscalls), plus re-delivered duplicates.
  big = join(dir, 'events.ndjson');
  execFileSync(process.execPath, [join(root, 'bench/report/gen-events.mjs'), '30000', big]);
  const lines = (await readFile(big, 'utf8')).split('\n');
  await appendFile(big, lines.slice(100, 400).join('\n') + '\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 11, 1, 10);
function ev(over: Partial<ViolationEvent> & { ms?: number }): ViolationEvent {
  const ms = over.ms ?? 0;
  return {
    time: new Date(T0 + ms).toISOString(), timeNs: `${T0 + ms}000000`, host: 'h', bootId: 'b', ringPid: 1, ringStartNs: '1', seq: ms, pid: 1, tid: 1,
    comm: 'x', exe: '/x', syscall: 'openat', nr: 257, arch: 'x86_64', args: [], ip: '0x0', callSite: 'x+0x1', action: 'errno', outcome: 'denied',
    errno: 1, mode: 'enforce', containerId: '', pod: '', namespace: '', workload: 'w', policyHash: '', ...over,
  } as ViolationEvent;
}
function model(events: ViolationEvent[], opts = {}): ReportModel {
  const f = createReportFold(opts);
  for (const e of events) f.add(e);
  return f.build({ title: 't', source: 's' });
}

describe('report model', () => {
  it.each([
    ['no events', [], 'pass', 'PASS: no violations'],
    ['a denied call', [ev({})], 'fail', 'FAIL: 1 call denied — the workload does not run cleanly under this profile'],
    ['a kill', [ev({ action: 'kill_process', outcome: 'killed', errno: 0 })], 'fail', 'FAIL: 1 call that killed its process — the workload does not run cleanly under this profile'],
    ['audit mode only', [ev({ outcome: 'allowed', mode: 'audit', errno: 0 }), ev({ outcome: 'allowed', mode: 'audit', errno: 0, ms: 1 })], 'warn', 'WARN: 2 calls would be denied under enforce (they ran because of audit/log mode)'],
    ['LOG action only', [ev({ action: 'log', outcome: 'allowed', errno: 0 })], 'pass', 'PASS: only calls the profile allows with logging'],
  ])('verdict for %s', (_name, events, level, headline) => {
    const m = model(events as ViolationEvent[]);
    expect(m.verdict.level).toBe(level);
    expect(m.verdict.headline).toBe(headline);
  });

  it('a re-delivered event (same ring, same seq) is counted once', () => {
    const m = model([ev({}), ev({ ms: 1 }), ev({})]);
    expect([m.events, m.duplicates, m.rows[0]!.count]).toEqual([2, 1, 2]);
  });

  it.each([
    [10, 1], // 10 ms span -> 1 ms buckets
    [59_000, 1000],
    [3_540_000, 60_000],
    [3_600_000, 120_000], // 60 min + 1 ms does not fit 60 one-minute buckets
    [7 * 86_400_000, 3 * 3_600_000],
  ])('a span of %i ms is drawn in buckets of %i ms, at most 60 of them', (span, bucketMs) => {
    const m = model([ev({ ms: 0 }), ev({ ms: span })]);
    expect(m.timeline.bucketMs).toBe(bucketMs);
    expect(m.timeline.buckets).toBeLessThanOrEqual(61);
    expect(m.timeline.series[0]!.counts.reduce((a, b) => a + b, 0)).toBe(2);
  });

  // addColumns (the parallel reader's fold of a chunk's columns) must fold exactly as add() event by event.
  it.each([
    { scenario: 're-deliveries in and across chunks', events: [ev({}), ev({ ms: 1 }), ev({}), ev({ ms: 2 }), ev({ ms: 1 })], cut: 2 },
    { scenario: 'count records among single events', events: [ev({ repeat: 5 } as Partial<ViolationEvent>), ev({ ms: 1 }), ev({ ms: 2, repeat: 3 } as Partial<ViolationEvent>)], cut: 1 },
    {
      scenario: 'pids and hosts per row, two rings, one seq in both',
      events: [ev({ pid: 7 }), ev({ ms: 1, host: 'h2', pid: 7 }), ev({ ms: 2, pid: 8 }), ev({ ms: 1, ringPid: 2, pid: 9 }), ev({ ms: 3, pid: 7 })],
      cut: 3,
    },
    { scenario: 'an event before the time range so far, in the second chunk', events: [ev({ ms: 50 }), ev({ ms: 60 }), ev({ ms: 5, seq: 99 })], cut: 2 },
    {
      // Hostile repeat counts: past 2^53 the total rounds, and must round as add() rounds it.
      scenario: 'count records whose total passes 2^53',
      events: [ev({}), ...[1, 2, 3].map((ms) => ev({ ms, repeat: 2 ** 52 + 3 } as Partial<ViolationEvent>))],
      cut: 1,
    },
  ])('columns folded a chunk at a time give the model of add(): $scenario', ({ events, cut }) => {
    const ref = model(events);
    const f = createReportFold();
    const handles: ReturnType<typeof f.resolve>[] = [];
    const producers: { id: string; host: string }[] = [];
    for (const chunk of [events.slice(0, cut), events.slice(cut)]) {
      const n = chunk.length;
      const c = { handles, producers, fine: new Int32Array(n), producer: new Int32Array(n), seq: new Float64Array(n), pid: new Float64Array(n), ms: new Float64Array(n), calls: new Float64Array(n), n };
      chunk.forEach((e, i) => {
        handles.push(f.resolve({ workload: e.workload, syscall: e.syscall, action: e.action, errno: e.errno, outcome: e.outcome, callSite: e.callSite, exe: e.exe }));
        producers.push({ id: producerId(e), host: e.host });
        f.noteMode(e.mode);
        c.fine[i] = handles.length - 1;
        c.producer[i] = producers.length - 1;
        c.seq[i] = e.seq;
        c.pid[i] = e.pid;
        c.ms[i] = Number(e.timeNs.slice(0, -6));
        c.calls[i] = eventCalls(e);
      });
      f.addColumns(c);
    }
    expect({ ...f.build({ title: 't', source: 's' }), generatedAt: '' }).toEqual({ ...ref, generatedAt: '' });
  });

  it('beyond the top syscalls, the rest is one "other" series with their sum', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const events = names.flatMap((s, i) => Array.from({ length: 10 - i }, (_, k) => ev({ syscall: s, ms: i * 100 + k })));
    const m = model(events, { topSyscalls: 2 });
    expect(m.timeline.series.map((s) => [s.syscall, s.total])).toEqual([
      ['a', 10],
      ['b', 9],
      ['other', 8 + 7 + 6],
    ]);
  });
});

describe('parallel NDJSON reader', () => {
  const strip = (m: ReportModel) => ({ ...m, generatedAt: '' });

  it.each([
    ['the fixture', () => fixture],
    ['30k generated events with 300 re-delivered', () => big],
  ])('%s: worker threads give the sequential model exactly', async (_name, file) => {
    const seq = await buildReportPage({ events: file(), workers: 1 });
    const par = await buildReportPage({ events: file(), workers: 3 });
    expect(strip(par.model)).toEqual(strip(seq.model));
    expect(par.html.replace(/Generated by sigsys at \S+/, '')).toBe(seq.html.replace(/Generated by sigsys at \S+/, ''));
  });

  it('30k events: counts add up, the re-delivered ones are dropped', async () => {
    const { model: m } = await buildReportPage({ events: big, workers: 2 });
    expect([m.events, m.duplicates]).toEqual([30000, 300]);
    expect(m.rows.reduce((n, r) => n + r.count, 0)).toBe(30000);
    expect(m.timeline.series.reduce((n, s) => n + s.total, 0)).toBe(30000);
  });

  it.each([1, 2])('non-ASCII (UTF-8) names in a multi-chunk file come out exactly (%i workers)', async (workers) => {
    const utf8 = join(dir, `utf8-${workers}.ndjson`);
    const lines = (await readFile(big, 'utf8')).trimEnd().split('\n');
    let n = 0;
    const out = lines.map((l, i) => {
      if (i % 97 !== 0 || i >= 30000) return l; // not the re-delivered tail (dropped as duplicates)
      n++;
      const e = JSON.parse(l) as ViolationEvent;
      return JSON.stringify({ ...e, workload: 'café/ünïcødé-🚀', syscall: 'openat', action: 'errno', outcome: 'denied', errno: 1 });
    });
    await writeFile(utf8, out.join('\n') + '\n');
    const { model: m } = await buildReportPage({ events: utf8, workers });
    const rows = m.rows.filter((r) => r.workload === 'café/ünïcødé-🚀');
    expect(rows.map((r) => [r.syscall, r.count])).toEqual([['openat', n]]);
    expect(m.rows.some((r) => /Ã|�/.test(r.workload))).toBe(false);
  });

  it.each([1, 2])('a bad line deep in a large file is named with its line number (%i workers)', async (workers) => {
    const bad = join(dir, `bad-${workers}.ndjson`);
    const lines = (await readFile(big, 'utf8')).trimEnd().split('\n');
    lines.splice(25_000, 0, '{"syscall": 1}');
    await writeFile(bad, lines.join('\n') + '\n');
    await expect(buildReportPage({ events: bad, workers })).rejects.toThrow(`${bad}:25001: field "syscall" missing or not a string`);
  });

  it.each([1, 2])('a last line cut mid-write is skipped with a warning (%i workers)', async (workers) => {
    const cut = join(dir, `cut-${workers}.ndjson`);
    const text = await readFile(fixture, 'utf8');
    await writeFile(cut, text + text.split('\n')[0]!.slice(0, 50));
    const page = await buildReportPage({ events: cut, workers });
    expect(page.model.events).toBe(15);
    expect(page.warnings).toEqual([`${cut}:17: last line is incomplete (a writer stopped mid-line); skipped`, expect.stringMatching(/no --profile given/)]);
  });
});
