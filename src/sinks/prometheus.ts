/**
 * prometheus.ts - the metrics of sigsys (prom-client), the sink that counts
 * violations, and the small HTTP server that serves /metrics and /healthz.
 *
 * Metric names are a contract with dashboards and alerts (deploy/grafana,
 * deploy/prometheus; docs/collector.md "Metrics"):
 *   sigsys_violations_total{syscall,action,outcome,workload}
 *   sigsys_events_dropped_total        (producers' ring-full drops)
 *   sigsys_spool_lag_events            (head - cursor, summed over rings)
 *   sigsys_kafka_delivered_total       (incremented by the Kafka sink)
 *   sigsys_kafka_errors_total          (incremented by the Kafka sink)
 * plus the collector's own health counters (corrupt/torn records, rejected
 * rings, rings removed, label overflow) and prom-client's default process
 * metrics.
 *
 * Label cardinality.  Every label of sigsys_violations_total goes through a
 * LabelCap: the first `max` distinct values of a label are kept, every later
 * value becomes "other" (and sigsys_label_overflow_total{label} counts it), so
 * a fleet with 10,000 workloads never turns into 10,000 series.
 *
 * Other sinks get the same `SigsysMetrics` object (e.g. the Kafka sink calls
 * `metrics.kafkaDelivered.inc(n)`), so one registry serves everything.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { eventCalls, type ViolationEvent } from '../events/types.js';
import type { Sink, SinkHealth } from './sink.js';

export const OVERFLOW_LABEL = 'other';

/** Keeps at most `max` distinct values; later ones map to "other". */
export class LabelCap {
  private readonly seen = new Set<string>();
  constructor(
    readonly max: number,
    private readonly onOverflow?: () => void,
  ) {}
  map(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size < this.max) {
      this.seen.add(value);
      return value;
    }
    this.onOverflow?.();
    return OVERFLOW_LABEL;
  }
  get size(): number {
    return this.seen.size;
  }
}

export interface LabelCaps {
  syscall: number;
  action: number;
  outcome: number;
  workload: number;
}

export const DEFAULT_LABEL_CAPS: LabelCaps = { syscall: 512, action: 16, outcome: 8, workload: 500 };

export interface MetricsOptions {
  registry?: Registry;
  /** Hard caps on distinct values per label of sigsys_violations_total. */
  labelCaps?: Partial<LabelCaps>;
  /** prom-client default process metrics (default true). */
  defaultMetrics?: boolean;
}

export interface SigsysMetrics {
  readonly registry: Registry;
  readonly violations: Counter<'syscall' | 'action' | 'outcome' | 'workload'>;
  readonly dropped: Counter;
  readonly lag: Gauge;
  readonly kafkaDelivered: Counter;
  readonly kafkaErrors: Counter;
  readonly corruptRecords: Counter<'reason'>;
  readonly tornRecords: Counter;
  readonly ringsRejected: Counter;
  readonly ringsRemoved: Counter;
  readonly ringsActive: Gauge;
  readonly eventsCollected: Counter;
  readonly labelOverflow: Counter<'label'>;
  /** Spool files not opened because their owner uid or cgroup has too many rings. */
  readonly ringsOverCap: Counter<'scope'>;
  /** Entries under ring names that are not regular files, skipped without opening. */
  readonly spoolEntriesSkipped: Counter<'kind'>;
  /** Rings whose claims disagreed with the kernel, by owner uid of the file. */
  readonly ringsForged: Counter<'uid'>;
  /** Open rings by identity verdict (verified, unverified, forged, pending). */
  readonly ringsByIdentity: Gauge<'identity'>;
  /** A uid as a label value (at most 100 distinct, then "other"). */
  uidLabel(uid: number): string;
  /** Count one violation, applying the label caps. */
  countViolation(ev: Pick<ViolationEvent, 'syscall' | 'action' | 'outcome' | 'workload' | 'identity'>, n?: number): void;
}

export function createMetrics(opts: MetricsOptions = {}): SigsysMetrics {
  const registry = opts.registry ?? new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const caps = { ...DEFAULT_LABEL_CAPS, ...opts.labelCaps };
  const r = [registry];

  const violations = new Counter({
    name: 'sigsys_violations_total',
    help:
      'Seccomp violations reported, by syscall, profile action, outcome, workload and identity (verified, unverified, forged: ' +
      'whether the ring\'s writer was checked against the kernel; unverified and forged events carry workload "<identity>:uid-<uid>"). Label values capped; overflow is "other".',
    labelNames: ['syscall', 'action', 'outcome', 'workload', 'identity'] as const,
    registers: r,
  });
  const labelOverflow = new Counter({
    name: 'sigsys_label_overflow_total',
    help: 'Label values mapped to "other" because the label reached its cap.',
    labelNames: ['label'] as const,
    registers: r,
  });
  const capOf = (label: keyof LabelCaps) => new LabelCap(caps[label], () => labelOverflow.inc({ label }));
  const cap = { syscall: capOf('syscall'), action: capOf('action'), outcome: capOf('outcome'), workload: capOf('workload') };
  const uidCap = new LabelCap(100, () => labelOverflow.inc({ label: 'uid' }));

  const m: SigsysMetrics = {
    registry,
    violations,
    labelOverflow,
    dropped: new Counter({ name: 'sigsys_events_dropped_total', help: 'Events producers dropped because their spool ring was full.', registers: r }),
    lag: new Gauge({ name: 'sigsys_spool_lag_events', help: 'Events written to spool rings but not yet acknowledged by every sink (sum of head - cursor).', registers: r }),
    kafkaDelivered: new Counter({ name: 'sigsys_kafka_delivered_total', help: 'Events acknowledged by Kafka (acks=all).', registers: r }),
    kafkaErrors: new Counter({ name: 'sigsys_kafka_errors_total', help: 'Failed Kafka produce requests.', registers: r }),
    corruptRecords: new Counter({
      name: 'sigsys_corrupt_records_total',
      help: 'Spool records skipped as corrupt (reason: ring = bad length/commit word, decode = not a Violation).',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    tornRecords: new Counter({ name: 'sigsys_torn_records_total', help: 'Records reserved but never committed (producer died mid-write), skipped after the torn timeout.', registers: r }),
    ringsRejected: new Counter({ name: 'sigsys_rings_rejected_total', help: 'Spool files that could not be opened as rings (bad header, truncated, ...).', registers: r }),
    ringsRemoved: new Counter({ name: 'sigsys_rings_removed_total', help: 'Drained rings removed after their processes were gone.', registers: r }),
    ringsActive: new Gauge({ name: 'sigsys_rings_active', help: 'Spool rings currently being read.', registers: r }),
    eventsCollected: new Counter({ name: 'sigsys_events_collected_total', help: 'Events read from spool rings and handed to the sinks.', registers: r }),
    ringsOverCap: new Counter({
      name: 'sigsys_rings_over_cap_total',
      help: 'Spool files not opened because their owner uid (scope="uid") or their writer\'s cgroup (scope="cgroup") already has the most rings allowed.',
      labelNames: ['scope'] as const,
      registers: r,
    }),
    spoolEntriesSkipped: new Counter({
      name: 'sigsys_spool_entries_skipped_total',
      help: 'Spool entries under ring names that are not regular files (fifo, socket, directory, symlink, device), skipped without opening them.',
      labelNames: ['kind'] as const,
      registers: r,
    }),
    ringsForged: new Counter({
      name: 'sigsys_rings_forged_total',
      help: 'Rings whose claims (pid, exe, container, pod, boot id) disagreed with the kernel\'s view of their writer, by owner uid of the file.',
      labelNames: ['uid'] as const,
      registers: r,
    }),
    ringsByIdentity: new Gauge({
      name: 'sigsys_rings_identity',
      help: 'Open spool rings by identity verdict: verified, unverified (writer never seen alive), forged, pending (not looked at yet).',
      labelNames: ['identity'] as const,
      registers: r,
    }),
    uidLabel: (uid: number) => uidCap.map(String(uid)),
    countViolation(ev, n = 1) {
      violations.inc(
        {
          syscall: cap.syscall.map(ev.syscall),
          action: cap.action.map(ev.action),
          outcome: cap.outcome.map(ev.outcome),
          // Non-verified workloads are "<identity>:uid-<uid>" already: one series per uid, never a claimed name.
          workload: cap.workload.map(ev.workload),
          identity: ev.identity ?? 'unknown',
        },
        n,
      );
    },
  };
  return m;
}

interface Tally {
  ev: ViolationEvent;
  n: number;
}

/** The sink that turns events into sigsys_violations_total increments. */
export function createPrometheusSink(opts: { metrics: SigsysMetrics }): Sink {
  const { metrics } = opts;
  return {
    name: 'prometheus',
    async write(events) {
      // One increment per distinct label set of the batch: prom-client hashes
      // the labels on every inc(), and a batch usually has few label sets.
      // Grouped by syscall and workload (Map lookups on strings whose hash
      // V8 keeps), then by action, outcome and identity compared in place (a
      // short list: few enum values): no key string built per event.
      const groups = new Map<string, Map<string, Tally[]>>();
      const order: Tally[] = []; // first-seen order, as the label caps admit values
      for (const ev of events) {
        // A count record stands for `repeat` calls.
        const calls = eventCalls(ev);
        let byWorkload = groups.get(ev.syscall);
        if (!byWorkload) groups.set(ev.syscall, (byWorkload = new Map()));
        let tallies = byWorkload.get(ev.workload);
        if (!tallies) byWorkload.set(ev.workload, (tallies = []));
        let t: Tally | undefined;
        for (const x of tallies) {
          if (x.ev.action === ev.action && x.ev.outcome === ev.outcome && x.ev.identity === ev.identity) {
            t = x;
            break;
          }
        }
        if (t) t.n += calls;
        else {
          t = { ev, n: calls };
          tallies.push(t);
          order.push(t);
        }
      }
      for (const { ev, n } of order) metrics.countViolation(ev, n);
    },
    health: () => 'ok',
    async close() {},
  };
}

export interface MetricsServerOptions {
  metrics: SigsysMetrics;
  port?: number;
  host?: string;
  /** Health of the sinks for /healthz (503 when any is degraded). */
  health?: () => Record<string, SinkHealth>;
}

export interface MetricsServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/** HTTP server: GET /metrics (Prometheus text format), GET /healthz (JSON). */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { registry } = opts.metrics;
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType }).end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
        },
      );
      return;
    }
    if (url === '/healthz') {
      const sinks = opts.health?.() ?? {};
      const ok = Object.values(sinks).every((h) => h === 'ok');
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'degraded', sinks }) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 9469, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
