import { Config } from '@backstage/config';
import {
  ANALYSIS_PLACEHOLDERS,
  AnalysisConfig,
  AnalysisQuery,
} from '../domain/analysis';
import { checkKeys, duration, invalid, NAME, NAME_RULE } from './configReader';
import type { MetricsSettings } from './types';

/** Reading `delivery.metrics` and the ladders' and environments' `analysis`. */

export function readMetrics(config: Config | undefined): MetricsSettings {
  const path = 'delivery.metrics';
  checkKeys(config, path, [
    'prometheus',
    'comparison',
    'countWorseAsFailures',
    'organisationCacheTtl',
  ]);
  const prometheus = config?.getOptionalConfig('prometheus');
  checkKeys(prometheus, `${path}.prometheus`, ['baseUrl', 'token', 'timeout']);
  const comparison = config?.getOptionalConfig('comparison');
  checkKeys(comparison, `${path}.comparison`, [
    'window',
    'tolerance',
    'interval',
  ]);
  let baseUrl: string | undefined;
  if (prometheus) {
    baseUrl = prometheus.getString('baseUrl');
    if (!/^https?:\/\/[^/]/.test(baseUrl)) {
      throw invalid(
        `${path}.prometheus.baseUrl`,
        `'${baseUrl}' is not an http(s) URL such as http://prometheus:9090`,
      );
    }
  }
  const tolerance = comparison?.getOptionalNumber('tolerance') ?? 0.1;
  if (!(tolerance >= 0)) {
    throw invalid(
      `${path}.comparison.tolerance`,
      `must be a number >= 0, got ${tolerance}`,
    );
  }
  return {
    ...(baseUrl
      ? {
          prometheus: {
            baseUrl,
            token: prometheus!.getOptionalString('token'),
            timeoutMs: duration(
              prometheus,
              'timeout',
              `${path}.prometheus`,
              5_000,
            ),
          },
        }
      : {}),
    comparison: {
      windowMs: duration(comparison, 'window', `${path}.comparison`, 1_800_000),
      tolerance,
      intervalMs: duration(
        comparison,
        'interval',
        `${path}.comparison`,
        60_000,
      ),
    },
    countWorseAsFailures:
      config?.getOptionalBoolean('countWorseAsFailures') ?? false,
    organisationCacheTtlMs: duration(
      config,
      'organisationCacheTtl',
      path,
      0,
      true,
    ),
  };
}

function readQuery(config: Config, path: string): AnalysisQuery {
  checkKeys(config, path, ['name', 'query', 'threshold', 'failWhen', 'unit']);
  const name = config.getString('name');
  if (!NAME.test(name)) {
    throw invalid(
      `${path}.name`,
      `'${name}' is not a valid name; ${NAME_RULE}`,
    );
  }
  const query = config.getString('query');
  for (const token of query.match(/\{[a-z]+\}/g) ?? []) {
    if (!(ANALYSIS_PLACEHOLDERS as readonly string[]).includes(token)) {
      throw invalid(
        `${path}.query`,
        `unknown placeholder ${token}; use ${ANALYSIS_PLACEHOLDERS.join(', ')}`,
      );
    }
  }
  const threshold = config.getNumber('threshold');
  if (!Number.isFinite(threshold)) {
    throw invalid(`${path}.threshold`, `must be a number, got ${threshold}`);
  }
  const failWhen = config.getOptionalString('failWhen') ?? 'above';
  if (failWhen !== 'above' && failWhen !== 'below') {
    throw invalid(
      `${path}.failWhen`,
      `'${failWhen}' is not above or below (the side of the threshold that fails)`,
    );
  }
  const unit = config.getOptionalString('unit');
  return { name, query, threshold, failWhen, ...(unit ? { unit } : {}) };
}

/**
 * An `analysis` block: its queries, and `onUnknown` (`fail` or `continue`;
 * when not set, `fail` for production-like environments, decided where the
 * environment is known). Inherits `fallback` when absent.
 */
export function readAnalysis(
  config: Config | undefined,
  path: string,
  fallback: Partial<AnalysisConfig> | undefined,
): Partial<AnalysisConfig> | undefined {
  if (!config) return fallback;
  checkKeys(config, path, ['queries', 'onUnknown']);
  const onUnknown = config.getOptionalString('onUnknown');
  if (
    onUnknown !== undefined &&
    onUnknown !== 'fail' &&
    onUnknown !== 'continue'
  ) {
    throw invalid(
      `${path}.onUnknown`,
      `'${onUnknown}' is not fail or continue`,
    );
  }
  const queries = (config.getOptionalConfigArray('queries') ?? []).map((q, i) =>
    readQuery(q, `${path}.queries[${i}]`),
  );
  const seen = new Set<string>();
  queries.forEach((q, i) => {
    if (seen.has(q.name)) {
      throw invalid(`${path}.queries[${i}].name`, `'${q.name}' appears twice`);
    }
    seen.add(q.name);
  });
  return {
    queries,
    ...(onUnknown
      ? { onUnknown: onUnknown as AnalysisConfig['onUnknown'] }
      : {}),
  };
}
