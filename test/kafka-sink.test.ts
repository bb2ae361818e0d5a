/**
 * The Kafka sink against a real broker (test/services/kafka/kafka.sh):
 * what lands in the topic, when write() resolves, and what happens while the
 * broker is unreachable or restarted.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { createKafkaMetrics } from '../src/metrics.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaError } from '../src/errors.js';
import { createAggregator } from '../src/aggregate/aggregator.js';
import { decodeViolation, splitBatch } from '../src/kafka/codec.js';
import { createKafkaSink, type KafkaSink } from '../src/sinks/kafka.js';
import type { ViolationEvent } from '../src/events/types.js';
import { makeEvent, sharedBroker, startBroker, stopBroker, uniqueTopic, waitFor } from './services/kafka/harness.js';

process.env.SIGSYS_LOG_LEVEL ??= 'silent';

/** Read every message of `topic` from the beginning until `count` arrived (bounded). */
async function readTopic(broker: string, topic: string, count: number, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const kafka = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING, clientId: 'sigsys-test-reader' });
  const consumer = kafka.consumer({ groupId: `reader-${topic}`, sessionTimeout: 10_000 });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message);
      },
    });
    await waitFor(() => got.length >= count, { timeoutMs, what: `${count} messages on ${topic} (have ${got.length})` });
    return got;
  } finally {
    await consumer.disconnect();
  }
}

async function counterValue(reg: Registry, name: string): Promise<number> {
  const m = reg.getSingleMetric(name);
  if (!m) return NaN;
  const v = await m.get();
  return v.values.reduce((s, x) => s + x.value, 0);
}

describe('kafka sink (real broker)', () => {
  let broker: string;
  beforeAll(async () => {
    broker = await sharedBroker();
  });

  it('events written through the sink arrive with protobuf value, workload key and schema headers', async () => {
    const topic = uniqueTopic('sink-shape');
    const registry = new Registry();
    const sink = createKafkaSink({ brokers: [broker], topic, partitions: 3, metrics: createKafkaMetrics(registry) });
    const events = Array.from({ length: 50 }, (_, i) =>
      makeEvent({ seq: i, workload: i % 2 ? 'web' : 'db', syscall: i % 3 ? 'mount' : 'ptrace', nr: i % 3 ? 165 : 101 }),
    );
    await sink.write(events.slice(0, 20));
    await sink.write(events.slice(20));
    expect(await counterValue(registry, 'sigsys_kafka_delivered_total')).toBe(50);
    expect(sink.health?.()).toBe('ok');
    await sink.close();

    const msgs = await readTopic(broker, topic, 50);
    expect(msgs).toHaveLength(50);
    const decoded = msgs.map((m) => ({ key: m.key?.toString(), h: m.headers, e: decodeViolation(m.value!) }));
    decoded.sort((a, b) => a.e.seq - b.e.seq);
    decoded.forEach(({ key, h, e }, i) => {
      expect(e).toEqual(events[i]);
      expect(key).toBe(events[i]!.workload);
      expect(h?.['sigsys-schema']?.toString()).toBe('sigsys.v1.Violation');
      expect(h?.['sigsys-schema-version']?.toString()).toBe('1');
      expect(h?.host?.toString()).toBe('host-a');
    });
  });

  it('the topic is created with the configured number of partitions', async () => {
    const topic = uniqueTopic('sink-partitions');
    const sink = createKafkaSink({ brokers: [broker], topic, partitions: 4 });
    await sink.connect();
    await sink.close();
    const admin = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(md.topics[0]!.partitions).toHaveLength(4);
  });

  it('many concurrent writes (several rings) are batched and each resolves only once acknowledged', async () => {
    const topic = uniqueTopic('sink-concurrent');
    const registry = new Registry();
    const sink = createKafkaSink({ brokers: [broker], topic, partitions: 3, metrics: createKafkaMetrics(registry), maxBatchEvents: 700 });
    const rings = Array.from({ length: 8 }, (_, r) =>
      Array.from({ length: 500 }, (_, i) => makeEvent({ seq: i, ringPid: 1000 + r, workload: `w${r % 3}` })),
    );
    const acked: number[] = [];
    await Promise.all(
      rings.map(async (evs, r) => {
        for (let i = 0; i < evs.length; i += 100) {
          await sink.write(evs.slice(i, i + 100));
          acked.push(r);
        }
      }),
    );
    expect(acked).toHaveLength(40);
    expect(await counterValue(registry, 'sigsys_kafka_delivered_total')).toBe(4000);
    await sink.close();
    const msgs = await readTopic(broker, topic, 4000);
    const agg = createAggregator();
    for (const m of msgs) agg.add(decodeViolation(m.value!));
    expect(agg.events).toBe(4000);
    expect(agg.duplicates).toBe(0);
  });

  it('one write larger than a broker accepts in a request (1 MiB record batches) is split and acknowledged whole', async () => {
    const topic = uniqueTopic('sink-large');
    const registry = new Registry();
    const sink = createKafkaSink({ brokers: [broker], topic, partitions: 1, metrics: createKafkaMetrics(registry) });
    // One ring, one workload, one partition: ~2.5 MB in a single write.
    const events = Array.from({ length: 8000 }, (_, i) => makeEvent({ seq: i, workload: 'one' }));
    await sink.write(events);
    expect(await counterValue(registry, 'sigsys_kafka_delivered_total')).toBe(8000);
    expect(await counterValue(registry, 'sigsys_kafka_errors_total')).toBe(0);
    await sink.close();
    const msgs = await readTopic(broker, topic, 8000);
    expect(msgs.map((m) => decodeViolation(m.value!).seq)).toEqual(events.map((e) => e.seq)); // in order
  });

  it('valueFormat batch: consecutive events of one workload share a sigsys.v1.Batch message; counters count events', async () => {
    const topic = uniqueTopic('sink-batch');
    const registry = new Registry();
    const sink = createKafkaSink({ brokers: [broker], topic, partitions: 2, metrics: createKafkaMetrics(registry), valueFormat: 'batch', eventsPerMessage: 100 });
    const events = [
      ...Array.from({ length: 250 }, (_, i) => makeEvent({ seq: i, workload: 'a' })),
      ...Array.from({ length: 30 }, (_, i) => makeEvent({ seq: i, ringPid: 2, workload: 'b' })),
    ];
    await sink.write(events);
    expect(await counterValue(registry, 'sigsys_kafka_delivered_total')).toBe(280);
    await sink.close();
    const msgs = await readTopic(broker, topic, 4); // a: 100 + 100 + 50, b: 30
    expect(msgs).toHaveLength(4);
    for (const m of msgs) expect(m.headers?.['sigsys-schema']?.toString()).toBe('sigsys.v1.Batch');
    const decoded = msgs.flatMap((m) => splitBatch(m.value!).map((b) => decodeViolation(b)));
    expect(decoded.sort((x, y) => x.workload.localeCompare(y.workload) || x.seq - y.seq)).toEqual(events);
  });

  it('unreachable broker: write rejects with a retriable KafkaError, health is degraded, errors are counted', async () => {
    const registry = new Registry();
    // A port nothing listens on: bind-and-release gives one that is free now.
    const net = await import('node:net');
    const port = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const sink = createKafkaSink({
      brokers: [`127.0.0.1:${port}`],
      topic: 'nowhere',
      metrics: createKafkaMetrics(registry),
      retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
      connectionTimeoutMs: 500,
    });
    const err = await sink.write([makeEvent({ seq: 1 })]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).retriable).toBe(true);
    expect((err as KafkaError).message).toMatch(new RegExp(`^kafka 127\\.0\\.0\\.1:${port}: `));
    expect((err as KafkaError).message).not.toMatch(/\n/);
    expect(sink.health?.()).toBe('degraded');
    expect(await counterValue(registry, 'sigsys_kafka_errors_total')).toBeGreaterThanOrEqual(1);
    expect(await counterValue(registry, 'sigsys_kafka_delivered_total')).toBe(0);
    await sink.close();
  });

  it.each([
    ['empty string', ''],
    ['no port', 'localhost'],
    ['junk', 'a b:1'],
  ])('bad broker address (%s) is a usage error, not a retry loop', (_name, spec) => {
    expect(() => createKafkaSink({ brokers: [spec] })).toThrow(KafkaError);
  });
});

describe('kafka sink: broker stopped mid-run and restarted (own broker)', () => {
  // Created by kafka.sh start, removed by stop (not at collection time: a filtered run leaves nothing).
  const stateDir = join(tmpdir(), `sigsys-kafka-restart-${process.pid}-${Date.now().toString(36)}`);
  let broker: string;
  let sink: KafkaSink | undefined;
  beforeAll(async () => {
    broker = await startBroker(stateDir);
  });
  afterAll(async () => {
    await sink?.close();
    await stopBroker(stateDir);
  });

  it('nothing is lost: writes reject while down, the retry path delivers after restart, dedup removes re-sends', async () => {
    const topic = uniqueTopic('sink-restart');
    const registry = new Registry();
    sink = createKafkaSink({
      brokers: [broker],
      topic,
      partitions: 2,
      metrics: createKafkaMetrics(registry),
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      probeInitialMs: 200,
      probeMaxMs: 1000,
    });
    const s = sink;
    // The collector's contract, in miniature: a ring of 3000 events; a batch
    // leaves the ring only once write() resolved; a rejected batch is retried.
    const ring: ViolationEvent[] = Array.from({ length: 3000 }, (_, i) =>
      makeEvent({ seq: i, ringPid: 4242, workload: i % 2 ? 'api' : 'batch' }),
    );
    let cursor = 0;
    let rejections = 0;
    let stopping: Promise<void> | undefined;
    let restarted = false;
    while (cursor < ring.length) {
      const batch = ring.slice(cursor, cursor + 100);
      if (cursor >= 1000 && !stopping) stopping = stopBroker(stateDir, true);
      try {
        await s.write(batch);
        cursor += batch.length;
      } catch (err) {
        expect(err).toBeInstanceOf(KafkaError);
        expect((err as KafkaError).retriable).toBe(true);
        rejections++;
        if (!restarted) {
          await stopping;
          expect(s.health?.()).toBe('degraded');
          restarted = true;
          await startBroker(stateDir);
        }
      }
    }
    expect(restarted).toBe(true);
    expect(rejections).toBeGreaterThan(0);
    await waitFor(() => s.health?.() === 'ok', { what: 'sink health ok after restart' });

    const msgs = await readTopic(broker, topic, ring.length, 90_000);
    const agg = createAggregator();
    for (const m of msgs) agg.add(decodeViolation(m.value!));
    expect(agg.events).toBe(ring.length);
    const seqs = new Set(msgs.map((m) => decodeViolation(m.value!).seq));
    expect(seqs.size).toBe(ring.length);
    expect(await counterValue(registry, 'sigsys_kafka_errors_total')).toBeGreaterThanOrEqual(1);
  });
});
