#!/usr/bin/env node
/**
 * main.ts - the `sigsys` command: a thin dispatcher over the subcommand
 * modules in this directory.  Each subcommand module exports `help` (its
 * usage text) and `run(argv)` returning the exit code; errors that are
 * SigsysError print one line and exit with their code, never a stack trace.
 */
import { describeError, SigsysError } from '../errors.js';

// Node opens its inspector (a debugger on 127.0.0.1:9229 that runs any code
// it is sent) when the process gets SIGUSR1.  Any process of our uid can
// send that, a workload `sigsys run` or `sigsys learn` confines included,
// and code run in this unconfined process is no longer confined: a workload
// escaped that way (docs/security.md, "The launcher and supervisor").  A
// listener keeps the signal from opening it, for the life of the process.
process.on('SIGUSR1', () => undefined);

interface Command {
  summary: string;
  load: () => Promise<{ help: string; run: (argv: string[]) => Promise<number> }>;
}

const commands: Record<string, Command> = {
  compile: { summary: 'compile a Docker/OCI seccomp profile into a sigsys policy', load: () => import('./compile.js') },
  explain: { summary: 'show which action a profile or policy gives a syscall, and why', load: () => import('./explain.js') },
  run: { summary: 'run a command under a profile and report its violations', load: () => import('./run.js') },
  profile: { summary: 'compare two profiles (diff) or lint one (check)', load: () => import('./profile.js') },
  learn: { summary: 'learn a profile from what a command really does', load: () => import('./learn.js') },
  collect: { summary: 'collector daemon: spool rings -> NDJSON, Prometheus, Kafka', load: () => import('./collect.js') },
  aggregate: { summary: 'fleet aggregator: Kafka consumer group -> report, metrics, suggestions', load: () => import('./aggregate.js') },
  report: { summary: 'violation report of an events file or a fleet, as one HTML page', load: () => import('./report.js') },
};

export const usage = `Usage: sigsys <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run 'sigsys <command> --help' for the options of one command.
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write('sigsys 0.1.0\n');
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`sigsys: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  const mod = await cmd.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    const dd = rest.indexOf('--');
    const helpAt = Math.max(rest.indexOf('--help'), rest.indexOf('-h'));
    if (dd === -1 || helpAt < dd) {
      process.stdout.write(mod.help);
      return 0;
    }
  }
  return mod.run(rest);
}

// A late error from a daemon's background work still ends as one line, not a stack trace.
const fatal = (err: unknown) => {
  process.stderr.write(`sigsys: ${describeError(err)}\n`);
  process.exit(err instanceof SigsysError ? err.exitCode : 1);
};
process.on('unhandledRejection', fatal);
process.on('uncaughtException', fatal);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sigsys: ${describeError(err)}\n`);
    process.exitCode = err instanceof SigsysError ? err.exitCode : 1;
  },
);
