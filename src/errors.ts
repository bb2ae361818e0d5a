/**
 * errors.ts - the one error hierarchy of sigsys.
 *
 * Every error the CLI can print is a SigsysError: a message that names the
 * place and the cause, an exit code, whether retrying may help (`retriable`),
 * and the underlying `cause`.  The CLI prints `sigsys: <message>` and exits
 * with `exitCode`; it never prints a stack trace for these.
 */
export interface SigsysErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  exitCode?: number;
}

export class SigsysError extends Error {
  readonly retriable: boolean;
  readonly exitCode: number;
  override readonly cause?: unknown;

  constructor(message: string, opts: SigsysErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.retriable = opts.retriable ?? false;
    this.exitCode = opts.exitCode ?? 1;
    if (opts.cause !== undefined) this.cause = opts.cause;
  }
}

/** Bad command-line usage: unknown flag, missing argument. Exit 2. */
export class UsageError extends SigsysError {
  constructor(message: string, opts: SigsysErrorOptions = {}) {
    super(message, { exitCode: 2, ...opts });
  }
}

/**
 * A profile (or policy) that cannot be used.  `file` and `path` (a JSON path
 * such as `$.syscalls[3].action`) make the message `file: path: cause`.
 */
export class ProfileError extends SigsysError {
  readonly file: string;
  readonly jsonPath: string;
  constructor(file: string, jsonPath: string, cause: string, opts: SigsysErrorOptions = {}) {
    super(`${file}: ${jsonPath ? `${jsonPath}: ` : ''}${cause}`, { exitCode: 2, ...opts });
    this.file = file;
    this.jsonPath = jsonPath;
  }
}

/** The native addon or preload could not be found or loaded. */
export class NativeLoadError extends SigsysError {}

/** A spool directory or ring that cannot be read. */
export class SpoolError extends SigsysError {}

/** Kafka could not be reached or refused a request. Usually retriable. */
export class KafkaError extends SigsysError {
  constructor(message: string, opts: SigsysErrorOptions = {}) {
    super(message, { retriable: true, ...opts });
  }
}

/** Render any error as one line for the terminal (no stack traces). */
export function describeError(err: unknown): string {
  if (err instanceof SigsysError) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
