/**
 * arches.ts - architecture names.  Profiles spell them three ways:
 * `SCMP_ARCH_X86_64` (architectures, archMap), Go's GOARCH (`amd64`, used by
 * Docker's includes/excludes.arches) and libseccomp tokens (`x86_64`).  Inside
 * sigsys an arch is always a libseccomp token.
 */

/** Every arch token libseccomp 2.5 knows. */
export const LIBSECCOMP_ARCHES = [
  'x86', 'x86_64', 'x32', 'arm', 'aarch64', 'mips', 'mipsel', 'mips64', 'mipsel64', 'mips64n32',
  'mipsel64n32', 'parisc', 'parisc64', 'ppc', 'ppc64', 'ppc64le', 's390', 's390x', 'riscv64',
] as const;

const goArch: Record<string, string> = {
  amd64: 'x86_64',
  '386': 'x86',
  arm64: 'aarch64',
  mipsle: 'mipsel',
  mips64le: 'mipsel64',
  mips64p32: 'mips64n32',
  mips64p32le: 'mipsel64n32',
};

/** `SCMP_ARCH_X86_64`, `amd64` or `x86_64` -> `x86_64`; undefined if unknown. */
export function archToken(name: string): string | undefined {
  let n = name.trim();
  if (/^SCMP_ARCH_/i.test(n)) n = n.slice('SCMP_ARCH_'.length);
  n = n.toLowerCase();
  n = goArch[n] ?? n;
  return (LIBSECCOMP_ARCHES as readonly string[]).includes(n) ? n : undefined;
}

/** `x86_64` -> `SCMP_ARCH_X86_64`. */
export function scmpArchName(token: string): string {
  return `SCMP_ARCH_${token.toUpperCase()}`;
}

/** The arch this process runs on, as a libseccomp token. */
export function nativeArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'x86_64';
    case 'arm64':
      return 'aarch64';
    case 'ia32':
      return 'x86';
    default:
      return archToken(process.arch) ?? process.arch;
  }
}

const BIG_ENDIAN = new Set(['mips', 'mips64', 'mips64n32', 'ppc', 'ppc64', 's390', 's390x', 'parisc', 'parisc64']);

/** libseccomp puts only arches of one byte order in a filter. */
export function archEndian(token: string): 'big' | 'little' {
  return BIG_ENDIAN.has(token) ? 'big' : 'little';
}

/**
 * Arches a kernel of `target` can run besides its own (compat modes).  Other
 * arches listed by a profile can never reach the filter of such a process.
 */
const FAMILY: Record<string, string[]> = {
  x86_64: ['x86', 'x32'],
  aarch64: ['arm'],
  mips64: ['mips', 'mips64n32'],
  mips64n32: ['mips', 'mips64'],
  mipsel64: ['mipsel', 'mipsel64n32'],
  mipsel64n32: ['mipsel', 'mipsel64'],
  s390x: ['s390'],
  ppc64: ['ppc'],
  parisc64: ['parisc'],
};

export function canRunOn(token: string, target: string): boolean {
  return token === target || (FAMILY[target] ?? []).includes(token);
}
