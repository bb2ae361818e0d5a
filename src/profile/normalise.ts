/**
 * normalise.ts - validate a Docker or OCI seccomp profile and reduce it to the
 * rules libseccomp is given, with runc/Docker semantics:
 *
 *  - includes/excludes (caps, arches, minKernel) decide whether an entry is
 *    used at all, as moby's setupSeccomp does: excludes.arches/caps/minKernel
 *    drop the entry when any matches; includes.arches needs the target arch
 *    in the list, includes.caps needs every listed cap, includes.minKernel a
 *    kernel at least that new.
 *  - `args` on different indexes are ANDed in one rule; when an index occurs
 *    twice or more, every condition becomes a rule of its own (ORed), as runc
 *    does (libseccomp cannot AND two conditions on one argument).
 *  - an entry whose action equals the default action is dropped (runc does the
 *    same; libseccomp refuses such rules).
 *  - two entries for the same syscall with identical conditions and
 *    different actions are rejected: libseccomp refuses the second one, so
 *    Docker fails to start such a container.
 *
 * Every problem is a ProfileError naming the JSON path.
 */
import { release } from 'node:os';
import { ProfileError } from '../errors.js';
import { archEndian, archToken, canRunOn, nativeArch } from './arches.js';
import { DOCKER_DEFAULT_CAPS, normaliseCap } from './caps.js';
import { argKeyOf } from './rules.js';
import { isObject, JsonNum, typeName, type JsonValue } from './parse.js';
import {
  actionToString,
  sameAction,
  type Action,
  type ActionKind,
  type ArgCond,
  type CmpOp,
  type NormalisedProfile,
  type Rule,
} from './types.js';

export interface NormaliseOptions {
  /** Target arch (libseccomp token); default: the arch sigsys runs on. */
  arch?: string;
  /** Capabilities the workload has; default: Docker's default set. */
  caps?: Iterable<string>;
  /** Kernel release compared with minKernel; default: uname -r. */
  kernel?: string;
}

const ACTIONS: Record<string, ActionKind> = {
  SCMP_ACT_KILL: 'KILL_THREAD',
  SCMP_ACT_KILL_THREAD: 'KILL_THREAD',
  SCMP_ACT_KILL_PROCESS: 'KILL_PROCESS',
  SCMP_ACT_TRAP: 'TRAP',
  SCMP_ACT_ERRNO: 'ERRNO',
  SCMP_ACT_TRACE: 'TRACE',
  SCMP_ACT_ALLOW: 'ALLOW',
  SCMP_ACT_LOG: 'LOG',
  SCMP_ACT_NOTIFY: 'USER_NOTIF',
};

const OPS: Record<string, CmpOp> = {
  SCMP_CMP_NE: 'NE',
  SCMP_CMP_LT: 'LT',
  SCMP_CMP_LE: 'LE',
  SCMP_CMP_EQ: 'EQ',
  SCMP_CMP_GE: 'GE',
  SCMP_CMP_GT: 'GT',
  SCMP_CMP_MASKED_EQ: 'MASKED_EQ',
};

const FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
];

const EPERM = 1;
/** libseccomp refuses SCMP_ACT_ERRNO(n) for n >= MAX_ERRNO (4095). */
const MAX_ERRNO = 4094;
const U64_MAX = (1n << 64n) - 1n;

const TOP_KEYS = new Set([
  'defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'flags',
  'listenerPath', 'listenerMetadata', 'comment',
]);
const RULE_KEYS = new Set(['names', 'name', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'comment']);
const ARG_KEYS = new Set(['index', 'value', 'valueTwo', 'op']);
const FILTER_KEYS = new Set(['caps', 'arches', 'minKernel']);

type Obj = { [k: string]: JsonValue };

class Ctx {
  warnings: string[] = [];
  constructor(readonly file: string) {}
  fail(path: string, cause: string): never {
    throw new ProfileError(this.file, path, cause);
  }
  warn(msg: string): void {
    this.warnings.push(msg);
  }
}

function expectObject(c: Ctx, v: JsonValue | undefined, path: string): Obj {
  if (!isObject(v)) c.fail(path, `expected an object, got ${typeName(v)}`);
  return v;
}

function expectString(c: Ctx, v: JsonValue | undefined, path: string): string {
  if (typeof v !== 'string') c.fail(path, `expected a string, got ${typeName(v)}`);
  return v;
}

/** Arrays may be null (Go's nil slice), which means empty. */
function expectArray(c: Ctx, v: JsonValue | undefined, path: string): JsonValue[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) c.fail(path, `expected an array, got ${typeName(v)}`);
  return v;
}

function expectStringArray(c: Ctx, v: JsonValue | undefined, path: string): string[] {
  return expectArray(c, v, path).map((x, i) => expectString(c, x, `${path}[${i}]`));
}

function expectUint(c: Ctx, v: JsonValue | undefined, path: string, max: bigint, what: string): bigint {
  if (!(v instanceof JsonNum)) c.fail(path, `expected ${what}, got ${typeName(v)}`);
  const n = v.toBigInt();
  if (n === undefined) c.fail(path, `expected ${what}, got ${v.raw} (not an integer)`);
  if (n < 0n || n > max) c.fail(path, `${v.raw} is out of range for ${what}`);
  return n;
}

function checkKeys(c: Ctx, o: Obj, allowed: Set<string>, path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) c.warn(`${path}.${k}: unknown field ignored`);
  }
}

function parseAction(c: Ctx, v: JsonValue | undefined, path: string): ActionKind {
  if (v === undefined) c.fail(path, 'missing (one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ...)');
  const s = expectString(c, v, path);
  const kind = ACTIONS[s];
  if (!kind) c.fail(path, `unknown action ${JSON.stringify(s)}`);
  return kind;
}

function withErrno(c: Ctx, kind: ActionKind, ret: JsonValue | undefined, path: string, retPath: string): Action {
  if (ret === undefined || ret === null) return { kind, errno: kind === 'ERRNO' || kind === 'TRACE' ? EPERM : 0 };
  if (kind !== 'ERRNO' && kind !== 'TRACE') {
    c.fail(retPath, `only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno (action at ${path} is ${kind === 'USER_NOTIF' ? 'SCMP_ACT_NOTIFY' : `SCMP_ACT_${kind}`})`);
  }
  const n =
    kind === 'ERRNO'
      ? expectUint(c, ret, retPath, BigInt(MAX_ERRNO), `an errno (0..${MAX_ERRNO})`)
      : expectUint(c, ret, retPath, 0xffffn, 'SCMP_ACT_TRACE data (0..65535)');
  return { kind, errno: Number(n) };
}

function kernelVersion(s: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(s);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function kernelAtLeast(have: [number, number, number], want: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== want[i]!) return have[i]! > want[i]!;
  }
  return true;
}

interface Filter {
  caps: string[];
  arches: string[];
  minKernel?: [number, number, number];
}

function parseFilter(c: Ctx, v: JsonValue | undefined, path: string): Filter | undefined {
  if (v === undefined || v === null) return undefined;
  const o = expectObject(c, v, path);
  checkKeys(c, o, FILTER_KEYS, path);
  const caps = expectStringArray(c, o.caps, `${path}.caps`).map((s, i) => {
    if (s.trim() === '') c.fail(`${path}.caps[${i}]`, 'empty capability name');
    return normaliseCap(s);
  });
  const arches = expectStringArray(c, o.arches, `${path}.arches`).map((s, i) => {
    const t = archToken(s);
    if (!t) c.fail(`${path}.arches[${i}]`, `unknown architecture ${JSON.stringify(s)}`);
    return t;
  });
  let minKernel: [number, number, number] | undefined;
  if (o.minKernel !== undefined && o.minKernel !== null && o.minKernel !== '') {
    const s = expectString(c, o.minKernel, `${path}.minKernel`);
    if (!/^\d+\.\d+(\.\d+)?$/.test(s)) c.fail(`${path}.minKernel`, `invalid kernel version ${JSON.stringify(s)} (expected e.g. "4.8")`);
    minKernel = kernelVersion(s);
  }
  return { caps, arches, ...(minKernel ? { minKernel } : {}) };
}

function parseArg(c: Ctx, v: JsonValue, path: string): ArgCond {
  const o = expectObject(c, v, path);
  checkKeys(c, o, ARG_KEYS, path);
  if (o.index === undefined) c.fail(`${path}.index`, 'missing (0..5)');
  const index = expectUint(c, o.index, `${path}.index`, U64_MAX, 'an argument index (0..5)');
  if (index > 5n) c.fail(`${path}.index`, `argument index ${index} is out of range (0..5)`);
  const value = o.value === undefined ? 0n : expectUint(c, o.value, `${path}.value`, U64_MAX, 'a 64-bit unsigned integer');
  const valueTwo =
    o.valueTwo === undefined ? 0n : expectUint(c, o.valueTwo, `${path}.valueTwo`, U64_MAX, 'a 64-bit unsigned integer');
  if (o.op === undefined) c.fail(`${path}.op`, 'missing (one of SCMP_CMP_EQ, SCMP_CMP_NE, ...)');
  const opName = expectString(c, o.op, `${path}.op`);
  const op = OPS[opName];
  if (!op) c.fail(`${path}.op`, `unknown operator ${JSON.stringify(opName)}`);
  return { index: Number(index), value, valueTwo, op };
}

function describeArgs(args: ArgCond[]): string {
  if (args.length === 0) return 'without argument conditions';
  return `with ${args.map((a) => (a.op === 'MASKED_EQ' ? `(arg${a.index} & ${a.value}) == ${a.valueTwo}` : `arg${a.index} ${a.op} ${a.value}`)).join(' && ')}`;
}

/** Find the seccomp object: a bare Docker/OCI profile or an OCI config.json. */
function locate(c: Ctx, root: JsonValue): { obj: Obj; path: string } {
  const o = expectObject(c, root, '$');
  if (o.linux !== undefined && o.defaultAction === undefined) {
    const linux = expectObject(c, o.linux, '$.linux');
    if (linux.seccomp === undefined || linux.seccomp === null) {
      c.fail('$.linux.seccomp', 'missing: this OCI config has no seccomp profile');
    }
    return { obj: expectObject(c, linux.seccomp, '$.linux.seccomp'), path: '$.linux.seccomp' };
  }
  return { obj: o, path: '$' };
}

export function normaliseProfile(root: JsonValue, file: string, opts: NormaliseOptions = {}): NormalisedProfile {
  const c: Ctx = new Ctx(file);
  const target = opts.arch ?? nativeArch();
  const caps = new Set([...(opts.caps ?? DOCKER_DEFAULT_CAPS)].map(normaliseCap));
  const kernelStr = opts.kernel ?? release();
  const kernel = kernelVersion(kernelStr) ?? [0, 0, 0];

  const { obj: p, path: base } = locate(c, root);
  checkKeys(c, p, TOP_KEYS, base);

  const defKind = parseAction(c, p.defaultAction, `${base}.defaultAction`);
  const defaultAction = withErrno(c, defKind, p.defaultErrnoRet, `${base}.defaultAction`, `${base}.defaultErrnoRet`);

  // Architectures: `architectures` (OCI, old Docker) or `archMap` (Docker).
  const arches: string[] = [target];
  const addArch = (name: string, path: string) => {
    const t = archToken(name);
    if (!t) c.fail(path, `unknown architecture ${JSON.stringify(name)}`);
    if (!canRunOn(t, target)) {
      c.warn(`${path}: ${name} left out: a ${target} kernel never runs ${t} code, so its syscalls cannot reach the filter`);
      return;
    }
    if (archEndian(t) !== archEndian(target)) {
      c.fail(path, `${name} is ${archEndian(t)}-endian and cannot share a filter with ${target} (${archEndian(target)}-endian)`);
    }
    if (!arches.includes(t)) arches.push(t);
  };
  const hasArchitectures = Array.isArray(p.architectures) && p.architectures.length > 0;
  const hasArchMap = Array.isArray(p.archMap) && p.archMap.length > 0;
  if (hasArchitectures && hasArchMap) {
    c.fail(base, "both 'architectures' and 'archMap' are given; use one of them (as Docker requires)");
  }
  expectStringArray(c, p.architectures, `${base}.architectures`).forEach((a, i) =>
    addArch(a, `${base}.architectures[${i}]`),
  );
  expectArray(c, p.archMap, `${base}.archMap`).forEach((m, i) => {
    const path = `${base}.archMap[${i}]`;
    const o = expectObject(c, m, path);
    checkKeys(c, o, new Set(['architecture', 'subArchitectures']), path);
    const a = expectString(c, o.architecture, `${path}.architecture`);
    const t = archToken(a);
    if (!t) c.fail(`${path}.architecture`, `unknown architecture ${JSON.stringify(a)}`);
    const subs = expectStringArray(c, o.subArchitectures, `${path}.subArchitectures`);
    subs.forEach((s, j) => {
      if (!archToken(s)) c.fail(`${path}.subArchitectures[${j}]`, `unknown architecture ${JSON.stringify(s)}`);
    });
    if (t === target) subs.forEach((s, j) => addArch(s, `${path}.subArchitectures[${j}]`));
  });

  const flags = expectStringArray(c, p.flags, `${base}.flags`);
  flags.forEach((f, i) => {
    if (!FLAGS.includes(f)) c.fail(`${base}.flags[${i}]`, `unknown flag ${JSON.stringify(f)}`);
  });
  if (flags.length > 0) {
    c.warn(`${base}.flags: ignored (the preload always installs with SECCOMP_FILTER_FLAG_TSYNC and no others)`);
  }
  if (p.listenerPath !== undefined && p.listenerPath !== null && p.listenerPath !== '') {
    expectString(c, p.listenerPath, `${base}.listenerPath`);
    c.warn(`${base}.listenerPath: not supported; SCMP_ACT_NOTIFY calls are reported by sigsys, no listener is contacted`);
  }
  if (p.listenerMetadata !== undefined && p.listenerMetadata !== null) {
    expectString(c, p.listenerMetadata, `${base}.listenerMetadata`);
  }

  const rules: Rule[] = [];
  const skipped: NormalisedProfile['skipped'] = [];
  const seen = new Map<string, { action: Action; source: string }>();
  const unconditional = new Map<string, { action: Action; source: string }>();
  const conditional = new Map<string, { action: Action; source: string }[]>();

  expectArray(c, p.syscalls, `${base}.syscalls`).forEach((entry, i) => {
    const path = `${base}.syscalls[${i}]`;
    const e = expectObject(c, entry, path);
    checkKeys(c, e, RULE_KEYS, path);

    let names: string[];
    const hasName = e.name !== undefined && e.name !== null && e.name !== '';
    const hasNames = e.names !== undefined && e.names !== null;
    if (hasName && hasNames) c.fail(path, "both 'name' and 'names' are given; use one of them");
    if (hasName) {
      names = [expectString(c, e.name, `${path}.name`)];
    } else if (hasNames) {
      names = expectStringArray(c, e.names, `${path}.names`);
      if (names.length === 0) c.fail(`${path}.names`, 'empty: list at least one syscall');
    } else {
      c.fail(path, "no syscall: give 'names' (or 'name')");
    }
    names.forEach((n, j) => {
      if (n.trim() === '') c.fail(hasName ? `${path}.name` : `${path}.names[${j}]`, 'empty syscall name');
    });

    const kind = parseAction(c, e.action, `${path}.action`);
    const action = withErrno(c, kind, e.errnoRet, `${path}.action`, `${path}.errnoRet`);
    const args = expectArray(c, e.args, `${path}.args`).map((a, j) => parseArg(c, a, `${path}.args[${j}]`));
    const includes = parseFilter(c, e.includes, `${path}.includes`);
    const excludes = parseFilter(c, e.excludes, `${path}.excludes`);
    const comment = e.comment === undefined || e.comment === null ? undefined : expectString(c, e.comment, `${path}.comment`);

    // includes/excludes: the order and meaning of moby's setupSeccomp.
    let reason: string | undefined;
    if (excludes?.arches.includes(target)) reason = `excludes.arches contains ${target}`;
    else if (excludes?.caps.some((x) => caps.has(x))) reason = `excludes.caps: has ${excludes.caps.filter((x) => caps.has(x)).join(', ')}`;
    else if (excludes?.minKernel && kernelAtLeast(kernel, excludes.minKernel)) reason = `excludes.minKernel: kernel ${kernelStr} >= ${excludes.minKernel.join('.')}`;
    else if (includes && includes.arches.length > 0 && !includes.arches.includes(target)) reason = `includes.arches does not contain ${target}`;
    else if (includes?.caps.some((x) => !caps.has(x))) reason = `includes.caps: lacks ${includes.caps.filter((x) => !caps.has(x)).join(', ')}`;
    else if (includes?.minKernel && !kernelAtLeast(kernel, includes.minKernel)) reason = `includes.minKernel: kernel ${kernelStr} < ${includes.minKernel.join('.')}`;
    else if (sameAction(action, defaultAction)) reason = 'same action as defaultAction (runc skips such rules)';
    if (reason) {
      skipped.push({ source: path, names, reason });
      return;
    }

    // Same index twice: one rule per condition (runc); else one ANDed rule.
    const counts = new Array<number>(6).fill(0);
    for (const a of args) counts[a.index]!++;
    const sets = counts.some((n) => n > 1) ? args.map((a) => [a]) : [args];

    for (const set of sets) {
      const key = argKeyOf(set);
      for (const n of names) {
        const k = `${n}|${key}`;
        const prev = seen.get(k);
        if (prev && !sameAction(prev.action, action)) {
          c.fail(
            path,
            `conflicting rules for ${JSON.stringify(n)} ${describeArgs(set)}: ${actionToString(action)} here, ` +
              `${actionToString(prev.action)} at ${prev.source} (libseccomp would keep only one of them silently; Docker gives no error)`,
          );
        }
        if (!prev) seen.set(k, { action, source: path });
        // libseccomp 2.5 resolves overlaps silently: an unconditional rule
        // absorbs later rules for the syscall and replaces earlier
        // conditional ones.  Say so when the actions differ.
        const uncond = unconditional.get(n);
        if (uncond && set.length > 0 && !sameAction(uncond.action, action)) {
          c.warn(`${path}: rule for ${n} ${describeArgs(set)} never applies: the unconditional ${actionToString(uncond.action)} rule at ${uncond.source} covers every call`);
        }
        if (set.length === 0) {
          for (const cond of conditional.get(n) ?? []) {
            if (!sameAction(cond.action, action)) {
              c.warn(`${cond.source}: rule for ${n} never applies: the unconditional ${actionToString(action)} rule at ${path} replaces it`);
            }
          }
          if (!uncond) unconditional.set(n, { action, source: path });
        } else {
          const list = conditional.get(n) ?? [];
          list.push({ action, source: path });
          conditional.set(n, list);
        }
      }
      rules.push({ names, action, args: set, source: path, ...(comment !== undefined ? { comment } : {}) });
    }
  });

  return { defaultAction, arches, rules, skipped, warnings: c.warnings, root: base };
}
