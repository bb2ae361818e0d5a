/**
 * topic.ts - what the collector's Kafka sink and `sigsys aggregate` agree
 * on about the topic: its default name and the headers that say how a value
 * is encoded (src/kafka/codec.ts).
 */

export const DEFAULT_TOPIC = 'sigsys.violations';
/** Header naming the value's message type. */
export const SCHEMA_HEADER = 'sigsys-schema';
/** Header with the schema's version. */
export const SCHEMA_VERSION_HEADER = 'sigsys-schema-version';
/** Value: one sigsys.v1.Violation (the default). */
export const SCHEMA_NAME = 'sigsys.v1.Violation';
/** Value: a sigsys.v1.Batch of events of one key (the sink's opt-in packing). */
export const BATCH_SCHEMA_NAME = 'sigsys.v1.Batch';
export const SCHEMA_VERSION = '1';
