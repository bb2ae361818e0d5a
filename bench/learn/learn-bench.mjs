// learn-bench.mjs - see run.sh.  Each load is timed unconfined, under
// strace -f, under `sigsys learn` through the kernel's counter (--learn-via
// bpf) and through the supervisor alone (--learn-via supervisor), and the
// same two mechanisms without the node CLI (sigsys-exec as learn runs it):
//
//   issue         THE HEADLINE, the issue's load as the issue states it: a
//                 python3 loop of 40k syscalls (20k iterations of getppid +
//                 getpid) whose iterations also do pure-python work (K
//                 additions), K sized at the start of the run so that the loop
//                 takes --issue-seconds (0.31 s, what it took where the issue
//                 was filed) unconfined here: median of 5 runs with K=0 and
//                 with K=200 give the cost of one addition; the sized loop is
//                 timed once more and K rescaled once (--issue-work K fixes it)
//   dense-timed   a python loop of getppid/getpid and nothing else, sized by
//                 TIME to take 0.3 s unconfined (~14x denser in syscalls than
//                 the issue's load: the counter's per-call cost shows)
//   dense-40k     the same loop with 40k calls (--calls N): ~0.1 s, shorter
//                 than the CLI's fixed start-up can hide
//   dense-400k    the same loop with 10x the calls
//   scan          cat over every /usr/share/doc/*/copyright, 5 times (a C
//                 program: openat/fstat/read/write/close per file)
//
// Ratios survive this VM's speed drift (±30 % over seconds): every round runs
// every configuration of a load back to back, learn right after (or, every
// other round, right before) unconfined and next to strace, and the verdict
// is the MEDIAN of the per-round ratios (learn/unconfined and strace/learn of
// the same round).  The ratio of the fastest runs is shown too.  The
// headline gets --rounds (9); the dense and scan loads --dense-rounds (3:
// strace takes 10-20 s a run on the dense ones).
//
// Results go to bench/results/<--name>.md and .json (default learn-<date>);
// an existing file is never overwritten: -2, -3, ... is appended instead.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, release, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, median, writeResults } from './results.mjs';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '40000' },
    rounds: { type: 'string', default: '9' },
    'dense-rounds': { type: 'string', default: '3' },
    'issue-seconds': { type: 'string', default: '0.31' },
    'issue-work': { type: 'string' },
    'dense-seconds': { type: 'string', default: '0.3' },
    only: { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    name: { type: 'string' },
  },
});
const calls = Number(values.calls);
const rounds = Number(values.rounds);
const denseRounds = Number(values['dense-rounds']);
const cli = join(root, 'dist', 'cli', 'main.js');
const tmp = mkdtempSync(join(tmpdir(), 'sigsys-bench-learn-'));
// The python binary itself, not a shim script (pyenv) that would add a bash to every configuration.
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const loop = (n) => [python, '-c', `import os\nfor i in range(${Math.floor(n / 2)}):\n    os.getppid(); os.getpid()`];
// The issue's load: 40k syscalls, and K additions of pure python per iteration.
const ISSUE_CALLS = 40000;
const work = (k) => [python, '-c', `import os\ndef work(k):\n    s = 0\n    for j in range(k):\n        s += j\n    return s\nfor i in range(${ISSUE_CALLS / 2}):\n    os.getppid(); os.getpid(); work(${k})`];

// learn's policy cache (docs/learn.md "Cost") in the run's temp dir, filled
// before the rounds: every timed learn run is the steady state, a hit
// (--no-cache: SIGSYS_CACHE_DIR=off, every run compiles).
const cacheDir = values['no-cache'] ? 'off' : join(tmp, 'cache');
function time(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SIGSYS_LOG_LEVEL: 'silent', SIGSYS_CACHE_DIR: cacheDir } });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  // The counter must have been used: a fallback line would mean the supervisor was measured.
  if (String(r.stderr).includes('learning through the supervisor alone')) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return s;
}
const typical = (argv) => median([0, 1, 2, 3, 4].map(() => time(argv)));

// Size a load by time: `make(x)` takes a + b*x seconds; find x for `target`
// from the median of 5 runs at x=0 and x=probe, then time that size (median
// of 5) and rescale once: the VM's speed drifts, and a calibration caught by
// a fast or a busy moment misjudges b.  The rounds' own unconfined times are
// reported with the result: the size is only as good as this guess.
function calibrate(make, probe, target, roundTo, min) {
  const c = { empty: typical(make(0)), probe, probeSeconds: typical(make(probe)) };
  c.perUnitUs = ((c.probeSeconds - c.empty) / probe) * 1e6;
  const round = (x) => Math.max(min, Math.round(x / roundTo) * roundTo);
  c.firstGuess = round((target - c.empty) / (c.perUnitUs / 1e6));
  c.firstGuessSeconds = typical(make(c.firstGuess));
  c.size = round((c.firstGuess * (target - c.empty)) / Math.max(1e-3, c.firstGuessSeconds - c.empty));
  return c;
}

const only = values.only ? new Set(values.only.split(',')) : undefined;
const want = (l) => !only || only.has(l);
const issueSeconds = Number(values['issue-seconds']);
// Sized only when the issue's load is run (--only may leave it out).
const issueCal = values['issue-work'] || !want('issue') ? undefined : calibrate(work, 200, issueSeconds, 1, 0);
const issueWork = values['issue-work'] ? Number(values['issue-work']) : (issueCal?.size ?? 0);
const issueHow = issueCal
  ? `K = ${issueWork} additions per iteration, sized to take ${issueSeconds} s unconfined here (median of 5: K=0 ${issueCal.empty.toFixed(3)} s, K=${issueCal.probe} ${issueCal.probeSeconds.toFixed(3)} s, so ${(issueCal.perUnitUs / (ISSUE_CALLS / 2) * 1000).toFixed(1)} ns per addition; K=${issueCal.firstGuess} took ${issueCal.firstGuessSeconds.toFixed(3)} s, rescaled once)`
  : `K = ${issueWork} additions per iteration (--issue-work)`;
const denseSeconds = Number(values['dense-seconds']);
const denseCal = want('dense-timed') ? calibrate(loop, 200000, denseSeconds, 20000, 20000) : undefined;
const denseHow = denseCal
  ? `${denseCal.size} calls, sized to take ${denseSeconds} s unconfined here (python start ${denseCal.empty.toFixed(3)} s, ${denseCal.perUnitUs.toFixed(3)} us per call, median of 5; ${denseCal.firstGuess} calls took ${denseCal.firstGuessSeconds.toFixed(3)} s, rescaled once)`
  : '';
const allLoads = {
  issue: { rounds, what: `the issue's load: a python3 loop of ${ISSUE_CALLS / 1000}k syscalls (20k iterations of getppid + getpid) doing pure-python work in every iteration; ${issueHow}`, cmd: work(issueWork) },
  'dense-timed': { rounds: denseRounds, what: `a python3 loop of getppid/getpid and nothing else, sized by time: ${denseHow}`, cmd: denseCal ? loop(denseCal.size) : [] },
  'dense-40k': { rounds: denseRounds, what: `a python3 loop of ${calls} syscalls (getppid, getpid) and nothing else`, cmd: loop(calls) },
  'dense-400k': { rounds: denseRounds, what: `a python3 loop of ${calls * 10} syscalls (getppid, getpid) and nothing else`, cmd: loop(calls * 10) },
  scan: { rounds: denseRounds, what: 'cat of every /usr/share/doc/*/copyright, 5 times (openat, fstat, read, write, close per file)', cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do cat /usr/share/doc/*/copyright; done >/dev/null'] },
};
const loads = Object.fromEntries(Object.entries(allLoads).filter(([l]) => want(l)));

// The mechanisms alone, without the CLI's node start-up: sigsys-exec as learn runs it.
const learnProfile = join(tmp, 'learning.json');
writeFileSync(learnProfile, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['execve', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] }));
const policy = join(tmp, 'learning.pol');
const spool = join(tmp, 'spool');
mkdirSync(spool);
spawnSync(process.execPath, [cli, 'compile', learnProfile, '--mode', 'audit', '-o', policy], { stdio: 'ignore' });
const sigsysExec = join(root, 'build', 'native', 'Release', 'sigsys-exec');
const exec = (via, cmd) => [sigsysExec, '--mode', 'audit', '--report-once', '--learn-via', via, '--spool', spool, policy, '--', ...cmd];
const learn = (via, cmd) => [process.execPath, cli, 'learn', '--learn-via', via, '-o', join(tmp, `learned-${via}.json`), '--', ...cmd];

// Per load, in the order run (reversed every other round): learn next to unconfined and to strace.
// strace's cost depends on where the scheduler puts tracer and tracee: on
// this VM a ptrace stop across CPUs costs ~10x one on the same CPU, so the
// headline also times strace with both on one CPU (taskset -c 0), shown
// beside the plain run (which is what the target is judged on).
const CONFIGS = ['unconfined', 'learnBpf', 'strace', 'straceOneCpu', 'learnSupervisor', 'execBpf', 'execSupervisor'];
const configsOf = (l) => (l === 'issue' ? CONFIGS : CONFIGS.filter((c) => c !== 'straceOneCpu'));
const argvOf = (cmd) => ({
  unconfined: cmd,
  learnBpf: learn('bpf', cmd),
  strace: ['strace', '-f', '-o', '/dev/null', ...cmd],
  straceOneCpu: ['taskset', '-c', '0', 'strace', '-f', '-o', '/dev/null', ...cmd],
  learnSupervisor: learn('supervisor', cmd),
  execBpf: exec('bpf', cmd),
  execSupervisor: exec('supervisor', cmd),
});
const fixed = { cliStartup: learn('bpf', ['/bin/true']), nodeStartup: [process.execPath, '-e', '0'] };

for (const via of ['bpf', 'supervisor']) time(learn(via, ['/bin/true'])); // fills the policy cache
const loadBefore = loadavg();
const runs = {}; // runs[load][config] = seconds per round
for (const l of Object.keys(loads)) runs[l] = Object.fromEntries(configsOf(l).map((c) => [c, []]));
const fixedRuns = { cliStartup: [], nodeStartup: [] };
const maxRounds = Math.max(...Object.values(loads).map((x) => x.rounds));
for (let i = 0; i < maxRounds; i++) {
  for (const [l, { cmd, rounds: n }] of Object.entries(loads)) {
    if (i >= n) continue;
    const argv = argvOf(cmd);
    for (const c of i % 2 ? [...configsOf(l)].reverse() : configsOf(l)) {
      runs[l][c].push(time(argv[c]));
      for (const f of readdirSync(spool)) rmSync(join(spool, f), { force: true });
    }
  }
  for (const k of i % 2 ? ['nodeStartup', 'cliStartup'] : ['cliStartup', 'nodeStartup']) fixedRuns[k].push(time(fixed[k]));
}
const loadAfter = loadavg();
rmSync(tmp, { recursive: true, force: true });

const min = (xs) => Math.min(...xs);
const date = new Date().toISOString().slice(0, 10);
// [numerator, denominator] configurations of each reported ratio.
const RATIOS = {
  learnBpfVsUnconfined: ['learnBpf', 'unconfined'],
  straceVsLearnBpf: ['strace', 'learnBpf'],
  straceOneCpuVsLearnBpf: ['straceOneCpu', 'learnBpf'],
  learnSupervisorVsUnconfined: ['learnSupervisor', 'unconfined'],
  straceVsLearnSupervisor: ['strace', 'learnSupervisor'],
  execBpfVsUnconfined: ['execBpf', 'unconfined'],
  straceVsExecBpf: ['strace', 'execBpf'],
};
const perLoad = {};
for (const l of Object.keys(loads)) {
  const r = runs[l];
  const ratios = {};
  for (const [k, [a, b]] of Object.entries(RATIOS)) {
    if (!r[a] || !r[b]) continue;
    const perRound = r[a].map((x, i) => x / r[b][i]);
    ratios[k] = { median: median(perRound), fastest: min(r[a]) / min(r[b]), perRound };
  }
  perLoad[l] = {
    rounds: r.unconfined.length,
    seconds: Object.fromEntries(configsOf(l).map((c) => [c, { median: median(r[c]), fastest: min(r[c]), runs: r[c] }])),
    ratios,
    met: { learnBpfVsUnconfined: ratios.learnBpfVsUnconfined.median <= 2, straceVsLearnBpf: ratios.straceVsLearnBpf.median >= 5 },
  };
}
const result = {
  date, kernel: release(), cpus: cpus().length, load: { before: fmt(loadBefore), after: fmt(loadAfter) }, calls, rounds, denseRounds, policyCache: !values['no-cache'],
  issue: { seconds: issueSeconds, syscalls: ISSUE_CALLS, work: issueWork, calibration: issueCal },
  denseTimed: denseCal ? { seconds: denseSeconds, calls: denseCal.size, calibration: denseCal } : undefined,
  loads: Object.fromEntries(Object.entries(loads).map(([k, v]) => [k, v.what])),
  cliStartup: { median: median(fixedRuns.cliStartup), fastest: min(fixedRuns.cliStartup) },
  nodeStartup: { median: median(fixedRuns.nodeStartup), fastest: min(fixedRuns.nodeStartup) },
  targets: { learnVsUnconfined: 2, straceVsLearn: 5, judgedOn: 'median of per-round ratios' },
  results: perLoad,
};
const x = (v) => `${v.toFixed(2)}x`;
const LABELS = {
  unconfined: 'unconfined',
  strace: 'strace -f -o /dev/null',
  straceOneCpu: 'strace -f -o /dev/null, tracer and tracee on one CPU (taskset -c 0)',
  learnBpf: '**sigsys learn --learn-via bpf** (default as root)',
  learnSupervisor: 'sigsys learn --learn-via supervisor',
  execBpf: 'sigsys-exec --report-once --learn-via bpf',
  execSupervisor: 'sigsys-exec --report-once --learn-via supervisor',
};
const VS = { unconfined: null, strace: null, straceOneCpu: null, learnBpf: 'learnBpfVsUnconfined', learnSupervisor: 'learnSupervisorVsUnconfined', execBpf: 'execBpfVsUnconfined', execSupervisor: null };
let md = `# learn bench, ${date} (kernel ${release()}, ${cpus().length} CPUs, load ${fmt(loadBefore)} before, ${fmt(loadAfter)} after)

Rounds alternate configurations (order reversed every other round); each
ratio is the **median of per-round ratios** (learn/unconfined and
strace/learn measured in the same round, back to back); the ratio of the
fastest runs is in brackets.  Headline (issue): ${rounds} rounds; the other loads: ${denseRounds}.
Loads:
${Object.entries(loads).map(([k, v]) => `- **${k}**: ${v.what}`).join('\n')}

\`sigsys learn\` is the whole CLI (node start-up, the learning policy ${values['no-cache'] ? 'compiled every run (--no-cache)' : 'from its cache (filled before the rounds)'}, the run, collector, profile written);
\`sigsys-exec\` rows are the mechanism alone (the learning run as learn starts it).

| load | configuration | median s | fastest s | vs unconfined: median of rounds (fastest) |
|---|---|---|---|---|
`;
for (const l of Object.keys(loads)) {
  for (const c of configsOf(l)) {
    const s = perLoad[l].seconds[c];
    const k = VS[c];
    const vs = k ? `${x(perLoad[l].ratios[k].median)} (${x(perLoad[l].ratios[k].fastest)})` : c === 'unconfined' ? '1' : `(${x(s.fastest / perLoad[l].seconds.unconfined.fastest)})`;
    md += `| ${l} | ${LABELS[c]} | ${s.median.toFixed(3)} | ${s.fastest.toFixed(3)} | ${vs} |\n`;
  }
}
md += `\nUnconfined in the rounds themselves (what the sizing got): ${Object.keys(loads).map((l) => `${l} median ${perLoad[l].seconds.unconfined.median.toFixed(3)} s`).join(', ')}.\n`;
md += `\n\`sigsys learn -- /bin/true\` (the CLI's fixed cost: node start-up, policy, collector): median ${result.cliStartup.median.toFixed(3)} s, fastest ${result.cliStartup.fastest.toFixed(3)} s; \`node -e 0\` alone: median ${result.nodeStartup.median.toFixed(3)} s, fastest ${result.nodeStartup.fastest.toFixed(3)} s\n\n`;
md += '| load | rounds | learn (bpf) vs unconfined (target <= 2) | strace vs learn (bpf) (target >= 5) | learn (supervisor) vs unconfined | strace vs learn (supervisor) | sigsys-exec bpf vs unconfined | strace vs sigsys-exec bpf |\n|---|---|---|---|---|---|---|---|\n';
for (const l of Object.keys(loads)) {
  const r = perLoad[l].ratios;
  const m = perLoad[l].met;
  const cell = (k) => `${x(r[k].median)} (${x(r[k].fastest)})`;
  md += `| ${l} | ${perLoad[l].rounds} | ${cell('learnBpfVsUnconfined')} ${m.learnBpfVsUnconfined ? 'met' : 'not met'} | ${cell('straceVsLearnBpf')} ${m.straceVsLearnBpf ? 'met' : 'not met'} | ${cell('learnSupervisorVsUnconfined')} | ${cell('straceVsLearnSupervisor')} | ${cell('execBpfVsUnconfined')} | ${cell('straceVsExecBpf')} |\n`;
}
if (loads.issue) {
  const r = perLoad.issue.ratios;
  md += `\nHeadline per round: learn/unconfined ${r.learnBpfVsUnconfined.perRound.map(x).join(' ')}; strace/learn ${r.straceVsLearnBpf.perRound.map(x).join(' ')}; `;
  md += `strace on one CPU/learn ${r.straceOneCpuVsLearnBpf.perRound.map(x).join(' ')} (median ${x(r.straceOneCpuVsLearnBpf.median)}, fastest ${x(r.straceOneCpuVsLearnBpf.fastest)})\n`;
}
const name = writeResults(values.name ?? `learn-${date}`, result, md);
process.stdout.write(md);
process.stderr.write(`bench learn: results in bench/results/${name}.md and .json\n`);
