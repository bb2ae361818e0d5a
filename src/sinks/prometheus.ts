/**
 * prometheus.ts - the sink that counts violations into
 * sigsys_violations_total, and the small HTTP server that serves /metrics
 * and /healthz.  The metrics themselves are defined in src/metrics.ts and
 * injected (`createPrometheusSink({ metrics })`), so one registry serves the
 * collector, every sink and the server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SigsysMetrics } from '../metrics.js';
import { eventCalls, type ViolationEvent } from '../events/types.js';
import type { EncodedBatch, Sink, SinkHealth } from './sink.js';

interface Tally {
  ev: ViolationEvent;
  n: number;
}

/** The sink that turns events into sigsys_violations_total increments. */
export function createPrometheusSink(opts: { metrics: SigsysMetrics }): Sink {
  const { metrics } = opts;
  return {
    name: 'prometheus',
    async write(events) {
      // One increment per distinct label set of the batch: prom-client hashes
      // the labels on every inc(), and a batch usually has few label sets.
      // Grouped by syscall and workload (Map lookups on strings whose hash
      // V8 keeps), then by action, outcome and identity compared in place (a
      // short list: few enum values): no key string built per event.
      const groups = new Map<string, Map<string, Tally[]>>();
      const order: Tally[] = []; // first-seen order, as the label caps admit values
      for (const ev of events) {
        // A count record stands for `repeat` calls.
        const calls = eventCalls(ev);
        let byWorkload = groups.get(ev.syscall);
        if (!byWorkload) groups.set(ev.syscall, (byWorkload = new Map()));
        let tallies = byWorkload.get(ev.workload);
        if (!tallies) byWorkload.set(ev.workload, (tallies = []));
        let t: Tally | undefined;
        for (const x of tallies) {
          if (x.ev.action === ev.action && x.ev.outcome === ev.outcome && x.ev.identity === ev.identity) {
            t = x;
            break;
          }
        }
        if (t) t.n += calls;
        else {
          t = { ev, n: calls };
          tallies.push(t);
          order.push(t);
        }
      }
      for (const { ev, n } of order) metrics.countViolation(ev, n);
    },
    // The collector's batch path: the same counts, already grouped by label
    // set in first-seen order (src/collector/batch-encode.ts).
    async writeEncoded(batch: EncodedBatch) {
      for (const t of batch.tally) metrics.countViolation(t, t.n);
    },
    health: () => 'ok',
    async close() {},
  };
}

export interface MetricsServerOptions {
  metrics: SigsysMetrics;
  port?: number;
  host?: string;
  /** Health of the sinks for /healthz (503 when any is degraded). */
  health?: () => Record<string, SinkHealth>;
}

export interface MetricsServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/** HTTP server: GET /metrics (Prometheus text format), GET /healthz (JSON). */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { registry } = opts.metrics;
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType }).end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
        },
      );
      return;
    }
    if (url === '/healthz') {
      const sinks = opts.health?.() ?? {};
      const ok = Object.values(sinks).every((h) => h === 'ok');
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'degraded', sinks }) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 9469, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
