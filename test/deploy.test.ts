/**
 * deploy.test.ts - the container image and Kubernetes manifests cannot be
 * built or applied here (no Docker engine, no cluster), so they are linted
 * with real linters (hadolint, yamllint) and their wiring is checked against
 * the CLI contract: the workload env names the preload variables, the
 * collector runs `collect` on the spool the workloads write.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

describe('deploy/', () => {
  it('Dockerfile and manifests pass hadolint and yamllint', () => {
    const out = execFileSync('bash', ['scripts/lint-deploy.sh'], { cwd: root, encoding: 'utf8' });
    expect(out).not.toMatch(/error|warning/i);
  }, 300_000);

  it('workload pods preload libsigsys.so with the policy and the spool the collector reads', () => {
    const workload = readFileSync(`${root}/deploy/kubernetes/example-workload.yaml`, 'utf8');
    const collector = readFileSync(`${root}/deploy/kubernetes/daemonset.yaml`, 'utf8');
    for (const name of ['LD_PRELOAD', 'SIGSYS_POLICY', 'SIGSYS_SPOOL']) {
      expect(workload).toContain(`name: ${name}`);
    }
    const spool = /name: SIGSYS_SPOOL\s+value: (\S+)/.exec(workload)?.[1];
    expect(spool).toBeDefined();
    expect(collector).toMatch(new RegExp(`- --spool\\s+- ${spool}`));
  });
});
