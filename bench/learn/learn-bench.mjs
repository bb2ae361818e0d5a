// learn-bench.mjs - see run.sh.  A python loop making N getppid/getpid calls
// (N = 40000 by default, --calls N), timed as: unconfined, under strace -f,
// and under `sigsys learn` (deny-everything base, so every call is learned).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { calls: { type: 'string', default: '40000' }, rounds: { type: 'string', default: '5' } } });
const calls = Number(values.calls);
const rounds = Number(values.rounds);
const cli = join(root, 'dist', 'cli', 'main.js');
const tmp = mkdtempSync(join(tmpdir(), 'sigsys-bench-learn-'));
// The python binary itself, not a shim script (pyenv) that would add a bash to every configuration.
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const prog = [python, '-c', `import os\nfor i in range(${Math.floor(calls / 2)}):\n    os.getppid(); os.getpid()`];
// The mechanism alone, without the CLI's node start-up: sigsys-exec as learn runs it.
const learnProfile = join(tmp, 'learning.json');
writeFileSync(learnProfile, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['execve', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] }));
const policy = join(tmp, 'learning.pol');
const spool = join(tmp, 'spool');
mkdirSync(spool);
spawnSync(process.execPath, [cli, 'compile', learnProfile, '--mode', 'audit', '-o', policy], { stdio: 'ignore' });
const sigsysExec = join(root, 'build', 'native', 'Release', 'sigsys-exec');

const configs = {
  unconfined: prog,
  strace: ['strace', '-f', '-o', '/dev/null', ...prog],
  learn: [process.execPath, cli, 'learn', '-o', join(tmp, 'learned.json'), '--', ...prog],
  supervisor: [sigsysExec, '--mode', 'audit', '--report-once', '--spool', spool, policy, '--', ...prog],
  cliStartup: [process.execPath, cli, 'learn', '-o', join(tmp, 'true.json'), '--', '/bin/true'],
};

function time(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SIGSYS_LOG_LEVEL: 'silent' } });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return s;
}

const best = Object.fromEntries(Object.keys(configs).map((k) => [k, Infinity]));
for (let i = 0; i < rounds; i++) {
  for (const [k, argv] of Object.entries(configs)) {
    best[k] = Math.min(best[k], time(argv));
    for (const f of readdirSync(spool)) rmSync(join(spool, f), { force: true });
  }
}
const learned = JSON.parse(readFileSync(join(tmp, 'learned.json'), 'utf8'));
rmSync(tmp, { recursive: true, force: true });

const learnVsPlain = best.learn / best.unconfined;
const straceVsLearn = best.strace / best.learn;
const date = new Date().toISOString().slice(0, 10);
const load = loadavg().map((x) => x.toFixed(2)).join(' ');
const result = {
  date, kernel: release(), load, calls, rounds,
  seconds: best,
  ratios: { learnVsUnconfined: learnVsPlain, straceVsLearn, supervisorVsUnconfined: best.supervisor / best.unconfined, straceVsSupervisor: best.strace / best.supervisor },
  targets: { learnVsUnconfined: 2, straceVsLearn: 5 },
  met: { learnVsUnconfined: learnVsPlain <= 2, straceVsLearn: straceVsLearn >= 5 },
  learnedEntries: learned.syscalls.length,
};
const md = `# learn bench, ${date} (kernel ${release()}, load ${load})

A python3 loop of ${calls} syscalls (getppid, getpid), fastest of ${rounds} alternating rounds.

| configuration | seconds |
|---|---|
| unconfined | ${best.unconfined.toFixed(3)} |
| strace -f -o /dev/null | ${best.strace.toFixed(3)} |
| sigsys learn (deny-everything base) | ${best.learn.toFixed(3)} |
| sigsys-exec --report-once (learn's mechanism, no node CLI) | ${best.supervisor.toFixed(3)} |
| sigsys learn -- /bin/true (CLI start-up, compile, collector) | ${best.cliStartup.toFixed(3)} |

- learn vs unconfined: **${learnVsPlain.toFixed(2)}x** (target <= 2: ${learnVsPlain <= 2})
- strace vs learn: **${straceVsLearn.toFixed(2)}x** faster (target >= 5: ${straceVsLearn >= 5})
- the mechanism alone: sigsys-exec --report-once vs unconfined **${(best.supervisor / best.unconfined).toFixed(2)}x**, strace vs it **${(best.strace / best.supervisor).toFixed(2)}x** faster
`;
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', `learn-${date}.json`), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(root, 'bench', 'results', `learn-${date}.md`), md);
process.stdout.write(md);
