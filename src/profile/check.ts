/**
 * check.ts - lint a profile: names libseccomp does not know, duplicate and
 * shadowed rules, entries with no effect, and allowances that hand a
 * container a known way out or a large kernel attack surface.
 *
 * Whether a dangerous call is allowed is decided by the real BPF program
 * (the addon's explain on the compiled policy), with the arguments that make
 * it dangerous (unshare(CLONE_NEWUSER), personality(ADDR_NO_RANDOMIZE)), so
 * an argument rule that already forbids them is honoured exactly.
 */
import { ProfileError } from '../errors.js';
import { loadNative } from '../native/loader.js';
import { compileProfileText, type CompileOptions } from './compile.js';
import { readProfile } from './read.js';
import { argKeyOf, describeConds } from './rules.js';
import { actionToString, sameAction, type NormalisedProfile, type Rule } from './types.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Finding {
  severity: Severity;
  /** unknown-syscall, not-on-arch, duplicate, shadowed, redundant, no-effect, dangerous, invalid. */
  code: string;
  /** JSON path of the entry ('' for the whole profile). */
  source: string;
  syscall?: string;
  message: string;
}

export interface CheckResult {
  file: string;
  arch: string;
  findings: Finding[];
  errors: number;
  warnings: number;
}

const CLONE_NEWUSER = 0x10000000n;
const SIGCHLD = 17n;
const ADDR_NO_RANDOMIZE = 0x0040000n;

interface Danger {
  syscalls: string[];
  reason: string;
  /** Arguments that make the call dangerous; default: any (some rule allows it). */
  args?: bigint[];
  /** What the arguments mean, for the message. */
  argsText?: string;
}

/** Allowances worth a second look, with why; Docker's default profile allows none of them to a default container except ptrace (4.8+). */
export const DANGEROUS: Danger[] = [
  { syscalls: ['ptrace'], reason: 'reads and writes the memory and registers of other processes of the same user; on kernels before 4.8 it bypasses seccomp itself' },
  { syscalls: ['process_vm_readv', 'process_vm_writev'], reason: 'reads or writes the memory of other processes of the same user' },
  { syscalls: ['bpf'], reason: 'loads eBPF programs into the kernel: a large kernel attack surface' },
  { syscalls: ['mount', 'umount', 'umount2', 'fsopen', 'fsconfig', 'fsmount', 'move_mount', 'open_tree', 'mount_setattr', 'pivot_root'], reason: 'changes the mount table: with CAP_SYS_ADMIN or a user namespace it can expose host files' },
  { syscalls: ['kexec_load', 'kexec_file_load'], reason: 'replaces the running kernel' },
  { syscalls: ['init_module', 'finit_module', 'delete_module'], reason: 'loads or removes kernel modules' },
  { syscalls: ['unshare'], args: [CLONE_NEWUSER], argsText: 'CLONE_NEWUSER', reason: 'creates a user namespace, the usual first step of kernel privilege-escalation exploits' },
  { syscalls: ['clone'], args: [CLONE_NEWUSER | SIGCHLD], argsText: 'CLONE_NEWUSER', reason: 'creates a user namespace, the usual first step of kernel privilege-escalation exploits' },
  { syscalls: ['clone3'], reason: 'its namespace flags are in memory a filter cannot read, so it cannot be limited to plain threads (Docker answers ENOSYS so libcs fall back to clone)' },
  { syscalls: ['setns'], reason: 'joins another namespace' },
  { syscalls: ['open_by_handle_at'], reason: 'opens files by handle outside the container\'s mount namespace (the "shocker" escape)' },
  { syscalls: ['keyctl', 'add_key', 'request_key'], reason: 'the kernel keyring is not namespaced' },
  { syscalls: ['perf_event_open'], reason: 'kernel attack surface and information leaks about other processes' },
  { syscalls: ['userfaultfd'], reason: 'makes kernel race exploits reliable' },
  { syscalls: ['io_uring_setup'], reason: 'io_uring operations run without a syscall each, so no seccomp filter sees them: allowing it allows whatever io_uring can do' },
  { syscalls: ['personality'], args: [ADDR_NO_RANDOMIZE], argsText: 'ADDR_NO_RANDOMIZE', reason: 'turns off address-space randomisation' },
  { syscalls: ['swapon', 'swapoff', 'reboot', 'syslog', 'acct', 'quotactl', 'lookup_dcookie'], reason: 'acts on the whole host, not the container' },
  { syscalls: ['settimeofday', 'clock_settime', 'stime'], reason: 'sets the host clock (time is not namespaced)' },
  { syscalls: ['iopl', 'ioperm'], reason: 'gives direct access to I/O ports' },
  { syscalls: ['uselib', 'vm86', 'vm86old', 'create_module', 'get_kernel_syms', 'query_module', 'nfsservctl', '_sysctl'], reason: 'obsolete interface with a history of kernel bugs' },
];

const allows = (kind: string) => kind === 'ALLOW' || kind === 'LOG';

/** Some rule (or the default) lets `name` run for some arguments. */
function allowedSometimes(p: NormalisedProfile, name: string): boolean {
  const rules = p.rules.filter((r) => r.names.includes(name));
  if (rules.some((r) => allows(r.action.kind))) return true;
  const uncond = rules.find((r) => r.args.length === 0);
  return !uncond && allows(p.defaultAction.kind);
}

/** Check a profile file. Throws ProfileError only when the file cannot be read. */
export function checkProfileFile(file: string, opts: Omit<CompileOptions, 'mode'> = {}): CheckResult {
  const text = readProfile(file);
  const findings: Finding[] = [];
  let compiled;
  try {
    compiled = compileProfileText(text, file, { ...opts, mode: 'enforce' });
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    findings.push({ severity: 'error', code: 'invalid', source: err.jsonPath, message: err.message.replace(`${file}: `, '') });
    return summarise(file, opts.arch ?? '', findings);
  }
  const { profile, arch, policy } = compiled;
  const native = loadNative();

  // Names: unknown to libseccomp (a typo: the rule silently does nothing),
  // or not a syscall on this arch (normal in multi-arch profiles: a note).
  const notOnArch = new Set<string>();
  const seenName = new Set<string>();
  for (const r of profile.rules) {
    for (const n of r.names) {
      if (seenName.has(`${r.source}|${n}`)) continue;
      seenName.add(`${r.source}|${n}`);
      const nr = native.syscallNumber(n, arch);
      if (nr === null) {
        findings.push({ severity: 'error', code: 'unknown-syscall', source: r.source, syscall: n, message: `unknown syscall "${n}": libseccomp knows no syscall of that name on any arch, so this rule does nothing for it` });
      } else if (nr < 0) notOnArch.add(n);
    }
  }
  for (const s of profile.skipped) for (const n of s.names) if (native.syscallNumber(n, arch) === null && !seenName.has(`${s.source}|${n}`)) {
    seenName.add(`${s.source}|${n}`);
    findings.push({ severity: 'error', code: 'unknown-syscall', source: s.source, syscall: n, message: `unknown syscall "${n}": libseccomp knows no syscall of that name on any arch` });
  }
  if (notOnArch.size) {
    findings.push({ severity: 'note', code: 'not-on-arch', source: '', message: `${notOnArch.size} name(s) are not syscalls on ${arch} and only apply on other arches: ${[...notOnArch].sort().join(', ')}` });
  }

  // Duplicates: a name twice in one entry, or the same rule in two entries.
  const firstRule = new Map<string, Rule>();
  for (const r of profile.rules) {
    const inEntry = new Set<string>();
    for (const n of r.names) {
      if (inEntry.has(n)) {
        findings.push({ severity: 'warning', code: 'duplicate', source: r.source, syscall: n, message: `"${n}" is listed twice in this entry` });
        continue;
      }
      inEntry.add(n);
      const k = `${n}|${actionToString(r.action)}|${argKeyOf(r.args)}`;
      const prev = firstRule.get(k);
      if (prev && prev.source !== r.source) {
        findings.push({ severity: 'warning', code: 'duplicate', source: r.source, syscall: n, message: `duplicate rule for "${n}": ${prev.source} already gives ${actionToString(r.action)}${r.args.length ? ` if ${describeConds(r.args)}` : ''}` });
      } else if (!prev) firstRule.set(k, r);
    }
  }

  // Shadowed: libseccomp lets an unconditional rule for a syscall absorb
  // every conditional one, whatever their order.
  for (const n of new Set(profile.rules.flatMap((r) => r.names))) {
    const rules = profile.rules.filter((r) => r.names.includes(n));
    const uncond = rules.find((r) => r.args.length === 0);
    if (!uncond) continue;
    for (const r of rules) {
      if (r.args.length === 0) continue;
      const same = sameAction(r.action, uncond.action);
      findings.push({
        severity: 'warning',
        code: same ? 'redundant' : 'shadowed',
        source: r.source,
        syscall: n,
        message: same
          ? `rule for "${n}" if ${describeConds(r.args)} is redundant: ${uncond.source} already gives ${actionToString(uncond.action)} for every call`
          : `rule for "${n}" if ${describeConds(r.args)} never applies: the unconditional ${actionToString(uncond.action)} rule at ${uncond.source} covers every call`,
      });
    }
  }

  for (const s of profile.skipped) {
    if (s.reason.startsWith('same action as defaultAction')) {
      findings.push({ severity: 'warning', code: 'no-effect', source: s.source, message: `has no effect: same action as defaultAction (${actionToString(profile.defaultAction)}) for ${s.names.join(', ')}` });
    }
  }

  // Dangerous allowances, decided by the compiled BPF where arguments matter.
  for (const d of DANGEROUS) {
    for (const name of d.syscalls) {
      const nr = native.syscallNumber(name, arch);
      if (nr === null || nr < 0) continue;
      let allowed: boolean;
      if (d.args) {
        const args = [...d.args];
        while (args.length < 6) args.push(0n);
        allowed = allows(native.explain(policy, { nr, arch, args }).action.kind);
      } else {
        allowed = allowedSometimes(profile, name);
      }
      if (!allowed) continue;
      const rule = profile.rules.find((r) => r.names.includes(name) && allows(r.action.kind));
      findings.push({
        severity: 'warning',
        code: 'dangerous',
        source: rule?.source ?? `${profile.root}.defaultAction`,
        syscall: name,
        message: `allows ${name}${d.argsText ? ` with ${d.argsText}` : ''}: ${d.reason}`,
      });
    }
  }
  return summarise(file, arch, findings);
}

function summarise(file: string, arch: string, findings: Finding[]): CheckResult {
  const order: Record<Severity, number> = { error: 0, warning: 1, note: 2 };
  findings.sort((a, b) => order[a.severity] - order[b.severity]);
  return {
    file,
    arch,
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}

export function formatCheck(r: CheckResult): string {
  const lines = r.findings.map((f) => `${r.file}: ${f.source ? `${f.source}: ` : ''}${f.severity}: ${f.message} [${f.code}]`);
  lines.push(`${r.file}: ${r.errors} error(s), ${r.warnings} warning(s)`);
  return `${lines.join('\n')}\n`;
}
