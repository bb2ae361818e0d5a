/**
 * sigsys run - run a command under a profile and report its violations.
 *
 * Parses the flags, compiles the profile (the project's default profile
 * without --profile), runs the command through src/run/run.ts (sigsys-exec:
 * the filter is installed before execve and a supervisor reports what the
 * preload cannot reach; docs/launcher.md), prints the table and the verdict
 * to stderr and exits with the command's status (128 + signal when killed).
 */
import { parseCommandArgs, splitOptions } from './args.js';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { SigsysError, UsageError, describeError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { CollectorStats } from '../collector/collector.js';
import { createNdjsonSink } from '../sinks/ndjson.js';
import type { Sink } from '../sinks/sink.js';
import { createReportSink, describeExit, renderReport, type ExitInfo } from '../report/report.js';
import { createRunHtml } from '../report/page.js';
import { runConfined, type ConfinedRunOptions } from '../run/run.js';

export const help = `Usage: sigsys run [options] -- CMD [ARG...]

Run CMD under a seccomp profile; denied calls are reported instead of
guessed at.  The filter is installed before CMD starts (sigsys-exec), so
static, Go and musl programs are confined and reported too.  At the end a table (syscall, count, action, outcome, first call
site) and a one-line verdict go to stderr; sigsys exits with CMD's status
(128 + N when CMD was killed by signal N).

Options:
  --profile P.json       Docker/OCI seccomp profile (default: deploy/profiles default)
  --mode enforce|audit   enforce: do what the profile says (default)
                         audit: report every denied call, then let it run
  --out FILE             also write every event as NDJSON to FILE ("-" = stdout)
  --json                 print the summary as JSON on stdout instead of the table
  --native               apply the profile exactly as a container runtime does:
                         its own filter installed before execve, no preload, no
                         supervisor; denied calls are answered by the kernel and
                         NOT reported (checks that a profile works under Docker)
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
  native: { type: 'boolean', default: false },
  'ring-records': { type: 'string' },
} as const;

/** Split argv into sigsys's options and the command (after "--" or the first non-option). */
export function splitCommand(argv: string[], options: Record<string, { type: string; short?: string }> = OPTIONS): { opts: string[]; cmd: string[] } {
  return splitOptions(argv, options);
}

export interface RunOptions {
  profile?: string;
  mode: 'enforce' | 'audit';
  out?: string;
  json: boolean;
  html?: string;
  keepSpool: boolean;
  native: boolean;
  ringRecords?: number;
  cmd: string[];
}

export function parseRunArgs(argv: string[]): RunOptions {
  const { opts, cmd } = splitCommand(argv);
  const { values } = parseCommandArgs('run', { args: opts, options: OPTIONS, allowPositionals: false });
  if (values.native && (values.out !== undefined || values.json || values['ring-records'] !== undefined)) {
    throw new UsageError('run: --native reports nothing: it takes no --out, --json or --ring-records');
  }
  if (values.mode !== 'enforce' && values.mode !== 'audit') throw new UsageError(`run: --mode must be enforce or audit, not "${values.mode}"`);
  if (cmd.length === 0) throw new UsageError('run: no command given (sigsys run [options] -- CMD [ARG...])');
  let ringRecords: number | undefined;
  if (values['ring-records'] !== undefined) {
    ringRecords = Number(values['ring-records']);
    if (!Number.isInteger(ringRecords) || ringRecords < 16 || ringRecords > 4194304) {
      throw new UsageError(`run: --ring-records must be an integer in [16, 4194304], not "${values['ring-records']}"`);
    }
  }
  return { profile: values.profile, mode: values.mode, out: values.out, json: values.json, html: values.html, keepSpool: values['keep-spool'], native: values.native, ringRecords, cmd };
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

/** The preload-only path, shared with `sigsys learn` (see src/run/run.ts). */
export async function runUnderPreload(o: Omit<ConfinedRunOptions, 'launcher'>): Promise<{ exit: ExitInfo; stats: CollectorStats }> {
  return runConfined({ ...o, launcher: false });
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
  if (o.native) {
    const { exit } = await runConfined({ policy: compiled.policy, cmd: o.cmd, sinks: [], native: true, keepSpool: o.keepSpool, logger: log });
    process.stderr.write(`sigsys: ran under the profile's own filter (--native): denied calls were answered by the kernel, not reported; ${describeExit(exit)}\n`);
    return exit.status;
  }
  const html = o.html ? await createRunHtml(o.html) : undefined;
  if (html) sinks.push(html.sink);
  const { exit, stats, supervisorKilled } = await runConfined({
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
  if (supervisorKilled) {
    process.stderr.write(`sigsys: warning: the supervisor (sigsys-exec) was killed by ${supervisorKilled} before the command ended: the status above is the supervisor's, and processes the command left behind get ENOSYS for denied calls, unreported (docs/security.md)\n`);
  }
  await html?.finish({ command: o.cmd, profile: o.profile ?? basename(profileFile), mode: o.mode, exit, dropped: stats.dropped, corrupt: stats.corrupt, torn: stats.torn }, profileFile);
  return exit.status;
}
