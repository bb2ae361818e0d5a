/**
 * The collector's local sinks: NDJSON lines are exactly the events (in
 * order, appended across restarts, readable as soon as write() resolved) and
 * the `sigsys run` report table/verdict/JSON say what happened.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNdjsonSink } from '../src/sinks/ndjson.js';
import { createReportSink, renderReport, verdictLine } from '../src/report/report.js';
import type { ViolationEvent } from '../src/events/types.js';
import { sampleEvent } from './fixtures/events.js';

const event = sampleEvent;

describe('NDJSON sink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigsys-ndjson-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([['interval' as const], ['always' as const], ['never' as const]])(
    'fsync=%s: lines are in the file when write() resolves, exactly the events, appended across sinks',
    async (fsync) => {
      const path = join(dir, 'events.ndjson');
      const a = createNdjsonSink({ path, fsync });
      const batch1 = [event({ seq: 0 }), event({ seq: 1, syscall: 'keyctl', nr: 250 })];
      await a.write(batch1);
      expect((await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(batch1);
      await a.close();
      const b = createNdjsonSink({ path, fsync });
      await b.write([event({ seq: 2 })]);
      await b.close();
      const lines = (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as ViolationEvent);
      expect(lines.map((l) => l.seq)).toEqual([0, 1, 2]);
      expect(Object.keys(lines[0]!)).toEqual(Object.keys(event({})));
    },
  );

  it.each([
    ['a partial last line (collector killed mid-append) is cut back to the last complete line', 'complete', '{"time":"202', 1],
    ['a file that is one partial line is emptied', '', '{"seq":7,"tim', 0],
    ['a file of complete lines is left as it was', 'complete', '', 1],
  ])('reopening: %s', async (_name, before, tail, kept) => {
    const path = join(dir, 'torn.ndjson');
    const head = before ? JSON.stringify(event({ seq: 0 })) + '\n' : '';
    await writeFile(path, head + tail);
    const s = createNdjsonSink({ path });
    await s.write([event({ seq: 1 })]);
    await s.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as ViolationEvent);
    expect(lines.map((l) => l.seq)).toEqual([...(kept ? [0] : []), 1]);
  });

  it('write after close rejects, so the collector keeps the cursor', async () => {
    const s = createNdjsonSink({ path: join(dir, 'x.ndjson') });
    await s.close();
    await expect(s.write([event({})])).rejects.toThrow(/closed/);
  });

  it('an unwritable path rejects the write and reports degraded health', async () => {
    const s = createNdjsonSink({ path: join(dir, 'no', 'such', 'dir.ndjson') });
    await expect(s.write([event({})])).rejects.toThrow(/ENOENT/);
    expect(s.health?.()).toBe('degraded');
  });
});

describe('run report', () => {
  it('tallies per syscall/action/outcome with the earliest call site, sorted by count', async () => {
    const r = createReportSink();
    await r.write([
      event({ syscall: 'keyctl', timeNs: '20', callSite: 'c+0x20', pid: 11, seq: 0 }),
      event({ syscall: 'acct', timeNs: '30', callSite: 'c+0x30', seq: 1 }),
      event({ syscall: 'acct', timeNs: '10', callSite: 'c+0x10', seq: 2 }),
      event({ syscall: 'acct', timeNs: '40', callSite: 'c+0x40', seq: 3 }),
    ]);
    const s = r.summary({ mode: 'enforce', profile: 'default.json', exit: { code: 0, signal: null, status: 0 } });
    expect(s.rows.map((x) => [x.syscall, x.count, x.firstCallSite, x.pids])).toEqual([
      ['acct', 3, 'c+0x10', [10]],
      ['keyctl', 1, 'c+0x20', [11]],
    ]);
    expect(renderReport(s)).toBe(
      [
        'SYSCALL  COUNT  ACTION        OUTCOME  FIRST CALL SITE',
        'acct         3  errno(EPERM)  denied   c+0x10',
        'keyctl       1  errno(EPERM)  denied   c+0x20',
        'sigsys: 4 violations of 2 syscalls in 2 processes (enforce, profile default.json); exit status 0',
        '',
      ].join('\n'),
    );
  });

  it('the report sink counts a batch delivered twice (another sink failed, the collector retried) once; count records count their repeat', async () => {
    const r = createReportSink();
    const batch = [event({ seq: 0 }), event({ seq: 1, repeat: 500 }), event({ seq: 2, syscall: 'keyctl', nr: 250 })];
    await r.write(batch);
    await r.write(batch);
    const s = r.summary({ mode: 'enforce', profile: 'p.json' });
    expect(s.rows.map((x) => [x.syscall, x.count])).toEqual([
      ['acct', 501],
      ['keyctl', 1],
    ]);
    expect(s.violations).toBe(502);
  });

  it.each([
    ['no violations, clean exit', [], { code: 0, signal: null, status: 0 }, 'sigsys: no violations (audit, profile p.json); exit status 0'],
    ['killed by seccomp', [event({ action: 'kill_process', outcome: 'killed' })], { code: null, signal: 'SIGSYS' as const, status: 159 },
      'sigsys: 1 violation of 1 syscall in 1 process (audit, profile p.json); killed by seccomp (SIGSYS), exit status 159'],
    ['killed by another signal', [], { code: null, signal: 'SIGTERM' as const, status: 143 },
      'sigsys: no violations (audit, profile p.json); killed by signal SIGTERM, exit status 143'],
  ])('verdict: %s', async (_n, events, exit, want) => {
    const r = createReportSink();
    await r.write(events);
    expect(verdictLine(r.summary({ mode: 'audit', profile: 'p.json', exit }))).toBe(want);
  });

  it('mentions lost events in the verdict', () => {
    const r = createReportSink();
    expect(verdictLine(r.summary({ mode: 'enforce', profile: 'p', dropped: 2, torn: 1 }))).toBe(
      'sigsys: no violations (enforce, profile p); 2 events dropped (ring full), 1 torn record',
    );
  });
});
