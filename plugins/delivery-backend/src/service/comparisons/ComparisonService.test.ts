/*
 * The before/after comparison of a release, from known Prometheus data: an
 * instrumented service serves the old release at a 1% error rate and p95
 * of 80 ms until the new one goes live, then the new one at 20% and 400 ms;
 * a real Prometheus scrapes it; the comparison stored in the ledger says
 * what a dashboard would. One engine (the store runs on every engine in
 * ComparisonStore.test.ts).
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
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
import { createHarness, digest } from '../executions/__testUtils__/harness';
import { ComparisonService } from './ComparisonService';

jest.setTimeout(90_000);

const WINDOW_S = 6;
const selector =
  'namespace="{namespace}",component="{component}",digest="{digest}"';
const analysis = {
  queries: [
    {
      name: 'error-rate',
      query: `sum(rate(http_requests_total{${selector},code="500"}[3s])) / sum(rate(http_requests_total{${selector}}[3s]))`,
      threshold: 0.05,
      unit: 'ratio',
    },
    {
      name: 'p95-latency',
      query: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${selector}}[3s])))`,
      threshold: 0.5,
      unit: 'seconds',
    },
  ],
};

describeWithPrometheus('release comparisons', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let service: InstrumentedService;
  let prometheus: TestPrometheus;
  const labels = (n: number) => ({
    namespace: 'checkout-production',
    component: 'checkout',
    digest: digest(n),
  });

  beforeAll(async () => {
    service = await startInstrumentedService();
    prometheus = await startPrometheus([service.target]);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await service?.close();
  });

  async function harness(baseUrl: string) {
    return createHarness({
      knex: await databases.init('SQLITE_3'),
      environments: [{ name: 'production', analysis }],
      token: 'unused',
      metrics: {
        prometheus: { baseUrl, timeout: { seconds: 2 } },
        comparison: { window: { seconds: WINDOW_S } },
      },
    });
  }

  it('stores the same metrics before and after a release went live, and marks it worse', async () => {
    service.serve(labels(1), {
      rps: 40,
      errorRatio: 0.01,
      latencySeconds: 0.08,
    });
    await prometheus.scraped(WINDOW_S + 2);
    const liveAt = Date.now();
    service.serve(labels(1), { rps: 0, errorRatio: 0, latencySeconds: 0 });
    service.serve(labels(2), { rps: 40, errorRatio: 0.2, latencySeconds: 0.4 });
    await prometheus.scraped(WINDOW_S + 2);

    const h = await harness(prometheus.url);
    for (const n of [1, 2]) await h.record(n);
    // released() backdates the release by an hour. The old release went
    // live 8 days ago: too old to be compared now, but what ran before.
    h.clock.now = liveAt - 8 * 86_400_000 + 3_600_000;
    await h.released(1, 'production');
    h.clock.now = liveAt + 3_600_000;
    await h.released(2, 'production');
    const comparisons = new ComparisonService({
      store: h.services.ledger.comparisons,
      config: h.config,
      provider: new PrometheusClient(h.config.metrics.prometheus!),
      logger: mockServices.logger.mock(),
      clock: () => liveAt + (WINDOW_S + 2) * 1000,
    });

    const storedIds = await comparisons.run();
    expect(storedIds).toHaveLength(1);
    const [id] = storedIds;
    const stored = await h.services.ledger.comparisons.get(id);
    expect(stored).toMatchObject({
      environment: 'production',
      digest: digest(2),
      previousDigest: digest(1),
      liveAt,
      windowMs: WINDOW_S * 1000,
      worse: true,
    });
    const [errors, latency] = stored!.metrics;
    expect(errors).toMatchObject({ name: 'error-rate', worse: true });
    expect(errors.before).toBeCloseTo(0.01, 5);
    expect(errors.after).toBeCloseTo(0.2, 5);
    expect(latency).toMatchObject({ name: 'p95-latency', worse: true });
    // 95th percentile interpolated in the buckets 0.05–0.1 and 0.3–0.5.
    expect(latency.before).toBeCloseTo(0.0975, 5);
    expect(latency.after).toBeCloseTo(0.49, 5);
    // The chart has points on both sides of the release.
    expect(errors.points.some(([t]) => t < liveAt)).toBe(true);
    expect(errors.points.some(([t]) => t >= liveAt)).toBe(true);

    // Written once: the next run has nothing to do.
    expect(await comparisons.run()).toEqual([]);
  });

  it('leaves a release for the next run while Prometheus cannot be reached', async () => {
    const h = await harness(`http://127.0.0.1:${await freePort()}`);
    await h.record(1);
    await h.released(1, 'production');
    const comparisons = new ComparisonService({
      store: h.services.ledger.comparisons,
      config: h.config,
      provider: new PrometheusClient(h.config.metrics.prometheus!),
      logger: mockServices.logger.mock(),
      clock: () => h.clock.now,
    });
    expect(await comparisons.run()).toEqual([]);
    const due = await h.services.ledger.comparisons.due(
      [{ ladder: 'standard', environment: 'production' }],
      { from: 0, to: h.clock.now },
      10,
    );
    expect(due).toHaveLength(1);
  });
});
