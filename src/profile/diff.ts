/**
 * diff.ts - what changed between two profiles, syscall by syscall.
 *
 * Both profiles are normalised for the same target (arch, caps, kernel), so
 * entries that includes/excludes drop on that target do not show, and rules
 * are compared as libseccomp is given them: a rule is its action plus its
 * ANDed argument conditions.  A syscall with no rule takes the default
 * action; that is shown as "(default) ACTION", so a change of defaultAction
 * shows once at the top and not for every syscall it affects.
 */
import { argKeyOf, describeConds } from './rules.js';
import { actionToString, type NormalisedProfile, type Rule } from './types.js';

export interface RuleView {
  /** e.g. "SCMP_ACT_ALLOW" or "SCMP_ACT_ERRNO(1)". */
  action: string;
  /** e.g. "(arg0 & 0x7e020000) == 0x0"; empty for an unconditional rule. */
  when: string;
  /** JSON path of the entry in its profile. */
  source: string;
}

export interface SyscallDiff {
  syscall: string;
  /** added: no rule in A; removed: no rule in B; changed: rules in both, not the same. */
  change: 'added' | 'removed' | 'changed';
  /** Rules only in B. */
  added: RuleView[];
  /** Rules only in A. */
  removed: RuleView[];
}

export interface ProfileDiff {
  a: string;
  b: string;
  /** Null when both have the same default action. */
  defaultAction: { a: string; b: string } | null;
  /** Target arches handled by one and not the other. */
  arches: { added: string[]; removed: string[] };
  syscalls: SyscallDiff[];
  /** True when nothing differs. */
  same: boolean;
}

function ruleKey(r: Rule): string {
  return `${actionToString(r.action)}|${argKeyOf(r.args)}`;
}

function view(r: Rule): RuleView {
  return { action: actionToString(r.action), when: describeConds(r.args), source: r.source };
}

/** syscall -> (rule key -> rule), in profile order. */
function bySyscall(p: NormalisedProfile): Map<string, Map<string, Rule>> {
  const m = new Map<string, Map<string, Rule>>();
  for (const r of p.rules) {
    for (const n of r.names) {
      let rules = m.get(n);
      if (!rules) m.set(n, (rules = new Map()));
      const k = ruleKey(r);
      if (!rules.has(k)) rules.set(k, r);
    }
  }
  return m;
}

/** Compare two normalised profiles; `a` and `b` name them in the result. */
export function diffProfiles(a: string, pa: NormalisedProfile, b: string, pb: NormalisedProfile): ProfileDiff {
  const ra = bySyscall(pa);
  const rb = bySyscall(pb);
  const names = [...new Set([...ra.keys(), ...rb.keys()])].sort();
  const syscalls: SyscallDiff[] = [];
  for (const name of names) {
    const x = ra.get(name) ?? new Map<string, Rule>();
    const y = rb.get(name) ?? new Map<string, Rule>();
    const added = [...y].filter(([k]) => !x.has(k)).map(([, r]) => view(r));
    const removed = [...x].filter(([k]) => !y.has(k)).map(([, r]) => view(r));
    if (added.length === 0 && removed.length === 0) continue;
    const change = x.size === 0 ? 'added' : y.size === 0 ? 'removed' : 'changed';
    syscalls.push({ syscall: name, change, added, removed });
  }
  const da = actionToString(pa.defaultAction);
  const db = actionToString(pb.defaultAction);
  const arches = {
    added: pb.arches.filter((t) => !pa.arches.includes(t)),
    removed: pa.arches.filter((t) => !pb.arches.includes(t)),
  };
  const defaultAction = da === db ? null : { a: da, b: db };
  const same = !defaultAction && syscalls.length === 0 && arches.added.length === 0 && arches.removed.length === 0;
  return { a, b, defaultAction, arches, syscalls, same };
}

/**
 * The diff as a table: one line per rule added (+) or removed (-), grouped
 * by syscall, e.g.
 *
 *   SYSCALL  CHANGE  RULE
 *   acct     +       SCMP_ACT_ALLOW                          $.syscalls[4]
 *   clone    -       SCMP_ACT_ALLOW if (arg0 & 0x7e020000) == 0x0   $.syscalls[2]
 */
export function formatDiff(d: ProfileDiff, defaults: { a: string; b: string }): string {
  if (d.same) return `profiles ${d.a} and ${d.b} are the same for this target\n`;
  const lines: string[] = [`--- ${d.a}`, `+++ ${d.b}`];
  if (d.defaultAction) lines.push(`defaultAction: ${d.defaultAction.a} -> ${d.defaultAction.b}`);
  if (d.arches.added.length) lines.push(`architectures added: ${d.arches.added.join(', ')}`);
  if (d.arches.removed.length) lines.push(`architectures removed: ${d.arches.removed.join(', ')}`);
  const rows: [string, string, string, string][] = [];
  for (const s of d.syscalls) {
    const fallback = (side: 'a' | 'b') => `(default) ${defaults[side]}`;
    // A syscall that gains its first rule loses the default, and the other way round.
    if (s.change === 'added') rows.push([s.syscall, '-', fallback('a'), '']);
    for (const r of s.removed) rows.push([s.syscall, '-', r.action + (r.when ? ` if ${r.when}` : ''), r.source]);
    for (const r of s.added) rows.push([s.syscall, '+', r.action + (r.when ? ` if ${r.when}` : ''), r.source]);
    if (s.change === 'removed') rows.push([s.syscall, '+', fallback('b'), '']);
  }
  if (rows.length) {
    const w0 = Math.max(7, ...rows.map((r) => r[0].length));
    const w2 = Math.max(4, ...rows.map((r) => r[2].length));
    lines.push('', `${'SYSCALL'.padEnd(w0)}  CHANGE  ${'RULE'.padEnd(w2)}  SOURCE`);
    for (const r of rows) lines.push(`${r[0].padEnd(w0)}  ${r[1].padEnd(6)}  ${r[2].padEnd(w2)}  ${r[3]}`.trimEnd());
  }
  const counts = ['added', 'removed', 'changed'].map((c) => `${d.syscalls.filter((s) => s.change === c).length} ${c}`);
  lines.push('', `syscalls: ${counts.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
