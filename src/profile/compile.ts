/**
 * compile.ts - Docker/OCI profile -> sigsys policy image.
 *
 * The JSON is parsed and validated here (exact 64-bit numbers, JSON paths in
 * every error); the addon builds the libseccomp filter and the policy.
 * `compileProfileFile` and `defaultProfilePath` are the API other modules
 * (`sigsys run`) use.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProfileError, SigsysError, UsageError } from '../errors.js';
import { loadNative, packageRoot } from '../native/loader.js';
import type { NativeProfile } from '../native/native.js';
import { archToken, nativeArch } from './arches.js';
import { normaliseProfile } from './normalise.js';
import { parseJson } from './parse.js';
import type { NormalisedProfile } from './types.js';

export interface CompileOptions {
  mode?: 'enforce' | 'audit';
  /** Target arch: libseccomp token, SCMP_ARCH_* or GOARCH name; default: this machine's. */
  arch?: string;
  /** Capabilities for includes/excludes.caps; default: Docker's default set. */
  caps?: Iterable<string>;
  /** Binary-tree syscall lookup (libseccomp optimize level 2); default true. */
  binaryTree?: boolean;
  /** Kernel release for minKernel; default: uname -r. */
  kernel?: string;
  /**
   * When clone can trap, trap rt_sigprocmask too (carried out, unreported) so
   * glibc's pthread_create, which blocks every signal around clone, cannot
   * be killed by a blocked SIGSYS (docs/preload.md).  Default true.
   */
  cloneGuard?: boolean;
}

export interface CompileResult {
  policy: Buffer;
  warnings: string[];
  /** BPF instructions in the policy (after the sigsys rewrite). */
  insns: number;
  /** Entries in the policy's action table. */
  actions: number;
  /** Hex SHA-256 of the profile file as given (also stored in the policy). */
  hash: string;
  arch: string;
  profile: NormalisedProfile;
  /** Syscalls trapped only so the handler carries them out (see cloneGuard). */
  trapAllow: string[];
}

/** deploy/profiles/default.json: the project's Docker-default-like profile. */
export function defaultProfilePath(): string {
  return join(packageRoot, 'deploy', 'profiles', 'default.json');
}

export function resolveArch(arch: string | undefined): string {
  if (arch === undefined) return nativeArch();
  const t = archToken(arch);
  if (!t) throw new UsageError(`unknown architecture "${arch}"`);
  return t;
}

export function toNative(p: NormalisedProfile): NativeProfile {
  return {
    defaultAction: p.defaultAction,
    arches: p.arches,
    rules: p.rules.map((r) => ({ names: r.names, action: r.action, args: r.args, source: r.source })),
  };
}

/**
 * Is `name` allowed whatever its arguments?  Under a default ALLOW: when no
 * rule for it has another action; otherwise: when its first unconditional
 * rule (the one libseccomp keeps) is ALLOW.
 */
export function alwaysAllowed(p: NormalisedProfile, name: string): boolean {
  const rules = p.rules.filter((r) => r.names.includes(name));
  const uncond = rules.find((r) => r.args.length === 0);
  if (uncond) return uncond.action.kind === 'ALLOW';
  return p.defaultAction.kind === 'ALLOW' && rules.every((r) => r.action.kind === 'ALLOW');
}

/** Is `name` denied whatever its arguments (no path to ALLOW)? */
export function neverAllowed(p: NormalisedProfile, name: string): boolean {
  const rules = p.rules.filter((r) => r.names.includes(name));
  const uncond = rules.find((r) => r.args.length === 0);
  if (uncond) return uncond.action.kind !== 'ALLOW';
  return p.defaultAction.kind !== 'ALLOW' && rules.every((r) => r.action.kind !== 'ALLOW');
}

/**
 * The trapAllow list and a warning, per the cloneGuard rule above.  A
 * rt_sigprocmask that always traps needs nothing (the handler answers it, so
 * SIGSYS is never blocked by it); one that is allowed only for some
 * arguments cannot be guarded without overriding the profile: warn.
 */
export function cloneGuard(p: NormalisedProfile): { trapAllow: string[]; warning?: string } {
  if (alwaysAllowed(p, 'clone') || neverAllowed(p, 'rt_sigprocmask')) return { trapAllow: [] };
  if (alwaysAllowed(p, 'rt_sigprocmask')) return { trapAllow: ['rt_sigprocmask'] };
  return {
    trapAllow: [],
    warning:
      'clone can trap and rt_sigprocmask is allowed for some arguments only: a thread whose clone traps while every ' +
      'signal is blocked (glibc pthread_create, posix_spawn) is killed instead of getting the profile\'s answer',
  };
}

/** Compile profile text; `file` names it in messages. */
export function compileProfileText(text: string, file: string, opts: CompileOptions = {}): CompileResult {
  const arch = resolveArch(opts.arch);
  const json = parseJson(text, file);
  const profile = normaliseProfile(json, file, {
    arch,
    ...(opts.caps ? { caps: opts.caps } : {}),
    ...(opts.kernel ? { kernel: opts.kernel } : {}),
  });
  const hashBuf = createHash('sha256').update(text).digest();
  const guard = opts.cloneGuard === false ? { trapAllow: [] } : cloneGuard(profile);
  if ('warning' in guard && guard.warning) profile.warnings.push(guard.warning);
  const native = loadNative();
  let out;
  try {
    out = native.compile(toNative(profile), {
      arch,
      mode: opts.mode ?? 'enforce',
      binaryTree: opts.binaryTree ?? true,
      profileHash: hashBuf,
      trapAllow: guard.trapAllow,
    });
  } catch (err) {
    const e = err as Error & { code?: string; jsonPath?: string };
    if (e.code === 'ERULE') throw new ProfileError(file, e.jsonPath ?? '', e.message, { cause: err });
    if (e.code === 'E2BIG') throw new ProfileError(file, '', e.message.replace(/^cannot build the policy: /, 'the policy is too long: '), { cause: err });
    if (arch !== nativeArch()) {
      // Building for another arch than this machine's has limits (build.h).
      throw new ProfileError(file, '', `cannot compile for ${arch} on ${nativeArch()}: ${e.message}`, { cause: err });
    }
    throw new SigsysError(`${file}: ${e.message}`, { cause: err });
  }
  return {
    policy: out.policy,
    warnings: [...profile.warnings, ...out.warnings],
    insns: out.insns,
    actions: out.actions,
    hash: hashBuf.toString('hex'),
    arch,
    profile,
    trapAllow: guard.trapAllow,
  };
}

export function readProfile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ProfileError(path, '', `cannot read: ${why}`, { cause: err });
  }
}

/** Read and compile a profile file. Throws ProfileError (exit 2) on bad input. */
export function compileProfileFile(path: string, opts: CompileOptions = {}): CompileResult {
  return compileProfileText(readProfile(path), path, opts);
}
