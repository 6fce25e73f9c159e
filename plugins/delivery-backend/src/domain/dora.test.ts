import { deploymentBand, doraReport, doraWindow } from './dora';

const DAY = 86_400_000;

describe('deploymentBand', () => {
  it.each([
    [0, 30, 'none'],
    [30, 30, 'on-demand'],
    [29, 30, 'daily'],
    [5, 30, 'daily'],
    [4, 30, 'weekly'],
    [1, 30, 'weekly'],
    [1, 31, 'monthly'],
    [2, 90, 'monthly'],
  ])('%i releases in %i days is %s', (deployments, days, band) => {
    expect(deploymentBand(deployments, days)).toBe(band);
  });
});

describe('doraReport', () => {
  it('fills the buckets without changes, in seconds, with rates where they exist', () => {
    // Three whole days, today (the 26th, until 15:00) the last of them.
    const window = doraWindow(3, Date.UTC(2026, 10, 26, 15));
    const report = doraReport(
      {
        deployments: 2,
        leadTime: { samples: 2, medianMs: 90_000, p90Ms: 3_600_400 },
        changeFailure: { changes: 4, failures: 1 },
        restore: { incidents: 2, restored: 1, medianMs: 1_800_000 },
        series: [
          {
            bucket: 1,
            deployments: 2,
            changes: 4,
            failures: 1,
            leadTimeMedianMs: 90_000,
          },
        ],
      },
      window,
      { kind: 'organisation' },
    );

    expect(report.window).toEqual({
      from: '2026-11-24T00:00:00.000Z',
      to: '2026-11-27T00:00:00.000Z',
      days: 3,
      bucket: 'day',
    });
    expect(report.deploymentFrequency).toEqual({
      deployments: 2,
      perDay: 2 / 3,
      perWeek: 14 / 3,
      band: 'daily',
    });
    expect(report.leadTime).toEqual({
      samples: 2,
      medianSeconds: 90,
      p90Seconds: 3600,
    });
    expect(report.changeFailureRate).toEqual({
      changes: 4,
      failures: 1,
      rate: 0.25,
    });
    expect(report.timeToRestore).toEqual({
      incidents: 2,
      restored: 1,
      open: 1,
      medianSeconds: 1800,
    });
    expect(report.series).toEqual([
      {
        start: '2026-11-24T00:00:00.000Z',
        deployments: 0,
        changes: 0,
        failures: 0,
      },
      {
        start: '2026-11-25T00:00:00.000Z',
        deployments: 2,
        changes: 4,
        failures: 1,
        changeFailureRate: 0.25,
        leadTimeMedianSeconds: 90,
      },
      {
        start: '2026-11-26T00:00:00.000Z',
        deployments: 0,
        changes: 0,
        failures: 0,
      },
    ]);
    expect(doraWindow(90, 0).bucketMs).toBe(7 * DAY);
    expect(doraWindow(1, Date.UTC(2026, 10, 26, 23, 59))).toMatchObject({
      from: Date.UTC(2026, 10, 26),
      to: Date.UTC(2026, 10, 27),
    });
  });
});
