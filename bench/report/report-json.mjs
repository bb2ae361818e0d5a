#!/usr/bin/env node
/**
 * report-json.mjs EVENTS OUT [WORKERS] - `sigsys report EVENTS --html OUT`
 * with the fast line reader off (every line through JSON.parse, as before
 * src/report/fast-line.ts): the reference the bench compares the real CLI
 * with, in the same run.
 */
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const { buildReportPage, writePage } = await import(join(root, 'dist/report/page.js'));
const { defaultWorkers } = await import(join(root, 'dist/report/parallel.js'));
const [events, out, workers] = process.argv.slice(2);
const page = await buildReportPage({ events, workers: Number(workers ?? defaultWorkers()), fast: false });
await writePage(out, page.html);
