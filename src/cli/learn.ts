/**
 * sigsys learn - write a seccomp profile from what a command really did.
 *
 * Thin CLI (flags, help, printing) over src/learn/session.ts (the run, the
 * file, --verify) and learn.ts (the profile): runs CMD through sigsys-exec
 * (filter installed before execve, no preload: the kernel's counter or the
 * supervisor records every call the base denies, in every process, from
 * execve on) in audit
 * mode with a base profile that denies everything (or --base), each kind of
 * call recorded once (--report-once), and writes the base plus the learned
 * ALLOW rules to -o.  --verify runs CMD under the result as a container
 * runtime applies it (sigsys-exec --native), then once more supervised in
 * audit mode to name any call the profile denies.  Exits with CMD's status
 * unless the profile could not be written or did not verify.
 */
import { intOption, parseCommandArgs, splitCommand } from './args.js';
import { UsageError } from '../errors.js';
import { learnProfile, type LearnSessionOptions } from '../learn/session.js';
import { MAX_RING_RECORDS, MIN_RING_RECORDS } from '../run/run.js';

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

export type LearnOptions = LearnSessionOptions;

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

export async function run(argv: string[]): Promise<number> {
  return learnProfile(parseLearnArgs(argv), (line) => process.stderr.write(`${line}\n`));
}
