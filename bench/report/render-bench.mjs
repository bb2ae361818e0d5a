#!/usr/bin/env node
/**
 * render-bench.mjs N - the report without the NDJSON: N events already in
 * memory as objects (as `sigsys run --html` receives them from the
 * collector) folded, the model built, the suggestion diffed against the
 * default profile and the page rendered.  Prints {events, wallMs, cpuMs}, and
 * the same split into the fold (done by `sigsys run` while the command runs)
 * and the part after the run (model, diff, page: what the user waits for).
 */
import { join, resolve } from 'node:path';
import { violationEvents } from './events.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const { createReportFold } = await import(join(root, 'dist/report/model.js'));
const { renderHtml } = await import(join(root, 'dist/report/html.js'));
const { suggestProfileChange } = await import(join(root, 'dist/report/suggest.js'));
const { defaultProfilePath } = await import(join(root, 'dist/profile/index.js'));

const n = Number(process.argv[2] ?? 1_000_000);
const events = [...violationEvents(n)];
const t0 = performance.now();
const c0 = process.cpuUsage();
const fold = createReportFold();
for (const e of events) fold.add(e);
// The fold runs while `sigsys run` runs (its sink folds each batch as it
// arrives); what follows is what the user waits for once the run has ended.
const tFolded = performance.now();
const cFolded = process.cpuUsage(c0);
const model = fold.build({ title: 'bench', source: 'memory' });
const html = renderHtml(model, suggestProfileChange(defaultProfilePath(), model.denied));
const c = process.cpuUsage(c0);
const t1 = performance.now();
console.log(JSON.stringify({
  events: model.events,
  bytes: html.length,
  wallMs: t1 - t0,
  cpuMs: (c.user + c.system) / 1000,
  foldWallMs: tFolded - t0,
  foldCpuMs: (cFolded.user + cFolded.system) / 1000,
  afterRunWallMs: t1 - tFolded,
  afterRunCpuMs: (c.user + c.system - cFolded.user - cFolded.system) / 1000,
}));
