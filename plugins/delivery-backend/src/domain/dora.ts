import type { DeliveryApiSchemas } from '@backstage-delivery/plugin-delivery-common';
import type { DoraFigures, PipelineFigures } from './metrics';

export type DoraMetrics = DeliveryApiSchemas['DoraMetrics'];
export type DoraBand = DoraMetrics['deploymentFrequency']['band'];
export type PipelineMetrics = DeliveryApiSchemas['PipelineMetrics'];

const DAY = 86_400_000;

/**
 * The exact definitions behind the numbers, shown next to them in the UI and
 * repeated in the README. "Production" is the last environment of each
 * component's ladder.
 */
export const DORA_DEFINITIONS: DoraMetrics['definitions'] = {
  deploymentFrequency:
    'Production releases (normal and hotfix promotions into the last environment of the ladder) that went live in the window, including ones rolled back later; rollbacks themselves do not count. Band: on-demand at 1 or more per day on average, daily at 1 or more per week, weekly at 1 or more per 30 days, monthly below that.',
  leadTime:
    'From the commit time of the exact artifact (digest) released to the moment its production release went live, over the releases of the window: median and 90th percentile (nearest rank). Artifacts recorded without a commit time are left out.',
  changeFailureRate:
    'Production changes of the window that failed verification, errored, or were rolled back later, over all production changes of the window that reached a deployment (succeeded, failed, errored or rolled back). Refused, rejected and aborted requests never reached production and do not count.',
  timeToRestore:
    'For each incident that started in the window — a production change that failed or errored (from when it ended) or a rollback (from when it was requested) — the time until the next production release of that component went live, even after the window ends: median over the restored incidents. Incidents not restored yet are counted as open.',
};

/** The DORA deployment frequency band of an average rate. */
export function deploymentBand(deployments: number, days: number): DoraBand {
  if (deployments === 0) return 'none';
  const perDay = deployments / days;
  if (perDay >= 1) return 'on-demand';
  if (perDay * 7 >= 1) return 'daily';
  if (perDay * 30 >= 1) return 'weekly';
  return 'monthly';
}

const seconds = (ms: number | undefined) =>
  ms === undefined ? {} : { value: Math.round(ms / 1000) };

/** The API answer for the figures of a window. */
export function doraReport(
  figures: DoraFigures,
  window: { from: number; to: number; days: number; bucketMs: number },
  scope: DoraMetrics['scope'],
): DoraMetrics {
  const { from, to, days, bucketMs } = window;
  const buckets = Math.ceil((to - from) / bucketMs);
  const byBucket = new Map(figures.series.map(b => [b.bucket, b]));
  const series: DoraMetrics['series'] = [];
  for (let i = 0; i < buckets; i++) {
    const b = byBucket.get(i);
    const lead = seconds(b?.leadTimeMedianMs).value;
    series.push({
      start: new Date(from + i * bucketMs).toISOString(),
      deployments: b?.deployments ?? 0,
      changes: b?.changes ?? 0,
      failures: b?.failures ?? 0,
      ...(b && b.changes > 0
        ? { changeFailureRate: b.failures / b.changes }
        : {}),
      ...(lead !== undefined ? { leadTimeMedianSeconds: lead } : {}),
    });
  }
  const { changes, failures } = figures.changeFailure;
  const median = seconds(figures.leadTime.medianMs).value;
  const p90 = seconds(figures.leadTime.p90Ms).value;
  const restore = seconds(figures.restore.medianMs).value;
  return {
    window: {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      days,
      bucket: bucketMs === DAY ? 'day' : 'week',
    },
    scope,
    deploymentFrequency: {
      deployments: figures.deployments,
      perDay: figures.deployments / days,
      perWeek: (figures.deployments * 7) / days,
      band: deploymentBand(figures.deployments, days),
    },
    leadTime: {
      samples: figures.leadTime.samples,
      ...(median !== undefined ? { medianSeconds: median } : {}),
      ...(p90 !== undefined ? { p90Seconds: p90 } : {}),
    },
    changeFailureRate: {
      changes,
      failures,
      ...(changes > 0 ? { rate: failures / changes } : {}),
    },
    timeToRestore: {
      incidents: figures.restore.incidents,
      restored: figures.restore.restored,
      open: figures.restore.incidents - figures.restore.restored,
      ...(restore !== undefined ? { medianSeconds: restore } : {}),
    },
    series,
    definitions: DORA_DEFINITIONS,
  };
}

/**
 * Window and bucket length for a number of whole UTC days, today (until
 * `now`) the last of them — the days the metrics kept in the write path hold.
 */
export function doraWindow(days: number, now: number) {
  const tomorrow = (Math.floor(now / DAY) + 1) * DAY;
  return {
    from: tomorrow - days * DAY,
    to: tomorrow,
    days,
    bucketMs: days <= 31 ? DAY : 7 * DAY,
  };
}

/** The API answer for pipeline figures, environments in ladder order. */
export function pipelineReport(
  figures: PipelineFigures,
  window: { from: number; to: number; days: number },
  scope: PipelineMetrics['scope'],
  environmentOrder: string[],
): PipelineMetrics {
  const position = (env: string) => {
    const i = environmentOrder.indexOf(env);
    return i === -1 ? environmentOrder.length : i;
  };
  const secs = (ms: number) => Math.round(ms / 1000);
  const { requests, refused, byGate } = figures.refusals;
  const wait = figures.approvalWait;
  return {
    window: {
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      days: window.days,
    },
    scope,
    timeToEnvironment: [...figures.timeToEnvironment]
      .sort(
        (a, b) =>
          position(a.environment) - position(b.environment) ||
          a.environment.localeCompare(b.environment),
      )
      .map(e => ({
        environment: e.environment,
        releases: e.releases,
        medianSeconds: secs(e.medianMs),
        ...(e.p90Ms !== undefined ? { p90Seconds: secs(e.p90Ms) } : {}),
      })),
    refusals: {
      requests,
      refused,
      ...(requests > 0 ? { rate: refused / requests } : {}),
      byGate,
    },
    approvalWait: {
      promotions: wait.promotions,
      ...(wait.medianMs !== undefined
        ? { medianSeconds: secs(wait.medianMs) }
        : {}),
      ...(wait.p90Ms !== undefined ? { p90Seconds: secs(wait.p90Ms) } : {}),
    },
    evidence: figures.evidence.map(e => ({
      ...e,
      failureRate: e.reported > 0 ? e.failed / e.reported : 0,
    })),
  };
}
