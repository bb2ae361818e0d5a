/**
 * page.ts - the HTML report end to end: input (NDJSON file, aggregator URL,
 * or the events of one `sigsys run`) -> ReportFold -> model -> suggested
 * profile diff -> page, written atomically (temp file + rename, so a reader
 * never sees half a page).
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { SigsysError, describeError } from '../errors.js';
import type { Sink } from '../sinks/sink.js';
import { readAggregate } from './input.js';
import { defaultWorkers, readEventsFile } from './parallel.js';
import { createReportFold, type ReportFoldOptions, type ReportModel, type RunInfo } from './model.js';
import type { Base, SuggestedChange } from './suggest.js';

/**
 * The modules that draw the page and the diff (d3, diff, the profile
 * compiler): loaded only once a report is made, and for an events file
 * while the parser threads read it - this thread waits for them then, so
 * loading them costs the report no time.
 */
const drawing = () =>
  Promise.all([import('./html.js'), import('./suggest.js'), import('../profile/index.js')]).then(([html, suggest, profile]) => ({
    renderHtml: html.renderHtml,
    suggestProfileChange: suggest.suggestProfileChange,
    readBase: suggest.readBase,
    defaultProfilePath: profile.defaultProfilePath,
  }));
type Drawing = Awaited<ReturnType<typeof drawing>>;

export interface ReportPageOptions extends ReportFoldOptions {
  /** NDJSON events file (exactly one of events / aggregate). */
  events?: string;
  /** Aggregator base URL or its /report. */
  aggregate?: string;
  /** Profile the suggested change is a diff against. */
  profile?: string;
  title?: string;
  /**
   * Parser threads for an events file: 1 reads on this thread; default:
   * this thread below 32 MiB, else one per CPU (at most 4).
   */
  workers?: number;
  /** false: JSON.parse every line instead of the fast line reader (fast-line.ts); for tests. */
  fast?: boolean;
  /** false: the JS fast line reader (fast-line.ts) instead of the addon's LineScanner; for tests. */
  native?: boolean;
  /** Bytes per range a parser thread reads (default 8 MiB); for tests. */
  chunkBytes?: number;
  /** Bytes a parser thread reads at a time within a range (default 128 KiB); for tests, to cut lines everywhere. */
  pieceBytes?: number;
}

const PARALLEL_FROM = 32 << 20;

export interface ReportPage {
  model: ReportModel;
  html: string;
  /** Warnings for stderr (partial last line, no profile for the diff...). */
  warnings: string[];
}

async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/**
 * The suggestion against `profile`; without one, against the project's
 * default profile when the events say they were produced by it (their
 * policyHash is its SHA-256), else a sentence saying what to pass.
 */
/** The profile the diff is against, read and checked while the events are read (it does not depend on them). */
interface Early {
  /** --profile's, read. */
  profile?: Base;
  /** The default profile's SHA-256 and the profile, read ('' / undefined: it could not be; read again when needed). */
  defaultHash?: string;
  defaultBase?: Base;
}

async function readDefault(d: Drawing): Promise<Early> {
  const def = d.defaultProfilePath();
  const defaultHash = await sha256File(def).catch(() => '');
  try {
    return { defaultHash, defaultBase: d.readBase(def) };
  } catch {
    return { defaultHash };
  }
}

async function suggestion(d: Drawing, model: ReportModel, profile: string | undefined, hashes: string[], warnings: string[], early: Early = {}): Promise<SuggestedChange | string> {
  const { suggestProfileChange, defaultProfilePath } = d;
  if (profile) return suggestProfileChange(profile, model.denied, undefined, early.profile);
  const def = defaultProfilePath();
  const hash = early.defaultHash || (await sha256File(def).catch(() => ''));
  if (hashes.length === 1 && hashes[0] === hash) return suggestProfileChange(def, model.denied, 'default.json', early.defaultBase);
  if (model.denied.length === 0) return 'Nothing was denied: no profile change needed.';
  warnings.push('no --profile given and the events do not name the default profile: the page shows no profile diff');
  return `Pass --profile P.json (the profile these workloads ran under) to see the change that allows ${model.denied.join(', ')} as a diff.`;
}

export async function buildReportPage(o: ReportPageOptions): Promise<ReportPage> {
  let draw: Promise<Drawing> | undefined;
  let early: Promise<Early> | undefined;
  // A bad --profile is reported before a large input is read, not after.
  if (o.profile) {
    const d = await (draw = drawing());
    early = Promise.resolve({ profile: d.readBase(o.profile) });
  }
  const fold = createReportFold(o);
  const warnings: string[] = [];
  let duplicates: number | undefined;
  let source: string;
  if (o.events !== undefined) {
    source = o.events;
    const size = await stat(o.events).then((st) => st.size, () => 0);
    const workers = o.workers ?? (size >= PARALLEL_FROM ? defaultWorkers() : 1);
    const reading = readEventsFile(o.events, fold, { workers, fast: o.fast, native: o.native, chunkBytes: o.chunkBytes, pieceBytes: o.pieceBytes });
    // Loaded while the parser threads start and read (a failure is reported when it is awaited below).
    draw ??= drawing();
    draw.catch(() => undefined);
    // The default profile (read and checked: ~0.2 s) too, while the parser threads read.
    early ??= draw.then((d) => readDefault(d)).catch(() => ({}));
    const r = await reading;
    if (r.partialLastLine) warnings.push(`${o.events}:${r.lines}: last line is incomplete (a writer stopped mid-line); skipped`);
  } else if (o.aggregate !== undefined) {
    source = o.aggregate;
    ({ duplicates } = await readAggregate(o.aggregate, fold));
  } else {
    throw new SigsysError('report: give an events file or --aggregate URL', { exitCode: 2 });
  }
  const model = fold.build({ title: o.title ?? `sigsys report: ${basename(source)}`, source, duplicates });
  const d = await (draw ??= drawing());
  const html = d.renderHtml(model, await suggestion(d, model, o.profile, fold.policyHashes(), warnings, await early));
  return { model, html, warnings };
}

/** Fail early (before a workload runs) when `file` cannot be written. */
export async function checkWritable(file: string, what: string): Promise<void> {
  await open(file, 'a').then(
    (fh) => fh.close(),
    (err: unknown) => {
      throw new SigsysError(`${what} ${file}: ${describeError(err)}`, { exitCode: 2, cause: err });
    },
  );
}

export async function writePage(file: string, html: string, what = '--html'): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, html);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new SigsysError(`${what} ${file}: ${describeError(err)}`, { exitCode: 1, cause: err });
  }
}

export interface RunHtml {
  /** Add to the run's sinks: folds every event of the run. */
  sink: Sink;
  /** Write the page once the run ended. */
  finish(run: RunInfo, profileFile: string): Promise<void>;
}

/** The page of one `sigsys run` (--html OUT.html). */
export async function createRunHtml(out: string): Promise<RunHtml> {
  await checkWritable(out, 'run: --html');
  const fold = createReportFold();
  return {
    sink: {
      name: 'html',
      async write(events) {
        for (const e of events) fold.add(e);
      },
      async close() {},
    },
    async finish(run, profileFile) {
      const model = fold.build({ title: `sigsys run: ${run.command.join(' ')}`.slice(0, 200), source: `sigsys run (${run.profile}, ${run.mode})`, run });
      const { renderHtml, suggestProfileChange } = await drawing();
      let s: SuggestedChange | string;
      try {
        s = suggestProfileChange(profileFile, model.denied, run.profile);
      } catch (err) {
        s = `No diff: ${describeError(err)}`;
      }
      await writePage(out, renderHtml(model, s), 'run: --html');
    },
  };
}
