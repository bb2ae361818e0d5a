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
