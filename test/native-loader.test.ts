/**
 * native-loader.test.ts - the loader of sigsys.node and libsigsys.so: an
 * explicit path that does not exist is an error naming the variable, never a
 * silent fall-back to another build; the default search finds the build.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = process.env.SIGSYS_TEST_CLI ?? join(ROOT, 'dist', 'cli', 'main.js');

function cli(env: Record<string, string>, ...argv: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('native loader', () => {
  it.each([
    ['SIGSYS_ADDON', 'the sigsys addon', ['explain', join(ROOT, 'deploy/profiles/default.json'), '--syscall', 'mount']],
    ['SIGSYS_PRELOAD', 'the sigsys preload library', ['run', '--', 'true']],
  ])('%s pointing at a missing file: one line naming it, exit 1, no fall-back', (name, what, argv) => {
    const r = cli({ [name]: '/nonexistent/sigsys-file' }, ...argv);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`sigsys: cannot find ${what}: ${name}=/nonexistent/sigsys-file does not exist`]);
  });

  it('without overrides the build is found and used', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'SIGSYS_ADDON' && k !== 'SIGSYS_PRELOAD'));
    const r = spawnSync(process.execPath, [CLI, 'explain', join(ROOT, 'deploy/profiles/default.json'), '--syscall', 'mount'], { encoding: 'utf8', env });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^syscall: mount \(nr 165, x86_64\)/);
  });
});
