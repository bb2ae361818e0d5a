#!/usr/bin/env node
/**
 * gen-events.mjs - write N synthetic violation events as NDJSON, in the exact
 * shape the collector's NDJSON sink writes (src/events/types.ts): 24
 * workloads on 6 hosts, 40 syscalls with a skewed mix, call sites per
 * executable, spread over one hour, each ring's seqs in order.  Events come
 * in bursts of 1-64 from one workload (the collector writes a ring's events
 * as one batch; a workload hitting a denied call tends to hit it in a
 * loop), each burst over one or two syscalls.  Deterministic (fixed-seed
 * PRNG), so every bench run reads the same bytes.
 *
 *   node bench/report/gen-events.mjs N OUT.ndjson
 */
import { createWriteStream } from 'node:fs';
import { violationEvents } from './events.mjs';

const n = Number(process.argv[2] ?? 1_000_000);
const out = process.argv[3] ?? '/dev/stdout';
const ws = createWriteStream(out, { highWaterMark: 1 << 20 });
let buf = '';
for (const ev of violationEvents(n)) {
  buf += JSON.stringify(ev) + '\n';
  if (buf.length > 1 << 20) {
    if (!ws.write(buf)) await new Promise((r) => ws.once('drain', r));
    buf = '';
  }
}
ws.end(buf);
