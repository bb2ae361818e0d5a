/**
 * sigsys collect - the collector daemon: spool rings -> NDJSON, Prometheus,
 * Kafka.  Structured logs (pino) on stderr.  SIGTERM/SIGINT: finish the
 * batch in flight, commit cursors, close sinks, exit 0.
 */
import { intOption, parseCommandArgs } from './args.js';
import { SigsysError, UsageError, describeError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createCollector } from '../collector/collector.js';
import { prepareSpools } from '../collector/spool.js';
import { createNdjsonSink } from '../sinks/ndjson.js';
import { createMetrics } from '../metrics.js';
import { createPrometheusSink, startMetricsServer, type MetricsServer } from '../sinks/prometheus.js';
import type { Sink } from '../sinks/sink.js';

export const help = `Usage: sigsys collect --spool DIR [--spool DIR...] [options]

Read every spool ring in DIR (the SIGSYS_SPOOL of the workloads) and ship
the events.  Several --spool: per-uid or per-pod sub-spools, read by one
collector (docs/security.md).  Cursors advance only after every sink acknowledged a batch, so
a restart resumes where the last acknowledged batch ended.

Options:
  --spool DIR            spool directory (required; created when missing, 1777;
                         repeat for sub-spools, which are never created: make
                         them yourself with their tenant as owner)
  --metrics-port N       serve /metrics and /healthz on this port (0 = any free port)
  --metrics-host H       address to bind the metrics server (default 0.0.0.0, so
                         Prometheus and kubelet probes can reach it; 127.0.0.1 for local only)
  --out FILE             append events as NDJSON to FILE ("-" = stdout)
  --kafka HOST:PORT[,..] Kafka brokers (with --topic)
  --topic T              Kafka topic (default sigsys.violations)
  --kafka-format F       Kafka value: batch (default) packs consecutive events of one
                         workload into a sigsys.v1.Batch, several times the events/s of
                         violation (one sigsys.v1.Violation per message); see docs/kafka.md
  --max-workloads N      cap on distinct workload label values (default 500)
  --poll-ms N            ring poll interval while idle (default 100)
  --max-rings-per-uid N  rings (and junk files under ring names) one non-root uid may
                         have read; the rest are skipped, counted and logged once (default 1024)
  --max-rings-per-cgroup N
                         verified rings one cgroup may have read (default 1024)
  --no-remove            keep rings of finished processes
  -h, --help             this text
`;

const OPTIONS = {
  spool: { type: 'string', multiple: true },
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string', default: '0.0.0.0' },
  out: { type: 'string' },
  kafka: { type: 'string' },
  topic: { type: 'string' },
  'kafka-format': { type: 'string' },
  'max-workloads': { type: 'string' },
  'poll-ms': { type: 'string' },
  'max-rings-per-uid': { type: 'string' },
  'max-rings-per-cgroup': { type: 'string' },
  'no-remove': { type: 'boolean', default: false },
} as const;

/**
 * From the first SIGTERM/SIGINT, whatever the collector is doing (starting,
 * waiting for a sink, reading), the process is gone within this time: a
 * batch not acknowledged by then stays in its ring and is delivered after a
 * restart.
 */
const STOP_DEADLINE_MS = 4_000;
const STATS_INTERVAL_MS = 60_000;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('collect', { args: argv, options: OPTIONS, allowPositionals: false });
  const spools = values.spool ?? [];
  if (spools.length === 0) throw new UsageError('collect: --spool DIR is required');
  const port = intOption('collect', 'metrics-port', values['metrics-port'], 0, 65535);
  const maxWorkloads = intOption('collect', 'max-workloads', values['max-workloads'], 1, 1_000_000);
  const pollMs = intOption('collect', 'poll-ms', values['poll-ms'], 1, 60_000);
  const maxPerUid = intOption('collect', 'max-rings-per-uid', values['max-rings-per-uid'], 1, 10_000_000);
  const maxPerCgroup = intOption('collect', 'max-rings-per-cgroup', values['max-rings-per-cgroup'], 1, 10_000_000);
  if (values.topic && !values.kafka) throw new UsageError('collect: --topic needs --kafka HOST:PORT');
  if (!values.out && !values.kafka && values['metrics-port'] === undefined) {
    // Without a destination every event would be read, committed and lost.
    throw new UsageError('collect: nowhere to send events: give --out FILE, --kafka HOST:PORT and/or --metrics-port N');
  }
  const kafkaFormat = values['kafka-format'] ?? 'batch';
  if (kafkaFormat !== 'batch' && kafkaFormat !== 'violation') {
    throw new UsageError(`collect: --kafka-format must be batch or violation, not "${kafkaFormat}"`);
  }
  if (values['kafka-format'] && !values.kafka) throw new UsageError('collect: --kafka-format needs --kafka HOST:PORT');

  const log = createLogger('collect');

  // Listen for SIGTERM/SIGINT first: a stop requested while starting up is
  // honoured once start-up is done (cursors saved, lock released) - and in
  // any case within STOP_DEADLINE_MS, whatever start-up or a sink is stuck
  // on.  Either way the stop is one log line.
  let stopping: NodeJS.Signals | undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal: sig }, `stopped by a second ${sig} without waiting for the batch in flight (it stays in the spool)`);
        process.exit(0);
      }
      stopping = sig;
      setTimeout(() => {
        log.warn({ signal: sig }, `stopped: ${sig} and not finished within ${STOP_DEADLINE_MS} ms; the batch in flight stays in the spool`);
        process.exit(0);
      }, STOP_DEADLINE_MS).unref();
      resolve(sig);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  const lock = await prepareSpools(spools, { onPlanted: (line) => log.warn(line) });
  const metrics = createMetrics({ labelCaps: maxWorkloads ? { workload: maxWorkloads } : {} });
  const sinks: Sink[] = [];
  if (values.out) sinks.push(createNdjsonSink({ path: values.out }));
  if (values.kafka) {
    // The Kafka sink's counters go to our registry, so one /metrics serves all.
    const { createKafkaSink } = await import('../sinks/kafka.js');
    const kafka = createKafkaSink({
      brokers: values.kafka.split(','),
      ...(values.topic ? { topic: values.topic } : {}),
      valueFormat: kafkaFormat,
      metrics,
      logger: createLogger('sink.kafka'),
    });
    sinks.push(kafka);
  }
  // Counted last: a batch is counted once every other sink accepted it.
  sinks.push(createPrometheusSink({ metrics }));

  let server: MetricsServer | undefined;
  if (port !== undefined) {
    server = await startMetricsServer({
      metrics,
      port,
      host: values['metrics-host'],
      health: () => Object.fromEntries(sinks.map((s) => [s.name, s.health?.() ?? 'ok'])),
    }).catch(async (err: unknown) => {
      await lock.release();
      throw new SigsysError(`collect: metrics server on ${values['metrics-host']}:${port}: ${describeError(err)}`, { cause: err });
    });
    log.info({ port: server.port, host: server.host }, `metrics on http://${server.host}:${server.port}/metrics`);
  }

  const collector = createCollector({
    spoolDir: spools,
    sinks,
    metrics,
    logger: createLogger('collector'),
    removeFinished: !values['no-remove'],
    persistIdentity: true,
    ...(pollMs ? { pollIntervalMs: pollMs } : {}),
    ...(maxPerUid ? { maxRingsPerUid: maxPerUid } : {}),
    ...(maxPerCgroup ? { maxRingsPerCgroup: maxPerCgroup } : {}),
  });
  collector.start();
  log.info({ spool: spools.length === 1 ? spools[0] : spools, sinks: sinks.map((s) => s.name) }, 'collecting');
  // One line a minute with the totals, for operators reading logs rather than metrics.
  const statsTimer = setInterval(() => log.info(collector.stats(), 'stats'), STATS_INTERVAL_MS);
  statsTimer.unref();

  const signal = await stopRequested;
  clearInterval(statsTimer);
  await collector.stop();
  await server?.close();
  await lock.release();
  log.info({ signal, ...collector.stats() }, 'stopped');
  return 0;
}
