import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { PreviewReaper, ReapReport } from './PreviewReaper';

/** One line of what a reaper pass did, or nothing when it did nothing. */
export function describeReap(report: ReapReport): string | undefined {
  const done = [
    ...report.expired.map(n => `expired ${n}`),
    ...report.deleted.map(n => `deleted ${n}`),
    ...report.vanished.map(n => `vanished ${n}`),
    ...report.refused.map(n => `refused ${n}`),
  ];
  return done.length ? `Preview reaper: ${done.join('; ')}` : undefined;
}

/** Runs the preview reaper on the scheduler: one runner across replicas. */
export async function schedulePreviewReaper(options: {
  scheduler: SchedulerService;
  reaper: PreviewReaper;
  intervalMs: number;
  logger: LoggerService;
}): Promise<void> {
  await options.scheduler.scheduleTask({
    id: 'delivery-preview-reaper',
    frequency: { milliseconds: options.intervalMs },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 15 },
    scope: 'global',
    fn: async () => {
      const line = describeReap(await options.reaper.reap());
      if (line) options.logger.info(line);
    },
  });
}
