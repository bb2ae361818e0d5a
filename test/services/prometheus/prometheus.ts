/**
 * prometheus.ts - start a real Prometheus server (Debian's `prometheus`
 * package, /usr/bin/prometheus) for a test: temp config and data dir, a free
 * port on 127.0.0.1, readiness polled on /-/ready, stopped with SIGTERM.
 *
 *   const prom = await startPrometheus({ targets: ['127.0.0.1:9469'] });
 *   const v = await prom.waitFor('sigsys_violations_total{syscall="acct"}', (r) => r[0]?.value === 3);
 *   await prom.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  url: string;
  port: number;
  query(q: string): Promise<Sample[]>;
  /** Poll `q` until `ok(result)` holds; throws with the last result after `timeoutMs`. */
  waitFor(q: string, ok: (r: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  targets(): Promise<Array<{ health: string; lastError: string; scrapeUrl: string }>>;
  stop(): Promise<void>;
}

export async function deadline<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function startPrometheus(opts: { targets: string[]; scrapeInterval?: string; job?: string }): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sigsys-prom-'));
  const port = await freePort();
  const interval = opts.scrapeInterval ?? '1s';
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    `  - job_name: ${opts.job ?? 'sigsys'}`,
    `    scrape_interval: ${interval}`,
    `    scrape_timeout: ${interval}`,
    '    static_configs:',
    `      - targets: [${opts.targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  let log = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await deadline('prometheus /-/ready', 30_000, async () => {
      if (exited) throw new Error(`prometheus exited: ${log}`);
      const r = await fetch(`${url}/-/ready`);
      return r.ok ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  async function query(q: string): Promise<Sample[]> {
    const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await r.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`query ${q}: ${body.error}`);
    return body.data.result.map((x) => ({ metric: x.metric, value: Number(x.value[1]) }));
  }

  return {
    url,
    port,
    query,
    async waitFor(q, ok, timeoutMs = 30_000) {
      let last: Sample[] = [];
      try {
        return await deadline(`prometheus query ${q}`, timeoutMs, async () => {
          last = await query(q);
          return ok(last) ? last : undefined;
        }, 250);
      } catch (err) {
        throw new Error(`${(err as Error).message}; last result ${JSON.stringify(last)}`);
      }
    },
    async targets() {
      const r = await fetch(`${url}/api/v1/targets`);
      const body = (await r.json()) as { data: { activeTargets: Array<{ health: string; lastError: string; scrapeUrl: string }> } };
      return body.data.activeTargets;
    },
    stop,
  };
}
