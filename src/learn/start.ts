/**
 * start.ts - what `sigsys learn` needs before its command can start: the
 * learning run's compiled policy, the calls allowed without being observed,
 * and sigsys-exec's --distinct-arg0 list.
 *
 * On a policy-cache hit (policy-cache.ts) that is a file read: nothing else
 * is loaded before the command starts (no JSON parser, no compiler, no
 * learn.ts, no addon), and the rest of learn loads while the command runs
 * (session.ts).  On a miss the base is read, planned and compiled
 * (plan.ts, which also validates a --base file before anything runs), and
 * the result is stored for the next run.  A base that compiled once
 * compiles again to the same policy: a hit needs no validation.
 *
 * Only light modules here (node's, errors, the native loader's path search,
 * the arch table): every module on this path is start-up time.
 */
import { addonPath } from '../native/loader.js';
import { nativeArch } from '../profile/arches.js';
import { readProfile } from '../profile/read.js';
import type { Base } from './learn.js';
import { cacheDir, cacheKey, readCached, writeCached, type CachedLearningPolicy } from './policy-cache.js';

export interface LearningStart extends CachedLearningPolicy {
  /** The --base file's text (undefined: the default deny-all base). */
  baseText?: string;
  /** The base as learn.ts read it, when it had to be (a cache miss). */
  base?: Base;
  /** Whether the policy came from the cache. */
  cached: boolean;
}

export interface StartOptions {
  /** --base FILE; undefined: deny everything. */
  base?: string;
  mode: 'audit' | 'enforce';
  env?: NodeJS.ProcessEnv;
}

/** The learning run's policy and plan: from the cache, else compiled (and cached). */
export async function prepareLearning(o: StartOptions): Promise<LearningStart> {
  const baseText = o.base !== undefined ? readProfile(o.base) : undefined;
  const arch = nativeArch();
  let dir: string | undefined;
  let key: string | undefined;
  try {
    dir = cacheDir(o.env);
    if (dir) key = cacheKey({ baseText, baseFile: o.base ?? '', mode: o.mode, arch, addon: addonPath() });
  } catch {
    key = undefined; // no home directory, or no addon to identify (the compile below says why)
  }
  const hit = key ? readCached(dir, key) : undefined;
  if (hit) return { ...hit, baseText, cached: true };

  const [learn, { readBase, planLearning }, { compileProfileText }] = await Promise.all([import('./learn.js'), import('./plan.js'), import('../profile/compile.js')]);
  const base = o.base !== undefined ? readBase(o.base, baseText) : learn.defaultBase(arch);
  const plan = planLearning(base, o.mode);
  // Its warnings are about sigsys's own learning profile (everything traps), not the user's.
  const compiled = compileProfileText(learn.formatProfile(plan.learningProfile), base.file, { mode: o.mode });
  const entry: CachedLearningPolicy = {
    policy: compiled.policy,
    arch: compiled.arch,
    bootstrap: plan.bootstrap,
    preload: plan.preload,
    reportOnce: learn.distinctArg0(compiled.arch),
    warnings: base.warnings ?? [],
  };
  if (key) writeCached(dir, key, entry);
  return { ...entry, baseText, base, cached: false };
}
