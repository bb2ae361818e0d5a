/**
 * kafka.ts - the Kafka sink: ViolationEvents -> topic `sigsys.violations`.
 *
 *   const sink = createKafkaSink({ brokers: ['127.0.0.1:9092'], metrics });  // metrics: src/metrics.ts
 *   await sink.write(events);   // resolves only after the broker acknowledged (acks=all)
 *
 * Value: protobuf sigsys.v1.Violation, one event per message; or, with
 * `valueFormat: 'batch'`, a sigsys.v1.Batch of up to `eventsPerMessage`
 * consecutive events of one key (kafkajs's cost is per record: packing gives
 * several times the events/s; see docs/kafka.md).  Key: the workload (so one
 * workload's events stay ordered on one partition).  Headers:
 * `sigsys-schema` (sigsys.v1.Violation or sigsys.v1.Batch),
 * `sigsys-schema-version`, `host`.
 *
 * Delivery.  kafkajs idempotent producer, acks=-1.  Writes are queued and
 * sent by one pump, several writes merged into one produce request of at most
 * `maxBatchEvents` / `maxBatchBytes` (1000 messages / 768 KiB), with exactly
 * one request in flight:
 * kafkajs keeps idempotent sequence numbers per partition and updates them
 * only after a response, so concurrent sends to one partition would reuse
 * sequence numbers (and the broker would drop the second batch as a
 * "duplicate").  A failed send rejects every write in it with a retriable
 * KafkaError and throws the producer away: the next attempt starts a new
 * idempotent session, so a retried write can at worst duplicate events (the
 * aggregator drops those by (host, boot id, ring pid, seq)), never lose them.
 *
 * Broker down: connect/produce fail after kafkajs's bounded retries, write()
 * rejects, health() turns 'degraded' (one warning line), and a background
 * probe reconnects with backoff so health recovers even without writes.
 *
 * The client, topic setup, broker parsing and value codec are src/kafka/
 * (shared with `sigsys aggregate`).
 */
import { hostname } from 'node:os';
import type { Message, Producer } from 'kafkajs';
import { KafkaError, describeError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { ViolationEvent } from '../events/types.js';
import type { KafkaMetrics } from '../metrics.js';
import { ensureKafkaTopic } from '../kafka/admin.js';
import { parseBrokers } from '../kafka/brokers.js';
import { createKafkaClient, retryPolicy, type KafkaClientOptions } from '../kafka/client.js';
import { encodeBatch, encodeViolation } from '../kafka/codec.js';
import { BATCH_SCHEMA_NAME, DEFAULT_TOPIC, SCHEMA_HEADER, SCHEMA_NAME, SCHEMA_VERSION, SCHEMA_VERSION_HEADER } from '../kafka/topic.js';
import type { Sink, SinkHealth } from './sink.js';

export interface KafkaSinkOptions extends KafkaClientOptions {
  topic?: string;
  /** Create the topic when missing (default true) with this many partitions (default 6). */
  createTopic?: boolean;
  partitions?: number;
  /** Replication factor for a created topic (default -1: the broker's default). */
  replicationFactor?: number;
  /** `host` header when an event has no host (default os.hostname()). */
  host?: string;
  /**
   * Upper bounds of one produce request (defaults 1000 messages, 768 KiB):
   * kafkajs groups a request's messages per partition by copying an array
   * per message (quadratic), so larger requests get slower, not faster.
   */
  maxBatchEvents?: number;
  maxBatchBytes?: number;
  /** Delivery counters (src/metrics.ts); not counted when absent. */
  metrics?: KafkaMetrics;
  /** Event -> Kafka value (default protobuf sigsys.v1.Violation). */
  encode?: (e: ViolationEvent) => Uint8Array;
  /** 'violation' (default): one event per message; 'batch': sigsys.v1.Batch values. */
  valueFormat?: 'violation' | 'batch';
  /** Events per sigsys.v1.Batch message at most (default 200). */
  eventsPerMessage?: number;
  /** Connect (and create the topic) in the background right away, so health() is
   *  meaningful before the first write (default true). */
  eagerConnect?: boolean;
  /** Background reconnect probe while degraded (default 1000 ms .. 30 s backoff). */
  probeInitialMs?: number;
  probeMaxMs?: number;
}

export interface KafkaSink extends Sink {
  readonly topic: string;
  /** Connect and create the topic now (otherwise done lazily by the first write). */
  connect(): Promise<void>;
}

interface Chunk {
  messages: Message[];
  bytes: number;
  /** Events in these messages (more than messages with Batch values). */
  events: number;
}

interface Pending extends Chunk {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createKafkaSink(opts: KafkaSinkOptions): KafkaSink {
  const log = opts.logger ?? createLogger('sink.kafka');
  const brokers = parseBrokers(opts.brokers);
  const topic = opts.topic ?? DEFAULT_TOPIC;
  const host = opts.host ?? hostname();
  const encode = opts.encode ?? encodeViolation;
  const maxBatchEvents = opts.maxBatchEvents ?? 1000;
  const batchValues = opts.valueFormat === 'batch';
  const eventsPerMessage = Math.max(1, opts.eventsPerMessage ?? 200);
  const maxBatchBytes = opts.maxBatchBytes ?? 768 * 1024;
  const kafka = createKafkaClient({ ...opts, brokers, clientId: opts.clientId ?? 'sigsys-collector', logger: log });
  const delivered = opts.metrics?.kafkaDelivered;
  const errors = opts.metrics?.kafkaErrors;

  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let topicReady = false;
  // Degraded while the brokers cannot be reached (connDown, cleared by a
  // successful connect) or the last produce failed (cleared only by a
  // successful produce, so a broker that accepts connections but refuses
  // our writes does not flap between ok and degraded).
  let connDown = false;
  let produceFailed = false;
  const state = (): SinkHealth => (connDown || produceFailed ? 'degraded' : 'ok');
  let closed = false;
  const queue: Pending[] = [];
  let pumping: Promise<void> | undefined;
  let probeTimer: NodeJS.Timeout | undefined;
  let probeDelay = opts.probeInitialMs ?? 1000;

  function wrap(err: unknown, what: string): KafkaError {
    if (err instanceof KafkaError) return err;
    return new KafkaError(`kafka ${brokers.join(',')}: ${what}: ${describeError(err)}`, { cause: err });
  }

  function markConnected(): void {
    const was = state();
    connDown = false;
    probeDelay = opts.probeInitialMs ?? 1000;
    if (probeTimer) clearTimeout(probeTimer);
    probeTimer = undefined;
    if (was !== 'ok' && state() === 'ok') log.info({ brokers }, `kafka ${brokers.join(',')}: connected again, delivering`);
  }

  function markDelivered(): void {
    produceFailed = false;
    markConnected();
  }

  function markDegraded(err: KafkaError, produce: boolean): void {
    const was = state();
    connDown = true;
    if (produce) produceFailed = true;
    if (was === 'ok') log.warn({ brokers }, `${err.message}; events stay in the spool and are retried`);
    scheduleProbe();
  }

  function scheduleProbe(): void {
    if (closed || probeTimer) return;
    probeTimer = setTimeout(() => {
      probeTimer = undefined;
      if (closed || !connDown) return;
      connectProducer().then(
        () => markConnected(),
        () => {
          probeDelay = Math.min(probeDelay * 2, opts.probeMaxMs ?? 30_000);
          scheduleProbe();
        },
      );
    }, probeDelay);
    probeTimer.unref();
  }

  async function ensureTopic(): Promise<void> {
    if (topicReady || opts.createTopic === false) return;
    await ensureKafkaTopic(kafka, topic, { partitions: opts.partitions, replicationFactor: opts.replicationFactor, logger: log });
    topicReady = true;
  }

  async function connectProducer(): Promise<Producer> {
    if (producer) return producer;
    connecting ??= (async () => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        retry: retryPolicy(opts.retry),
      });
      try {
        await p.connect();
        await ensureTopic();
      } catch (err) {
        await p.disconnect().catch(() => {});
        throw wrap(err, 'connect');
      }
      producer = p;
      return p;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  async function dropProducer(): Promise<void> {
    const p = producer;
    producer = undefined;
    if (p) await p.disconnect().catch(() => {});
  }

  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let events = 0;
    let bytes = 0;
    while (queue.length > 0) {
      const next = queue[0]!;
      if (batch.length > 0 && (events + next.messages.length > maxBatchEvents || bytes + next.bytes > maxBatchBytes)) break;
      batch.push(queue.shift()!);
      events += next.messages.length;
      bytes += next.bytes;
    }
    return batch;
  }

  async function pump(): Promise<void> {
    while (queue.length > 0) {
      const batch = takeBatch();
      const messages = batch.length === 1 ? batch[0]!.messages : batch.flatMap((b) => b.messages);
      try {
        const p = await connectProducer();
        try {
          await p.send({ topic, acks: -1, messages });
        } catch (err) {
          await dropProducer();
          throw wrap(err, `produce to ${topic}`);
        }
        delivered?.inc(batch.reduce((n, b) => n + b.events, 0));
        markDelivered();
        for (const b of batch) b.resolve();
      } catch (err) {
        const e = wrap(err, 'produce');
        errors?.inc();
        markDegraded(e, true);
        // Fail everything queued now: the collector keeps those events in its
        // rings and retries; waiting here would only hold memory.
        for (const b of [...batch, ...queue.splice(0)]) b.reject(e);
      }
    }
  }

  function kick(): void {
    if (pumping) return;
    pumping = pump().finally(() => {
      pumping = undefined;
      if (queue.length > 0) kick();
    });
  }

  /** Encode, and cut into chunks no produce request may exceed (a broker refuses
   *  record batches over message.max.bytes, 1 MiB by default). */
  function toChunks(events: readonly ViolationEvent[]): Chunk[] {
    const chunks: Chunk[] = [];
    let cur: Chunk = { messages: [], bytes: 0, events: 0 };
    const add = (m: Message, size: number, n = 1): void => {
      if (cur.messages.length > 0 && (cur.messages.length >= maxBatchEvents || cur.bytes + size > maxBatchBytes)) {
        chunks.push(cur);
        cur = { messages: [], bytes: 0, events: 0 };
      }
      cur.messages.push(m);
      cur.bytes += size;
      cur.events += n;
    };
    const keyOf = (e: ViolationEvent): string => e.workload || e.exe || 'unknown';
    if (!batchValues) {
      for (const e of events) {
        const value = Buffer.from(encode(e));
        add(
          { key: keyOf(e), value, headers: { [SCHEMA_HEADER]: SCHEMA_NAME, [SCHEMA_VERSION_HEADER]: SCHEMA_VERSION, host: e.host || host } },
          value.length + 64,
        );
      }
    } else {
      // Consecutive events with the same key and host share one Batch message.
      let i = 0;
      while (i < events.length) {
        const first = events[i]!;
        const key = keyOf(first);
        const h = first.host || host;
        let j = i + 1;
        while (j < events.length && j - i < eventsPerMessage && keyOf(events[j]!) === key && (events[j]!.host || host) === h) j++;
        const value = encodeBatch(events.slice(i, j));
        add({ key, value, headers: { [SCHEMA_HEADER]: BATCH_SCHEMA_NAME, [SCHEMA_VERSION_HEADER]: SCHEMA_VERSION, host: h } }, value.length + 64, j - i);
        i = j;
      }
    }
    if (cur.messages.length > 0) chunks.push(cur);
    return chunks;
  }

  if (opts.eagerConnect !== false) {
    connectProducer().then(
      () => markConnected(),
      (err: unknown) => {
        if (!closed) markDegraded(wrap(err, 'connect'), false);
      },
    );
  }

  return {
    name: 'kafka',
    topic,
    async connect(): Promise<void> {
      try {
        await connectProducer();
        markConnected();
      } catch (err) {
        const e = wrap(err, 'connect');
        markDegraded(e, false);
        throw e;
      }
    },
    write(events: readonly ViolationEvent[]): Promise<void> {
      if (closed) return Promise.reject(new KafkaError('kafka sink is closed', { retriable: false }));
      if (events.length === 0) return Promise.resolve();
      let chunks: Chunk[];
      try {
        chunks = toChunks(events);
      } catch (err) {
        return Promise.reject(new KafkaError(`kafka: cannot encode event: ${describeError(err)}`, { retriable: false, cause: err }));
      }
      // A write larger than one request becomes several; it resolves when all
      // are acknowledged and rejects if any fails (then the collector re-sends
      // all of it: duplicates at worst, dropped by the aggregator).
      const parts = chunks.map(
        (m) =>
          new Promise<void>((resolve, reject) => {
            queue.push({ ...m, resolve, reject });
          }),
      );
      kick();
      return parts.length === 1 ? parts[0]! : Promise.all(parts).then(() => undefined);
    },
    health(): SinkHealth {
      return state();
    },
    async close(): Promise<void> {
      if (closed) return;
      // Let queued writes finish (they resolve or reject), then disconnect.
      while (pumping) await pumping;
      closed = true;
      if (probeTimer) clearTimeout(probeTimer);
      probeTimer = undefined;
      await connecting?.catch(() => {});
      await dropProducer();
    },
  };
}
