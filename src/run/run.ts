/**
 * run.ts - run one command confined by a compiled policy and collect what
 * it was denied: the library behind `sigsys run` (and `sigsys learn`).
 *
 * A temp dir holds the policy and a spool; an in-process collector reads
 * the rings while the command runs and drains them when it exits.  The
 * command is started in one of two ways:
 *
 *  - `launcher: true` (sigsys run): through sigsys-exec (docs/launcher.md),
 *    which installs the policy before execve and supervises the command:
 *    static, Go and musl programs are confined from their first instruction
 *    and their denied calls are answered and reported by the supervisor
 *    (source "supervisor"); dynamic glibc programs also get libsigsys.so
 *    (--preload), whose in-process handler takes precedence where it loads.
 *    The command's end comes back on a status pipe (fd 3), so a death by a
 *    signal, the profile's KILL included, is reported as the signal.
 *  - `launcher: false`: LD_PRELOAD=libsigsys.so only (appended to an
 *    existing LD_PRELOAD), SIGSYS_POLICY and SIGSYS_SPOOL.
 *
 * SIGINT, SIGTERM and SIGHUP sent to sigsys are forwarded to the command.
 *
 * Also here: compiling the run's profile (the project's default without
 * one) and checking an output file before the command starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SigsysError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Collector, CollectorStats } from '../collector/collector.js';
import { execPath, preloadPath } from '../native/loader.js';
import type { Sink } from '../sinks/sink.js';
import type { ExitInfo } from '../report/report.js';

export interface ConfinedRunOptions {
  /** Compiled policy image (compileProfileFile(...).policy). */
  policy: Buffer;
  cmd: string[];
  /**
   * Every event of the run goes to these sinks; or a factory, called when
   * the collector starts (with overlapStartup: after the command started,
   * so what it loads costs no wall time; `sigsys learn` loads its own
   * modules there).
   */
  sinks: Sink[] | (() => Promise<Sink[]>);
  /** Start the command through sigsys-exec (default true); false: the preload alone. */
  launcher?: boolean;
  /** sigsys-exec --native: the profile's own filter, no preload, no supervisor, no events. */
  native?: boolean;
  /** With the launcher: also load libsigsys.so into the command (default true); false: the supervisor answers every denied call. */
  preload?: boolean;
  /**
   * With the launcher: record each kind of denied call once for the whole
   * tree (sigsys-exec --report-once), told apart by the masked first
   * argument for the native-arch numbers listed (sigsys learn).
   */
  reportOnce?: { nr: number; mask: bigint }[];
  /**
   * With reportOnce: how calls are seen (sigsys-exec --learn-via): 'bpf' the
   * kernel counts them (eBPF, a cgroup for the tree), 'supervisor' every
   * call stops, 'auto' bpf where possible (sigsys-exec says why not).
   * Default: 'supervisor'.
   */
  learnVia?: 'auto' | 'bpf' | 'supervisor';
  keepSpool?: boolean;
  /** Records per process ring; default: the producers' (8192). */
  ringRecords?: number;
  logger?: Logger;
  /** Without `logger`: the namespace of the one made with the collector (default 'run'). */
  logNs?: string;
  /**
   * Start the command first and load the collector (and the logger) while
   * it runs: their modules (protobufjs, pino: ~0.1 s of start-up on a small
   * VM) then cost no wall time when a CPU is free (`sigsys learn`,
   * docs/learn.md "Cost").  Only where nothing is judged differently for
   * it: a ring whose writer has exited before the collector first looks is
   * labelled "unverified", so `sigsys run`, whose short-lived preloaded
   * processes write their own rings, keeps the collector first; learn's
   * rings are written by sigsys-exec, which outlives them.
   */
  overlapStartup?: boolean;
  /** Called once the workload exited and the rings are drained, before the spool is removed. */
  onExit?: (exit: ExitInfo, stats: CollectorStats) => void;
}

/** Bounds of records per process ring the producers accept (SIGSYS_RING_RECORDS, --ring-records). */
export const MIN_RING_RECORDS = 16;
export const MAX_RING_RECORDS = 4194304;

export interface CompiledRunProfile {
  policy: Buffer;
  warnings: unknown[];
  hash?: string;
}

/** Compile the profile at `path` (default: the project's default profile) for `mode`. */
export async function compileRunProfile(path: string | undefined, mode: 'enforce' | 'audit'): Promise<{ file: string; compiled: CompiledRunProfile }> {
  const profile = await import('../profile/index.js');
  const file = path ?? profile.defaultProfilePath();
  const compiled = (await profile.compileProfileFile(file, { mode })) as CompiledRunProfile;
  return { file, compiled };
}

/**
 * Throw a usage error (exit 2) naming `what` unless `path` can be opened for
 * appending ("-", stdout, always can): called before the command runs, so an
 * unwritable output fails at once instead of after the run.
 */
export async function assertWritable(path: string, what: string): Promise<void> {
  if (path === '-') return;
  await open(path, 'a').then(
    (fh) => fh.close(),
    (err: unknown) => {
      throw new SigsysError(`${what} ${path}: ${describeError(err)}`, { exitCode: 2, cause: err });
    },
  );
}

// Forwarded to the workload as sigsys-exec forwards them (SIGUSR1 must never
// reach Node's default: it opens the inspector, see cli/main.ts).
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];
// Signals whose default action would end this process, which collects and
// reports the run: while the workload runs, a process of our uid sending one
// (kill(grandparent, SIGPWR)) would stop the reporting and leave the rest of
// the run uncollected.  Ignored for the run (SIGKILL and SIGSTOP cannot be).
// SIGPROF is left alone under V8's sampling profiler (node --cpu-prof or --prof,
// also through NODE_OPTIONS): the profiler's own SIGPROF handler would be
// replaced, and removing ours at the end resets it to the default, which
// kills the profiled CLI with "Profiling timer expired".
const profiled = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--cpu-prof') || a === '--prof');
const SHIELDED: NodeJS.Signals[] = ['SIGPWR', 'SIGIO', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGSYS', 'SIGTRAP', 'SIGSTKFLT'];
if (!profiled) SHIELDED.push('SIGPROF');
const shield = (): void => undefined;

const signalName = (n: number): NodeJS.Signals | null =>
  (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined) ?? null;

/**
 * sigsys-exec's --status-fd: "exit N" / "signal N" (the command's end), or
 * "error STATUS MESSAGE" (sigsys-exec could not start or confine it: thrown
 * as one line with that status).
 */
export function parseStatusLine(text: string): ExitInfo | undefined {
  const e = /^error (\d+) (.*)\n?$/.exec(text);
  if (e) {
    const code = Number(e[1]);
    const what = code === 126 || code === 127 ? `cannot start ${e[2]}` : e[2];
    throw new SigsysError(`run: ${what}`, { exitCode: code });
  }
  const m = /^(exit|signal) (\d+)\n?$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (m[1] === 'exit') return { code: n, signal: null, status: n };
  return { code: null, signal: signalName(n), status: 128 + n };
}

function readAll(stream: Readable | null | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (!stream) return resolve('');
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve(text));
    stream.on('error', () => resolve(text));
  });
}

function startCommand(o: ConfinedRunOptions, policyPath: string, spool: string): { child: ChildProcess; status: Promise<string> } {
  const preload = preloadPath();
  if (o.launcher === false) {
    const env = { ...process.env };
    env.LD_PRELOAD = env.LD_PRELOAD ? `${env.LD_PRELOAD}:${preload}` : preload;
    env.SIGSYS_POLICY = policyPath;
    env.SIGSYS_SPOOL = spool;
    if (o.ringRecords) env.SIGSYS_RING_RECORDS = String(o.ringRecords);
    return { child: spawn(o.cmd[0]!, o.cmd.slice(1), { stdio: 'inherit', env }), status: Promise.resolve('') };
  }
  if (o.native) {
    // sigsys-exec execs in place: its own end is the command's; the status
    // pipe only ever carries sigsys-exec's error (closed unwritten on exec).
    const child = spawn(execPath(), ['--native', '--status-fd', '3', policyPath, '--', ...o.cmd], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
    return { child, status: readAll(child.stdio[3] as Readable | null) };
  }
  const args = ['--spool', spool, '--status-fd', '3'];
  if (o.preload !== false) args.push('--preload', preload);
  if (o.ringRecords) args.push('--ring-records', String(o.ringRecords));
  if (o.reportOnce) {
    args.push('--report-once');
    if (o.reportOnce.length) args.push('--distinct-arg0', o.reportOnce.map((k) => `${k.nr}:0x${k.mask.toString(16)}`).join(','));
    if (o.learnVia) args.push('--learn-via', o.learnVia);
  }
  args.push(policyPath, '--', ...o.cmd);
  const child = spawn(execPath(), args, { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  return { child, status: readAll(child.stdio[3] as Readable | null) };
}

/**
 * Run `cmd` confined by `policy`: temp dir with the policy and a spool,
 * collector in-process until the rings are drained, signals forwarded.
 *
 * The collector and the logger are loaded on demand (not at import: every
 * module on the CLI's path is start-up time).  With overlapStartup they
 * load while the command runs.  Nothing is lost by starting to read late:
 * the spool is a directory of ring files the collector discovers whenever
 * it starts, and a ring holds its records until they are read.
 */
export async function runConfined(o: ConfinedRunOptions): Promise<{ exit: ExitInfo; stats: CollectorStats; supervisorKilled: NodeJS.Signals | null }> {
  let log = o.logger;

  // Synchronous: nothing else can happen before the command starts, and a
  // thread-pool round trip per call is start-up time (docs/learn.md "Cost").
  const tmp = mkdtempSync(join(tmpdir(), 'sigsys-run-'));
  const spool = join(tmp, 'spool');
  mkdirSync(spool, { mode: 0o700 });
  const policyPath = join(tmp, 'policy.bin');
  writeFileSync(policyPath, o.policy, { mode: 0o600 });

  let collector: Collector | undefined;
  let exit: ExitInfo;
  let stats: CollectorStats;
  // sigsys-exec killed before it wrote the command's end (a workload of its
  // uid can SIGKILL it): its signal is not the command's.
  let supervisorKilled: NodeJS.Signals | null = null;
  let started: ChildProcess | undefined;
  const forward = (sig: NodeJS.Signals) => {
    // Ctrl-C on a terminal already reached the workload (same foreground
    // process group); a second SIGINT would look like a double Ctrl-C.
    if (sig === 'SIGINT' && process.stdin.isTTY) return;
    log?.debug({ signal: sig }, 'forwarding signal to the workload');
    started?.kill(sig);
  };
  const startCollector = async (): Promise<Collector> => {
    const [{ createCollector }, { createLogger }, sinks] = await Promise.all([
      import('../collector/collector.js'),
      import('../logger.js'),
      typeof o.sinks === 'function' ? o.sinks() : o.sinks,
    ]);
    log ??= createLogger(o.logNs ?? 'run');
    // The spool is private (0700, ours): only the workload tree writes into it,
    // so a ring whose process exited before it was looked at keeps its claimed
    // workload (labelled identity "unverified"); forged rings are still renamed.
    const c = createCollector({
      spoolDir: spool,
      sinks,
      removeFinished: false,
      pollIntervalMs: 20,
      logger: log,
      identity: { unverifiedWorkload: 'claimed' },
      // The temp spool below is 0700: only this process and the command write it.
      privateSpool: true,
    });
    c.start();
    return c;
  };
  // Before the command starts: it may signal us at once.
  for (const s of SHIELDED) process.on(s, shield);
  for (const s of FORWARDED) process.on(s, forward);
  try {
    if (!o.overlapStartup) collector = await startCollector();
    const { child, status } = startCommand(o, policyPath, spool);
    started = child;
    // Listened for at once: the command may end while the collector loads.
    const ended = new Promise<ExitInfo>((resolve, reject) => {
      child.once('error', (err) => reject(new SigsysError(`run: cannot start ${o.launcher === false ? o.cmd[0] : 'sigsys-exec'}: ${describeError(err)}`, { exitCode: 127, cause: err })));
      child.once('exit', (code, signal) => {
        const num = signal ? (constants.signals[signal] ?? 0) : 0;
        resolve({ code, signal, status: signal ? 128 + num : (code ?? 0) });
      });
    });
    ended.catch(() => undefined); // awaited below; not unhandled while the modules load
    if (o.overlapStartup) collector = await startCollector();
    try {
      const raw = await ended;
      // The command's own end when sigsys-exec reported it; otherwise
      // sigsys-exec's (it could not start or confine the command and said why).
      const line = await status;
      exit = parseStatusLine(line) ?? raw;
      if (o.launcher !== false && !o.native && line === '' && raw.signal) supervisorKilled = raw.signal;
    } finally {
      for (const s of FORWARDED) process.off(s, forward);
    }
    // The workload is gone: read whatever is left (pending tickets wait for the torn timeout).
    const c = collector!; // started before the command, or right after it (overlapStartup)
    await c.drain();
    await c.stop();
    stats = c.stats();
    o.onExit?.(exit, stats);
  } catch (err) {
    started?.kill('SIGKILL'); // only if the collector could not be loaded: never left running unread
    await collector?.stop().catch(() => undefined);
    throw err;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    for (const s of SHIELDED) process.off(s, shield);
    if (o.keepSpool) process.stderr.write(`sigsys: spool kept in ${spool}\n`);
    else rmSync(tmp, { recursive: true, force: true }); // two files: a sync call is quicker than rm's promise walk
  }
  return { exit, stats, supervisorKilled };
}
