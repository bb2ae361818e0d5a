/**
 * build-cli.ts - vitest globalSetup: compile the TypeScript once per run into
 * a private tree, so tests run the real CLI (`node <tree>/dist/cli/main.js`)
 * as users do, without racing other builds writing the repository's dist/.
 *
 * The tree is a temp dir with symlinks to the repository's build/, deploy/,
 * node_modules/ and package.json, so the CLI finds the native parts and the
 * default profile exactly as from the repository.  Its path is exported as
 * SIGSYS_TEST_CLI.  Type errors are printed but do not stop the run (tsc
 * still emits).  SIGSYS_TEST_CLI set by the caller skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export default function setup(): (() => void) | void {
  if (process.env.SIGSYS_TEST_CLI) return;
  const root = resolve(import.meta.dirname, '..', '..');
  const tree = mkdtempSync(join(tmpdir(), 'sigsys-cli-'));
  for (const name of ['build', 'deploy', 'node_modules', 'package.json', 'proto']) {
    if (existsSync(join(root, name))) symlinkSync(join(root, name), join(tree, name));
  }
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', join(tree, 'dist')],
    { cwd: root, encoding: 'utf8' },
  );
  if (r.status !== 0) process.stderr.write(`build-cli: tsc reported problems:\n${r.stdout}${r.stderr}`);
  const cli = join(tree, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error('build-cli: dist/cli/main.js was not built');
  process.env.SIGSYS_TEST_CLI = cli;
  return () => rmSync(tree, { recursive: true, force: true });
}
