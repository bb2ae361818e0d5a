/**
 * client.ts - one kafkajs client configured the sigsys way (timeouts, retry
 * policy, kafkajs logs through our logger), for the sink and the aggregator.
 */
import { Kafka, logLevel as KafkaLogLevel, type RetryOptions, type logCreator } from 'kafkajs';
import { createLogger, type Logger } from '../logger.js';

/** kafkajs's own logs go through our pino logger, at debug: we log state changes ourselves. */
export function kafkaLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, ...extra } = entry;
      const fields = { kafkajs: namespace, ...extra };
      if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) log.debug(fields, message);
      else log.trace(fields, message);
    };
}

/** The retry policy of clients and producers: 5 retries, 200 ms .. 5 s backoff, `override` on top. */
export function retryPolicy(override?: RetryOptions): RetryOptions {
  return { retries: 5, initialRetryTime: 200, maxRetryTime: 5000, ...override };
}

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId?: string;
  /** Connection timeout per attempt (default 3000 ms). */
  connectionTimeoutMs?: number;
  /** Produce/fetch request timeout (default 30000 ms). */
  requestTimeoutMs?: number;
  /** kafkajs retry policy (default retryPolicy()). */
  retry?: RetryOptions;
  logger?: Logger;
}

export function createKafkaClient(opts: KafkaClientOptions): Kafka {
  const log = opts.logger ?? createLogger('kafka');
  return new Kafka({
    clientId: opts.clientId ?? 'sigsys',
    brokers: [...opts.brokers],
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    retry: retryPolicy(opts.retry),
    logLevel: KafkaLogLevel.INFO,
    logCreator: kafkaLogCreator(log),
  });
}
