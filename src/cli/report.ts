/** sigsys report - the violation report of an events file or a fleet, as a self-contained HTML page. */
import { parseCommandArgs } from './args.js';
import { UsageError } from '../errors.js';
import { buildReportPage, checkWritable, writePage } from '../report/page.js';

export const help = `Usage: sigsys report EVENTS.ndjson [--html OUT.html] [options]
       sigsys report --aggregate URL [--html OUT.html] [options]

Reads the events of a run or a node (the NDJSON that 'sigsys run --out' and
'sigsys collect --out' write) or a fleet's aggregate ('sigsys aggregate' at
URL, its GET /report), and writes one self-contained HTML page: the verdict,
violations over time per syscall, workloads x syscalls with count, action
and outcome, the top call sites, and the suggested profile change as a diff.
The page loads nothing (no scripts, fonts or network). Without --html the
verdict and the table are printed.

Options:
  --html OUT.html        write the page to OUT.html
  --aggregate URL        read an aggregator (http://HOST:PORT or .../report)
  --profile P.json       profile the workloads ran under: the suggested change is
                         a diff against it (default: the project's default
                         profile when the events say they ran under it)
  --title TEXT           page title
  --jobs N               threads parsing an events file (default: one per CPU,
                         at most 4, for files of 32 MiB and more; 1 otherwise)
  -h, --help             this text
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('report', {
    args: argv,
    options: {
      html: { type: 'string' },
      aggregate: { type: 'string' },
      profile: { type: 'string' },
      title: { type: 'string' },
      jobs: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new UsageError(`report: one events file at most, got ${positionals.length}; see 'sigsys report --help'`);
  const events = positionals[0];
  if (events !== undefined && values.aggregate !== undefined) throw new UsageError('report: give an events file or --aggregate URL, not both');
  if (events === undefined && values.aggregate === undefined) throw new UsageError("report: no input: give EVENTS.ndjson or --aggregate URL; see 'sigsys report --help'");
  let workers: number | undefined;
  if (values.jobs !== undefined) {
    workers = Number(values.jobs);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`report: --jobs must be an integer in [1, 64], not "${values.jobs}"`);
  }
  if (values.html) await checkWritable(values.html, 'report: --html');
  const page = await buildReportPage({ events, aggregate: values.aggregate, profile: values.profile, title: values.title, workers });
  for (const w of page.warnings) process.stderr.write(`sigsys: warning: ${w}\n`);
  const m = page.model;
  if (values.html) {
    await writePage(values.html, page.html, 'report: --html');
    process.stderr.write(`sigsys: ${m.verdict.headline}\nsigsys: wrote ${values.html} (${m.events} events, ${m.rows.length} rows)\n`);
    return 0;
  }
  const head = ['WORKLOAD', 'SYSCALL', 'COUNT', 'ACTION', 'OUTCOME'];
  const body = m.rows.map((r) => [r.workload, r.syscall, String(r.count), r.actionText, r.outcome]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (c: string[]) => c.map((x, i) => (i === 2 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  if (body.length) process.stdout.write([fmt(head), ...body.map(fmt)].join('\n') + '\n');
  process.stdout.write(`${m.verdict.headline}\n`);
  return 0;
}
