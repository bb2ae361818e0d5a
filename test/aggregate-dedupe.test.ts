/**
 * Dedup by (host, boot id, ring pid, ring start, seq) and the per-(workload, syscall,
 * action, outcome) fold of `sigsys aggregate`, without Kafka.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDeduper } from '../src/aggregate/dedupe.js';
import { createAggregator, suggestionFileName } from '../src/aggregate/aggregator.js';
import { makeEvent } from './services/kafka/harness.js';

const k = (seq: number, ringPid = 1, host = 'h', bootId = 'b', ringStartNs = '1') => ({ host, bootId, ringPid, ringStartNs, seq });

describe('dedupe', () => {
  it.each([
    ['in-order events are all new', [0, 1, 2, 3, 4], [true, true, true, true, true]],
    ['an exact re-send of a batch is dropped', [0, 1, 2, 0, 1, 2], [true, true, true, false, false, false]],
    ['a resend of a suffix after a crash is dropped, new events after it are kept', [0, 1, 2, 3, 2, 3, 4], [true, true, true, true, false, false, true]],
    ['reordering within the window is accepted once', [0, 3, 1, 2, 1, 3], [true, true, true, true, false, false]],
    ['gaps (events dropped by a full ring) do not swallow later events', [0, 10, 50, 20, 20], [true, true, true, true, false]],
    ['a seq at or below hw - window is treated as already seen', [0, 200, 100, 136, 137], [true, true, false, false, true]],
    ['a jump larger than the window clears it', [5, 10_000, 9_990, 9_990, 5], [true, true, true, false, false]],
  ])('%s', (_name, seqs, want) => {
    const d = createDeduper({ window: 64 });
    expect(seqs.map((s) => d.accept(k(s)))).toEqual(want);
  });

  it.each([
    ['another ring pid', k(7, 2)],
    ['another host', k(7, 1, 'other')],
    ['another boot id (pid reused after reboot)', k(7, 1, 'h', 'b2')],
    ['another ring of the same pid (the image an execve started)', k(7, 1, 'h', 'b', '2')],
  ])('the same seq from %s is a different event', (_name, other) => {
    const d = createDeduper();
    expect(d.accept(k(7))).toBe(true);
    expect(d.accept(other)).toBe(true);
    expect(d.accept(k(7))).toBe(false);
    expect(d.accept(other)).toBe(false);
  });

  it('memory is bounded: least recently seen rings are evicted past maxProducers', () => {
    const d = createDeduper({ maxProducers: 3 });
    for (const pid of [1, 2, 3, 1, 4]) d.accept(k(0, pid));
    expect(d.producers).toBe(3);
    expect(d.evicted).toBe(1);
    expect(d.accept(k(0, 1))).toBe(false); // 1 was touched recently, kept
    expect(d.accept(k(0, 2))).toBe(true); // 2 was the least recent: forgotten
  });

  it('matches an exact set on shuffled-within-window streams with re-sends', () => {
    // Deterministic PRNG: each ring emits 0..N-1, locally shuffled by < window,
    // then random earlier stretches are delivered again.
    let x = 12345;
    const rnd = (n: number) => ((x = (x * 1103515245 + 12345) >>> 0), x % n);
    const d = createDeduper({ window: 256 });
    const exact = new Set<string>();
    let mismatches = 0;
    for (let ring = 0; ring < 5; ring++) {
      // Each seq moves by less than 100 places: sort by i + jitter(0..99).
      const seqs = Array.from({ length: 3000 }, (_, i) => ({ i, at: i + rnd(100) }))
        .sort((a, b) => a.at - b.at)
        .map((s) => s.i);
      const stream: number[] = [];
      for (let i = 0; i < seqs.length; i++) {
        stream.push(seqs[i]!);
        if (rnd(50) === 0) stream.push(...seqs.slice(Math.max(0, i - rnd(200)), i + 1));
      }
      for (const s of stream) {
        const id = `${ring}:${s}`;
        const isNew = !exact.has(id);
        exact.add(id);
        if (d.accept(k(s, ring)) !== isNew) mismatches++;
      }
    }
    expect(exact.size).toBe(15_000);
    expect(mismatches).toBe(0);
  });
});

describe('aggregator', () => {
  it('folds per (workload, syscall, action, outcome) with count, hosts, first/last seen, and drops duplicates', () => {
    const agg = createAggregator();
    const t0 = 1_700_000_000_000_000_000n;
    const evs = [
      makeEvent({ seq: 0, host: 'a', workload: 'web', syscall: 'mount', timeNs: t0 + 5n }),
      makeEvent({ seq: 1, host: 'a', workload: 'web', syscall: 'mount', timeNs: t0 + 1n }),
      makeEvent({ seq: 0, host: 'b', workload: 'web', syscall: 'mount', timeNs: t0 + 9n }),
      makeEvent({ seq: 2, host: 'a', workload: 'web', syscall: 'ptrace', action: 'kill_process', outcome: 'killed', timeNs: t0 }),
      makeEvent({ seq: 3, host: 'a', workload: 'web', syscall: 'getpid', action: 'log', outcome: 'allowed', timeNs: t0 }),
    ];
    for (const e of [...evs, evs[0]!, evs[2]!]) agg.add(e);
    const r = agg.report();
    expect(r.events).toBe(5);
    expect(r.duplicates).toBe(2);
    expect(r.rows[0]).toMatchObject({
      workload: 'web',
      syscall: 'mount',
      action: 'errno',
      outcome: 'denied',
      count: 3,
      hosts: ['a', 'b'],
      firstSeenNs: (t0 + 1n).toString(),
      lastSeenNs: (t0 + 9n).toString(),
    });
    expect(r.rows.map((x) => `${x.syscall}/${x.action}/${x.outcome}/${x.count}`).sort()).toEqual([
      'getpid/log/allowed/1',
      'mount/errno/denied/3',
      'ptrace/kill_process/killed/1',
    ]);
  });

  it('state is per partition: assign() drops what this member lost, reports merge the rest', () => {
    const agg = createAggregator();
    agg.add(makeEvent({ seq: 0, workload: 'a' }), 0);
    agg.add(makeEvent({ seq: 0, workload: 'b', ringPid: 2 }), 1);
    agg.add(makeEvent({ seq: 1, workload: 'b', ringPid: 2 }), 1);
    expect(agg.report()).toMatchObject({ events: 3, partitions: [0, 1] });
    agg.assign([1, 2]);
    const r = agg.report();
    expect(r).toMatchObject({ events: 2, partitions: [1] });
    expect(r.rows.map((x) => x.workload)).toEqual(['b']);
    // A partition replayed from the start after a rebalance counts nothing twice.
    agg.add(makeEvent({ seq: 0, workload: 'b', ringPid: 2 }), 1);
    expect(agg.report()).toMatchObject({ events: 2, duplicates: 1 });
  });

  it('suggestions list per workload the denied syscalls, unioned across replicas, and never allowed/logged ones', async () => {
    const agg = createAggregator();
    let seq = 0;
    const add = (host: string, workload: string, syscall: string, action: Parameters<typeof makeEvent>[0]['action'] = 'errno') =>
      agg.add(makeEvent({ seq: seq++, host, workload, syscall, action, outcome: action === 'log' ? 'allowed' : 'denied' }));
    add('a', 'web', 'mount');
    add('b', 'web', 'unshare');
    add('b', 'web', 'mount');
    add('a', 'web', 'getpid', 'log');
    add('a', 'registry.io/db:1', 'ptrace', 'kill_process');
    add('a', 'registry.io/db:1', 'nr:999');
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-suggest-'));
    const files = await agg.writeSuggestions(dir);
    expect(readdirSync(dir).sort()).toEqual(['registry.io_db_1.json', 'web.json']);
    expect(files).toHaveLength(2);
    const web = JSON.parse(readFileSync(join(dir, 'web.json'), 'utf8'));
    expect(web.comment).toMatch(/^SUGGESTION/);
    expect(web.syscalls).toEqual([expect.objectContaining({ names: ['mount', 'unshare'], action: 'SCMP_ACT_ALLOW' })]);
    expect(web.hosts).toEqual(['a', 'b']);
    const db = JSON.parse(readFileSync(join(dir, suggestionFileName('registry.io/db:1')), 'utf8'));
    expect(db.syscalls[0].names).toEqual(['ptrace']);
    expect(db.unnamed).toEqual(['nr:999']);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('events the collector did not verify', () => {
  it.each([
    ['unverified', 'unverified:uid-1001'],
    ['forged', 'forged:uid-1001'],
  ] as const)('%s events naming a real workload are counted as %s, make no suggestion, and cannot shadow its dedup key', (identity, counted) => {
    const agg = createAggregator();
    // A message that names the real workload "api" and reuses the key of its ring (a hostile or old collector).
    for (let seq = 0; seq < 3; seq++) expect(agg.add(makeEvent({ seq, workload: 'api', syscall: 'mount', identity, writerUid: 1001 }))).toBe(true);
    // The real ring's events, same (host, boot, pid, start, seq): not duplicates.
    for (let seq = 0; seq < 3; seq++) expect(agg.add(makeEvent({ seq, workload: 'api', syscall: 'ptrace', nr: 101 }))).toBe(true);
    expect(agg.report().rows.map((r) => [r.workload, r.identity, r.syscall, r.count])).toEqual([
      ['api', 'verified', 'ptrace', 3],
      [counted, identity, 'mount', 3],
    ]);
    expect(agg.suggestions().map((s) => [s.workload, s.syscalls[0]!.names])).toEqual([['api', ['ptrace']]]);
  });
});
