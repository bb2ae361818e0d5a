#!/usr/bin/env node
/**
 * collector-bench.mjs - events/s through the collector on one core, with RSS.
 *
 *   node bench/collector/collector-bench.mjs [--events N] [--rings R]
 *   (bench/run.sh collector runs it pinned to one CPU with taskset)
 *
 * Rings are filled by sigsys-ringfill (the real producer code) before the
 * clock starts; then, on the same rings (cursor reset between phases):
 *   decode:     RingReader.readPacked -> decode + enrich (the collector's fused fast
 *               path, src/collector/fast-decode.ts)          (target >= 300,000 events/s)
 *   ndjson+prom: the full collector loop with the NDJSON sink (to a file) and
 *                the Prometheus sink (counters)                (reported against the same target)
 * Rates are events per CPU-second of this process (user + sys; the machine
 * may be shared, and one core is the contract) and, for reference, per
 * wall-clock second.  Peak RSS is sampled during each phase; the target (<= 150 MB) applies to
 * anonymous memory (RssAnon): the mmap'd rings' pages (RssFile/RssShmem) are
 * reported separately, they are page cache shared with the producers and
 * scale with ring size x open rings, not with the collector.  Results go to
 * stdout and bench/results/collector.json.  Uses the TypeScript build in
 * dist/ (npm run build:ts) and the native build (SIGSYS_ADDON or
 * build/native/Release).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => join(root, 'dist', p);
const { loadNative } = await import(dist('native/loader.js'));
const { createCollector } = await import(dist('collector/collector.js'));
const { protoDecoder } = await import(dist('collector/decode.js'));
const { createFastEnricher } = await import(dist('collector/fast-decode.js'));
const { createEnricher, createRingContext } = await import(dist('events/enrich.js'));
const { createNdjsonSink } = await import(dist('sinks/ndjson.js'));
const { createMetrics } = await import(dist('metrics.js'));
const { createPrometheusSink } = await import(dist('sinks/prometheus.js'));

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

// RSS split as the kernel counts it: anonymous memory is the collector's own;
// file/shmem pages are the mmap'd spool rings (page cache shared with the
// producers), which grow with the rings' size, not with the collector.
function rssNow() {
  const st = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? 0);
  return { anon: kb('RssAnon') / 1024, file: (kb('RssFile') + kb('RssShmem')) / 1024, total: kb('VmRSS') / 1024 };
}
function rssSampler() {
  const peak = { anon: 0, file: 0, total: 0 };
  const sample = () => {
    const r = rssNow();
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], r[k]);
  };
  sample();
  const t = setInterval(sample, 20);
  return () => {
    clearInterval(t);
    sample();
    return { peakRssMb: Math.round(peak.total), peakAnonMb: Math.round(peak.anon), peakRingPagesMb: Math.round(peak.file) };
  };
}
function cpuSecs(since) {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
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
const fast = createFastEnricher(enricher); // what the collector does: fused path, general path as fallback
let stopRss = rssSampler();
let cpu0 = process.cpuUsage();
let t0 = process.hrtime.bigint();
let n = 0;
for (const p of paths) {
  const r = new native.RingReader(p);
  const ctx = createRingContext(decoder.ringMeta(r.meta()), r.stats().ownerPid);
  let next = 0;
  for (;;) {
    const res = r.readPacked(next, 4096);
    for (let i = 0, start = 0; i < res.ends.length; start = res.ends[i++]) {
      const end = res.ends[i];
      const ev = fast.enrich(res.data, ctx, start, end) ?? enricher.enrich(decoder.violation(res.data.subarray(start, end)), ctx);
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
let cpu = cpuSecs(cpu0);
const decode = { events: n, seconds: secs, cpuSeconds: cpu, eventsPerSec: Math.round(n / secs), eventsPerCpuSec: Math.round(n / cpu), ...stopRss() };
if (n !== total) throw new Error(`decode phase read ${n} of ${total}`);

// ---- phase 2: the collector loop into NDJSON + Prometheus ----
resetCursors();
globalThis.gc?.();
const outFile = join(spool, 'events.ndjson');
const metrics = createMetrics({ defaultMetrics: false });
const sinks = [createNdjsonSink({ path: outFile }), createPrometheusSink({ metrics })];
stopRss = rssSampler();
cpu0 = process.cpuUsage();
t0 = process.hrtime.bigint();
const c = createCollector({ spoolDir: spool, sinks, metrics, removeFinished: false, batchSize: 4096, batchesPerTurn: 16, logger: undefined });
await c.drain({ timeoutMs: 600_000 });
secs = Number(process.hrtime.bigint() - t0) / 1e9;
cpu = cpuSecs(cpu0);
await c.stop();
const st = c.stats();
const full = { events: st.events, seconds: secs, cpuSeconds: cpu, eventsPerSec: Math.round(st.events / secs), eventsPerCpuSec: Math.round(st.events / cpu), ...stopRss(), ndjsonBytes: statSync(outFile).size };
if (st.events !== total) throw new Error(`collector phase delivered ${st.events} of ${total}`);
rmSync(spool, { recursive: true, force: true });

const result = {
  bench: 'collector',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  affinity: process.env.SIGSYS_BENCH_PINNED ?? 'unpinned',
  loadavg: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)),
  rings: RINGS,
  events: total,
  target: { eventsPerSec: TARGET_EPS, rssMb: TARGET_RSS_MB },
  decode: { ...decode, ratio: +(decode.eventsPerCpuSec / TARGET_EPS).toFixed(2), rssOk: decode.peakAnonMb <= TARGET_RSS_MB },
  ndjsonPrometheus: { ...full, ratio: +(full.eventsPerCpuSec / TARGET_EPS).toFixed(2), rssOk: full.peakAnonMb <= TARGET_RSS_MB },
};
const fmt = (name, r) =>
  `${name.padEnd(18)} ${String(r.eventsPerCpuSec).padStart(9)} events/cpu-s (${r.eventsPerSec} wall)  (${r.ratio}x target ${TARGET_EPS})  ` +
  `peak RSS ${r.peakRssMb} MB = anon ${r.peakAnonMb} MB (${r.rssOk ? 'ok' : 'OVER'} <= ${TARGET_RSS_MB}) + mapped ring pages ${r.peakRingPagesMb} MB`;
process.stdout.write(`collector bench: ${total} events in ${RINGS} rings, ${result.affinity}\n`);
process.stdout.write(fmt('decode+enrich', result.decode) + '\n');
process.stdout.write(fmt('ndjson+prometheus', result.ndjsonPrometheus) + '\n');
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/collector.json'), JSON.stringify(result, null, 2) + '\n');
const row = (name, r) =>
  `| ${name} | ${r.eventsPerCpuSec.toLocaleString('en')} | ${r.eventsPerSec.toLocaleString('en')} | ${r.ratio}x | ${r.peakAnonMb} MB ${r.rssOk ? '(ok)' : '(OVER)'} | ${r.peakRingPagesMb} MB |`;
// The table of this run replaces the top of the file; the dated `##`
// sections below it (A/B sessions written by hand) are kept.
const mdPath = join(root, 'bench/results/collector.md');
let history = '';
try {
  const old = readFileSync(mdPath, 'utf8');
  const at = old.indexOf('\n## ');
  if (at >= 0) history = old.slice(at + 1);
} catch {
  // no file yet
}
writeFileSync(
  mdPath,
  [
    `# collector bench (${result.date})`,
    '',
    `${total} events in ${RINGS} rings written by sigsys-ringfill; node ${result.node}, ${result.cpu}, ${result.affinity}, load average ${result.loadavg.join(' ')}.`,
    `Target: ${TARGET_EPS.toLocaleString('en')} events/s on one core (events per CPU-second of the collector process), anonymous RSS <= ${TARGET_RSS_MB} MB.`,
    '',
    '| path | events/cpu-s | events/s wall | vs target | peak anon RSS | mapped ring pages |',
    '|---|---|---|---|---|---|',
    row('read + decode + enrich', result.decode),
    row('collector -> NDJSON + Prometheus', result.ndjsonPrometheus),
    '',
    'Reproduce: `bash bench/run.sh collector` (pins to CPU 0 with taskset).',
    '',
  ].join('\n') + (history ? '\n' + history : ''),
);
