// ab.mjs - `sigsys learn` of two builds (checkouts with dist/ and
// build/native) compared on one command, alternating A and B every round
// (B first every other round), each run timed from outside (wall) and from
// inside (timeline.cjs: until sigsys-exec is spawned, the command, after it).
// Verdict: the median of per-round B/A wall ratios.
//
//   node bench/learn/ab.mjs --a ../main --b . [--rounds 15] [--name NAME] -- CMD [ARG...]
//
// Results: bench/results/<NAME>.md and .json (default learn-ab-<date>; never
// overwritten: -2, -3, ... appended).  Run it on an otherwise idle
// machine, like every bench.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, median, writeResults } from './results.mjs';

const { values, positionals: cmd } = parseArgs({
  options: { a: { type: 'string' }, b: { type: 'string' }, rounds: { type: 'string', default: '15' }, name: { type: 'string' } },
  allowPositionals: true,
});
if (!values.a || !values.b || cmd.length === 0) {
  process.stderr.write('usage: node bench/learn/ab.mjs --a DIR --b DIR [--rounds N] [--name NAME] -- CMD [ARG...]\n');
  process.exit(2);
}
const trees = { A: resolve(values.a), B: resolve(values.b) };
const tmp = mkdtempSync(join(tmpdir(), 'sigsys-bench-learn-ab-'));
const hook = join(import.meta.dirname, 'timeline.cjs');
const runs = { A: [], B: [] };
// One untimed run of each first: files in the page cache, and a build with
// learn's policy cache (a temp one here) finds it filled: the steady state.
const plan = [['A', 'B'], ...Array.from({ length: Number(values.rounds) }, (_, i) => (i % 2 ? ['B', 'A'] : ['A', 'B']))];
const loadBefore = loadavg();
for (const [i, order] of plan.entries()) {
  for (const w of order) {
    const tl = join(tmp, 'timeline');
    rmSync(tl, { force: true });
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--require', hook, join(trees[w], 'dist', 'cli', 'main.js'), 'learn', '-o', join(tmp, `${w}.json`), '--', ...cmd], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SIGSYS_TIMELINE: tl, SIGSYS_LOG_LEVEL: 'silent', SIGSYS_CACHE_DIR: join(tmp, 'cache') },
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${w}: exit ${r.status}: ${r.stderr}`);
    if (i > 0) runs[w].push({ wall, ...JSON.parse(readFileSync(tl, 'utf8')) });
  }
}
const loadAfter = loadavg();
rmSync(tmp, { recursive: true, force: true });
const KEYS = ['wall', 'spawn', 'child', 'post'];
const stats = Object.fromEntries(['A', 'B'].map((w) => [w, Object.fromEntries(KEYS.map((k) => [k, { median: median(runs[w].map((r) => r[k])), fastest: Math.min(...runs[w].map((r) => r[k])) }]))]));
const perRound = runs.B.map((r, i) => r.wall / runs.A[i].wall);
const date = new Date().toISOString().slice(0, 10);
const result = { date, kernel: release(), cpus: cpus().length, load: { before: fmt(loadBefore), after: fmt(loadAfter) }, a: values.a, b: values.b, cmd, rounds: Number(values.rounds), stats, wallBOverA: { median: median(perRound), perRound }, runs };
let md = `# learn A/B, ${date} (kernel ${release()}, ${cpus().length} CPUs, load ${fmt(loadBefore)} before, ${fmt(loadAfter)} after)

\`sigsys learn -o P -- ${cmd.join(' ')}\`, A = \`${values.a}\`, B = \`${values.b}\`, ${values.rounds} rounds alternating (B first every other round), after one untimed run of each (learn's policy cache, where the build has one, filled).
ms: wall (from outside), spawn (process start to sigsys-exec spawned), child (spawned to its exit seen), post (exit seen to the CLI's end); median (fastest).

| build | wall | until spawn | child | after the child |
|---|---|---|---|---|
${['A', 'B'].map((w) => `| ${w} | ${KEYS.map((k) => `${stats[w][k].median.toFixed(1)} (${stats[w][k].fastest.toFixed(1)})`).join(' | ')} |`).join('\n')}

B/A wall, median of per-round ratios: **${median(perRound).toFixed(3)}** (${perRound.map((x) => x.toFixed(2)).join(' ')})
`;
const name = writeResults(values.name ?? `learn-ab-${date}`, result, md);
process.stdout.write(md);
process.stderr.write(`bench learn ab: results in bench/results/${name}.md and .json\n`);
