/** sigsys explain - which action a profile or policy gives a syscall, and why. */
import { parseCommandArgs } from './args.js';
import { UsageError } from '../errors.js';
import { explainFile, parseArgSpecs, type ExplainRequest } from '../profile/explain.js';
import { actionToString } from '../profile/types.js';
import { capsFromOption, modeFromOption } from './compile.js';

export const help = `Usage: sigsys explain PROFILE.json|POLICY --syscall NAME [--arg I=V ...] [options]

Run the real BPF program of a policy (compiled on the fly from a profile) on
one syscall and print the action it gives and the profile rule behind it.

Options:
      --syscall NAME      syscall name (or number)
      --arg I=V           argument I (0..5) has value V (decimal, 0x hex, or negative); repeatable
      --arch ARCH         arch of the call, e.g. x86 for int 0x80 on x86_64 (default: the policy's)
      --target ARCH       profiles: the arch to compile for (default: this machine's)
      --caps CAPS         capabilities, as for sigsys compile (profiles only)
      --kernel RELEASE    kernel release for minKernel (profiles only)
      --mode MODE         enforce (default) or audit (profiles only)
      --json              print the result as JSON
  -h, --help              this help
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('explain', {
    args: argv,
    allowPositionals: true,
    options: {
      syscall: { type: 'string' },
      arg: { type: 'string', multiple: true },
      arch: { type: 'string' },
      target: { type: 'string' },
      caps: { type: 'string' },
      kernel: { type: 'string' },
      mode: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('explain: give exactly one PROFILE or POLICY (see sigsys explain --help)');
  if (!values.syscall) throw new UsageError('explain: --syscall NAME is required');
  const req: ExplainRequest = {
    syscall: values.syscall,
    args: parseArgSpecs(values.arg ?? []),
    mode: modeFromOption(values.mode),
    ...(values.arch !== undefined ? { arch: values.arch } : {}),
    ...(values.target !== undefined ? { target: values.target } : {}),
    ...(values.kernel !== undefined ? { kernel: values.kernel } : {}),
  };
  const caps = capsFromOption(values.caps);
  if (caps) req.caps = caps;
  const r = explainFile(positionals[0]!, req);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ ...r, args: r.args.map((a) => a.toString()), actionName: actionToString(r.action) })}\n`,
    );
    return 0;
  }
  const shownArgs = r.args.map((a) => `0x${a.toString(16)}`).join(', ');
  const lines = [
    `syscall: ${r.syscall} (nr ${r.nr}, ${r.arch}) args [${shownArgs}]`,
    `action:  ${actionToString(r.action)}   (BPF returned 0x${r.ret.toString(16).padStart(8, '0')} at instruction ${r.retAt})`,
    `rule:    ${r.rule}: ${r.detail}`,
    ...r.notApplied.map((n) => `not applied: ${n.source}: ${n.reason}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
