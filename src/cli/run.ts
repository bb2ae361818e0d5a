/**
 * sigsys run - run a command under a profile and report its violations.
 *
 * Compiles the profile (H4's compileProfileFile; the project's default
 * profile without --profile), writes the policy and a spool into a temp dir,
 * spawns the command with LD_PRELOAD=libsigsys.so (appended to an existing
 * LD_PRELOAD), SIGSYS_POLICY and SIGSYS_SPOOL, collects in-process while it
 * runs, drains the rings when it exits, prints the table and the verdict to
 * stderr and exits with the command's status (128 + signal when killed).
 * SIGINT, SIGTERM and SIGHUP sent to sigsys are forwarded to the command.
 */
import { parseCommandArgs } from './args.js';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SigsysError, UsageError, describeError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { createCollector, type CollectorStats } from '../collector/collector.js';
import { preloadPath } from '../native/loader.js';
import { createNdjsonSink } from '../sinks/ndjson.js';
import type { Sink } from '../sinks/sink.js';
import { createReportSink, renderReport, type ExitInfo } from '../report/report.js';
import { createRunHtml } from '../report/page.js';

export const help = `Usage: sigsys run [options] -- CMD [ARG...]

Run CMD under a seccomp profile; denied calls are reported instead of
guessed at.  At the end a table (syscall, count, action, outcome, first call
site) and a one-line verdict go to stderr; sigsys exits with CMD's status
(128 + N when CMD was killed by signal N).

Options:
  --profile P.json       Docker/OCI seccomp profile (default: deploy/profiles default)
  --mode enforce|audit   enforce: do what the profile says (default)
                         audit: report every denied call, then let it run
  --out FILE             also write every event as NDJSON to FILE ("-" = stdout)
  --json                 print the summary as JSON on stdout instead of the table
  --html OUT.html        also write the run's report as one HTML page (sigsys report)
  --keep-spool           keep the temp dir with the policy and spool rings
  --ring-records N       records per process ring (default 8192; a full ring
                         counts drops, shown in the verdict)
  -h, --help             this text
`;

const OPTIONS = {
  profile: { type: 'string' },
  mode: { type: 'string', default: 'enforce' },
  out: { type: 'string' },
  json: { type: 'boolean', default: false },
  html: { type: 'string' },
  'keep-spool': { type: 'boolean', default: false },
  'ring-records': { type: 'string' },
} as const;

/** Split argv into sigsys's options and the command (after "--" or the first non-option). */
export function splitCommand(argv: string[], options: Record<string, { type: string; short?: string }> = OPTIONS): { opts: string[]; cmd: string[] } {
  const valued = new Set(
    Object.entries(options)
      .filter(([, o]) => o.type === 'string')
      .flatMap(([k, o]) => [`--${k}`, ...(o.short ? [`-${o.short}`] : [])]),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { opts: argv.slice(0, i), cmd: argv.slice(i + 1) };
    if (!a.startsWith('-')) return { opts: argv.slice(0, i), cmd: argv.slice(i) };
    if (valued.has(a)) i++;
  }
  return { opts: argv, cmd: [] };
}

export interface RunOptions {
  profile?: string;
  mode: 'enforce' | 'audit';
  out?: string;
  json: boolean;
  html?: string;
  keepSpool: boolean;
  ringRecords?: number;
  cmd: string[];
}

export function parseRunArgs(argv: string[]): RunOptions {
  const { opts, cmd } = splitCommand(argv);
  const { values } = parseCommandArgs('run', { args: opts, options: OPTIONS, allowPositionals: false });
  if (values.mode !== 'enforce' && values.mode !== 'audit') throw new UsageError(`run: --mode must be enforce or audit, not "${values.mode}"`);
  if (cmd.length === 0) throw new UsageError('run: no command given (sigsys run [options] -- CMD [ARG...])');
  let ringRecords: number | undefined;
  if (values['ring-records'] !== undefined) {
    ringRecords = Number(values['ring-records']);
    if (!Number.isInteger(ringRecords) || ringRecords < 16 || ringRecords > 4194304) {
      throw new UsageError(`run: --ring-records must be an integer in [16, 4194304], not "${values['ring-records']}"`);
    }
  }
  return { profile: values.profile, mode: values.mode, out: values.out, json: values.json, html: values.html, keepSpool: values['keep-spool'], ringRecords, cmd };
}

interface CompiledProfile {
  policy: Buffer;
  warnings: unknown[];
  hash?: string;
}

async function compileProfile(path: string | undefined, mode: 'enforce' | 'audit'): Promise<{ file: string; compiled: CompiledProfile }> {
  const profile = await import('../profile/index.js');
  const file = path ?? profile.defaultProfilePath();
  const compiled = (await profile.compileProfileFile(file, { mode })) as CompiledProfile;
  return { file, compiled };
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface PreloadRunOptions {
  /** Compiled policy image (compileProfileFile(...).policy). */
  policy: Buffer;
  cmd: string[];
  /** Every event of the run goes to these sinks. */
  sinks: Sink[];
  keepSpool?: boolean;
  /** Records per process ring (SIGSYS_RING_RECORDS); default: the preload's (8192). */
  ringRecords?: number;
  logger?: Logger;
  /** Called once the workload exited and the rings are drained, before the spool is removed. */
  onExit?: (exit: ExitInfo, stats: CollectorStats) => void;
}

/**
 * Run `cmd` under the preload with `policy`: temp dir with the policy and a
 * spool, LD_PRELOAD appended, collector in-process until the rings are
 * drained, signals forwarded.  Shared by `sigsys run` and `sigsys learn`.
 */
export async function runUnderPreload(o: PreloadRunOptions): Promise<{ exit: ExitInfo; stats: CollectorStats }> {
  const log = o.logger ?? createLogger('run');
  const preload = preloadPath();

  const tmp = await mkdtemp(join(tmpdir(), 'sigsys-run-'));
  const spool = join(tmp, 'spool');
  await mkdir(spool, { mode: 0o700 });
  const policyPath = join(tmp, 'policy.bin');
  await writeFile(policyPath, o.policy, { mode: 0o600 });

  const collector = createCollector({ spoolDir: spool, sinks: o.sinks, removeFinished: false, pollIntervalMs: 20, logger: log });
  const env = { ...process.env };
  env.LD_PRELOAD = env.LD_PRELOAD ? `${env.LD_PRELOAD}:${preload}` : preload;
  env.SIGSYS_POLICY = policyPath;
  env.SIGSYS_SPOOL = spool;
  if (o.ringRecords) env.SIGSYS_RING_RECORDS = String(o.ringRecords);

  let exit: ExitInfo;
  let stats: CollectorStats;
  collector.start();
  try {
    const child = spawn(o.cmd[0]!, o.cmd.slice(1), { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => {
      // Ctrl-C on a terminal already reached the workload (same foreground
      // process group); a second SIGINT would look like a double Ctrl-C.
      if (sig === 'SIGINT' && process.stdin.isTTY) return;
      log.debug({ signal: sig }, 'forwarding signal to the workload');
      child.kill(sig);
    };
    for (const s of FORWARDED) process.on(s, forward);
    try {
      exit = await new Promise<ExitInfo>((resolve, reject) => {
        child.once('error', (err) => reject(new SigsysError(`run: cannot start ${o.cmd[0]}: ${describeError(err)}`, { exitCode: 127, cause: err })));
        child.once('exit', (code, signal) => {
          const num = signal ? (constants.signals[signal] ?? 0) : 0;
          resolve({ code, signal, status: signal ? 128 + num : (code ?? 0) });
        });
      });
    } finally {
      for (const s of FORWARDED) process.off(s, forward);
    }
    // The workload is gone: read whatever is left (pending tickets wait for the torn timeout).
    await collector.drain();
    await collector.stop();
    stats = collector.stats();
    o.onExit?.(exit, stats);
  } catch (err) {
    await collector.stop().catch(() => undefined);
    throw err;
  } finally {
    if (o.keepSpool) process.stderr.write(`sigsys: spool kept in ${spool}\n`);
    else await rm(tmp, { recursive: true, force: true });
  }
  return { exit, stats };
}

export async function run(argv: string[]): Promise<number> {
  const o = parseRunArgs(argv);
  const log = createLogger('run');
  const { file: profileFile, compiled } = await compileProfile(o.profile, o.mode);
  for (const w of compiled.warnings ?? []) {
    const text = typeof w === 'string' ? w : ((w as { message?: string }).message ?? JSON.stringify(w));
    process.stderr.write(`sigsys: warning: ${text}\n`);
  }
  const report = createReportSink();
  const sinks: Sink[] = [report];
  if (o.out) {
    // Fail before the workload runs, not after it (an unwritable --out would
    // otherwise keep every batch in the spool until the drain gives up).
    if (o.out !== '-') {
      await open(o.out, 'a').then(
        (fh) => fh.close(),
        (err: unknown) => {
          throw new SigsysError(`run: --out ${o.out}: ${describeError(err)}`, { exitCode: 2, cause: err });
        },
      );
    }
    sinks.push(createNdjsonSink({ path: o.out }));
  }
  const html = o.html ? await createRunHtml(o.html) : undefined;
  if (html) sinks.push(html.sink);
  const { exit, stats } = await runUnderPreload({
    policy: compiled.policy,
    cmd: o.cmd,
    sinks,
    keepSpool: o.keepSpool,
    ringRecords: o.ringRecords,
    logger: log,
    // Rendered while the spool still exists (before "spool kept in").
    onExit: (exit, st) => {
      const summary = report.summary({
        mode: o.mode,
        profile: o.profile ? o.profile : basename(profileFile),
        exit,
        dropped: st.dropped,
        corrupt: st.corrupt,
        torn: st.torn,
      });
      if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stderr.write(renderReport(summary));
    },
  });
  await html?.finish({ command: o.cmd, profile: o.profile ?? basename(profileFile), mode: o.mode, exit, dropped: stats.dropped, corrupt: stats.corrupt, torn: stats.torn }, profileFile);
  return exit.status;
}
