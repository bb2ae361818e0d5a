#!/usr/bin/env node
/**
 * report-json.mjs EVENTS OUT [WORKERS] [READER] - `sigsys report EVENTS
 * --html OUT` with another line reader: READER `json` (default: every line
 * through JSON.parse, as before src/report/fast-line.ts) or `js` (the JS
 * fast reader, fast-line.ts, instead of the addon's C LineScanner): the
 * references the bench compares the real CLI with, in the same run.
 */
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const { buildReportPage, writePage } = await import(join(root, 'dist/report/page.js'));
const { defaultWorkers } = await import(join(root, 'dist/report/parallel.js'));
const [events, out, workers, reader = 'json'] = process.argv.slice(2);
const mode = reader === 'js' ? { native: false } : { fast: false };
const page = await buildReportPage({ events, workers: Number(workers ?? defaultWorkers()), ...mode });
await writePage(out, page.html);
