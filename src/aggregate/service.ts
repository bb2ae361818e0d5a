/**
 * service.ts - `sigsys aggregate` as a long-running service: a Kafka consumer
 * group member folding sigsys.v1.Violation values into an Aggregator, plus an
 * HTTP server with GET /report (JSON), /metrics (prom-client), /healthz.
 *
 * State model.  The report is a deterministic fold of the retained topic,
 * kept per partition: the group never commits offsets, and every partition a
 * member is assigned is read from the earliest retained offset into fresh
 * state; the state of a partition the member lost is dropped.  When a member
 * dies the survivors are assigned its partitions and replay them, so their
 * reports add up to the fleet's totals again.  Partitions a member keeps
 * across a rebalance are re-read from the start too, and the per-partition
 * deduper drops what it already counted.  Cost: a rebalance replays the
 * retained log (bounded by the topic's retention).
 *
 * Broker unreachable: one warning line, `/healthz` 503, and kafkajs's
 * consumer keeps restarting with backoff; a consumer that gives up is
 * recreated.  The process never exits because of Kafka.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { KafkaError, describeError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import type { ViolationEvent } from '../events/types.js';
import { ensureKafkaTopic } from '../kafka/admin.js';
import { parseBrokers } from '../kafka/brokers.js';
import { createKafkaClient } from '../kafka/client.js';
import { decodeViolation, splitBatch } from '../kafka/codec.js';
import { BATCH_SCHEMA_NAME, DEFAULT_TOPIC, SCHEMA_HEADER } from '../kafka/topic.js';
import { createAggregateMetrics } from '../metrics.js';
import { createAggregator, type Aggregator } from './aggregator.js';

export const DEFAULT_GROUP = 'sigsys-aggregate';

export interface AggregateServiceOptions {
  brokers: string | readonly string[];
  topic?: string;
  groupId?: string;
  clientId?: string;
  /** HTTP listen address (default 127.0.0.1:9479; port 0 = any free port). */
  httpHost?: string;
  httpPort?: number;
  /** Directory for per-workload profile suggestions (written every suggestIntervalMs and at stop). */
  suggestDir?: string;
  suggestIntervalMs?: number;
  /** Partitions when the topic has to be created (default 6, like the sink). */
  partitions?: number;
  /** Group session timeout: how fast a dead member's partitions move (default 10 s). */
  sessionTimeoutMs?: number;
  /** Cap on label sets exported as sigsys_fleet_violations (default 2000; rest summed as "other"). */
  maxMetricRows?: number;
  dedupeWindow?: number;
  maxProducers?: number;
  logger?: Logger;
  registry?: Registry;
}

export interface AggregateService {
  readonly aggregator: Aggregator;
  readonly registry: Registry;
  /** http://host:port once listening. */
  readonly url: string;
  health(): { status: 'ok' | 'degraded'; reason?: string };
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAggregateService(opts: AggregateServiceOptions): AggregateService {
  const log = opts.logger ?? createLogger('aggregate');
  const brokers = parseBrokers(opts.brokers);
  const topic = opts.topic ?? DEFAULT_TOPIC;
  const groupId = opts.groupId ?? DEFAULT_GROUP;
  const agg = createAggregator({ window: opts.dedupeWindow, maxProducers: opts.maxProducers });
  const kafka: Kafka = createKafkaClient({ brokers, clientId: opts.clientId ?? 'sigsys-aggregate', logger: log });
  const { registry, consumed } = createAggregateMetrics(
    { producers: () => agg.report().producers, kafkaUp: () => state.ok, rows: () => agg.report().rows },
    { registry: opts.registry, maxRows: opts.maxMetricRows },
  );

  const state = { ok: false, reason: 'starting' as string };
  let consumer: Consumer | undefined;
  let assigned = new Set<number>();
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let suggestTimer: NodeJS.Timeout | undefined;
  let suggestDirty = false;
  let backoff = 1000;
  let server: Server | undefined;
  let url = '';

  function up(): void {
    if (!state.ok) log.info({ brokers, topic, groupId }, `kafka ${brokers.join(',')}: consuming ${topic} as group ${groupId}`);
    state.ok = true;
    state.reason = '';
    backoff = 1000;
  }

  function down(err: unknown): void {
    const reason = describeError(err instanceof KafkaError ? err : new KafkaError(`kafka ${brokers.join(',')}: ${describeError(err)}`));
    if (state.ok || state.reason === 'starting') log.warn({ brokers }, `${reason}; retrying`);
    state.ok = false;
    state.reason = reason;
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!assigned.has(batch.partition)) return; // revoked while the fetch was in flight
    const partition = batch.partition;
    let n = 0;
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break;
      // A value is one sigsys.v1.Violation, or a sigsys.v1.Batch when the
      // header says so (the sink's valueFormat 'batch').
      let records: Uint8Array[];
      try {
        const schema = m.headers?.[SCHEMA_HEADER]?.toString();
        records = !m.value ? [] : schema === BATCH_SCHEMA_NAME ? splitBatch(m.value) : [m.value];
      } catch {
        records = [];
      }
      if (records.length === 0) {
        agg.undecodable(partition);
        consumed.inc({ result: 'undecodable' });
      }
      for (const rec of records) {
        let e: ViolationEvent | undefined;
        try {
          e = decodeViolation(rec);
        } catch {
          e = undefined;
        }
        if (!e) {
          agg.undecodable(partition);
          consumed.inc({ result: 'undecodable' });
        } else if (agg.add(e, partition)) {
          consumed.inc({ result: 'new' });
          suggestDirty = true;
        } else {
          consumed.inc({ result: 'duplicate' });
        }
      }
      resolveOffset(m.offset);
      if (++n % 1000 === 0) await heartbeat();
    }
    await heartbeat();
  }

  function scheduleRestart(): void {
    if (stopped || restartTimer) return;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void runConsumer();
    }, backoff);
    backoff = Math.min(backoff * 2, 30_000);
  }

  async function runConsumer(): Promise<void> {
    if (stopped) return;
    const c = kafka.consumer({
      groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.min(3000, Math.floor((opts.sessionTimeoutMs ?? 10_000) / 5)),
      rebalanceTimeout: 30_000,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      // Keep only the partitions we own now; newly assigned ones are read
      // from the start (no committed offsets) into fresh state.
      const mine = payload.memberAssignment[topic] ?? [];
      assigned = new Set(mine);
      agg.assign(mine);
      log.info({ partitions: mine }, `group ${groupId}: assigned partitions [${mine.join(',')}] of ${topic}`);
      up();
    });
    c.on(c.events.FETCH, () => {
      if (!state.ok) up();
    });
    c.on(c.events.CRASH, ({ payload }) => {
      down(payload.error);
      if (!payload.restart && consumer === c) {
        consumer = undefined;
        void c.disconnect().catch(() => {});
        scheduleRestart();
      }
    });
    try {
      await ensureKafkaTopic(kafka, topic, { partitions: opts.partitions, logger: log });
      await c.connect();
      await c.subscribe({ topics: [topic], fromBeginning: true });
      await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    } catch (err) {
      down(err);
      if (consumer === c) consumer = undefined;
      await c.disconnect().catch(() => {});
      scheduleRestart();
    }
  }

  async function flushSuggestions(): Promise<void> {
    if (!opts.suggestDir || !suggestDirty) return;
    suggestDirty = false;
    try {
      await agg.writeSuggestions(opts.suggestDir);
    } catch (err) {
      suggestDirty = true;
      log.warn(`cannot write suggestions to ${opts.suggestDir}: ${describeError(err)}`);
    }
  }

  function health(): { status: 'ok' | 'degraded'; reason?: string } {
    return state.ok ? { status: 'ok' } : { status: 'degraded', reason: state.reason };
  }

  async function listen(): Promise<void> {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (code: number, type: string, body: string): void => {
        res.writeHead(code, { 'content-type': type });
        res.end(body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
      if (path === '/report') return send(200, 'application/json', `${JSON.stringify(agg.report(), null, 2)}\n`);
      if (path === '/healthz') {
        const h = health();
        return send(h.status === 'ok' ? 200 : 503, 'application/json', `${JSON.stringify(h)}\n`);
      }
      if (path === '/metrics') {
        registry.metrics().then(
          (body) => send(200, registry.contentType, body),
          (err: unknown) => send(500, 'text/plain', `${describeError(err)}\n`),
        );
        return;
      }
      send(404, 'text/plain', 'not found: try /report, /metrics, /healthz\n');
    });
    const host = opts.httpHost ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server!.once('error', (err) =>
        reject(new KafkaError(`cannot listen on ${host}:${opts.httpPort ?? 9479}: ${describeError(err)}`, { retriable: false })),
      );
      server!.listen(opts.httpPort ?? 9479, host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  return {
    aggregator: agg,
    registry,
    get url() {
      return url;
    },
    health,
    async start() {
      await listen();
      log.info({ url, topic, groupId, brokers }, `sigsys aggregate: serving ${url}/report /metrics /healthz`);
      if (opts.suggestDir) {
        suggestTimer = setInterval(() => void flushSuggestions(), opts.suggestIntervalMs ?? 5000);
        suggestTimer.unref();
      }
      void runConsumer();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (suggestTimer) clearInterval(suggestTimer);
      // Leaving the group now lets the other members take our partitions at
      // once; bounded, since a broker that is gone would make it wait.
      if (consumer) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          consumer.disconnect().catch(() => {}),
          new Promise<void>((r) => (timer = setTimeout(r, 5000))),
        ]);
        clearTimeout(timer);
      }
      suggestDirty = true;
      await flushSuggestions();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
