/**
 * explain.ts - which action a profile or policy gives one syscall, and why.
 *
 * The action always comes from running the policy's real BPF program (the
 * addon's explain(), native/src/bpf_eval.c).  For a profile, the rule that
 * produced it is found by matching the normalised rules against the call
 * and keeping those whose action is the one the BPF returned; if none does
 * and the action is the default one, the default action is the reason.
 */
import { readFileSync } from 'node:fs';
import { ProfileError, UsageError } from '../errors.js';
import { loadNative } from '../native/loader.js';
import type { NativeExplainResult, NativePolicyInfo } from '../native/native.js';
import { compileProfileText, resolveArch, type CompileOptions } from './compile.js';
import { readProfile } from './read.js';
import { describeConds } from './rules.js';
import { actionToString, sameAction, type Action, type ArgCond, type NormalisedProfile, type Rule } from './types.js';

export interface ExplainRequest extends Omit<CompileOptions, 'arch'> {
  /** Arch of the call (default: the policy's target arch). */
  arch?: string;
  /** Profiles: the arch the policy is compiled for (default: this machine's). */
  target?: string;
  /** Syscall name, or a number as a string ("135"). */
  syscall: string;
  /** Up to six 64-bit args (missing ones are 0). */
  args?: bigint[];
}

export interface ExplainResult {
  file: string;
  kind: 'profile' | 'policy';
  syscall: string;
  nr: number;
  arch: string;
  args: bigint[];
  action: Action;
  /** The raw SECCOMP_RET_* of the BPF program and where it came from. */
  ret: number;
  retAt: number;
  /** JSON path of the rule that produced the action, '$.defaultAction', or a reason. */
  rule: string;
  /** Human description of the rule. */
  detail: string;
  /** Rules for this syscall dropped by includes/excludes and why. */
  notApplied: { source: string; reason: string }[];
  /** Profile or compile warnings worth showing. */
  warnings: string[];
}

const MASK64 = (1n << 64n) - 1n;
/** Arches whose syscall arguments are 32 bits wide (libseccomp compares the low half). */
const BITS32 = new Set(['x86', 'arm', 'mips', 'mipsel', 'ppc', 's390', 'parisc']);

export function argMatches(c: ArgCond, v: bigint): boolean {
  switch (c.op) {
    case 'EQ':
      return v === c.value;
    case 'NE':
      return v !== c.value;
    case 'LT':
      return v < c.value;
    case 'LE':
      return v <= c.value;
    case 'GT':
      return v > c.value;
    case 'GE':
      return v >= c.value;
    case 'MASKED_EQ':
      return (v & c.value) === c.valueTwo;
  }
}

export function describeRule(r: Rule): string {
  const conds = describeConds(r.args);
  return `${actionToString(r.action)}${conds ? ` if ${conds}` : ''}${r.comment ? ` (${r.comment})` : ''}`;
}

/** Parse `--arg i=v` values: decimal, 0x hex, or negative (two's complement). */
export function parseArgSpecs(specs: string[]): bigint[] {
  const args = new Array<bigint>(6).fill(0n);
  for (const spec of specs) {
    const m = /^([0-5])=(-?(?:0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|[0-9]+))$/.exec(spec.trim());
    if (!m) throw new UsageError(`bad --arg "${spec}": expected INDEX=VALUE with INDEX 0..5, e.g. 0=0x10`);
    const neg = m[2]!.startsWith('-');
    let v = BigInt(neg ? m[2]!.slice(1) : m[2]!);
    if (v > MASK64) throw new UsageError(`bad --arg "${spec}": value does not fit in 64 bits`);
    if (neg) v = (-v) & MASK64;
    args[Number(m[1])] = v;
  }
  return args;
}

/** Why a call the policy's prologue traps is answered by the handler (native/src/prologue.h). */
const SIGNALS_DETAIL =
  "trapped by the policy's prologue so the SIGSYS handler keeps SIGSYS deliverable; it then does what the profile's program answers (an allowed call is carried out, not reported)";

function isPolicy(buf: Buffer): boolean {
  return buf.length >= 8 && buf.subarray(0, 8).toString('latin1') === 'SIGSYSPL';
}

function resolveNr(syscall: string, arch: string): number {
  const native = loadNative();
  if (/^[0-9]+$/.test(syscall)) return Number(syscall);
  const nr = native.syscallNumber(syscall, arch);
  if (nr === null) throw new UsageError(`unknown syscall "${syscall}" (libseccomp does not know it)`);
  if (nr < 0) throw new UsageError(`syscall "${syscall}" does not exist on ${arch}`);
  return nr;
}

function attribute(
  profile: NormalisedProfile,
  name: string,
  args: bigint[],
  action: Action,
): { rule: string; detail: string } {
  const matching = profile.rules.filter((r) => r.names.includes(name) && r.args.every((c) => argMatches(c, args[c.index] ?? 0n)));
  const same = matching.find((r) => sameAction(r.action, action));
  if (same) return { rule: same.source, detail: `${name}: ${describeRule(same)}` };
  if (sameAction(profile.defaultAction, action)) {
    const why = matching.length === 0 ? 'no rule matches' : 'no rule with another action matched';
    return { rule: `${profile.root}.defaultAction`, detail: `default action (${why})` };
  }
  if (matching.length === 0 && action.kind === 'ALLOW' && (name === 'rt_sigreturn')) {
    return { rule: 'sigsys', detail: 'reserved: the SIGSYS handler returns through rt_sigreturn, so it stays allowed' };
  }
  const cand = matching.map((r) => `${r.source} (${describeRule(r)})`).join('; ');
  return {
    rule: 'unattributed',
    detail: `the BPF program's action matches no profile rule${cand ? `; matching rules: ${cand}` : ''}`,
  };
}

/** Explain a syscall for a profile (JSON) or a compiled policy file. */
export function explainFile(file: string, req: ExplainRequest): ExplainResult {
  const native = loadNative();
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    readProfile(file); // throws the ProfileError with the cause
    throw new ProfileError(file, '', 'cannot read');
  }
  const args = [...(req.args ?? [])];
  while (args.length < 6) args.push(0n);

  if (isPolicy(raw)) {
    let info: NativePolicyInfo;
    try {
      info = native.policyInfo(raw);
    } catch (err) {
      throw new ProfileError(file, '', (err as Error).message, { cause: err });
    }
    const arch = req.arch !== undefined ? resolveArch(req.arch) : (info.archName ?? resolveArch(undefined));
    const nr = resolveNr(req.syscall, arch);
    const r: NativeExplainResult = native.explain(raw, { nr, arch, args });
    const name = native.syscallName(nr, arch) ?? `#${nr}`;
    return {
      file,
      kind: 'policy',
      syscall: name,
      nr,
      arch,
      args,
      action: { kind: r.action.kind, errno: r.action.errno },
      ret: r.ret,
      retAt: r.retAt,
      rule: r.index === null ? 'bpf' : `actions[${r.index}]`,
      detail: r.signals
        ? `${r.index === null ? 'allowed by the profile\'s program' : `action table entry ${r.index}`}; ${SIGNALS_DETAIL} (trap at instruction ${r.retAt})`
        : r.index === null
          ? `the program returns 0x${r.ret.toString(16)} directly at instruction ${r.retAt}`
          : `trap at instruction ${r.retAt} with action table entry ${r.index} (policy files carry no rule sources; explain the profile to see the rule)`,
      notApplied: [],
      warnings: [],
    };
  }

  // The policy is built for `target` (default: this machine); `arch` is the
  // arch of the call, which may be one of the profile's sub-arches (x86 on
  // x86_64) or one the filter does not handle (bad-arch action).
  const { arch: callArch, target, ...copts } = req;
  const compiled = compileProfileText(raw.toString('utf8'), file, { ...copts, ...(target ? { arch: target } : {}) });
  const arch = callArch !== undefined ? resolveArch(callArch) : compiled.arch;
  const nr = resolveNr(req.syscall, arch);
  const name = native.syscallName(nr, arch) ?? req.syscall;
  const r = native.explain(compiled.policy, { nr, arch, args });
  const action: Action = { kind: r.action.kind, errno: r.action.errno };
  const attributed = compiled.profile.arches.includes(arch)
    ? attribute(compiled.profile, name, BITS32.has(arch) ? args.map((a) => a & 0xffffffffn) : args, action)
    : {
        rule: `${compiled.profile.root}.architectures`,
        detail: `the filter does not handle ${arch} (it handles ${compiled.profile.arches.join(', ')}): libseccomp's bad-arch action`,
      };
  const { rule } = attributed;
  let { detail } = attributed;
  if (r.signals) detail += `; ${SIGNALS_DETAIL}`;
  return {
    file,
    kind: 'profile',
    syscall: name,
    nr,
    arch,
    args,
    action,
    ret: r.ret,
    retAt: r.retAt,
    rule,
    detail,
    notApplied: compiled.profile.skipped.filter((s) => s.names.includes(name)).map(({ source, reason }) => ({ source, reason })),
    warnings: compiled.warnings,
  };
}
