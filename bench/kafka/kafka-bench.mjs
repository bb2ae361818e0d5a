#!/usr/bin/env node
/**
 * kafka-bench.mjs - the Kafka path against a real broker.
 *
 *   node bench/kafka/kafka-bench.mjs --broker HOST:PORT [--events N] [--rings R]
 *        [--rate EPS] [--seconds S]      (bench/run.sh kafka starts a broker for it)
 *
 * throughput: R rings filled by sigsys-ringfill (the real producer code)
 *   before the clock starts; the real collector loop reads, decodes, enriches
 *   and writes them to the Kafka sink (idempotent producer, acks=all); the
 *   clock stops when every ring's cursor is committed, i.e. when Kafka has
 *   acknowledged every event.  Twice: one Violation per Kafka message
 *   (--kafka-format violation) and sigsys.v1.Batch values (collect's default).
 *   Target >= 100,000 events/s.
 * latency: a paced generator produces EPS events/s (default 10,000) for S
 *   seconds in 10 ms ticks; each event is stamped with its own time (spread
 *   over the tick) and handed to the sink at the tick, like a collector batch;
 *   latency = ack time - event time.  p50 / p99; target p99 <= 500 ms.  (In a
 *   deployment the collector's idle ring poll, --poll-ms, adds up to that much.)
 * Results: stdout and bench/results/kafka-<date>.json / .md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => join(root, 'dist', p);
const { createCollector } = await import(dist('collector/collector.js'));
const { createMetrics } = await import(dist('metrics.js'));
const { createKafkaSink } = await import(dist('sinks/kafka.js'));

const { values } = parseArgs({
  options: {
    broker: { type: 'string' },
    events: { type: 'string', default: '400000' },
    rings: { type: 'string', default: '4' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '20' },
  },
});
if (!values.broker) throw new Error('--broker HOST:PORT is required (bench/kafka/run.sh starts one)');
const broker = values.broker;
const RINGS = Number(values.rings);
const PER_RING = Math.ceil(Number(values.events) / RINGS);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const TARGET_EPS = 100_000;
const TARGET_P99_MS = 500;
const stamp = Date.now().toString(36);

// ---- throughput: rings -> collector -> Kafka (acknowledged) ----
const nativeDir = process.env.SIGSYS_ADDON ? dirname(resolve(process.env.SIGSYS_ADDON)) : join(root, 'build/native/Release');
const ringfill = join(nativeDir, 'sigsys-ringfill');
let records = 1;
while (records < PER_RING) records *= 2;
/** A fresh spool with R full rings (each phase gets its own: cursors only move forward). */
function fillSpool() {
  const dir = mkdtempSync(join(tmpdir(), 'sigsys-kbench-'));
  for (let i = 0; i < RINGS; i++) {
    const out = execFileSync(ringfill, [dir, String(PER_RING), '--records', String(records)], { encoding: 'utf8' }).trim().split('\n');
    const res = JSON.parse(out[out.length - 1]);
    if (res.pushed !== PER_RING) throw new Error(`ringfill pushed ${res.pushed} of ${PER_RING}`);
  }
  return dir;
}
const total = PER_RING * RINGS;

/** Rings -> collector -> Kafka sink; the clock stops when every cursor is committed (= acknowledged). */
async function throughputRun(valueFormat) {
  const spool = fillSpool();
  const metrics = createMetrics({ defaultMetrics: false });
  const sink = createKafkaSink({
    brokers: [broker],
    topic: `sigsys.bench.throughput.${valueFormat}.${stamp}`,
    partitions: 6,
    valueFormat,
    metrics,
  });
  await sink.connect();
  globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  const c = createCollector({ spoolDir: spool, sinks: [sink], metrics, removeFinished: false, batchSize: 4096, batchesPerTurn: 16 });
  await c.drain({ timeoutMs: 600_000 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await c.stop();
  const st = c.stats();
  if (st.events !== total) throw new Error(`collector delivered ${st.events} of ${total}`);
  rmSync(spool, { recursive: true, force: true });
  const r = { valueFormat, events: total, rings: RINGS, seconds: +secs.toFixed(3), eventsPerSec: Math.round(total / secs) };
  r.ratio = +(r.eventsPerSec / TARGET_EPS).toFixed(2);
  r.ok = r.eventsPerSec >= TARGET_EPS;
  process.stdout.write(`kafka bench: throughput (${valueFormat} values) ${r.eventsPerSec} events/s = ${r.ratio}x target ${TARGET_EPS}\n`);
  return r;
}
const throughputs = [await throughputRun('violation'), await throughputRun('batch')];

// ---- latency at a fixed rate: event time -> ack ----
const lsink = createKafkaSink({ brokers: [broker], topic: `sigsys.bench.latency.${stamp}`, partitions: 6, valueFormat: 'batch' });
await lsink.connect();
const TICK_MS = 10;
const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
const ticks = Math.round((SECONDS * 1000) / TICK_MS);
const latencies = new Float64Array(ticks * perTick);
let li = 0;
let seq = 0;
const inflight = [];
const start = performance.now();
const base = (t) => ({
  host: 'bench-host', bootId: 'bench-boot', ringPid: 1, pid: 1, tid: 1, comm: 'bench', exe: '/usr/bin/bench',
  syscall: 'mount', nr: 165, arch: 'x86_64', args: ['0x0', '0x0', '0x0', '0x0', '0x0', '0x0'], ip: '0x401000',
  callSite: 'bench+0x1000', action: 'errno', outcome: 'denied', errno: 1, mode: 'enforce', containerId: '',
  pod: '', namespace: '', workload: `w${seq % 12}`, policyHash: '', time: new Date(t).toISOString(),
  timeNs: String(BigInt(Math.round(t * 1000)) * 1000n),
});
const epoch = Date.now() - performance.now(); // wall clock of performance.now() = 0
for (let k = 0; k < ticks; k++) {
  const due = start + (k + 1) * TICK_MS;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const events = [];
  const times = [];
  for (let j = 0; j < perTick; j++) {
    const t = start + k * TICK_MS + (j * TICK_MS) / perTick; // when this event "happened"
    times.push(t);
    const e = base(epoch + t);
    e.seq = seq++;
    e.workload = `w${e.seq % 12}`;
    events.push(e);
  }
  inflight.push(
    lsink.write(events).then(() => {
      const now = performance.now();
      for (const t of times) latencies[li++] = now - t;
    }),
  );
}
await Promise.all(inflight);
const achieved = Math.round(li / ((performance.now() - start) / 1000));
await lsink.close();
const sorted = Array.from(latencies.subarray(0, li)).sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const latency = {
  rate: RATE,
  achievedRate: achieved,
  seconds: SECONDS,
  events: li,
  p50Ms: +q(0.5).toFixed(1),
  p99Ms: +q(0.99).toFixed(1),
  maxMs: +sorted[sorted.length - 1].toFixed(1),
};
latency.ratio = +(latency.p99Ms / TARGET_P99_MS).toFixed(3);

const date = new Date().toISOString().slice(0, 10);
const result = {
  bench: 'kafka',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  load: loadavg().map((x) => +x.toFixed(2)),
  broker: 'Apache Kafka (test/services/kafka/pom.xml), single KRaft node on 127.0.0.1',
  target: { eventsPerSec: TARGET_EPS, p99Ms: TARGET_P99_MS },
  throughput: throughputs,
  latency: { ...latency, ok: latency.p99Ms <= TARGET_P99_MS },
};
const md = `# kafka bench, ${date} (${result.cores} cores, load ${result.load.join(' ')}, ${result.node})

Single-node broker on 127.0.0.1 (broker and bench share the machine).

| measure | value | target | ratio |
|---|---|---|---|
${throughputs
  .map(
    (t) =>
      `| rings -> collector -> Kafka acks, ${t.valueFormat === 'batch' ? 'sigsys.v1.Batch values (collect default)' : 'one sigsys.v1.Violation per message (--kafka-format violation)'} | ${t.eventsPerSec} events/s (${t.events} events, ${t.rings} rings, ${t.seconds} s) | >= ${TARGET_EPS} | **${t.ratio}** (${t.ok ? 'met' : 'NOT met'}) |`,
  )
  .join('\n')}
| event time -> ack at ${RATE}/s, p50 | ${latency.p50Ms} ms | | |
| event time -> ack at ${RATE}/s, p99 | ${latency.p99Ms} ms (max ${latency.maxMs} ms, achieved ${latency.achievedRate}/s) | <= ${TARGET_P99_MS} ms | **${latency.ratio}** of budget (${result.latency.ok ? 'met' : 'NOT met'}) |
`;
process.stdout.write(`kafka bench: latency at ${RATE}/s p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms = ${latency.ratio} of ${TARGET_P99_MS} ms budget\n`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, `bench/results/kafka-${date}.json`), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(root, `bench/results/kafka-${date}.md`), md);
process.exit(0);
