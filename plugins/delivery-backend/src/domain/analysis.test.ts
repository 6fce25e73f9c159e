import { compareMetric, gotWorse, judge, renderQuery } from './analysis';

const errorRate = {
  name: 'error-rate',
  query: 'q',
  threshold: 0.05,
  failWhen: 'above' as const,
  unit: 'ratio',
};

describe('analysis', () => {
  it('fills placeholders, escaping what would break out of a label matcher', () => {
    expect(
      renderQuery(
        'x{a="{namespace}",b="{component}",c="{environment}",d="{digest}"}',
        {
          namespace: 'ns',
          component: 'we"b\\x',
          environment: 'prod',
          digest: 'sha256:1',
        },
      ),
    ).toBe('x{a="ns",b="we\\"b\\\\x",c="prod",d="sha256:1"}');
  });

  it('fails on a breach, is unknown without an answer, and passes otherwise', () => {
    const config = {
      onUnknown: 'fail' as const,
      queries: [
        errorRate,
        {
          name: 'success',
          query: 's',
          threshold: 0.99,
          failWhen: 'below' as const,
        },
      ],
    };
    expect(
      judge(config, [
        { name: 'error-rate', query: 'q', value: 0.01 },
        { name: 'success', query: 's', value: 0.98 },
      ]),
    ).toEqual({
      outcome: 'fail',
      findings: [
        'error-rate = 1% (at most 5%)',
        'success = 0.98 (at least 0.99)',
      ],
      reasons: ['success = 0.98 is below the threshold 0.99; query: s'],
    });
    expect(
      judge(config, [
        { name: 'error-rate', query: 'q', value: 0.01 },
        { name: 'success', query: 's', unknown: 'no data for s' },
      ]).outcome,
    ).toBe('unknown');
    expect(
      judge(config, [
        { name: 'error-rate', query: 'q', value: 0.05 },
        { name: 'success', query: 's', value: 0.99 },
      ]).outcome,
    ).toBe('pass');
  });

  it('calls a metric worse only when it moves the bad way beyond the tolerance', () => {
    // 10% of max(old value, threshold): 0.005 here.
    expect(gotWorse(errorRate, 0, 0.001, 0.1)).toBe(false);
    expect(gotWorse(errorRate, 0.01, 0.02, 0.1)).toBe(true);
    expect(gotWorse(errorRate, 0.02, 0.01, 0.1)).toBe(false);
    expect(
      gotWorse({ failWhen: 'below', threshold: 0.99 }, 0.999, 0.9, 0.01),
    ).toBe(true);
    expect(gotWorse(errorRate, undefined, 0.5, 0.1)).toBe(false);
  });

  it('compares the means before and after going live', () => {
    const points: Array<[number, number]> = [
      [0, 0.01],
      [10, 0.03],
      [20, NaN],
      [30, 0.2],
      [40, 0.1],
    ];
    expect(compareMetric(errorRate, points, 30, 30, 0.1)).toEqual({
      name: 'error-rate',
      unit: 'ratio',
      failWhen: 'above',
      threshold: 0.05,
      before: 0.02,
      after: expect.closeTo(0.15, 10),
      worse: true,
      points: [
        [0, 0.01],
        [10, 0.03],
        [30, 0.2],
        [40, 0.1],
      ],
    });
  });
});
