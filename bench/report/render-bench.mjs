#!/usr/bin/env node
/**
 * render-bench.mjs N - the report without the NDJSON: N events already in
 * memory as objects (as `sigsys run --html` receives them from the
 * collector) folded, the model built, the suggestion diffed against the
 * default profile and the page rendered.  Prints {events, wallMs, cpuMs}.
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
const model = fold.build({ title: 'bench', source: 'memory' });
const html = renderHtml(model, suggestProfileChange(defaultProfilePath(), model.denied));
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ events: model.events, bytes: html.length, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 }));
