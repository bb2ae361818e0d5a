/** sigsys compile - Docker/OCI seccomp profile -> sigsys policy file. */
import { parseCommandArgs } from './args.js';
import { writeFileSync } from 'node:fs';
import { SigsysError, UsageError } from '../errors.js';
import { parseCapsOption } from '../profile/caps.js';
import { compileProfileFile, type CompileOptions } from '../profile/compile.js';

export const help = `Usage: sigsys compile PROFILE.json [-o POLICY] [options]

Compile a Docker or OCI seccomp profile (a bare profile, or an OCI
config.json with linux.seccomp) into a sigsys policy file for the preload.

Options:
  -o, --output POLICY     where to write the policy (default: PROFILE with .policy)
      --mode MODE         enforce (default) or audit
      --arch ARCH         target arch: x86_64 (default here), aarch64, ... or SCMP_ARCH_*
      --caps CAPS         capabilities for includes/excludes.caps: a list (CHOWN,SYS_ADMIN),
                          ALL, none, or +CAP/-CAP changes to Docker's default set
                          (default: Docker's default capabilities)
      --kernel RELEASE    kernel release compared with minKernel (default: uname -r)
      --no-binary-tree    linear syscall lookup instead of a binary tree
  -h, --help              this help

Warnings and "wrote POLICY (N instructions, M actions)" go to stderr.
Bad profiles exit 2 with one line: FILE: JSON-PATH: cause.
`;

export function capsFromOption(value: string | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const r = parseCapsOption(value);
  if ('unknown' in r) throw new UsageError(`--caps: unknown capability "${r.unknown}"`);
  return r.caps;
}

export function modeFromOption(value: string | undefined): 'enforce' | 'audit' {
  if (value === undefined || value === 'enforce' || value === 'audit') return value ?? 'enforce';
  throw new UsageError(`--mode must be enforce or audit, not "${value}"`);
}

function parse(argv: string[]) {
  return parseCommandArgs('compile', {
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      mode: { type: 'string' },
      arch: { type: 'string' },
      caps: { type: 'string' },
      kernel: { type: 'string' },
      'no-binary-tree': { type: 'boolean' },
    },
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length !== 1) throw new UsageError('compile: give exactly one PROFILE (see sigsys compile --help)');
  const file = positionals[0]!;
  const opts: CompileOptions = {
    mode: modeFromOption(values.mode),
    binaryTree: !values['no-binary-tree'],
    ...(values.arch !== undefined ? { arch: values.arch } : {}),
    ...(values.kernel !== undefined ? { kernel: values.kernel } : {}),
  };
  const caps = capsFromOption(values.caps);
  if (caps) opts.caps = caps;
  const out = values.output ?? (file.endsWith('.json') ? `${file.slice(0, -5)}.policy` : `${file}.policy`);
  const r = compileProfileFile(file, opts);
  for (const w of r.warnings) process.stderr.write(`sigsys: warning: ${file}: ${w}\n`);
  try {
    writeFileSync(out, r.policy);
  } catch (err) {
    throw new SigsysError(`cannot write ${out}: ${(err as Error).message}`, { cause: err });
  }
  process.stderr.write(`wrote ${out} (${r.insns} instructions, ${r.actions} actions)\n`);
  return 0;
}
