/**
 * compile.ts - Docker/OCI profile -> sigsys policy image.
 *
 * The JSON is parsed and validated here (exact 64-bit numbers, JSON paths in
 * every error); the addon builds the libseccomp filter and the policy.  What
 * keeps SIGSYS deliverable (clone3, rt_sigaction, rt_sigprocmask) is decided
 * once, in the native builder (native/src/build.c, prologue.c), and is in
 * the policy's program: nothing here adds to it.
 * `compileProfileFile` and `defaultProfilePath` are the API other modules
 * (`sigsys run`) use.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ProfileError, SigsysError, UsageError } from '../errors.js';
import { loadNative, packageRoot } from '../native/loader.js';
import type { NativeProfile } from '../native/native.js';
import { archToken, nativeArch } from './arches.js';
import { normaliseProfile } from './normalise.js';
import { parseJson } from './parse.js';
import { readProfile } from './read.js';
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
  const native = loadNative();
  let out;
  try {
    out = native.compile(toNative(profile), {
      arch,
      mode: opts.mode ?? 'enforce',
      binaryTree: opts.binaryTree ?? true,
      profileHash: hashBuf,
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
  };
}

/** Read and compile a profile file. Throws ProfileError (exit 2) on bad input. */
export function compileProfileFile(path: string, opts: CompileOptions = {}): CompileResult {
  return compileProfileText(readProfile(path), path, opts);
}
