/*
 * A small instrumented service for the analysis tests: it serves
 * `http_requests_total{namespace,component,digest,code}` and
 * `http_request_duration_seconds{namespace,component,digest}` (prom-client)
 * for the traffic the test sets, as an application behind a Service would,
 * each series labelled with the release (digest) that served it.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';

export interface Traffic {
  /** Requests per second. */
  rps: number;
  /** Share of them answered 500. */
  errorRatio: number;
  /** How long each takes. */
  latencySeconds: number;
}

export interface ReleaseLabels {
  namespace: string;
  component: string;
  digest: string;
}

export interface InstrumentedService {
  /** host:port, for Prometheus' scrape config. */
  target: string;
  /** Serves this traffic for the release from now on (rps 0 stops it). */
  serve(labels: ReleaseLabels, traffic: Traffic): void;
  close(): Promise<void>;
}

const TICK_MS = 100;

export async function startInstrumentedService(): Promise<InstrumentedService> {
  const registry = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests served, by release and status code.',
    labelNames: ['namespace', 'component', 'digest', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to serve a request, by release.',
    labelNames: ['namespace', 'component', 'digest'],
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
    registers: [registry],
  });
  const traffic = new Map<
    string,
    { labels: ReleaseLabels; traffic: Traffic }
  >();
  const timer = setInterval(() => {
    for (const { labels, traffic: t } of traffic.values()) {
      if (t.rps <= 0) continue;
      const perTick = (t.rps * TICK_MS) / 1000;
      requests.inc({ ...labels, code: '500' }, perTick * t.errorRatio);
      requests.inc({ ...labels, code: '200' }, perTick * (1 - t.errorRatio));
      for (let i = 0; i < Math.max(1, Math.round(perTick)); i++) {
        duration.observe(labels, t.latencySeconds);
      }
    }
  }, TICK_MS);
  const server: Server = createServer(async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    serve(labels, t) {
      traffic.set(JSON.stringify(labels), { labels, traffic: t });
    },
    async close() {
      clearInterval(timer);
      await new Promise(r => server.close(r));
    },
  };
}
