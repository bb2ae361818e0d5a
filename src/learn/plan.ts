/**
 * plan.ts - the learning run's profile, decided with the compiler: a base
 * file read and validated (readBase), the calls allowed without being
 * observed that the base denies (notAllowed, asked of the compiled base),
 * and the learning profile (planLearning).  Apart from learn.ts because it
 * loads the compiler, which a run whose learning policy is cached does not
 * need (src/learn/start.ts).
 */
import { loadNative } from '../native/loader.js';
import { compileProfileText, type CompileResult } from '../profile/compile.js';
import { readProfile } from '../profile/read.js';
import type { NormalisedProfile } from '../profile/types.js';
import { allowIn, BOOTSTRAP_SYSCALLS, formatProfile, parseBase, PRELOAD_SYSCALLS, withoutOwn, type Base, type LearningPlan } from './learn.js';

/** Read a base profile (Docker profile, bare LinuxSeccomp, or OCI config.json). Throws ProfileError (exit 2). */
export function readBase(file: string, text = readProfile(file)): Base {
  // Validates the whole profile now, with JSON paths, before any command runs.
  const { warnings } = compileProfileText(text, file, { mode: 'audit' });
  return parseBase(file, text, warnings);
}

/** Names of `names` that the compiled profile does not allow (called with all-zero arguments). */
export function notAllowed(compiled: CompileResult, names: readonly string[]): string[] {
  const native = loadNative();
  const out: string[] = [];
  for (const name of names) {
    const nr = native.syscallNumber(name, compiled.arch);
    if (nr === null || nr < 0) continue; // not on this arch
    if (name === 'rt_sigreturn') {
      // The compiler always allows it; ask the profile itself.
      if (!profileAllows(compiled.profile, name)) out.push(name);
      continue;
    }
    const r = native.explain(compiled.policy, { nr, arch: compiled.arch, args: [0n, 0n, 0n, 0n, 0n, 0n] });
    if (r.action.kind !== 'ALLOW') out.push(name);
  }
  return out;
}

/** Whether the profile as written allows `name` unconditionally. */
function profileAllows(p: NormalisedProfile, name: string): boolean {
  const rules = p.rules.filter((r) => r.names.includes(name));
  if (rules.some((r) => r.action.kind === 'ALLOW' && r.args.length === 0)) return true;
  return p.defaultAction.kind === 'ALLOW' && rules.every((r) => r.action.kind === 'ALLOW');
}

/**
 * The profile for the learning run: the base plus the bootstrap calls, and in
 * enforce mode the preload's exec-time calls (in audit mode they are carried
 * out and not recorded anyway, so the command's own use of them is learned).
 */
export function planLearning(base: Base, mode: 'audit' | 'enforce' = 'audit'): LearningPlan {
  // What the base denies once its own learned entries (if any) are replaced.
  const text = formatProfile(withoutOwn(base.seccomp));
  const compiled = compileProfileText(text, base.file, { mode: 'audit' });
  const bootstrap = notAllowed(compiled, BOOTSTRAP_SYSCALLS);
  const preload = notAllowed(compiled, PRELOAD_SYSCALLS).filter((n) => !bootstrap.includes(n));
  const allow = mode === 'enforce' ? [...bootstrap, ...preload] : bootstrap;
  const learningProfile = allow.length
    ? allowIn(base.seccomp, allow, [{ names: allow, action: 'SCMP_ACT_ALLOW', comment: 'sigsys learn: not observable' }])
    : base.seccomp;
  return { bootstrap, preload, learningProfile };
}

