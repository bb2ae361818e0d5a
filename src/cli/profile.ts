/** sigsys profile diff|check - compare two profiles, or lint one. */
import { parseCommandArgs } from './args.js';
import { UsageError } from '../errors.js';
import { checkProfileFile, formatCheck } from '../profile/check.js';
import { compileProfileFile, type CompileOptions } from '../profile/compile.js';
import { diffProfiles, formatDiff } from '../profile/diff.js';
import { actionToString } from '../profile/types.js';
import { capsFromOption } from './compile.js';

export const help = `Usage: sigsys profile diff A.json B.json [options]
       sigsys profile check PROFILE.json [options]

diff    what B changes against A, per syscall: rules added (+) and removed (-),
        the default action and architectures.  Exit 0 when the same, 1 when
        they differ, 2 on bad input (like diff(1)).
check   lint a profile: unknown syscall names (error), duplicate, shadowed,
        redundant and no-effect rules, and dangerous allowances (ptrace, bpf,
        mount, kexec_load, unshare/clone of user namespaces, ...) with the
        reason each is dangerous (warnings).  Exit 1 when there are errors
        (or warnings with --strict), 0 otherwise, 2 when unreadable.

Both read the profile as a container runtime would for one target:

Options:
      --json              print the result as JSON
      --arch ARCH         target arch (default: this machine's)
      --caps CAPS         capabilities for includes/excludes.caps, as for sigsys compile
      --kernel RELEASE    kernel release compared with minKernel (default: uname -r)
      --strict            check: warnings fail too
  -h, --help              this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('profile', {
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      arch: { type: 'string' },
      caps: { type: 'string' },
      kernel: { type: 'string' },
      strict: { type: 'boolean' },
    },
  });
  const [sub, ...files] = positionals;
  const opts: CompileOptions = {
    ...(values.arch !== undefined ? { arch: values.arch } : {}),
    ...(values.kernel !== undefined ? { kernel: values.kernel } : {}),
  };
  const caps = capsFromOption(values.caps);
  if (caps) opts.caps = caps;

  if (sub === 'diff') {
    if (files.length !== 2) throw new UsageError("profile diff: give two profiles, A and B; see 'sigsys profile --help'");
    const [a, b] = files as [string, string];
    const pa = compileProfileFile(a, opts).profile;
    const pb = compileProfileFile(b, opts).profile;
    const d = diffProfiles(a, pa, b, pb);
    if (values.json) process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
    else process.stdout.write(formatDiff(d, { a: actionToString(pa.defaultAction), b: actionToString(pb.defaultAction) }));
    return d.same ? 0 : 1;
  }
  if (sub === 'check') {
    if (files.length !== 1) throw new UsageError("profile check: give exactly one PROFILE; see 'sigsys profile --help'");
    const r = checkProfileFile(files[0]!, opts);
    if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else process.stdout.write(formatCheck(r));
    return r.errors > 0 || (values.strict && r.warnings > 0) ? 1 : 0;
  }
  throw new UsageError(
    sub === undefined
      ? "profile: give a subcommand, diff or check; see 'sigsys profile --help'"
      : `profile: unknown subcommand "${sub}" (diff or check); see 'sigsys profile --help'`,
  );
}
