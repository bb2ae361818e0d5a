/**
 * harness.ts - test helpers around the real Kafka broker (kafka.sh) and the
 * sigsys CLI as a child process.  No sleeps as synchronisation: `waitFor`
 * polls a condition until a bounded deadline.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ViolationEvent, ActionName, OutcomeName } from '../../../src/events/types.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '../../..');
export const KAFKA_SH = join(HERE, 'kafka.sh');

/** The state dir of this vitest run's shared broker (set by test/setup/kafka-global.ts). */
export function sharedStateDir(): string {
  return process.env.SIGSYS_TEST_KAFKA_STATE ?? join(process.env.TMPDIR ?? '/tmp', `sigsys-kafka-test-${process.getuid?.() ?? 0}`);
}

/** Start (or reuse) a broker for `stateDir`; returns "127.0.0.1:PORT". */
export async function startBroker(stateDir = sharedStateDir()): Promise<string> {
  const { stdout } = await run('bash', [KAFKA_SH, 'start'], {
    env: { ...process.env, KAFKA_STATE_DIR: stateDir },
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  return stdout.trim().split('\n').pop()!;
}

export async function stopBroker(stateDir = sharedStateDir(), keep = false): Promise<void> {
  await run('bash', [KAFKA_SH, 'stop', ...(keep ? ['--keep'] : [])], {
    env: { ...process.env, KAFKA_STATE_DIR: stateDir },
    timeout: 120_000,
  });
}

export async function brokerStatus(stateDir = sharedStateDir()): Promise<string | undefined> {
  try {
    const { stdout } = await run('bash', [KAFKA_SH, 'status'], { env: { ...process.env, KAFKA_STATE_DIR: stateDir } });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** The shared broker: $SIGSYS_TEST_KAFKA (an external one) or this run's own. */
export async function sharedBroker(): Promise<string> {
  return process.env.SIGSYS_TEST_KAFKA ?? startBroker();
}

/** Poll `cond` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    if (name.isDirectory()) t = Math.max(t, newestMtime(p));
    else if (name.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * The CLI child processes run: the globalSetup's private build
 * (SIGSYS_TEST_CLI, test/setup/build-cli.ts), else dist/ rebuilt when older than src/.
 */
export async function ensureBuilt(): Promise<string> {
  if (process.env.SIGSYS_TEST_CLI && existsSync(process.env.SIGSYS_TEST_CLI)) return process.env.SIGSYS_TEST_CLI;
  const main = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(main) || statSync(main).mtimeMs < newestMtime(join(ROOT, 'src'))) {
    // tsc emits even when some file in progress has type errors; serialise with other test files.
    await run('flock', ['/tmp/sigsys-tsc.lock', 'npx', '--no-install', 'tsc', '-p', 'tsconfig.json'], {
      cwd: ROOT,
      timeout: 300_000,
    }).catch(() => undefined);
  }
  if (!existsSync(main)) throw new Error('dist/cli/main.js missing after tsc');
  return main;
}

export interface CliProcess {
  child: ChildProcess;
  /** stderr lines so far (pino JSON lines parsed when possible). */
  lines: string[];
  logs(): Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** `node dist/cli/main.js ARGS` as a child process, stderr collected. */
export async function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const main = await ensureBuilt();
  const child = spawn(process.execPath, [main, ...args], {
    cwd: ROOT,
    env: { ...process.env, SIGSYS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
  return {
    child,
    lines,
    exited,
    logs: () =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
  };
}

/** Start `sigsys aggregate` and wait until it serves HTTP; returns its base URL. */
export async function startAggregator(args: string[]): Promise<CliProcess & { url: string }> {
  const p = await spawnCli(['aggregate', '--listen', '127.0.0.1:0', ...args]);
  const url = await waitFor(() => p.logs().find((l) => typeof l.url === 'string')?.url as string | undefined, {
    timeoutMs: 30_000,
    what: `aggregate to listen (stderr: ${p.lines.slice(-3).join(' | ')})`,
  });
  return Object.assign(p, { url });
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

/** A deterministic ViolationEvent (what the collector would have produced). */
export function makeEvent(
  p: {
    seq: number;
    host?: string;
    bootId?: string;
    ringPid?: number;
    ringStartNs?: string;
    workload?: string;
    syscall?: string;
    nr?: number;
    action?: ActionName;
    outcome?: OutcomeName;
    timeNs?: bigint;
    identity?: ViolationEvent['identity'];
    writerUid?: number;
    source?: ViolationEvent['source'];
  },
): ViolationEvent {
  const timeNs = p.timeNs ?? BigInt(Date.now()) * 1_000_000n;
  return {
    time: new Date(Number(timeNs / 1_000_000n)).toISOString(),
    timeNs: timeNs.toString(),
    host: p.host ?? 'host-a',
    bootId: p.bootId ?? 'boot-1',
    ringPid: p.ringPid ?? 100,
    ringStartNs: p.ringStartNs ?? '1767225600000000000',
    seq: p.seq,
    pid: p.ringPid ?? 100,
    tid: p.ringPid ?? 100,
    comm: 'worker',
    exe: '/usr/bin/worker',
    syscall: p.syscall ?? 'mount',
    nr: p.nr ?? 165,
    arch: 'x86_64',
    args: ['0x0', '0x1', '0x2', '0x3', '0x4', '0xffffffffffffffff'],
    ip: '0x7f0000001234',
    callSite: 'libc.so.6+0x1234',
    action: p.action ?? 'errno',
    outcome: p.outcome ?? 'denied',
    errno: p.action === undefined || p.action === 'errno' ? 1 : 0,
    mode: 'enforce',
    containerId: '',
    pod: '',
    namespace: '',
    workload: p.workload ?? 'worker',
    policyHash: 'ab'.repeat(32),
    identity: p.identity ?? 'verified',
    writerUid: p.writerUid ?? 0,
    source: p.source ?? 'handler',
  };
}

/** A unique topic name per test, so suites never see each other's events. */
export function uniqueTopic(name: string): string {
  return `sigsys.test.${name}.${process.pid}.${Date.now().toString(36)}`;
}

/** One event read back from a topic, with where and when (producer CreateTime, ms) its message was written. */
export interface TopicEvent {
  partition: number;
  offset: string;
  timestampMs: number;
  event: ViolationEvent;
}

/**
 * Every event in `topic` right now: the high watermark of each partition is
 * taken first, then the topic is consumed from the beginning (own consumer
 * group) until every partition reached it; Batch values are split.  Throws
 * on a value that does not decode (the collector never writes one).
 */
export async function readTopicEvents(broker: string, topic: string, { timeoutMs = 60_000 } = {}): Promise<TopicEvent[]> {
  // Loaded here, not at the top: the globalSetup imports this module and needs none of it.
  const { Kafka, logLevel } = await import('kafkajs');
  const { BATCH_SCHEMA_NAME } = await import('../../../src/kafka/topic.js');
  const { decodeViolation, splitBatch } = await import('../../../src/kafka/codec.js');
  const kafka = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING, clientId: 'sigsys-test-topic-reader' });
  const admin = kafka.admin();
  await admin.connect();
  let high: Map<number, bigint>;
  try {
    high = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const next = new Map<number, bigint>([...high.keys()].map((p) => [p, 0n]));
  const out: TopicEvent[] = [];
  let bad: unknown;
  const consumer = kafka.consumer({ groupId: `topic-reader-${topic}-${process.pid}-${Date.now().toString(36)}`, sessionTimeout: 10_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        try {
          const schema = message.headers?.['sigsys-schema']?.toString();
          const records = !message.value ? [] : schema === BATCH_SCHEMA_NAME ? splitBatch(message.value) : [message.value];
          if (records.length === 0) throw new Error(`empty value at ${topic}/${partition}@${message.offset}`);
          for (const r of records) {
            out.push({ partition, offset: message.offset, timestampMs: Number(message.timestamp), event: decodeViolation(r) });
          }
        } catch (err) {
          bad ??= err;
        }
        next.set(partition, BigInt(message.offset) + 1n);
      },
    });
    await waitFor(
      () => bad !== undefined || [...high].every(([p, h]) => (next.get(p) ?? 0n) >= h),
      { timeoutMs, what: `every message of ${topic} up to the high watermarks ${JSON.stringify(Object.fromEntries([...high].map(([p, h]) => [p, String(h)])))}` },
    );
    if (bad) throw bad;
    return out;
  } finally {
    await consumer.disconnect();
  }
}

/** The value of an unlabelled sample in Prometheus text (`name value`), undefined when absent. */
export function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
