/**
 * sigsys learn - write a seccomp profile from what a command really did.
 *
 * Thin CLI over src/learn/learn.ts: runs CMD through sigsys-exec (filter
 * installed before execve, no preload: the supervisor answers and records
 * every call the base denies, in every process, from execve on) in audit
 * mode with a base profile that denies everything (or --base), each kind of
 * call recorded once (--report-once), and writes the base plus the learned
 * ALLOW rules to -o.  --verify runs CMD under the result as a container
 * runtime applies it (sigsys-exec --native), then once more supervised in
 * audit mode to name any call the profile denies.  Exits with CMD's status
 * unless the profile could not be written or did not verify.
 */
import { intOption, parseCommandArgs, splitCommand } from './args.js';
import { rename, rm, writeFile } from 'node:fs/promises';
import { SigsysError, UsageError, describeError } from '../errors.js';
import { createLogger } from '../logger.js';
import {
  buildLearnedProfile,
  defaultBase,
  describeSource,
  distinctArg0,
  emptyLearned,
  formatProfile,
  learnSink,
  planLearning,
  readBase,
  readPreviousFile,
  shellLine,
} from '../learn/learn.js';
import { compileProfileText } from '../profile/compile.js';
import { describeExit, type ExitInfo } from '../report/report.js';
import { MAX_RING_RECORDS, MIN_RING_RECORDS, runConfined } from '../run/run.js';
import { createNdjsonSink } from '../sinks/ndjson.js';
import type { Sink } from '../sinks/sink.js';

export const help = `Usage: sigsys learn [options] -o PROFILE.json -- CMD [ARG...]

Run CMD with a base profile installed before execve (sigsys-exec), record
every syscall the base denies (by default: every syscall) in every process
and thread of CMD, static, Go and musl programs included, and write a Docker
seccomp profile that allows them: the base, plus SCMP_ACT_ALLOW rules with
the learned names, grouped by kind (clone, unshare, personality and socket
by the argument values seen).  A summary goes to stderr; sigsys exits with
CMD's status.

The profile is only as complete as the run: calls CMD did not make this time
get the default action.  Learning runs in audit mode, which is not a
security boundary: only learn from programs you trust.

Options:
  -o, --output FILE      where to write the profile (required)
  --base P.json          learn only what P denies; the result is P plus the
                         learned rule (default: deny everything, EPERM)
  --merge                add to the learned rule of an existing FILE (union),
                         so several runs build one profile
  --mode audit|enforce   audit: denied calls run as if allowed (default)
                         enforce: CMD gets the base's answers (learns up to
                         the first denial that stops it)
  --verify               then run CMD under the learned profile as a container
                         runtime applies it (sigsys run --native: the kernel
                         alone, from execve), and once more supervised in
                         audit mode to name any call the profile denies; fail
                         (exit 1) if it ended differently or a call was
                         denied; CMD runs three times
  --learn-via auto|bpf|supervisor
                         how the calls are seen (audit mode).  bpf: the
                         kernel counts them (eBPF on sys_enter, CMD's tree
                         in a cgroup v2 of its own, root; the namespace
                         flags and socket families read there too): only
                         calls of other arches, calls the base judges by
                         their arguments and calls it answers in the kernel
                         stop for the supervisor; close to unconfined speed.  supervisor: every call stops
                         (slower; works without root).  auto (default): bpf
                         where it can be used, else the supervisor, with one
                         line saying why
  --out EVENTS.ndjson    also write every event as NDJSON ("-" = stdout)
  --ring-records N       records per process ring (default 65536, or
                         $SIGSYS_RING_RECORDS); each kind of call is
                         recorded once, so rings rarely fill
  -h, --help             this text

More: docs/learn.md (what is added without being observed, limits).
`;

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  base: { type: 'string' },
  merge: { type: 'boolean', default: false },
  verify: { type: 'boolean', default: false },
  mode: { type: 'string', default: 'audit' },
  'learn-via': { type: 'string', default: 'auto' },
  out: { type: 'string' },
  'ring-records': { type: 'string' },
} as const;

/** Bigger than run's 8192: with a deny-all base every call of a busy loop is an event. */
export const LEARN_RING_RECORDS = 65536;

export interface LearnOptions {
  output: string;
  base?: string;
  merge: boolean;
  verify: boolean;
  mode: 'audit' | 'enforce';
  learnVia: 'auto' | 'bpf' | 'supervisor';
  out?: string;
  /** Undefined: $SIGSYS_RING_RECORDS as set, else LEARN_RING_RECORDS. */
  ringRecords?: number;
  cmd: string[];
}

export function parseLearnArgs(argv: string[]): LearnOptions {
  const { opts, cmd } = splitCommand(argv, OPTIONS);
  const { values } = parseCommandArgs('learn', { args: opts, options: OPTIONS, allowPositionals: false });
  if (values.mode !== 'audit' && values.mode !== 'enforce') throw new UsageError(`learn: --mode must be audit or enforce, not "${values.mode}"`);
  const via = values['learn-via'];
  if (via !== 'auto' && via !== 'bpf' && via !== 'supervisor') throw new UsageError(`learn: --learn-via must be auto, bpf or supervisor, not "${via}"`);
  if (via === 'bpf' && values.mode === 'enforce') throw new UsageError('learn: --learn-via bpf needs --mode audit (in enforce mode denied calls never reach the kernel\'s counter)');
  if (!values.output) throw new UsageError('learn: no output file given (sigsys learn -o PROFILE.json -- CMD [ARG...])');
  if (cmd.length === 0) throw new UsageError('learn: no command given (sigsys learn -o PROFILE.json -- CMD [ARG...])');
  let ringRecords = intOption('learn', 'ring-records', values['ring-records'], MIN_RING_RECORDS, MAX_RING_RECORDS);
  if (ringRecords === undefined && !process.env.SIGSYS_RING_RECORDS) ringRecords = LEARN_RING_RECORDS;
  return { output: values.output, base: values.base, merge: values.merge, verify: values.verify, mode: values.mode, learnVia: via, out: values.out, ringRecords, cmd };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export async function run(argv: string[]): Promise<number> {
  const o = parseLearnArgs(argv);
  const log = createLogger('learn');
  const base = o.base ? readBase(o.base) : defaultBase();
  // Read before the run: a bad file to merge into should not cost a run.
  const previous = o.merge ? readPreviousFile(o.output) : undefined;
  for (const w of base.warnings ?? []) process.stderr.write(`sigsys: warning: ${w}\n`);
  const plan = planLearning(base, o.mode);
  // Its warnings are about sigsys's own learning profile (everything traps), not the user's.
  const compiled = compileProfileText(formatProfile(plan.learningProfile), base.file, { mode: o.mode });

  const learned = emptyLearned();
  const sinks: Sink[] = [learnSink(learned)];
  if (o.out) sinks.push(createNdjsonSink({ path: o.out }));
  const started = new Date();
  const { exit, stats } = await runConfined({
    policy: compiled.policy,
    cmd: o.cmd,
    sinks,
    logger: log,
    ringRecords: o.ringRecords,
    preload: false,
    reportOnce: distinctArg0(compiled.arch),
    learnVia: o.learnVia,
  });

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
    process.stderr.write(`sigsys: warning: syscalls without a name are not in the profile: ${list}\n`);
  }
  const lost = stats.dropped + stats.torn + stats.corrupt;
  if (lost) process.stderr.write(`sigsys: warning: ${plural(lost, 'event')} lost (dropped ${stats.dropped}, torn ${stats.torn}, corrupt ${stats.corrupt}): the profile may miss calls (learn again with a bigger --ring-records)\n`);
  if (learned.events === 0) {
    process.stderr.write(`sigsys: warning: no call was reported: the base allows everything ${shellLine(o.cmd)} did (nothing learned)\n`);
  }
  if (exit.signal === 'SIGSYS') {
    process.stderr.write(`sigsys: warning: ${shellLine(o.cmd)} was killed by SIGSYS (the base's SCMP_ACT_TRAP/KILL, or the program's own doing); the profile may be incomplete\n`);
  }
  const merged = before.length ? `, ${added} new, ${names.size} in total` : '';
  process.stderr.write(
    `sigsys: learned ${plural(learned.names.size, 'syscall')} from ${plural(learned.events, 'event')} in ${plural(learned.pids.size, 'process', 'processes')}${merged}` +
      ` -> ${o.output} (${o.mode}, base ${o.base ?? base.file}); ${describeExit(exit)}\n`,
  );
  if (o.verify) await verify(o, text, exit);
  return exit.status;
}

/**
 * Run CMD under the learned profile as runc applies it (sigsys-exec --native:
 * the profile's own filter from execve, the kernel's answers, no preload, no
 * supervisor), then once more under the supervisor in audit mode with the
 * same profile, which names every call it denies (once per kind).  Throw
 * unless the native run ended as the learning run did and nothing was denied.
 */
async function verify(o: LearnOptions, text: string, learnedExit: ExitInfo): Promise<void> {
  const enforced = compileProfileText(text, o.output, { mode: 'enforce' });
  const native = await runConfined({ policy: enforced.policy, cmd: o.cmd, sinks: [], native: true, logger: createLogger('learn') });
  process.stderr.write(`sigsys: verify: under the learned profile's own filter (--native): ${describeExit(native.exit)}\n`);
  const audited = compileProfileText(text, o.output, { mode: 'audit' });
  const seen = emptyLearned();
  const { exit, stats } = await runConfined({
    policy: audited.policy,
    cmd: o.cmd,
    sinks: [learnSink(seen)],
    logger: createLogger('learn'),
    ringRecords: o.ringRecords,
    preload: false,
    reportOnce: distinctArg0(audited.arch),
    learnVia: o.learnVia,
  });
  const denied = [...seen.names, ...seen.unknown.keys()].sort();
  const lost = stats.dropped + stats.torn + stats.corrupt;
  process.stderr.write(
    `sigsys: verify: supervised (audit) under the learned profile: ${denied.length ? `denied ${denied.join(', ')}` : 'no call denied'}` +
      `${lost ? ` (${plural(lost, 'event')} lost)` : ''}; ${describeExit(exit)}\n`,
  );
  const missing = denied.length ? `; the profile denies ${denied.join(', ')} (taken by this run, not by the learning run: learn again with --merge)` : '';
  if (native.exit.status !== learnedExit.status) {
    throw new SigsysError(`learn: verify: ${describeExit(native.exit)} under the learned profile (--native), ${describeExit(learnedExit)} while learning${missing}`);
  }
  if (denied.length) throw new SigsysError(`learn: verify: ${plural(denied.length, 'call')} denied under the learned profile${missing}`);
  process.stderr.write(`sigsys: verify: ok: same end under the kernel's filter, no call denied\n`);
}
