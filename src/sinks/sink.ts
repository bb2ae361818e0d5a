/**
 * sink.ts - the one small interface every destination implements.
 *
 * The collector hands a sink the events of one ring in sequence order.  A
 * sink's `write` resolves only when the events are durably accepted (written
 * to the file, counted in the registry, acknowledged by Kafka with acks=all);
 * only then does the collector advance that ring's cursor.  A rejected
 * promise leaves the events in the ring to be retried: at-least-once.
 *
 * `writeEncoded` is the same contract for a batch the collector did not turn
 * into event objects (src/collector/batch-encode.ts): its NDJSON lines and a
 * tally of calls by label set.  The collector uses it only when every sink
 * has it (NDJSON and Prometheus do; Kafka needs the events), so a sink that
 * lacks it always gets `write`.
 */
import type { ActionName, IdentityName, OutcomeName, ViolationEvent } from '../events/types.js';

export type SinkHealth = 'ok' | 'degraded';

/** Calls of one batch with one label set of sigsys_violations_total. */
export interface LabelCount {
  syscall: string;
  action: ActionName;
  outcome: OutcomeName;
  workload: string;
  identity: IdentityName;
  /** Calls: the sum of eventCalls() over the batch's events with these labels. */
  n: number;
}

/** A batch of one ring's events, already encoded. */
export interface EncodedBatch {
  /** How many events. */
  readonly events: number;
  /**
   * Each event's line, `JSON.stringify(event) + '\n'`, in order, as UTF-8.
   * Valid until writeEncoded resolves (the collector reuses the buffer for
   * its next batch): a sink that keeps the bytes longer copies them.
   */
  readonly ndjson: Uint8Array;
  /** Calls by label set, in the order each label set first occurs in the batch. */
  readonly tally: readonly LabelCount[];
}

export interface Sink {
  readonly name: string;
  write(events: readonly ViolationEvent[]): Promise<void>;
  /** Optional: the batch as lines and tally, same durability as write(). */
  writeEncoded?(batch: EncodedBatch): Promise<void>;
  /** Optional: current health for /healthz. */
  health?(): SinkHealth;
  /** Flush buffers and release resources; idempotent. */
  close(): Promise<void>;
}
