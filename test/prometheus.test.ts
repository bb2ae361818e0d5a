/**
 * Metrics: a real Prometheus server (Debian's package) scrapes the sigsys
 * metrics server and answers PromQL with the counts the sink recorded; the
 * workload label is capped so 10,000 workloads do not become 10,000 series;
 * /healthz reflects sink health.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type SigsysMetrics } from '../src/metrics.js';
import { createPrometheusSink, startMetricsServer, type MetricsServer } from '../src/sinks/prometheus.js';
import { eventCalls, type ViolationEvent } from '../src/events/types.js';
import { startPrometheus, type PrometheusServer } from './services/prometheus/prometheus.js';

function event(over: Partial<ViolationEvent>): ViolationEvent {
  return {
    time: '2026-01-01T00:00:00.000Z', timeNs: '1767225600000000000', host: 'h', bootId: 'b', ringPid: 1, ringStartNs: '1', seq: 0, pid: 1, tid: 1,
    comm: 'c', exe: '/bin/c', syscall: 'acct', nr: 163, arch: 'x86_64', args: [], ip: '0x0', callSite: '0x0',
    action: 'errno', outcome: 'denied', errno: 1, mode: 'enforce', containerId: '', pod: '', namespace: '', workload: '/bin/c', policyHash: '',
    ...over,
  };
}

describe('prometheus sink scraped by a real Prometheus', () => {
  let metrics: SigsysMetrics;
  let server: MetricsServer;
  let prom: PrometheusServer;

  beforeAll(async () => {
    metrics = createMetrics();
    server = await startMetricsServer({ metrics, port: 0 });
    prom = await startPrometheus({ targets: [`127.0.0.1:${server.port}`] });
  });
  afterAll(async () => {
    await prom?.stop();
    await server?.close();
  });

  it('PromQL returns the violation counts the sink recorded, per label set', async () => {
    const sink = createPrometheusSink({ metrics });
    await sink.write([
      ...Array.from({ length: 3 }, () => event({ syscall: 'acct' })),
      event({ syscall: 'keyctl', workload: 'web' }),
      event({ syscall: 'keyctl', workload: 'web', action: 'kill_process', outcome: 'killed' }),
    ]);
    metrics.dropped.inc(7);
    const acct = await prom.waitFor('sigsys_violations_total{syscall="acct"}', (r) => r.length === 1 && r[0]!.value === 3);
    expect(acct[0]!.metric).toMatchObject({ syscall: 'acct', action: 'errno', outcome: 'denied', workload: '/bin/c', job: 'sigsys' });
    const keyctl = await prom.waitFor('sum by (outcome) (sigsys_violations_total{syscall="keyctl",workload="web"})', (r) => r.length === 2);
    expect(Object.fromEntries(keyctl.map((s) => [s.metric.outcome, s.value]))).toEqual({ denied: 1, killed: 1 });
    await prom.waitFor('sigsys_events_dropped_total', (r) => r[0]?.value === 7);
    // default process metrics are there too
    await prom.waitFor('process_resident_memory_bytes', (r) => (r[0]?.value ?? 0) > 0);
    const [target] = await prom.targets();
    expect(target).toMatchObject({ health: 'up', lastError: '' });
  });
});

describe('label cardinality', () => {
  it('10,000 distinct workloads make at most cap + 1 series; the rest is counted under "other"', async () => {
    const metrics = createMetrics({ defaultMetrics: false, labelCaps: { workload: 100 } });
    const sink = createPrometheusSink({ metrics });
    await sink.write(Array.from({ length: 10_000 }, (_, i) => event({ workload: `w${i}` })));
    const series = (await metrics.violations.get()).values;
    expect(series.length).toBe(101);
    const other = series.find((s) => s.labels.workload === 'other');
    expect(other?.value).toBe(9_900);
    expect(series.reduce((n, s) => n + s.value, 0)).toBe(10_000);
    const overflow = (await metrics.labelOverflow.get()).values.find((s) => s.labels.label === 'workload');
    expect(overflow?.value).toBe(9_900);
  });

  it.each([
    ['syscall', { syscall: 4 }, (i: number) => ({ syscall: `s${i}` })],
    ['action', { action: 2 }, (i: number) => ({ action: `a${i}` as ViolationEvent['action'] })],
  ])('every label is capped: %s', async (label, caps, make) => {
    const metrics = createMetrics({ defaultMetrics: false, labelCaps: caps });
    const sink = createPrometheusSink({ metrics });
    await sink.write(Array.from({ length: 50 }, (_, i) => event(make(i))));
    const values = new Set((await metrics.violations.get()).values.map((s) => s.labels[label as 'syscall']));
    expect(values.size).toBe(Object.values(caps)[0]! + 1);
    expect(values.has('other')).toBe(true);
  });
});

describe('batch tallies', () => {
  // The sink's grouping before it stopped building a key string per event:
  // one countViolation per distinct label set, in first-seen order.
  function countByKey(metrics: SigsysMetrics, events: readonly ViolationEvent[]): void {
    const counts = new Map<string, { ev: ViolationEvent; n: number }>();
    for (const ev of events) {
      const key = `${ev.syscall}\0${ev.action}\0${ev.outcome}\0${ev.workload}\0${ev.identity}`;
      const c = counts.get(key);
      if (c) c.n += eventCalls(ev);
      else counts.set(key, { ev, n: eventCalls(ev) });
    }
    for (const { ev, n } of counts.values()) metrics.countViolation(ev, n);
  }

  it.each([
    ['no caps reached', {}],
    ['every label capped tight (first-seen values kept, overflow counted per label set)', { syscall: 2, action: 2, outcome: 1, workload: 2 }],
  ])('series, values and overflow counts equal one increment per distinct label set: %s', async (_n, labelCaps) => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const batches = Array.from({ length: 5 }, () =>
      Array.from({ length: 400 }, () =>
        event({
          syscall: ['read', 'write', 'open', 'acct'][rand(4)],
          workload: ['w1', 'w2', 'w3'][rand(3)],
          action: (['errno', 'kill_process', 'trap'] as const)[rand(3)],
          outcome: (['denied', 'killed'] as const)[rand(2)],
          identity: (['verified', 'unverified', undefined] as const)[rand(3)],
          ...(rand(4) === 0 ? { repeat: 1 + rand(1000) } : {}),
        }),
      ),
    );
    const got = createMetrics({ defaultMetrics: false, labelCaps });
    const want = createMetrics({ defaultMetrics: false, labelCaps });
    const sink = createPrometheusSink({ metrics: got });
    for (const b of batches) {
      await sink.write(b);
      countByKey(want, b);
    }
    expect(await got.registry.metrics()).toBe(await want.registry.metrics());
    const total = (await got.violations.get()).values.reduce((n, s) => n + s.value, 0);
    expect(total).toBe(batches.flat().reduce((n, e) => n + eventCalls(e), 0));
  });
});

describe('the metrics dashboards and alerts rely on', () => {
  it.each([
    ['sigsys_violations_total', 'counter'],
    ['sigsys_events_dropped_total', 'counter'],
    ['sigsys_spool_lag_events', 'gauge'],
    ['sigsys_kafka_delivered_total', 'counter'],
    ['sigsys_kafka_errors_total', 'counter'],
    ['sigsys_corrupt_records_total', 'counter'],
    ['sigsys_torn_records_total', 'counter'],
    ['process_cpu_seconds_total', 'counter'],
    ['process_resident_memory_bytes', 'gauge'],
  ])('%s is exposed as a %s', async (name, type) => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).toContain(`# TYPE ${name} ${type}`);
  });
});

describe('metrics server endpoints', () => {
  it.each([
    ['healthy sinks give 200 on /healthz', 'ok' as const, 200],
    ['a degraded sink gives 503 on /healthz', 'degraded' as const, 503],
  ])('%s', async (_n, health, status) => {
    const metrics = createMetrics({ defaultMetrics: false });
    const server = await startMetricsServer({ metrics, port: 0, health: () => ({ ndjson: 'ok', kafka: health }) });
    try {
      const r = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect(r.status).toBe(status);
      expect(await r.json()).toEqual({ status: health, sinks: { ndjson: 'ok', kafka: health } });
      const m = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(await m.text()).toContain('# TYPE sigsys_violations_total counter');
      expect((await fetch(`http://127.0.0.1:${server.port}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
