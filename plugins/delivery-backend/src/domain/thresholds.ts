import type { RollbackThresholds } from '../config/types';
import type { RolloutMetrics } from './types';

function percent(value: number): string {
  return `${Math.round(value * 10000) / 100}%`;
}

/**
 * The metrics that exceed the environment's rollback thresholds, in words.
 * Metrics that were not reported, or have no threshold, pass.
 */
export function thresholdBreaches(
  metrics: RolloutMetrics | undefined,
  thresholds: RollbackThresholds,
): string[] {
  if (!metrics) return [];
  const breaches: string[] = [];
  if (
    thresholds.maxErrorRate !== undefined &&
    metrics.errorRate !== undefined &&
    metrics.errorRate > thresholds.maxErrorRate
  ) {
    breaches.push(
      `error rate ${percent(metrics.errorRate)} exceeds ${percent(
        thresholds.maxErrorRate,
      )}`,
    );
  }
  if (
    thresholds.maxRestarts !== undefined &&
    metrics.restarts !== undefined &&
    metrics.restarts > thresholds.maxRestarts
  ) {
    breaches.push(
      `${metrics.restarts} restarts exceed ${thresholds.maxRestarts}`,
    );
  }
  if (
    thresholds.maxReadinessFailures !== undefined &&
    metrics.readinessFailures !== undefined &&
    metrics.readinessFailures > thresholds.maxReadinessFailures
  ) {
    breaches.push(
      `${metrics.readinessFailures} readiness failures exceed ${thresholds.maxReadinessFailures}`,
    );
  }
  if (
    thresholds.maxP95LatencyMs !== undefined &&
    metrics.p95LatencyMs !== undefined &&
    metrics.p95LatencyMs > thresholds.maxP95LatencyMs
  ) {
    breaches.push(
      `p95 latency ${metrics.p95LatencyMs} ms exceeds ${thresholds.maxP95LatencyMs} ms`,
    );
  }
  return breaches;
}
