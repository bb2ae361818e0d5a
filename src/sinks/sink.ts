/**
 * sink.ts - the one small interface every destination implements.
 *
 * The collector hands a sink the events of one ring in sequence order.  A
 * sink's `write` resolves only when the events are durably accepted (written
 * to the file, counted in the registry, acknowledged by Kafka with acks=all);
 * only then does the collector advance that ring's cursor.  A rejected
 * promise leaves the events in the ring to be retried: at-least-once.
 */
import type { ViolationEvent } from '../events/types.js';

export type SinkHealth = 'ok' | 'degraded';

export interface Sink {
  readonly name: string;
  write(events: readonly ViolationEvent[]): Promise<void>;
  /** Optional: current health for /healthz. */
  health?(): SinkHealth;
  /** Flush buffers and release resources; idempotent. */
  close(): Promise<void>;
}
