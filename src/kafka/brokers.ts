/**
 * brokers.ts - the broker list as users give it (`--kafka h1:p1,h2:p2`),
 * checked once for the sink and the aggregator alike.
 */
import { KafkaError } from '../errors.js';

/** "h1:p1,h2:p2" -> ['h1:p1', 'h2:p2']; throws KafkaError (not retriable) when malformed. */
export function parseBrokers(spec: string | readonly string[]): string[] {
  const list = (typeof spec === 'string' ? spec.split(',') : [...spec]).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new KafkaError('no Kafka broker given (expected HOST:PORT)', { retriable: false, exitCode: 2 });
  for (const b of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
      throw new KafkaError(`bad Kafka broker "${b}" (expected HOST:PORT)`, { retriable: false, exitCode: 2 });
    }
  }
  return list;
}
