/**
 * admin.ts - topic setup: the sink creates the topic before producing, the
 * aggregator before subscribing.
 */
import type { Admin, Kafka } from 'kafkajs';
import { describeError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';

export interface TopicOptions {
  /** Partitions of a created topic (default 6). */
  partitions?: number;
  /** Replication factor of a created topic (default -1: the broker's default). */
  replicationFactor?: number;
  logger?: Logger;
}

/**
 * Create `topic` when missing.  An existing topic is left as it is.  A
 * cluster that refuses (ACLs) is worth one warning; producing may still
 * work.  Connection failures are thrown (the caller retries).
 */
export async function ensureKafkaTopic(kafka: Kafka, topic: string, o: TopicOptions = {}): Promise<void> {
  const admin: Admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: o.partitions ?? 6, replicationFactor: o.replicationFactor ?? -1 }],
      waitForLeaders: true,
    });
  } catch (err) {
    if (isConnectionError(err)) throw err;
    (o.logger ?? createLogger('kafka')).warn({ topic }, `kafka: could not create topic ${topic}: ${describeError(err)}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function isConnectionError(err: unknown): boolean {
  const name = (err as { name?: string })?.name ?? '';
  return /Connection|NumberOfRetriesExceeded|BrokerNotFound|RequestTimeout/.test(name);
}
