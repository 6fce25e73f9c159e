import { ConfigReader } from '@backstage/config';
import { readDeliveryConfig } from './readDeliveryConfig';

const errorRate = {
  name: 'error-rate',
  query:
    'sum(rate(http_requests_total{namespace="{namespace}",code=~"5.."}[5m])) / sum(rate(http_requests_total{namespace="{namespace}"}[5m]))',
  threshold: 0.05,
  unit: 'ratio',
};

const read = (delivery: object) =>
  readDeliveryConfig(new ConfigReader({ delivery }));

describe('reading analysis and metrics config', () => {
  it('gives environments their own or the ladder’s analysis, failing closed on unknown in production by default', () => {
    const config = read({
      metrics: {
        prometheus: { baseUrl: 'http://prometheus:9090', timeout: '3s' },
        comparison: { window: '15m', tolerance: 0.2 },
        countWorseAsFailures: true,
        organisationCacheTtl: '1m',
      },
      ladders: {
        standard: {
          analysis: { queries: [errorRate] },
          environments: [
            { name: 'dev', analysis: { queries: [] } },
            { name: 'staging' },
            {
              name: 'production',
              analysis: {
                queries: [
                  errorRate,
                  {
                    name: 'success',
                    query: 'vector(1)',
                    threshold: 0.99,
                    failWhen: 'below',
                  },
                ],
              },
            },
          ],
        },
      },
    });
    const [dev, staging, production] =
      config.ladders.get('standard')!.environments;
    expect(dev.analysis).toBeUndefined();
    expect(staging.analysis).toEqual({
      onUnknown: 'continue',
      queries: [{ ...errorRate, failWhen: 'above' }],
    });
    expect(production.analysis).toMatchObject({
      onUnknown: 'fail',
      queries: [{ name: 'error-rate' }, { name: 'success', failWhen: 'below' }],
    });
    expect(config.metrics).toEqual({
      prometheus: {
        baseUrl: 'http://prometheus:9090',
        token: undefined,
        timeoutMs: 3000,
      },
      comparison: { windowMs: 900_000, tolerance: 0.2, intervalMs: 60_000 },
      countWorseAsFailures: true,
      organisationCacheTtlMs: 60_000,
    });
    expect(read({}).metrics.organisationCacheTtlMs).toBe(0);
  });

  it.each([
    [
      {
        ladders: {
          l: {
            environments: [
              { name: 'prod', analysis: { queries: [errorRate] } },
            ],
          },
        },
      },
      "Invalid delivery config at 'delivery.ladders.l': environment 'prod' has analysis queries, so configure delivery.metrics.prometheus.baseUrl",
    ],
    [
      { metrics: { organisationCacheTtl: { minutes: -1 } } },
      "Invalid delivery config at 'delivery.metrics.organisationCacheTtl': must not be negative",
    ],
    [
      { metrics: { prometheus: { baseUrl: 'prometheus:9090' } } },
      "Invalid delivery config at 'delivery.metrics.prometheus.baseUrl': 'prometheus:9090' is not an http(s) URL such as http://prometheus:9090",
    ],
    [
      {
        metrics: { prometheus: { baseUrl: 'http://p' } },
        ladders: {
          l: {
            environments: [
              {
                name: 'prod',
                analysis: {
                  queries: [{ ...errorRate, query: 'up{job="{job}"}' }],
                },
              },
            ],
          },
        },
      },
      "Invalid delivery config at 'delivery.ladders.l.environments[0].analysis.queries[0].query': unknown placeholder {job}; use {namespace}, {component}, {environment}, {digest}",
    ],
    [
      {
        metrics: { prometheus: { baseUrl: 'http://p' } },
        ladders: {
          l: {
            environments: [
              {
                name: 'prod',
                analysis: { queries: [{ ...errorRate, failWhen: 'over' }] },
              },
            ],
          },
        },
      },
      "Invalid delivery config at 'delivery.ladders.l.environments[0].analysis.queries[0].failWhen': 'over' is not above or below (the side of the threshold that fails)",
    ],
    [
      {
        metrics: { prometheus: { baseUrl: 'http://p' } },
        ladders: {
          l: {
            environments: [
              {
                name: 'prod',
                analysis: { onUnknown: 'pass', queries: [errorRate] },
              },
            ],
          },
        },
      },
      "Invalid delivery config at 'delivery.ladders.l.environments[0].analysis.onUnknown': 'pass' is not fail or continue",
    ],
    [
      {
        metrics: { prometheus: { baseUrl: 'http://p' } },
        ladders: {
          l: {
            environments: [
              { name: 'prod', analysis: { queries: [errorRate, errorRate] } },
            ],
          },
        },
      },
      "Invalid delivery config at 'delivery.ladders.l.environments[0].analysis.queries[1].name': 'error-rate' appears twice",
    ],
  ])('refuses invalid config (%#)', (delivery, message) => {
    expect(() => read(delivery)).toThrow(message);
  });

  it('reads the native canary of the kubernetes executor, refusing steps that do not rise', () => {
    const kubernetes = {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [{ name: 'c', url: 'https://c.example.com' }],
        },
      ],
    };
    const withCanary = (canary: object) =>
      readDeliveryConfig(
        new ConfigReader({
          kubernetes,
          delivery: {
            ladders: {
              l: {
                environments: [
                  {
                    name: 'prod',
                    cluster: 'c',
                    strategy: 'canary',
                    executor: { type: 'kubernetes', canary },
                  },
                ],
              },
            },
          },
        }),
      ).ladders.get('l')!.environments[0].executor;
    expect(
      withCanary({ steps: [10, 30, 60], stepDuration: '5m' }),
    ).toMatchObject({
      canary: { steps: [10, 30, 60], stepDurationMs: 300_000 },
    });
    expect(() => withCanary({ steps: [50, 10] })).toThrow(
      "Invalid delivery config at 'delivery.ladders.l.environments[0].executor.canary.steps': must be rising shares between 0 and 100 (exclusive), e.g. [10, 50]; got [50, 10]",
    );
    expect(() => withCanary({ steps: [10, 100] })).toThrow(
      'must be rising shares',
    );
  });
});
