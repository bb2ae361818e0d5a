/**
 * kafka-global.ts - vitest globalSetup for the real Kafka broker.
 *
 * Gives this vitest run its own broker state dir (so parallel runs on one
 * machine never stop each other's broker) and stops that broker at the end if
 * a test started it.  The broker itself is started lazily by the first test
 * that calls sharedBroker() (test/services/kafka/harness.ts), so suites that
 * need no Kafka pay nothing.  SIGSYS_TEST_KAFKA=HOST:PORT uses an external
 * broker instead.
 */
import { join } from 'node:path';
import { brokerStatus, stopBroker } from '../services/kafka/harness.js';

export default function setup(): () => Promise<void> {
  const stateDir = process.env.SIGSYS_TEST_KAFKA_STATE ?? join(process.env.TMPDIR ?? '/tmp', `sigsys-kafka-vitest-${process.pid}`);
  process.env.SIGSYS_TEST_KAFKA_STATE = stateDir;
  return async () => {
    if (process.env.SIGSYS_TEST_KAFKA) return;
    if (await brokerStatus(stateDir)) await stopBroker(stateDir);
    else await stopBroker(stateDir).catch(() => {});
  };
}
