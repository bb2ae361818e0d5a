#!/usr/bin/env node
/**
 * parse-baseline.mjs FILE - the floor of reading sigsys NDJSON in Node: the
 * same 4 MiB chunked read and decode as src/report/input.ts (latin1 for an
 * all-ASCII chunk, else UTF-8), and JSON.parse of every line, nothing else.
 * Prints {lines, wallMs, cpuMs}.
 */
import { isAscii } from 'node:buffer';
import { open } from 'node:fs/promises';

const file = process.argv[2];
const t0 = performance.now();
const c0 = process.cpuUsage();
const fh = await open(file, 'r');
const CHUNK = 4 << 20;
const buf = Buffer.allocUnsafe(CHUNK);
let carry = Buffer.alloc(0);
let lines = 0;
let n = 0;
for (;;) {
  const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
  if (bytesRead === 0) break;
  const chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
  const nl = chunk.lastIndexOf(10);
  const text = chunk.toString(isAscii(chunk.subarray(0, nl + 1)) ? 'latin1' : 'utf8', 0, nl + 1);
  carry = Buffer.from(chunk.subarray(nl + 1));
  let i = 0;
  let j;
  while ((j = text.indexOf('\n', i)) !== -1) {
    lines++;
    if (JSON.parse(text.slice(i, j)).syscall) n++;
    i = j + 1;
  }
}
await fh.close();
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ lines, events: n, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 }));
