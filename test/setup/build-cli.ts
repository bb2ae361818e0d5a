/**
 * build-cli.ts - vitest globalSetup: compile the TypeScript once per run so
 * tests can run the real CLI (`node dist/cli/main.js ...`) as users do.
 * Type errors are printed but do not stop the run (tsc still emits; the
 * suites that need a working CLI fail on their own).  SIGSYS_TEST_SKIP_TSC=1
 * skips the build when dist/ is known to be fresh.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '..', '..');
  if (process.env.SIGSYS_TEST_SKIP_TSC === '1' && existsSync(join(root, 'dist/cli/main.js'))) return;
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) process.stderr.write(`build-cli: tsc reported problems:\n${r.stdout}${r.stderr}`);
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('build-cli: dist/cli/main.js was not built');
}
