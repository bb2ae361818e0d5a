/**
 * args.ts - command-line parsing shared by the subcommands: node's
 * util.parseArgs (strict), with its errors turned into one usage line that
 * names the command and points at its --help, exit 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export function parseCommandArgs<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (err) {
    // Node adds advice to some messages ("To specify a positional argument
    // starting with a '-' ..."); the first sentence is the fact.
    const fact = ((err as Error).message.split(/\.\s/)[0] ?? '').replace(/\.$/, '');
    throw new UsageError(`${command}: ${fact}; see 'sigsys ${command} --help'`, { cause: err });
  }
}

/**
 * Split argv into sigsys's options and the command (after "--" or the first
 * non-option), knowing which options take a value.  Here rather than in
 * run.ts so that `sigsys learn` starts without loading the report modules.
 */
export function splitOptions(argv: string[], options: Record<string, { type: string; short?: string }>): { opts: string[]; cmd: string[] } {
  const valued = new Set(
    Object.entries(options)
      .filter(([, o]) => o.type === 'string')
      .flatMap(([k, o]) => [`--${k}`, ...(o.short ? [`-${o.short}`] : [])]),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { opts: argv.slice(0, i), cmd: argv.slice(i + 1) };
    if (!a.startsWith('-')) return { opts: argv.slice(0, i), cmd: argv.slice(i) };
    if (valued.has(a)) i++;
  }
  return { opts: argv, cmd: [] };
}
