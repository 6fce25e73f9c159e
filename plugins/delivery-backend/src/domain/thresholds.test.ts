import { thresholdBreaches } from './thresholds';

describe('thresholdBreaches', () => {
  const thresholds = {
    maxErrorRate: 0.05,
    maxRestarts: 3,
    maxReadinessFailures: 1,
    maxP95LatencyMs: 500,
  };

  it('names every metric over its threshold', () => {
    expect(
      thresholdBreaches(
        {
          errorRate: 0.075,
          restarts: 4,
          readinessFailures: 2,
          p95LatencyMs: 900,
        },
        thresholds,
      ),
    ).toEqual([
      'error rate 7.5% exceeds 5%',
      '4 restarts exceed 3',
      '2 readiness failures exceed 1',
      'p95 latency 900 ms exceeds 500 ms',
    ]);
  });

  it('accepts metrics at their thresholds, missing metrics and missing thresholds', () => {
    expect(
      thresholdBreaches(
        { errorRate: 0.05, restarts: 3, p95LatencyMs: 500 },
        thresholds,
      ),
    ).toEqual([]);
    expect(thresholdBreaches({ errorRate: 0.9 }, {})).toEqual([]);
    expect(thresholdBreaches(undefined, thresholds)).toEqual([]);
  });
});
