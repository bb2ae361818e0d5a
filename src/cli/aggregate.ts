/** sigsys aggregate - fleet aggregator: Kafka consumer group -> report, metrics, suggestions. */
import { parseCommandArgs } from './args.js';
import { UsageError } from '../errors.js';
import { createAggregateService, DEFAULT_GROUP } from '../aggregate/service.js';
import { parseBrokers } from '../kafka/brokers.js';
import { DEFAULT_TOPIC } from '../kafka/topic.js';

export const help = `Usage: sigsys aggregate --kafka HOST:PORT[,HOST:PORT...] [options]

Reads sigsys.v1.Violation events from Kafka as a member of a consumer group,
drops duplicates by (host, boot id, ring pid, seq), and folds them per
(workload, syscall, action, outcome) into count, hosts, first/last seen.

Options:
  --kafka HOST:PORT     bootstrap broker(s), comma-separated (required)
  --topic T             topic (default ${DEFAULT_TOPIC})
  --group G             consumer group (default ${DEFAULT_GROUP}); members split partitions
  --listen HOST:PORT    HTTP address for /report, /metrics, /healthz (default 127.0.0.1:9479)
  --metrics-port N      same server on 0.0.0.0:N (ignored when --listen is given)
  --suggest DIR         write DIR/<workload>.json: Docker profile fragments (suggestions)
                        allowing the syscalls each workload was denied, across replicas
  --partitions N        partitions if the topic has to be created (default 6)
  --session-timeout MS  group session timeout: how fast a dead member's partitions
                        move to the others (default 10000)
  -h, --help            this text

Runs until SIGINT/SIGTERM; an unreachable broker is reported once and retried.
`;

function parseHostPort(s: string, flag: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new UsageError(`${flag}: expected HOST:PORT, got "${s}"`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function parsePort(s: string, flag: string): number {
  const n = Number(s);
  if (!/^\d{1,5}$/.test(s) || n > 65535) throw new UsageError(`${flag}: expected a port number, got "${s}"`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('aggregate', {
    args: argv,
    options: {
      kafka: { type: 'string' },
      topic: { type: 'string' },
      group: { type: 'string' },
      listen: { type: 'string' },
      'metrics-port': { type: 'string' },
      suggest: { type: 'string' },
      'session-timeout': { type: 'string' },
      partitions: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.kafka) throw new UsageError('aggregate: --kafka HOST:PORT is required');
  const brokers = parseBrokers(values.kafka);
  let httpHost = '127.0.0.1';
  let httpPort = 9479;
  if (values.listen) ({ host: httpHost, port: httpPort } = parseHostPort(values.listen, '--listen'));
  else if (values['metrics-port']) {
    httpHost = '0.0.0.0';
    httpPort = parsePort(values['metrics-port'], '--metrics-port');
  }
  let sessionTimeoutMs: number | undefined;
  if (values['session-timeout']) {
    sessionTimeoutMs = Number(values['session-timeout']);
    if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 1000) {
      throw new UsageError(`--session-timeout: expected milliseconds >= 1000, got "${values['session-timeout']}"`);
    }
  }

  let partitions: number | undefined;
  if (values.partitions) {
    partitions = Number(values.partitions);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) {
      throw new UsageError(`--partitions: expected an integer in [1, 10000], got "${values.partitions}"`);
    }
  }

  const service = createAggregateService({
    brokers,
    topic: values.topic,
    groupId: values.group,
    httpHost,
    httpPort,
    suggestDir: values.suggest,
    sessionTimeoutMs,
    partitions,
  });
  await service.start();
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await service.stop();
  // kafkajs may leave a timer behind; do not let it hold the process open.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
  return 0;
}
