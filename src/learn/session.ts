/**
 * session.ts - one `sigsys learn`: get the learning run's policy (start.ts:
 * the policy cache, else compile), run the command confined
 * (src/run/run.ts) with every kind of call reported once, fold what was
 * seen with earlier learning (--base, --merge), write the profile
 * atomically, and --verify it as a container runtime applies it.
 * What it has to say goes to `say` one line at a time (the CLI prints them
 * to stderr); errors are SigsysErrors.
 *
 * Start-up is wall time the command waits for, so this module imports only
 * what starting the command needs (start.ts, run.ts); learn.ts and the
 * rest load while the command runs, with the collector (runConfined's
 * overlapStartup and sink factory).  test/learn-startup.test.ts holds it
 * to that.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { SigsysError, describeError } from '../errors.js';
import type { ExitInfo } from '../report/report.js';
import { runConfined } from '../run/run.js';
import type { Sink } from '../sinks/sink.js';
import type { Base, Learned } from './learn.js';
import { prepareLearning } from './start.js';

export interface LearnSessionOptions {
  output: string;
  base?: string;
  merge: boolean;
  verify: boolean;
  mode: 'audit' | 'enforce';
  learnVia: 'auto' | 'bpf' | 'supervisor';
  /** Also write the events seen as NDJSON here. */
  out?: string;
  /** Undefined: $SIGSYS_RING_RECORDS as set, else run.ts's default. */
  ringRecords?: number;
  cmd: string[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Learn from one run of o.cmd; resolves to the command's exit status. */
export async function learnProfile(o: LearnSessionOptions, say: (line: string) => void): Promise<number> {
  const start = await prepareLearning({ base: o.base, mode: o.mode });
  // Read before the run: a bad file to merge into should not cost a run
  // (so with --merge, learn.ts loads before the command starts).
  const previous = o.merge ? (await import('./learn.js')).readPreviousFile(o.output) : undefined;
  for (const w of start.warnings) say(`sigsys: warning: ${w}`);

  const extra: Sink[] = [];
  // Loaded only when asked for: every module on this path is start-up time (run.ts).
  if (o.out) extra.push((await import('../sinks/ndjson.js')).createNdjsonSink({ path: o.out }));
  // Loaded after the command started, while it runs (runConfined calls the factory then).
  let learn!: typeof import('./learn.js');
  let describeExit!: (exit: ExitInfo) => string;
  let learned!: Learned;
  let base!: Base;
  const loadRest = async (): Promise<Sink[]> => {
    let report: typeof import('../report/report.js');
    [learn, report] = await Promise.all([import('./learn.js'), import('../report/report.js')]);
    describeExit = report.describeExit;
    base = start.base ?? (o.base !== undefined ? learn.parseBase(o.base, start.baseText!, start.warnings) : learn.defaultBase(start.arch));
    learned = learn.emptyLearned();
    return [learn.learnSink(learned), ...extra];
  };
  const started = new Date();
  const { exit, stats } = await runConfined({
    policy: start.policy,
    cmd: o.cmd,
    sinks: loadRest,
    logNs: 'learn', overlapStartup: true,
    ringRecords: o.ringRecords,
    preload: false,
    reportOnce: start.reportOnce,
    learnVia: o.learnVia,
  });
  const { buildLearnedProfile, describeSource, formatProfile, shellLine } = learn;
  const plan = { bootstrap: start.bootstrap, preload: start.preload };

  // Earlier learning: the -o file (--merge) and a base that is itself a learned profile.
  const before = [base.learned, previous].filter((x) => x !== undefined);
  const known = new Set(before.flatMap((b) => b.names));
  const names = new Set([...known, ...learned.names]);
  const added = [...learned.names].filter((n) => !known.has(n)).length;
  const argValues = new Map<string, Set<bigint>>();
  for (const m of [...before.map((x) => x.argValues), learned.argValues]) {
    for (const [n, vs] of m) argValues.set(n, new Set([...(argValues.get(n) ?? []), ...vs]));
  }
  const profile = buildLearnedProfile({
    base,
    plan,
    names,
    argValues,
    sources: [...new Set([...before.flatMap((b) => b.sources), describeSource(o.cmd, started)])],
  });
  const text = formatProfile(profile) + '\n';
  const tmp = `${o.output}.sigsys-${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, o.output);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new SigsysError(`learn: cannot write ${o.output}: ${describeError(err)}`, { cause: err });
  }

  if (learned.unknown.size) {
    const list = [...learned.unknown].map(([k, n]) => `${k} (${n}x)`).join(', ');
    say(`sigsys: warning: syscalls without a name are not in the profile: ${list}`);
  }
  const lost = stats.dropped + stats.torn + stats.corrupt;
  if (lost) say(`sigsys: warning: ${plural(lost, 'event')} lost (dropped ${stats.dropped}, torn ${stats.torn}, corrupt ${stats.corrupt}): the profile may miss calls (learn again with a bigger --ring-records)`);
  if (learned.events === 0) {
    say(`sigsys: warning: no call was reported: the base allows everything ${shellLine(o.cmd)} did (nothing learned)`);
  }
  if (exit.signal === 'SIGSYS') {
    say(`sigsys: warning: ${shellLine(o.cmd)} was killed by SIGSYS (the base's SCMP_ACT_TRAP/KILL, or the program's own doing); the profile may be incomplete`);
  }
  const merged = before.length ? `, ${added} new, ${names.size} in total` : '';
  say(`sigsys: learned ${plural(learned.names.size, 'syscall')} from ${plural(learned.events, 'event')} in ${plural(learned.pids.size, 'process', 'processes')}${merged}` +
      ` -> ${o.output} (${o.mode}, base ${o.base ?? base.file}); ${describeExit(exit)}`);
  if (o.verify) await verify(o, text, exit, say, learn, describeExit);
  return exit.status;
}

/**
 * Run CMD under the learned profile as runc applies it (sigsys-exec --native:
 * the profile's own filter from execve, the kernel's answers, no preload, no
 * supervisor), then once more under the supervisor in audit mode with the
 * same profile, which names every call it denies (once per kind).  Throw
 * unless the native run ended as the learning run did and nothing was denied.
 */
async function verify(
  o: LearnSessionOptions,
  text: string,
  learnedExit: ExitInfo,
  say: (line: string) => void,
  { distinctArg0, emptyLearned, learnSink }: typeof import('./learn.js'),
  describeExit: (exit: ExitInfo) => string,
): Promise<void> {
  const { compileProfileText } = await import('../profile/compile.js');
  const enforced = compileProfileText(text, o.output, { mode: 'enforce' });
  const native = await runConfined({ policy: enforced.policy, cmd: o.cmd, sinks: [], native: true, logNs: 'learn', overlapStartup: true });
  say(`sigsys: verify: under the learned profile's own filter (--native): ${describeExit(native.exit)}`);
  const audited = compileProfileText(text, o.output, { mode: 'audit' });
  const seen = emptyLearned();
  const { exit, stats } = await runConfined({
    policy: audited.policy,
    cmd: o.cmd,
    sinks: [learnSink(seen)],
    logNs: 'learn', overlapStartup: true,
    ringRecords: o.ringRecords,
    preload: false,
    reportOnce: distinctArg0(audited.arch),
    learnVia: o.learnVia,
  });
  const denied = [...seen.names, ...seen.unknown.keys()].sort();
  const lost = stats.dropped + stats.torn + stats.corrupt;
  say(`sigsys: verify: supervised (audit) under the learned profile: ${denied.length ? `denied ${denied.join(', ')}` : 'no call denied'}` +
      `${lost ? ` (${plural(lost, 'event')} lost)` : ''}; ${describeExit(exit)}`);
  const missing = denied.length ? `; the profile denies ${denied.join(', ')} (taken by this run, not by the learning run: learn again with --merge)` : '';
  if (native.exit.status !== learnedExit.status) {
    throw new SigsysError(`learn: verify: ${describeExit(native.exit)} under the learned profile (--native), ${describeExit(learnedExit)} while learning${missing}`);
  }
  if (denied.length) throw new SigsysError(`learn: verify: ${plural(denied.length, 'call')} denied under the learned profile${missing}`);
  say(`sigsys: verify: ok: same end under the kernel's filter, no call denied`);
}
