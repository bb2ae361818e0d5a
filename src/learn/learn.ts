/**
 * learn.ts - build a Docker seccomp profile from what a program really did.
 *
 *   const base = defaultBase() | readBase(file);
 *   const plan = planLearning(base);          // profile for the learning run
 *   ... run the command under plan.learningProfile in audit mode, feeding every
 *       event to a learnSink() ...
 *   const out = buildLearnedProfile({ base, plan, learned, sources });
 *   writeFileSync(path, formatProfile(out));
 *
 * The learning run (sigsys-exec in audit mode, no preload: the supervisor
 * answers and records every call the base denies, from execve on, in every
 * process and thread) sees everything but a few calls, handled apart:
 * execve and exit_group (the launcher needs them allowed), rt_sigreturn
 * (always allowed by the compiler), and calls that depend on timing or the
 * host (restart_syscall, the vDSO's fallbacks).  The learning run allows
 * those (BOOTSTRAP) and the learned profile allows the ones the base denies,
 * in a rule of their own.
 *
 * Planning the learning run (what the base denies, asked of the compiled
 * base) is in plan.ts, apart: it needs the compiler, which a learning run
 * whose policy is cached never loads (start.ts).
 *
 * Profiles are handled as parsed JSON (src/profile/parse.ts: numbers kept as
 * written, so 64-bit argument values survive) and the base's entries, fields
 * and comments are kept as they are, except that learned names are taken out
 * of the base's non-ALLOW entries (otherwise the compiler would reject the
 * conflicting rules, or the denial would stay).
 */
import { readFileSync } from 'node:fs';
import { ProfileError } from '../errors.js';
import type { ViolationEvent } from '../events/types.js';
import { loadNative } from '../native/loader.js';
import { nativeArch, scmpArchName } from '../profile/arches.js';
import { isObject, JsonNum, parseJson, type JsonValue } from '../profile/parse.js';
import { readProfile } from '../profile/read.js';
import type { Sink } from '../sinks/sink.js';
import { ARG_RULES, describeArgValue, groupNames } from './groups.js';

type Obj = { [k: string]: JsonValue };

/**
 * What sigsys-exec itself needs the profile to allow (it refuses a profile
 * that denies them): execve, the call that starts the command under the
 * filter (as runc starts a container's entrypoint), and exit_group, its only
 * other call if the exec fails.  So they are allowed while learning, never
 * observed, and always in the result.
 *
 * The dynamic loader and the process start are not listed: the learning run
 * is supervised from execve on (sigsys-exec, no preload), so the supervisor
 * sees and records every call ld.so and libc start-up make, in every process
 * of the tree (launcher-10-loader-calls-reported).
 */
export const LAUNCHER_SYSCALLS: readonly string[] = ['execve', 'exit_group'];

/**
 * Calls a run cannot be trusted to show: rt_sigreturn (the compiler always
 * allows it, so it never traps), restart_syscall (issued only when a signal
 * interrupts a sleep: timing), sched_yield (spin-then-yield locks call it
 * only when contended: timing; node's worker threads show it in one run of
 * three), tgkill (Go's runtime preempts a goroutine that ran 10 ms with a
 * signal to its thread: timing; a denied preemption is ignored by Go but is
 * a denied call all the same), and the vDSO's calls (syscalls only on hosts
 * whose clocksource the vDSO cannot read).
 */
export const UNSEEN_SYSCALLS: readonly string[] = ['clock_gettime', 'getcpu', 'gettimeofday', 'restart_syscall', 'rt_sigreturn', 'sched_yield', 'tgkill', 'time'];

/** Allowed while learning and, where the base denies them, in the result without being observed. */
export const BOOTSTRAP_SYSCALLS: readonly string[] = [...LAUNCHER_SYSCALLS, ...UNSEEN_SYSCALLS];

/**
 * What the preload's own constructor calls in an exec'd image after it has
 * re-read the policy but before its ring exists (metadata: exe, hostname,
 * pids; the ring file: ftruncate, rename; the inherited-filter check: prctl;
 * the fork-detection page: madvise; libc's malloc seeding itself on its
 * first use in the constructor: getrandom).  Under `sigsys run` the first process's
 * constructor also runs under the launcher's filter, so the same list applies.
 * These traps are not recorded, and in enforce mode they get the profile's
 * action, so a profile that denies them makes exec'd children exit 126 under
 * `sigsys run`.  Not needed when the profile is used without sigsys.
 */
export const PRELOAD_CONSTRUCTOR_SYSCALLS: readonly string[] = ['ftruncate', 'getpid', 'getppid', 'getrandom', 'madvise', 'prctl', 'readlink', 'renameat2', 'uname'];

/**
 * What a dynamic loader calls to load libsigsys.so itself into an image
 * (LD_PRELOAD, under `sigsys run`): glibc's ld.so and musl's loader (open,
 * fcntl), observed under the preload before the supervisor existed.  A
 * program learned without the preload made these only for its own
 * libraries: a musl program linked against libc alone opens no file, so
 * under `sigsys run` the loading of the preload would be the first open,
 * made under the inherited trap filter before any handler exists, and
 * kill it (test/run-musl.test.ts).
 */
export const PRELOAD_LOADING_SYSCALLS: readonly string[] = [
  'access', 'arch_prctl', 'brk', 'close', 'fcntl', 'fstat', 'getrandom', 'mmap', 'mprotect', 'munmap', 'newfstatat',
  'open', 'openat', 'pread64', 'prlimit64', 'read', 'rseq', 'set_robust_list', 'set_tid_address',
];

/** Everything the preload needs under `sigsys run` that the command may not have made. */
export const PRELOAD_SYSCALLS: readonly string[] = [...new Set([...PRELOAD_CONSTRUCTOR_SYSCALLS, ...PRELOAD_LOADING_SYSCALLS])].sort();

/** Every entry of learned names starts its comment with this (then ` [GROUP] from SOURCES`). */
export const LEARNED_MARK = 'learned by sigsys';
/** `learned by sigsys [GROUP] from SOURCES - only as complete ...`: GROUP and SOURCES. */
const LEARNED_COMMENT = /^learned by sigsys(?: \[([^\]]*)\])? from (.*?)(?: - only as complete as these runs.*)?$/s;
const LEARNED_TAIL = ' - only as complete as these runs: calls they did not make get the default action';
const BOOTSTRAP_MARK = 'allowed by sigsys learn without being observed';
const PRELOAD_MARK = 'needed by the sigsys preload in exec\'d processes (sigsys run in enforce mode), not by the command';

export interface Base {
  /** Name used in messages ('(deny everything)' for the default base). */
  file: string;
  /** The compiler's warnings about the base file (none for the default base). */
  warnings?: string[];
  /** A base written by `sigsys learn`: what it had learned (kept in the result). */
  learned?: PreviousLearning;
  /** The seccomp object (a whole OCI config.json is reduced to linux.seccomp). */
  seccomp: Obj;
}

/** The base without --base: deny everything with EPERM on this machine's arch. */
export function defaultBase(arch = nativeArch()): Base {
  return {
    file: '(deny everything)',
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: new JsonNum('1'),
      architectures: [scmpArchName(arch)],
      syscalls: [],
    },
  };
}

/**
 * A base already validated (it compiled to the cached learning policy,
 * src/learn/start.ts): parsed, not compiled again.
 */
export function parseBase(file: string, text: string, warnings: string[]): Base {
  const seccomp = seccompObject(parseJson(text, file), file);
  return { file, warnings, seccomp, learned: ownLearning(seccomp) };
}

function seccompObject(json: JsonValue, file: string): Obj {
  if (!isObject(json)) throw new ProfileError(file, '$', 'not a JSON object');
  if (json.defaultAction === undefined && isObject(json.linux) && isObject(json.linux.seccomp)) return json.linux.seccomp;
  return json;
}

function entries(p: Obj): Obj[] {
  return Array.isArray(p.syscalls) ? p.syscalls.filter(isObject) : [];
}

function entryNames(e: Obj): string[] {
  if (Array.isArray(e.names)) return e.names.filter((n): n is string => typeof n === 'string');
  return typeof e.name === 'string' ? [e.name] : [];
}

/**
 * A copy of `p` in which `names` are allowed: they are taken out of every
 * entry whose action is not SCMP_ACT_ALLOW (entries left empty are dropped),
 * then `extra` entries are appended.
 */
export function allowIn(p: Obj, names: Iterable<string>, extra: Obj[]): Obj {
  const set = new Set(names);
  const syscalls: JsonValue[] = [];
  for (const e of Array.isArray(p.syscalls) ? p.syscalls : []) {
    if (!isObject(e) || e.action === 'SCMP_ACT_ALLOW') {
      syscalls.push(e);
      continue;
    }
    const keep = entryNames(e).filter((n) => !set.has(n));
    if (keep.length === entryNames(e).length) syscalls.push(e);
    else if (keep.length > 0) {
      const copy: Obj = { ...e };
      if (Array.isArray(e.names)) copy.names = keep;
      syscalls.push(copy);
    }
  }
  return { ...p, syscalls: [...syscalls, ...extra] };
}

export interface LearningPlan {
  /** BOOTSTRAP_SYSCALLS the base denies: allowed while learning and in the result. */
  bootstrap: string[];
  /** The preload's own calls in exec'd images that the base denies: likewise. */
  preload: string[];
  /** Profile JSON for the learning run. */
  learningProfile: Obj;
}

/** What a learning run saw. */
export interface Learned {
  names: Set<string>;
  /** Calls of ARG_RULES: the masked argument values seen, per syscall. */
  argValues: Map<string, Set<bigint>>;
  /** Events whose syscall has no name (`nr:<n>`), by that label. */
  unknown: Map<string, number>;
  events: number;
  pids: Set<number>;
}

export function emptyLearned(): Learned {
  return { names: new Set(), argValues: new Map(), unknown: new Map(), events: 0, pids: new Set() };
}

/** A sink that records every syscall name the workload was trapped on. */
export function learnSink(into: Learned): Sink {
  return {
    name: 'learn',
    async write(events: readonly ViolationEvent[]) {
      for (const ev of events) {
        into.events++;
        into.pids.add(ev.pid);
        if (ev.syscall && !ev.syscall.startsWith('nr:')) {
          into.names.add(ev.syscall);
          const rule = ARG_RULES[ev.syscall];
          const raw = rule ? ev.args[rule.index] : undefined;
          if (rule && raw !== undefined) addValue(into.argValues, ev.syscall, BigInt(raw) & rule.mask);
        } else {
          const key = ev.syscall || `nr:${ev.nr}`;
          into.unknown.set(key, (into.unknown.get(key) ?? 0) + 1);
        }
      }
    },
    async close() {},
  };
}

function addValue(m: Map<string, Set<bigint>>, name: string, v: bigint): void {
  let set = m.get(name);
  if (!set) m.set(name, (set = new Set()));
  set.add(v);
}

/**
 * The calls the supervisor must tell apart by their first argument when it
 * records each kind of call once (sigsys-exec --report-once --distinct-arg0):
 * ARG_RULES on argument 0, as native-arch numbers.
 */
export function distinctArg0(arch = nativeArch()): { nr: number; mask: bigint }[] {
  const native = loadNative();
  const out: { nr: number; mask: bigint }[] = [];
  for (const [name, rule] of Object.entries(ARG_RULES)) {
    const nr = native.syscallNumber(name, arch);
    if (rule.index === 0 && nr !== null && nr >= 0) out.push({ nr, mask: rule.mask });
  }
  return out;
}

/** `sh -c 'ls /'` as one shell-quoted line. */
export function shellLine(cmd: readonly string[]): string {
  return cmd.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** One run in the learned rule's comment: "`CMD` on DATE". */
export function describeSource(cmd: readonly string[], when: Date): string {
  return `\`${shellLine(cmd).replace(/`/g, '\\`')}\` on ${when.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

export interface PreviousLearning {
  /** Names learned without argument conditions. */
  names: string[];
  /** Calls learned with their argument values (ARG_RULES), per syscall. */
  argValues: Map<string, Set<bigint>>;
  /** The earlier runs, as written in the comment. */
  sources: string[];
}

/** The learned rule(s) of a profile written by `sigsys learn` (for --merge). */
export function readPrevious(file: string, text: string): PreviousLearning {
  const found = ownLearning(seccompObject(parseJson(text, file), file));
  if (!found) throw new ProfileError(file, '$.syscalls', `no rule learned by sigsys to merge with (--merge adds to a profile written by sigsys learn)`);
  return found;
}

/** Is this entry one `sigsys learn` wrote (learned, bootstrap or preload rule)? */
function isOwn(e: JsonValue): boolean {
  if (!isObject(e) || e.action !== 'SCMP_ACT_ALLOW' || typeof e.comment !== 'string') return false;
  return LEARNED_COMMENT.test(e.comment) || e.comment.startsWith(BOOTSTRAP_MARK) || e.comment === PRELOAD_MARK;
}

/** The profile without the entries `sigsys learn` wrote. */
export function withoutOwn(p: Obj): Obj {
  return { ...p, syscalls: (Array.isArray(p.syscalls) ? p.syscalls : []).filter((e) => !isOwn(e)) };
}

/** The learning recorded in a profile's own entries; undefined when it has none. */
export function ownLearning(p: Obj): PreviousLearning | undefined {
  const names = new Set<string>();
  const argValues = new Map<string, Set<bigint>>();
  const sources: string[] = [];
  let found = false;
  for (const e of entries(p)) {
    if (!isOwn(e)) continue;
    found = true; // a run that learned nothing leaves only the other rules of ours
    const m = LEARNED_COMMENT.exec(e.comment as string);
    if (!m) continue;
    const args = Array.isArray(e.args) ? e.args.filter(isObject) : [];
    const cond = args.length === 1 ? args[0]! : undefined;
    for (const n of entryNames(e)) {
      const rule = ARG_RULES[n];
      if (rule && cond && cond.op === 'SCMP_CMP_MASKED_EQ' && cond.valueTwo instanceof JsonNum) addValue(argValues, n, BigInt(cond.valueTwo.raw));
      else names.add(n);
    }
    for (const src of splitSources(m[2]!)) if (!sources.includes(src)) sources.push(src);
  }
  return found ? { names: [...names].sort(), argValues, sources } : undefined;
}

/** "`a b` on D1, `c` on D2" -> ["`a b` on D1", "`c` on D2"] (commas inside backquotes kept). */
function splitSources(text: string): string[] {
  return text.match(/`(?:[^`\\]|\\.)*` on \S+?(?=, `|$)/g) ?? (text ? [text] : []);
}

/** The previous learning in `file`, or undefined when the file does not exist. */
export function readPreviousFile(file: string): PreviousLearning | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    readProfile(file); // throws the ProfileError naming the cause
    throw err;
  }
  return readPrevious(file, text);
}

export interface BuildInput {
  base: Base;
  plan: Pick<LearningPlan, 'bootstrap' | 'preload'>;
  /** Every learned name (this run and merged ones). */
  names: Iterable<string>;
  /** The runs, `describeSource` strings, oldest first. */
  sources: readonly string[];
  /** Argument values seen for ARG_RULES calls (this run and merged ones). */
  argValues?: ReadonlyMap<string, Iterable<bigint>>;
}

/**
 * clone3 is never learned: a clone3 child would start inside the SIGSYS
 * handler, so the policy's prologue answers it in the filter (ENOSYS in audit
 * mode; decided in native/src/prologue.c) instead of trapping it, and libc
 * falls back to clone, which is learned.  What the learned profile says about
 * clone3 is still this module's to decide (the profile is also used without
 * sigsys): denying it with EPERM would break pthread_create (libc falls back
 * only on ENOSYS), and allowing it would bypass the clone flag rules; so, as
 * Docker's default profile does, it answers ENOSYS.
 */
const CLONE3_ENOSYS: Obj = {
  names: ['clone3'],
  action: 'SCMP_ACT_ERRNO',
  errnoRet: new JsonNum('38'),
  comment: 'sigsys learn: clone3 answered ENOSYS so libc falls back to clone (as Docker does); clone3 is never trapped, so never learned',
};

/** True when neither the learned names nor any entry of the base decide clone3, and the default is not already ENOSYS or ALLOW. */
function needsClone3Fallback(base: Obj, taken: ReadonlySet<string>): boolean {
  if (taken.has('clone3') || base.defaultAction === 'SCMP_ACT_ALLOW') return false;
  const errno = base.defaultErrnoRet instanceof JsonNum ? base.defaultErrnoRet.raw : undefined;
  if (base.defaultAction === 'SCMP_ACT_ERRNO' && errno === '38') return false;
  const entries = Array.isArray(base.syscalls) ? base.syscalls : [];
  return !entries.some((e) => isObject(e) && entryNames(e).includes('clone3'));
}

/**
 * The learned profile: the base's top-level fields and entries, the learned
 * names taken out of its denying entries, one ALLOW entry per group of learned
 * names (groups.ts; sorted within), one per argument value seen for the calls
 * whose risk is in their arguments (clone/unshare namespace flags,
 * personality, socket family), one with the bootstrap calls and one with the
 * preload's calls that were not learned anyway.
 */
export function buildLearnedProfile(input: BuildInput): Obj {
  const names = [...new Set(input.names)].sort();
  const taken = new Set(names);
  // Argument rules only narrow something when what they do not allow is
  // denied: under a default that allows, a learned name stays a plain name.
  const narrowing = !['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'].includes(String(input.base.seccomp.defaultAction));
  const valuesOf = (n: string) => [...new Set(input.argValues?.get(n) ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const withArgs = narrowing ? names.filter((n) => ARG_RULES[n] && valuesOf(n).length > 0) : [];
  const plain = names.filter((n) => !withArgs.includes(n));
  const rest = (list: readonly string[]) => {
    const out = list.filter((n) => !taken.has(n)).sort();
    for (const n of out) taken.add(n);
    return out;
  };
  const boot = rest(input.plan.bootstrap);
  const preload = rest(input.plan.preload);
  const extra: Obj[] = [];
  const from = (label: string) => `${LEARNED_MARK} [${label}] from ${input.sources.join(', ')}${LEARNED_TAIL}`;
  for (const g of groupNames(plain)) extra.push({ names: g.names, action: 'SCMP_ACT_ALLOW', comment: from(g.group) });
  for (const n of withArgs) {
    const rule = ARG_RULES[n]!;
    for (const v of valuesOf(n)) {
      extra.push({
        names: [n],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: new JsonNum(String(rule.index)), value: new JsonNum(rule.mask.toString()), valueTwo: new JsonNum(v.toString()), op: 'SCMP_CMP_MASKED_EQ' }],
        comment: from(`${n} with ${rule.what} ${describeArgValue(n, v)}`),
      });
    }
  }
  if (boot.length) {
    extra.push({
      names: boot,
      action: 'SCMP_ACT_ALLOW',
      comment:
        `${BOOTSTRAP_MARK}: execve and exit_group (the launcher needs them allowed, as runc needs execve), ` +
        'rt_sigreturn (never trapped), restart_syscall, sched_yield and tgkill (timing: a signal interrupting a sleep, a contended lock, Go preempting a goroutine) and the vDSO calls (syscalls on some hosts)',
    });
  }
  if (preload.length) extra.push({ names: preload, action: 'SCMP_ACT_ALLOW', comment: PRELOAD_MARK });
  if (needsClone3Fallback(input.base.seccomp, taken)) extra.push(CLONE3_ENOSYS);
  // A base that is itself a learned profile: its rules of ours are replaced (the caller merges their names).
  return allowIn(withoutOwn(input.base.seccomp), [...taken], extra);
}

/** JSON text with 2-space indentation; numbers exactly as they were read; short arrays of strings on one line. */
export function formatProfile(v: JsonValue, indent = ''): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (v instanceof JsonNum) return v.raw;
  if (typeof v === 'string') return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => typeof x === 'string')) {
      const one = `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
      if (one.length + indent.length <= 100) return one;
    }
    return `[\n${v.map((x) => inner + formatProfile(x, inner)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${formatProfile(v[k]!, inner)}`).join(',\n')}\n${indent}}`;
}
