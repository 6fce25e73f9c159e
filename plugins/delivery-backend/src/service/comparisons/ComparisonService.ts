import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { resolveNamespace } from '@backstage-delivery/plugin-delivery-common';
import type { DeliveryConfig } from '../../config/types';
import {
  ComparisonStore,
  DueRelease,
  ReleaseComparison,
} from '../../database/ComparisonStore';
import {
  compareMetric,
  MetricComparison,
  renderQuery,
  Series,
} from '../../domain/analysis';
import { environmentOfPromotion } from '../../domain/ladder';
import {
  MetricsProvider,
  MetricsUnavailableError,
} from '../../prometheus/PrometheusClient';

/** Points each side of the release on the chart. */
const POINTS_PER_WINDOW = 30;
/** Releases compared per run. */
const BATCH = 20;
/** Releases older than this when first seen are not compared (history before the feature). */
const MAX_AGE_MS = 7 * 86_400_000;

/**
 * The before/after comparison of each release: once the window after a
 * release went live has passed, the environment's analysis queries are read
 * over the window before it (for the digest that ran then) and after it
 * (for the new digest), and the summary is stored in the ledger. A metrics
 * provider that does not answer leaves the release for the next run.
 */
export class ComparisonService {
  constructor(
    private readonly options: {
      store: ComparisonStore;
      config: DeliveryConfig;
      provider: MetricsProvider;
      logger: LoggerService;
      clock?: () => number;
    },
  ) {}

  /** Compares the releases that are due; returns the ids it stored. */
  async run(): Promise<string[]> {
    const { store, config } = this.options;
    const now = (this.options.clock ?? Date.now)();
    const windowMs = config.metrics.comparison.windowMs;
    const environments = [...config.ladders.values()].flatMap(ladder =>
      ladder.environments
        .filter(e => e.analysis)
        .map(e => ({ ladder: ladder.name, environment: e.name })),
    );
    const due = await store.due(
      environments,
      { from: now - windowMs - MAX_AGE_MS, to: now - windowMs },
      BATCH,
    );
    const stored: string[] = [];
    for (const release of due) {
      try {
        const comparison = await this.compare(release, now);
        if (!comparison) continue;
        await store.insert(comparison);
        stored.push(release.promotionId);
      } catch (error) {
        if (!(error instanceof MetricsUnavailableError)) throw error;
        this.options.logger.warn(
          `Cannot compare release ${release.promotionId} yet: ${error.message}`,
        );
        break;
      }
    }
    return stored;
  }

  private async compare(
    release: DueRelease,
    now: number,
  ): Promise<ReleaseComparison | undefined> {
    const { store, config, provider } = this.options;
    const environment = environmentOfPromotion(config.ladders, release);
    if (!environment?.analysis) return undefined;
    const windowMs = config.metrics.comparison.windowMs;
    const stepMs = Math.max(1000, Math.floor(windowMs / POINTS_PER_WINDOW));
    const previousDigest = await store.previousDigest(release);
    const vars = {
      namespace: resolveNamespace(
        environment.namespace,
        release.componentRef,
        environment.name,
      ),
      component: parseEntityRef(release.componentRef).name,
      environment: environment.name,
    };
    const { liveAt } = release;
    const metrics: MetricComparison[] = [];
    for (const query of environment.analysis.queries) {
      const before: Series = previousDigest
        ? await provider.range(
            renderQuery(query.query, { ...vars, digest: previousDigest }),
            liveAt - windowMs,
            liveAt - 1,
            stepMs,
          )
        : [];
      const after = await provider.range(
        renderQuery(query.query, { ...vars, digest: release.digest }),
        liveAt,
        liveAt + windowMs,
        stepMs,
      );
      metrics.push(
        compareMetric(
          query,
          [...before, ...after],
          liveAt,
          windowMs,
          config.metrics.comparison.tolerance,
        ),
      );
    }
    return {
      promotionId: release.promotionId,
      componentRef: release.componentRef,
      environment: release.environment,
      digest: release.digest,
      previousDigest,
      liveAt,
      windowMs,
      worse: metrics.some(m => m.worse),
      metrics,
      computedAt: now,
    };
  }
}

/** Runs the comparisons on the scheduler when a metrics provider and analysis are configured. */
export async function scheduleComparisons(options: {
  scheduler: SchedulerService;
  service: ComparisonService;
  config: DeliveryConfig;
}) {
  await options.scheduler.scheduleTask({
    id: 'delivery-release-comparisons',
    frequency: { milliseconds: options.config.metrics.comparison.intervalMs },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 30 },
    scope: 'global',
    fn: async () => {
      await options.service.run();
    },
  });
}
