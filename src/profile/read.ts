/**
 * read.ts - read a profile file, with the one-line error the CLI prints.
 * Apart from compile.ts so that `sigsys learn` can read its base before the
 * command starts without loading the compiler (src/learn/start.ts).
 */
import { readFileSync } from 'node:fs';
import { ProfileError } from '../errors.js';

export function readProfile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ProfileError(path, '', `cannot read: ${why}`, { cause: err });
  }
}
