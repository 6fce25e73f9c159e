/*
 * The analysis against a real Prometheus (Debian's 2.42) scraping an
 * instrumented service whose error rate and latency the test sets, and
 * against a Prometheus that is down or does not answer: those are unknown,
 * bounded by the timeout, and fail closed where the environment says so.
 */
import { createServer, Server, Socket } from 'node:net';
import { AnalysisConfig } from '../../domain/analysis';
import {
  describeWithPrometheus,
  freePort,
  startPrometheus,
  TestPrometheus,
} from '../../prometheus/testing/prometheus';
import {
  InstrumentedService,
  startInstrumentedService,
} from '../../prometheus/testing/instrumentedService';
import { PrometheusClient } from '../../prometheus/PrometheusClient';
import { ExecutionContext } from './Executor';
import { ReleaseAnalysis } from './ReleaseAnalysis';

jest.setTimeout(60_000);

const NEW = `sha256:${'b'.repeat(64)}`;

const ERROR_RATE =
  'sum(rate(http_requests_total{namespace="{namespace}",component="{component}",digest="{digest}",code=~"5.."}[5s])) / sum(rate(http_requests_total{namespace="{namespace}",component="{component}",digest="{digest}"}[5s]))';
const P95 =
  'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{namespace}",digest="{digest}"}[5s])))';

function analysis(onUnknown: AnalysisConfig['onUnknown']): AnalysisConfig {
  return {
    onUnknown,
    queries: [
      {
        name: 'error-rate',
        query: ERROR_RATE,
        threshold: 0.05,
        failWhen: 'above',
        unit: 'ratio',
      },
      {
        name: 'p95-latency',
        query: P95,
        threshold: 0.5,
        failWhen: 'above',
        unit: 'seconds',
      },
    ],
  };
}

function context(onUnknown: AnalysisConfig['onUnknown']): ExecutionContext {
  return {
    namespace: 'checkout-prod',
    promotion: { componentRef: 'component:default/checkout' },
    environment: { name: 'production', analysis: analysis(onUnknown) },
    artifact: { digest: NEW },
  } as unknown as ExecutionContext;
}

describeWithPrometheus('release analysis with Prometheus', () => {
  let service: InstrumentedService;
  let prometheus: TestPrometheus;
  const labels = {
    namespace: 'checkout-prod',
    component: 'checkout',
    digest: NEW,
  };

  beforeAll(async () => {
    service = await startInstrumentedService();
    service.serve(labels, { rps: 50, errorRatio: 0.01, latencySeconds: 0.08 });
    prometheus = await startPrometheus([service.target]);
    await prometheus.scraped(3);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await service?.close();
  });

  const analyse = (url: string, timeoutMs = 2000) =>
    new ReleaseAnalysis(new PrometheusClient({ baseUrl: url, timeoutMs }));

  it('passes a healthy release with the measured values, and fails one whose error rate rises, naming the query, the value and the threshold', async () => {
    const healthy = await analyse(prometheus.url).evaluate(
      context('fail'),
      'while verifying',
    );
    expect(healthy).toEqual({
      kind: 'ok',
      note: expect.stringContaining(
        'analysis while verifying passed: error-rate = 1% (at most 5%)',
      ),
    });
    expect(healthy).toEqual({
      kind: 'ok',
      note: expect.stringMatching(/p95-latency = \d+ ms \(at most 500 ms\)/),
    });

    service.serve(labels, { rps: 50, errorRatio: 0.4, latencySeconds: 0.08 });
    await prometheus.scraped(4);
    const failed = await analyse(prometheus.url).evaluate(
      context('fail'),
      'at canary step 2',
    );
    expect(failed).toEqual({
      kind: 'failed',
      reason: expect.stringMatching(
        /^analysis at canary step 2 failed: error-rate = [\d.]+% is above the threshold 5%; query: sum\(rate\(http_requests_total\{namespace="checkout-prod",component="checkout",digest="sha256:b{64}",code=~"5\.\."\}/,
      ),
    });
    service.serve(labels, { rps: 50, errorRatio: 0.01, latencySeconds: 0.08 });
  });

  it('treats a release without traffic as unknown, never as a pass', async () => {
    const ctx = context('continue');
    ctx.artifact.digest = `sha256:${'c'.repeat(64)}`;
    const result = await analyse(prometheus.url).evaluate(
      ctx,
      'while verifying',
    );
    expect(result).toEqual({
      kind: 'ok',
      note: expect.stringContaining(
        'analysis while verifying unknown (going on, onUnknown: continue): error-rate is unknown (no data for sum(rate(',
      ),
    });
  });

  it('is unknown when Prometheus is down, and fails closed where configured', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    expect(
      await analyse(down).evaluate(context('fail'), 'while verifying'),
    ).toEqual({
      kind: 'failed',
      reason: expect.stringContaining(
        `analysis while verifying could not be judged, and production fails closed: error-rate is unknown (Prometheus at ${down} cannot be reached: connect ECONNREFUSED`,
      ),
    });
    expect(
      await analyse(down).evaluate(context('continue'), 'while verifying'),
    ).toEqual({
      kind: 'ok',
      note: expect.stringContaining(
        'analysis while verifying unknown (going on, onUnknown: continue)',
      ),
    });
  });

  it('gives up on a Prometheus that does not answer after the timeout, as unknown', async () => {
    // A server that accepts connections and never answers.
    const sockets: Socket[] = [];
    const silent: Server = createServer(s => sockets.push(s));
    await new Promise<void>(r => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${
      (silent.address() as { port: number }).port
    }`;
    try {
      const result = await analyse(url, 300).evaluate(
        context('fail'),
        'while verifying',
      );
      expect(result).toEqual({
        kind: 'failed',
        reason: expect.stringContaining(
          `error-rate is unknown (Prometheus at ${url} did not answer within 300 ms)`,
        ),
      });
    } finally {
      sockets.forEach(s => s.destroy());
      await new Promise(r => silent.close(r));
    }
  });
});
