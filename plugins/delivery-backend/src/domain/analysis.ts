/**
 * Release analysis: PromQL templates judged against thresholds, and the
 * before/after comparison of a release. Pure functions; the queries are
 * run by the metrics provider (prometheus/PrometheusClient).
 */

import { formatMetricValue } from '@backstage-delivery/plugin-delivery-common';

/** One analysis query of an environment (`analysis.queries[]`). */
export interface AnalysisQuery {
  /** A short name, e.g. `error-rate` or `p95-latency`. */
  name: string;
  /** PromQL with `{namespace}`, `{component}`, `{environment}`, `{digest}`. */
  query: string;
  threshold: number;
  /** `above`: values above the threshold fail (error rate, latency); `below`: values below it fail (success rate, throughput). */
  failWhen: 'above' | 'below';
  /** How to show values: `ratio` (as %), `seconds`, or a unit name. */
  unit?: string;
}

export interface AnalysisConfig {
  queries: AnalysisQuery[];
  /** What an unanswered query does: fail the promotion, or go on with the unknown recorded. */
  onUnknown: 'fail' | 'continue';
}

/** What the templates' placeholders stand for. */
export interface AnalysisVars {
  namespace: string;
  component: string;
  environment: string;
  digest: string;
}

export const ANALYSIS_PLACEHOLDERS = [
  '{namespace}',
  '{component}',
  '{environment}',
  '{digest}',
] as const;

/** A label value as PromQL reads it inside double quotes. */
function escapeLabelValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/** The query with its placeholders filled (values escaped for label matchers). */
export function renderQuery(template: string, vars: AnalysisVars): string {
  return template
    .replaceAll('{namespace}', escapeLabelValue(vars.namespace))
    .replaceAll('{component}', escapeLabelValue(vars.component))
    .replaceAll('{environment}', escapeLabelValue(vars.environment))
    .replaceAll('{digest}', escapeLabelValue(vars.digest));
}

/** A query's answer: a number, or why there is none. */
export type Measurement =
  | { name: string; query: string; value: number }
  | { name: string; query: string; unknown: string };

export function breaches(query: AnalysisQuery, value: number): boolean {
  return query.failWhen === 'above'
    ? value > query.threshold
    : value < query.threshold;
}

export interface Verdict {
  outcome: 'pass' | 'fail' | 'unknown';
  /** Each query's result, in words: its value and threshold (or why unknown). */
  findings: string[];
  /** The breaches (fail) or unanswered queries (unknown), in words. */
  reasons: string[];
}

/**
 * Judges the measurements: any breach fails; otherwise any unanswered query
 * (no answer, no data, not a number) is unknown; otherwise it passes.
 */
export function judge(
  config: AnalysisConfig,
  measurements: Measurement[],
): Verdict {
  const failed: string[] = [];
  const unknown: string[] = [];
  const findings = measurements.map(m => {
    const query = config.queries.find(q => q.name === m.name)!;
    if ('unknown' in m) {
      unknown.push(`${m.name} is unknown (${m.unknown}); query: ${m.query}`);
      return `${m.name} is unknown`;
    }
    const limit = `${
      query.failWhen === 'above' ? 'at most' : 'at least'
    } ${formatMetricValue(query.threshold, query.unit)}`;
    const text = `${m.name} = ${formatMetricValue(
      m.value,
      query.unit,
    )} (${limit})`;
    if (breaches(query, m.value)) {
      failed.push(
        `${m.name} = ${formatMetricValue(m.value, query.unit)} is ${
          query.failWhen
        } the threshold ${formatMetricValue(
          query.threshold,
          query.unit,
        )}; query: ${m.query}`,
      );
    }
    return text;
  });
  if (failed.length) return { outcome: 'fail', findings, reasons: failed };
  if (unknown.length) return { outcome: 'unknown', findings, reasons: unknown };
  return { outcome: 'pass', findings, reasons: [] };
}

/** A series' points, [epoch ms, value]. */
export type Series = Array<[number, number]>;

/** The mean of the finite points in [from, to); nothing when there are none. */
export function meanOver(
  points: Series,
  from: number,
  to: number,
): number | undefined {
  const values = points
    .filter(([t, v]) => t >= from && t < to && Number.isFinite(v))
    .map(([, v]) => v);
  if (values.length === 0) return undefined;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** One metric of a release's before/after comparison. */
export interface MetricComparison {
  name: string;
  unit?: string;
  failWhen: 'above' | 'below';
  threshold: number;
  before?: number;
  after?: number;
  /** Whether it moved the bad way by more than the tolerance. */
  worse: boolean;
  /** The points the chart draws, before and after going live. */
  points: Series;
}

/**
 * Whether a metric got worse: it moved in its failing direction by more
 * than `tolerance` times the larger of its old value and its threshold (so
 * an error rate going from 0 to 0.1% is not worse under a 5% threshold and
 * a 10% tolerance, but from 1% to 2% is).
 */
export function gotWorse(
  query: Pick<AnalysisQuery, 'failWhen' | 'threshold'>,
  before: number | undefined,
  after: number | undefined,
  tolerance: number,
): boolean {
  if (before === undefined || after === undefined) return false;
  const change = query.failWhen === 'above' ? after - before : before - after;
  return (
    change > tolerance * Math.max(Math.abs(before), Math.abs(query.threshold))
  );
}

/** Compares a metric's points over the window before `liveAt` with the window after it. */
export function compareMetric(
  query: AnalysisQuery,
  points: Series,
  liveAt: number,
  windowMs: number,
  tolerance: number,
): MetricComparison {
  const before = meanOver(points, liveAt - windowMs, liveAt);
  const after = meanOver(points, liveAt, liveAt + windowMs + 1);
  return {
    name: query.name,
    ...(query.unit ? { unit: query.unit } : {}),
    failWhen: query.failWhen,
    threshold: query.threshold,
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    worse: gotWorse(query, before, after, tolerance),
    points: points.filter(([, v]) => Number.isFinite(v)),
  };
}
