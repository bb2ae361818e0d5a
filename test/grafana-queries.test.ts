/**
 * Every PromQL expression in deploy/grafana/sigsys-dashboard.json runs against
 * a real Prometheus scraping a real `sigsys collect` (rings filled by the C
 * ring writer): each one parses and returns, and the panels over violations
 * return the series the events make.  A broken expression is rejected the
 * same way, so the check really checks.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ringfill, root, spawnCli, type CliProcess } from './collector-helpers.js';
import { freePort, startPrometheus, type PrometheusServer } from './services/prometheus/prometheus.js';

interface Target {
  expr: string;
  instant?: boolean;
}
interface Panel {
  title: string;
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query: string }[] };
}

const dashboard = JSON.parse(await readFile(join(root, 'deploy/grafana/sigsys-dashboard.json'), 'utf8')) as Dashboard;
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t, i) => ({ name: `${p.title} [${i}]`, expr: t.expr })));

/** Grafana's variables as Grafana would send them with "All" selected. */
const substitute = (expr: string) => expr.replace(/\$__rate_interval|\$__interval/g, '1m').replace(/\$workload\b/g, '.*');

let dir: string;
let collector: CliProcess;
let prom: PrometheusServer;

interface ApiResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown[] } | string[];
}
async function api(path: string, params: Record<string, string>): Promise<ApiResult> {
  const res = await fetch(`${prom.url}${path}?${new URLSearchParams(params)}`);
  return (await res.json()) as ApiResult;
}

beforeAll(async () => {
  const main = await ensureDist();
  dir = await mkdtemp(join(tmpdir(), 'sigsys-grafana-'));
  const spool = join(dir, 'spool');
  await mkdir(spool);
  await ringfill(spool, 500);
  const port = await freePort();
  collector = spawnCli(main, ['collect', '--spool', spool, '--metrics-port', String(port), '--no-remove'], { env: { SIGSYS_LOG_LEVEL: 'warn' } });
  prom = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
  // Two scrapes with the events in: rate() and increase() need two samples.
  await prom.waitFor('count_over_time(sigsys_violations_total{syscall="read"}[1m])', (r) => (r[0]?.value ?? 0) >= 2, 60_000);
}, 120_000);
afterAll(async () => {
  await prom?.stop();
  collector?.child.kill('SIGTERM');
  await collector?.exit;
  await rm(dir, { recursive: true, force: true });
});

describe('deploy/grafana dashboard queries against a real Prometheus', () => {
  it('the dashboard has the queries this test runs', () => {
    expect(exprs.length).toBeGreaterThanOrEqual(7);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['workload']);
  });

  it.each(exprs)('$name parses and returns', async ({ expr }) => {
    const r = await api('/api/v1/query', { query: substitute(expr) });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('success');
    // Panels over the violation counter show the events in the spool.
    if (/sigsys_violations_total/.test(expr)) expect((r.data as { result: unknown[] }).result.length).toBeGreaterThan(0);
    // A range query, as the time series panels run them.
    const now = Math.floor(Date.now() / 1000);
    const range = await api('/api/v1/query_range', { query: substitute(expr), start: String(now - 300), end: String(now), step: '15' });
    expect(range.status).toBe('success');
  });

  it('the $workload variable (label_values(sigsys_violations_total, workload)) returns the workloads', async () => {
    const v = dashboard.templating.list[0]!;
    const m = /^label_values\((\w+), (\w+)\)$/.exec(v.query);
    expect(m).not.toBeNull();
    const r = await api(`/api/v1/label/${m![2]}/values`, { 'match[]': m![1]! });
    expect(r.status).toBe('success');
    // sigsys-ringfill has exited before the collector looks at its ring, so
    // the collector cannot check its claims: its events are counted under
    // the writer's uid, not the workload the ring names (docs/security.md).
    expect(r.data).toEqual(['unverified:uid-0']);
  });

  it('a broken expression is rejected (the check checks)', async () => {
    const r = await api('/api/v1/query', { query: 'sum by (syscall (rate(sigsys_violations_total[5m]))' });
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/parse error/);
  });
});
