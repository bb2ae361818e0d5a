/**
 * deploy.test.ts - deploy/ checked with the real tools, since there is no
 * cluster or Docker engine here: hadolint and yamllint; the Kubernetes
 * kustomizations rendered by a real kustomize and validated (strict: unknown
 * fields are errors) against the Kubernetes object schemas shipped by the
 * pinned PyPI package kubernetes-validate, offline; the Alertmanager example
 * checked and its routing tested by amtool.  Each check is shown to reject a
 * broken input, so it really checks.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
/** The Kubernetes release whose schemas the manifests must satisfy. */
const K8S_VERSION = '1.33.0';
const validator = join(root, 'build/lint-venv/bin/kubernetes-validate');
const alertmanager = join(root, 'deploy/alertmanager/alertmanager.yml');

function sh(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function render(dir: string): string {
  return execFileSync('bash', ['scripts/kustomize.sh', dir], { cwd: root, encoding: 'utf8' });
}

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec: PodSpec } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes?: { name: string; hostPath?: { path: string }; emptyDir?: object }[];
}
const objects = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject);

const tmp = mkdtempSync(join(tmpdir(), 'sigsys-deploy-'));
function validate(yaml: string, name: string): { code: number; out: string } {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, yaml);
  return sh(validator, ['--strict', '-k', K8S_VERSION, file]);
}

beforeAll(() => {
  execFileSync('bash', ['scripts/deploy-tools.sh'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}, 600_000);

describe('deploy/: Dockerfile and YAML', () => {
  it('Dockerfile, manifests and the Alertmanager example pass hadolint and yamllint', () => {
    const out = execFileSync('bash', ['scripts/lint-deploy.sh'], { cwd: root, encoding: 'utf8' });
    expect(out).not.toMatch(/error|warning/i);
  }, 300_000);
});

describe(`deploy/kubernetes: kustomize + Kubernetes ${K8S_VERSION} schemas`, () => {
  it.each([
    ['base', 'deploy/kubernetes/base', ['Namespace/sigsys', 'Service/sigsys-aggregator', 'Deployment/sigsys-aggregator', 'DaemonSet/sigsys-collector']],
    ['examples', 'deploy/kubernetes/examples', ['Namespace/sigsys-demo', 'Deployment/example-launcher', 'Deployment/example-preload']],
    [
      'overlays/demo',
      'deploy/kubernetes/overlays/demo',
      ['Namespace/sigsys', 'Namespace/sigsys-demo', 'Service/sigsys-aggregator', 'Deployment/example-launcher', 'Deployment/example-preload', 'Deployment/sigsys-aggregator', 'DaemonSet/sigsys-collector'],
    ],
  ])('%s renders and every object passes strict schema validation', (name, dir, kinds) => {
    const yaml = render(dir);
    expect(objects(yaml).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(kinds);
    const r = validate(yaml, name.replace('/', '-'));
    expect(r.out).not.toMatch(/ERROR|failed/i);
    expect(r.code).toBe(0);
    expect(r.out.match(/passed for resource/g)).toHaveLength(kinds.length);
  });

  it.each([
    ['a misspelt field', { imagePullPolice: 'Always' }, /imagePullPolice/],
    ['a wrong type', { stdin: 'maybe' }, /'maybe' is not of type 'boolean'/],
    ['a missing required field', { name: undefined }, /'name' is a required property/],
  ])('the validator rejects a manifest with %s', (_name, change, pattern) => {
    const docs = objects(render('deploy/kubernetes/base'));
    const dep = docs.find((o) => o.kind === 'Deployment')!;
    Object.assign(dep.spec!.template!.spec.containers[0]!, change);
    const r = validate(docs.map((d) => `---\n${stringify(d)}`).join(''), 'broken');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(pattern);
  });

  it('overlay: collector and aggregator use the demo brokers and one pinned image; workloads name their pod and namespace and write the collector\'s spool', () => {
    const objs = objects(render('deploy/kubernetes/overlays/demo'));
    const get = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name)!;
    const collector = get('DaemonSet', 'sigsys-collector').spec!.template!.spec;
    const aggregator = get('Deployment', 'sigsys-aggregator').spec!.template!.spec;
    for (const c of [collector.containers[0]!, aggregator.containers[0]!]) {
      expect(c.args![c.args!.indexOf('--kafka') + 1]).toBe('kafka-demo-bootstrap.kafka.svc:9092');
    }
    const images = new Set(objs.flatMap((o) => [...(o.spec?.template?.spec.initContainers ?? []), ...(o.spec?.template?.spec.containers ?? [])]).map((c) => c.image).filter((i) => i.includes('sigsys')));
    expect([...images]).toEqual(['ghcr.io/sigsys/sigsys:0.1.0']);
    const spool = collector.containers[0]!.args![collector.containers[0]!.args!.indexOf('--spool') + 1];
    const collectorSpool = collector.volumes!.find((v) => v.name === 'spool')!.hostPath!.path;

    for (const name of ['example-launcher', 'example-preload']) {
      const w = get('Deployment', name);
      expect(w.metadata.namespace).toBe('sigsys-demo');
      const pod = w.spec!.template!.spec;
      const app = pod.containers[0]!;
      const env = new Map(app.env!.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
      expect(env.get('POD_NAME')).toBe('metadata.name');
      expect(env.get('POD_NAMESPACE')).toBe('metadata.namespace');
      expect(env.get('SIGSYS_SPOOL')).toBe(spool);
      expect(app.volumeMounts!.find((m) => m.name === 'spool')!.mountPath).toBe(spool);
      expect(pod.volumes!.find((v) => v.name === 'spool')!.hostPath!.path).toBe(collectorSpool);
      // The init container puts the sigsys parts into the emptyDir the app mounts.
      const init = pod.initContainers![0]!;
      expect(init.image).toBe('ghcr.io/sigsys/sigsys:0.1.0');
      expect(init.volumeMounts![0]!.mountPath).toBe('/sigsys');
      expect(pod.volumes!.find((v) => v.name === 'sigsys')!.emptyDir).toBeDefined();
    }
    // The launcher: any image, any libc; the command goes through sigsys-exec POLICY --.
    const launcher = get('Deployment', 'example-launcher').spec!.template!.spec;
    expect(launcher.containers[0]!.image).toMatch(/musl/);
    expect(launcher.containers[0]!.command).toEqual(['/sigsys/sigsys-exec', '/sigsys/default.policy', '--']);
    expect(launcher.initContainers![0]!.args!.join(' ')).toMatch(/cp "\$\(command -v sigsys-exec\)" \/sigsys\/sigsys-exec/);
    // The preload: LD_PRELOAD and SIGSYS_POLICY point into the emptyDir.
    const preloadEnv = new Map(get('Deployment', 'example-preload').spec!.template!.spec.containers[0]!.env!.map((e) => [e.name, e.value]));
    expect(preloadEnv.get('LD_PRELOAD')).toBe('/sigsys/libsigsys.so');
    expect(preloadEnv.get('SIGSYS_POLICY')).toBe('/sigsys/default.policy');
  });
});

describe('deploy/alertmanager: amtool', () => {
  it.each([
    ['the example passes amtool check-config', ['check-config', alertmanager], 0, /SUCCESS[\s\S]*4 receivers/],
    ['a route to an undefined receiver is rejected', ['check-config', join(root, 'test/fixtures/alertmanager/bad-route.yml')], 1, /undefined receiver "nobody"/],
  ])('%s', (_name, args, code, pattern) => {
    const r = sh('amtool', args);
    expect(r.out).toMatch(pattern);
    expect(r.code).toBe(code);
  });

  it.each([
    [['severity=critical', 'alertname=SigsysWorkloadKilled', 'workload=shop/api'], 'oncall-pager'],
    [['severity=critical', 'alertname=SigsysCollectorDown', 'instance=node-1:9464'], 'oncall-pager'],
    [['severity=warning', 'alertname=SigsysSyscallDenied', 'workload=shop/api'], 'workload-owners'],
    [['severity=info', 'alertname=SigsysAuditViolations'], 'rollout-review'],
    [['severity=warning', 'alertname=SigsysKafkaErrors', 'instance=node-1:9464'], 'sigsys-team'],
    [['severity=warning', 'alertname=SigsysEventsDropped'], 'sigsys-team'],
  ])('alert %j is routed to %s', (labels, receiver) => {
    const r = sh('amtool', ['config', 'routes', 'test', `--config.file=${alertmanager}`, ...labels]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => l && !l.startsWith('Warning'))).toEqual([receiver]);
  });

  it('every alert of deploy/prometheus/sigsys-rules.yml reaches the receiver its severity calls for', () => {
    const text = readFileSync(join(root, 'deploy/prometheus/sigsys-rules.yml'), 'utf8');
    const alerts = [...text.matchAll(/- alert: (\w+)[\s\S]*?severity: (\w+)/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(alerts).toHaveLength((text.match(/- alert: /g) ?? []).length); // every alert has a severity
    expect(alerts.length).toBeGreaterThanOrEqual(9);
    const expected = (alert: string, severity: string) =>
      severity === 'critical' ? 'oncall-pager' : alert === 'SigsysSyscallDenied' ? 'workload-owners' : severity === 'info' ? 'rollout-review' : 'sigsys-team';
    for (const [alert, severity] of alerts) {
      const r = sh('amtool', ['config', 'routes', 'test', `--config.file=${alertmanager}`, `alertname=${alert}`, `severity=${severity}`]);
      expect(r.code, alert).toBe(0);
      expect(r.out.split('\n').filter((l) => l && !l.startsWith('Warning')), alert).toEqual([expected(alert, severity)]);
    }
  });
});
