import { defineConfig } from 'vitest/config';

// Tests start real processes, a real Kafka broker and a real Prometheus, so
// files run in forked workers with generous timeouts; the machine has 2 cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    // Real Kafka broker for test/kafka*.test.ts and test/aggregate*.test.ts (started lazily).
    globalSetup: ['test/setup/kafka-global.ts', 'test/setup/build-cli.ts', 'test/setup/cache-dir.ts'],
  },
});
