/**
 * metrics.ts - every Prometheus metric of sigsys, defined once (name, help,
 * labels), on a registry the caller owns and injects: the collector, its
 * sinks (Prometheus counts violations, Kafka counts deliveries) and
 * `sigsys aggregate` take the objects made here and never define a metric
 * of their own, so no help text depends on who registered first.
 *
 * Metric names are a contract with dashboards and alerts (deploy/grafana,
 * deploy/prometheus; docs/collector.md "Metrics"):
 *   sigsys_violations_total{syscall,action,outcome,workload,identity}
 *   sigsys_events_dropped_total        (producers' ring-full drops)
 *   sigsys_spool_lag_events            (head - cursor, summed over rings)
 *   sigsys_kafka_delivered_total       (incremented by the Kafka sink)
 *   sigsys_kafka_errors_total          (incremented by the Kafka sink)
 * plus the collector's own health counters (corrupt/torn records, rejected
 * rings, rings removed, label overflow), prom-client's default process
 * metrics, and the aggregator's (createAggregateMetrics).
 *
 * Label cardinality.  Every label of sigsys_violations_total goes through a
 * LabelCap: the first `max` distinct values of a label are kept, every later
 * value becomes "other" (and sigsys_label_overflow_total{label} counts it), so
 * a fleet with 10,000 workloads never turns into 10,000 series.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ViolationEvent } from './events/types.js';

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
    ...createKafkaMetrics(registry),
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

/** The Kafka sink's counters (part of SigsysMetrics; on their own for a sink without a collector). */
export interface KafkaMetrics {
  readonly kafkaDelivered: Counter;
  readonly kafkaErrors: Counter;
}

export function createKafkaMetrics(registry: Registry): KafkaMetrics {
  return {
    kafkaDelivered: new Counter({ name: 'sigsys_kafka_delivered_total', help: 'Events acknowledged by Kafka (acks=all).', registers: [registry] }),
    kafkaErrors: new Counter({ name: 'sigsys_kafka_errors_total', help: 'Failed Kafka produce requests.', registers: [registry] }),
  };
}

/** What the aggregator's gauges read when scraped. */
export interface AggregateMetricsSource {
  /** Rings (host, boot id, ring pid) the deduper tracks. */
  producers(): number;
  /** Member of its consumer group right now. */
  kafkaUp(): boolean;
  /** Deduplicated counts, largest first. */
  rows(): ReadonlyArray<{ workload: string; syscall: string; action: string; outcome: string; identity: string; count: number }>;
}

export interface AggregateMetricsOptions {
  registry?: Registry;
  /** Cap on label sets exported as sigsys_fleet_violations (default 2000; rest summed as "other"). */
  maxRows?: number;
  /** prom-client default process metrics (default true). */
  defaultMetrics?: boolean;
}

export interface AggregateMetrics {
  readonly registry: Registry;
  readonly consumed: Counter<'result'>;
}

/** The metrics of `sigsys aggregate`: consumed messages, deduper size, group membership, fleet totals. */
export function createAggregateMetrics(source: AggregateMetricsSource, opts: AggregateMetricsOptions = {}): AggregateMetrics {
  const registry = opts.registry ?? new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const r = [registry];
  const consumed = new Counter({
    name: 'sigsys_aggregate_events_total',
    help: 'Kafka messages read by this aggregator, by result (new, duplicate, undecodable)',
    labelNames: ['result'] as const,
    registers: r,
  });
  new Gauge({
    name: 'sigsys_aggregate_producers',
    help: 'Rings (host, boot id, ring pid) tracked by the deduper',
    registers: r,
    collect() {
      this.set(source.producers());
    },
  });
  new Gauge({
    name: 'sigsys_aggregate_kafka_up',
    help: '1 while this aggregator is a member of its consumer group, else 0',
    registers: r,
    collect() {
      this.set(source.kafkaUp() ? 1 : 0);
    },
  });
  const maxRows = opts.maxRows ?? 2000;
  new Gauge({
    name: 'sigsys_fleet_violations',
    help: 'Deduplicated violations seen by this aggregator per workload, syscall, action, outcome',
    labelNames: ['workload', 'syscall', 'action', 'outcome', 'identity'] as const,
    registers: r,
    collect() {
      this.reset();
      let other = 0;
      source.rows().forEach((row, i) => {
        if (i < maxRows) this.set({ workload: row.workload, syscall: row.syscall, action: row.action, outcome: row.outcome, identity: row.identity }, row.count);
        else other += row.count;
      });
      if (other > 0) this.set({ workload: 'other', syscall: 'other', action: 'other', outcome: 'other', identity: 'other' }, other);
    },
  });
  return { registry, consumed };
}
