/**
 * cli-usage.test.ts - every subcommand answers a bad flag the same way: one
 * line naming the command and the flag, a pointer to its --help, exit 2 —
 * and `sigsys` alone or with an unknown command prints the usage.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = process.env.SIGSYS_TEST_CLI ?? join(ROOT, 'dist', 'cli', 'main.js');
const cli = (...argv: string[]) => spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8' });

describe('sigsys command line', () => {
  it.each(['compile', 'explain', 'run', 'learn', 'collect', 'aggregate', 'report'])('%s --frob: one usage line, exit 2', (cmd) => {
    const r = cli(cmd, '--frob');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`sigsys: ${cmd}: Unknown option '--frob'; see 'sigsys ${cmd} --help'`]);
  });

  it.each([
    ['compile', '-o', "Option '-o, --output <value>' argument missing"],
    ['collect', '--spool', "Option '--spool <value>' argument missing"],
  ])('%s %s without its value: one usage line, exit 2', (cmd, flag, fact) => {
    const r = cli(cmd, flag);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`sigsys: ${cmd}: ${fact}; see 'sigsys ${cmd} --help'`);
  });

  it.each(['compile', 'explain', 'run', 'learn', 'collect', 'aggregate', 'report'])('%s --help: usage on stdout, exit 0', (cmd) => {
    const r = cli(cmd, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: sigsys ${cmd} `));
  });

  it('an unknown command: the list of commands, exit 2', () => {
    const r = cli('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sigsys: unknown command "frobnicate"\n\nUsage: sigsys <command>/);
  });
});
