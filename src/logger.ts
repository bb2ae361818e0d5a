/**
 * logger.ts - namespaced structured logs (pino) to stderr.
 * `createLogger('collector')` gives a child logger with `{ns: 'collector'}`.
 * Level from SIGSYS_LOG_LEVEL (default "info"; "silent" in tests if wanted).
 */
import { pino, destination, type Logger } from 'pino';

let root: Logger | undefined;

function rootLogger(): Logger {
  root ??= pino(
    { level: process.env.SIGSYS_LOG_LEVEL ?? 'info', base: { pid: process.pid } },
    destination({ fd: 2, sync: true }),
  );
  return root;
}

export type { Logger };

export function createLogger(ns: string): Logger {
  return rootLogger().child({ ns });
}
