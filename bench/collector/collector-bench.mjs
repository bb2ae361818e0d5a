#!/usr/bin/env node
/**
 * collector-bench.mjs - events/s through the collector on one core, with RSS.
 *
 *   node bench/collector/collector-bench.mjs [--events N] [--rings R]
 *   (bench/run.sh collector runs it pinned to one CPU with taskset)
 *
 * Rings are filled by sigsys-ringfill (the real producer code) before the
 * clock starts; then, on the same rings (cursor reset between phases):
 *   decode:     RingReader.read -> protobuf decode -> enrich   (target >= 300,000 events/s)
 *   ndjson+prom: the full collector loop with the NDJSON sink (to a file) and
 *                the Prometheus sink (counters)                (reported against the same target)
 * Peak RSS is sampled during each phase (target <= 150 MB).  Results go to
 * stdout and bench/results/collector.json.  Uses the TypeScript build in
 * dist/ (npm run build:ts) and the native build (SIGSYS_ADDON or
 * build/native/Release).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => join(root, 'dist', p);
const { loadNative } = await import(dist('native/loader.js'));
const { createCollector } = await import(dist('collector/collector.js'));
const { protoDecoder } = await import(dist('collector/decode.js'));
const { createEnricher, createRingContext } = await import(dist('events/enrich.js'));
const { createNdjsonSink } = await import(dist('sinks/ndjson.js'));
const { createMetrics, createPrometheusSink } = await import(dist('sinks/prometheus.js'));

const { values } = parseArgs({ options: { events: { type: 'string', default: '400000' }, rings: { type: 'string', default: '4' } } });
const RINGS = Number(values.rings);
const PER_RING = Math.ceil(Number(values.events) / RINGS);
const TARGET_EPS = 300_000;
const TARGET_RSS_MB = 150;

const native = loadNative();
const nativeDir = process.env.SIGSYS_ADDON ? dirname(resolve(process.env.SIGSYS_ADDON)) : join(root, 'build/native/Release');
const ringfill = join(nativeDir, 'sigsys-ringfill');

const spool = mkdtempSync(join(tmpdir(), 'sigsys-bench-'));
let records = 1;
while (records < PER_RING) records *= 2;
const paths = [];
for (let i = 0; i < RINGS; i++) {
  const out = execFileSync(ringfill, [spool, String(PER_RING), '--records', String(records)], { encoding: 'utf8' }).trim().split('\n');
  const res = JSON.parse(out[out.length - 1]);
  if (res.pushed !== PER_RING) throw new Error(`ringfill pushed ${res.pushed} of ${PER_RING}`);
  paths.push(res.path);
}
const total = PER_RING * RINGS;

function rssSampler() {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return () => {
    clearInterval(t);
    return Math.max(peak, process.memoryUsage().rss) / 2 ** 20;
  };
}
function resetCursors() {
  for (const p of paths) {
    const r = new native.RingReader(p);
    r.commit(0);
    r.close();
  }
}

// ---- phase 1: decode path (read + decode + enrich), no sinks ----
globalThis.gc?.();
const decoder = protoDecoder();
const enricher = createEnricher({ syscallName: native.syscallName });
let stopRss = rssSampler();
let t0 = process.hrtime.bigint();
let n = 0;
for (const p of paths) {
  const r = new native.RingReader(p);
  const ctx = createRingContext(decoder.ringMeta(r.meta()), r.stats().ownerPid);
  let next = 0;
  for (;;) {
    const res = r.read(next, 4096);
    for (const rec of res.records) {
      const ev = enricher.enrich(decoder.violation(rec.data), ctx);
      if (ev.seq < 0) throw new Error('unreachable');
      n++;
    }
    next = res.next;
    if (res.stop !== 'max') break;
    await null; // let the RSS sampler run, as the collector loop would
  }
  r.close();
}
let secs = Number(process.hrtime.bigint() - t0) / 1e9;
const decode = { events: n, seconds: secs, eventsPerSec: Math.round(n / secs), peakRssMb: Math.round(stopRss()) };
if (n !== total) throw new Error(`decode phase read ${n} of ${total}`);

// ---- phase 2: the collector loop into NDJSON + Prometheus ----
resetCursors();
globalThis.gc?.();
const outFile = join(spool, 'events.ndjson');
const metrics = createMetrics({ defaultMetrics: false });
const sinks = [createNdjsonSink({ path: outFile }), createPrometheusSink({ metrics })];
stopRss = rssSampler();
t0 = process.hrtime.bigint();
const c = createCollector({ spoolDir: spool, sinks, metrics, removeFinished: false, batchSize: 4096, batchesPerTurn: 16, logger: undefined });
await c.drain({ timeoutMs: 600_000 });
secs = Number(process.hrtime.bigint() - t0) / 1e9;
await c.stop();
const st = c.stats();
const full = { events: st.events, seconds: secs, eventsPerSec: Math.round(st.events / secs), peakRssMb: Math.round(stopRss()), ndjsonBytes: statSync(outFile).size };
if (st.events !== total) throw new Error(`collector phase delivered ${st.events} of ${total}`);
rmSync(spool, { recursive: true, force: true });

const result = {
  bench: 'collector',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  affinity: process.env.SIGSYS_BENCH_PINNED ?? 'unpinned',
  rings: RINGS,
  events: total,
  target: { eventsPerSec: TARGET_EPS, rssMb: TARGET_RSS_MB },
  decode: { ...decode, ratio: +(decode.eventsPerSec / TARGET_EPS).toFixed(2), rssOk: decode.peakRssMb <= TARGET_RSS_MB },
  ndjsonPrometheus: { ...full, ratio: +(full.eventsPerSec / TARGET_EPS).toFixed(2), rssOk: full.peakRssMb <= TARGET_RSS_MB },
};
const fmt = (name, r) =>
  `${name.padEnd(18)} ${String(r.eventsPerSec).padStart(9)} events/s  (${r.ratio}x target ${TARGET_EPS})  peak RSS ${r.peakRssMb} MB (${r.rssOk ? 'ok' : 'OVER'} <= ${TARGET_RSS_MB})`;
process.stdout.write(`collector bench: ${total} events in ${RINGS} rings, ${result.affinity}\n`);
process.stdout.write(fmt('decode+enrich', result.decode) + '\n');
process.stdout.write(fmt('ndjson+prometheus', result.ndjsonPrometheus) + '\n');
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/collector.json'), JSON.stringify(result, null, 2) + '\n');
