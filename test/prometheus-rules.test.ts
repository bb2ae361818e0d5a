/**
 * The alert rules in deploy/prometheus/ pass `promtool check rules` and their
 * unit tests (`promtool test rules`); a broken rule file is rejected, so the
 * check really checks.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const rules = join(root, 'deploy/prometheus');

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: rules });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('deploy/prometheus alert rules', () => {
  it.each([
    ['the shipped rules pass promtool check rules', ['check', 'rules', 'sigsys-rules.yml'], 0, /SUCCESS: 10 rules found/],
    ['the rule unit tests pass promtool test rules', ['test', 'rules', 'sigsys-rules.test.yml'], 0, /SUCCESS/],
    ['the example scrape configuration (with the rules) passes promtool check config', ['check', 'config', 'prometheus-scrape.yml'], 0, /SUCCESS: prometheus-scrape.yml is valid/],
    ['a syntactically broken rule file is rejected', ['check', 'rules', join(root, 'test/fixtures/prometheus/bad-rules.yml')], 1, /FAILED|error/i],
  ])('%s', async (_name, args, code, pattern) => {
    const r = await promtool(...args);
    expect(r.out).toMatch(pattern);
    expect(r.code).toBe(code);
  });
});
