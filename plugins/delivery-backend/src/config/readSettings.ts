import { Config } from '@backstage/config';
import { BUILT_IN_CHECKS } from '../domain/scorecard';
import {
  checkKeys,
  duration,
  invalid,
  NAME,
  readResources,
} from './configReader';
import {
  KubernetesSettings,
  PreviewSettings,
  ScorecardSettings,
} from './types';

/** Reading the settings of `delivery.kubernetes`, `.previews` and `.scorecard`. */

export function readScorecard(config: Config | undefined): ScorecardSettings {
  const path = 'delivery.scorecard';
  checkKeys(config, path, [
    'window',
    'restoreTarget',
    'previewGrace',
    'checks',
    'custom',
  ]);
  const disabled = new Set<string>();
  const fixUrls = new Map<string, string>();
  const checks = config?.getOptionalConfig('checks');
  for (const id of checks?.keys() ?? []) {
    const key = `${path}.checks.${id}`;
    if (!(BUILT_IN_CHECKS as readonly string[]).includes(id)) {
      throw invalid(
        key,
        `unknown check; expected one of ${BUILT_IN_CHECKS.join(', ')}`,
      );
    }
    const check = checks!.getConfig(id);
    checkKeys(check, key, ['enabled', 'fixUrl']);
    if (check.getOptionalBoolean('enabled') === false) disabled.add(id);
    const fixUrl = check.getOptionalString('fixUrl');
    if (fixUrl) fixUrls.set(id, fixUrl);
  }
  const ids = new Set<string>(BUILT_IN_CHECKS);
  const custom = (config?.getOptionalConfigArray('custom') ?? []).map(
    (c, i) => {
      const key = `${path}.custom[${i}]`;
      checkKeys(c, key, ['id', 'title', 'annotation', 'evidence', 'fixUrl']);
      const id = c.getString('id');
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(id) || ids.has(id)) {
        throw invalid(
          `${key}.id`,
          `'${id}' must be a unique lowercase id (letters, digits, -)`,
        );
      }
      ids.add(id);
      const annotation = c.getOptionalString('annotation');
      const evidence = c.getOptionalString('evidence');
      if (!annotation === !evidence) {
        throw invalid(key, 'give exactly one of annotation or evidence');
      }
      return {
        id,
        title: c.getString('title'),
        ...(annotation ? { annotation } : {}),
        ...(evidence ? { evidence } : {}),
        ...(c.getOptionalString('fixUrl')
          ? { fixUrl: c.getString('fixUrl') }
          : {}),
      };
    },
  );
  return {
    windowMs: duration(config, 'window', path, 90 * 86_400_000),
    restoreTargetMs: duration(config, 'restoreTarget', path, 3_600_000),
    previewGraceMs: duration(config, 'previewGrace', path, 15 * 60_000),
    disabled,
    fixUrls,
    custom,
  };
}

export function readKubernetes(config: Config | undefined): KubernetesSettings {
  const path = 'delivery.kubernetes';
  checkKeys(config, path, [
    'requestTimeout',
    'cacheTtl',
    'verificationInterval',
    'readinessGracePeriod',
    'watch',
  ]);
  return {
    watch: config?.getOptionalBoolean('watch') ?? true,
    requestTimeoutMs: duration(config, 'requestTimeout', path, 3000),
    cacheTtlMs: duration(config, 'cacheTtl', path, 15_000),
    verificationIntervalMs: duration(
      config,
      'verificationInterval',
      path,
      30_000,
    ),
    readinessGracePeriodMs: duration(
      config,
      'readinessGracePeriod',
      path,
      60_000,
    ),
  };
}

export function readPreviews(
  config: Config | undefined,
): PreviewSettings | undefined {
  if (!config) return undefined;
  const path = 'delivery.previews';
  checkKeys(config, path, [
    'cluster',
    'namespacePrefix',
    'defaultTtl',
    'maxTtl',
    'maxPerComponent',
    'reaperInterval',
    'resourceQuota',
    'limitRange',
    'pipelineClusterRole',
  ]);
  const namespacePrefix =
    config.getOptionalString('namespacePrefix') ?? 'preview';
  if (namespacePrefix.length > 20 || !NAME.test(namespacePrefix)) {
    throw invalid(
      `${path}.namespacePrefix`,
      `'${namespacePrefix}' must be a DNS label of at most 20 characters`,
    );
  }
  const defaultTtlMs = duration(config, 'defaultTtl', path, 24 * 3600_000);
  const maxTtlMs = duration(config, 'maxTtl', path, 7 * 24 * 3600_000);
  if (defaultTtlMs > maxTtlMs) {
    throw invalid(`${path}.defaultTtl`, 'is longer than maxTtl');
  }
  const maxPerComponent = config.getOptionalNumber('maxPerComponent') ?? 3;
  if (!Number.isInteger(maxPerComponent) || maxPerComponent < 1) {
    throw invalid(
      `${path}.maxPerComponent`,
      `must be a whole number >= 1, got ${maxPerComponent}`,
    );
  }
  const limitRange = config.getOptionalConfig('limitRange');
  checkKeys(limitRange, `${path}.limitRange`, ['defaultRequest', 'default']);
  return {
    cluster: config.getString('cluster'),
    namespacePrefix,
    defaultTtlMs,
    maxTtlMs,
    maxPerComponent,
    reaperIntervalMs: duration(config, 'reaperInterval', path, 60_000),
    resourceQuota: config.has('resourceQuota')
      ? readResources(
          config.getOptional('resourceQuota'),
          `${path}.resourceQuota`,
        )
      : {
          'requests.cpu': '2',
          'requests.memory': '4Gi',
          'limits.cpu': '4',
          'limits.memory': '8Gi',
          pods: '20',
        },
    limitRange: {
      defaultRequest: limitRange?.has('defaultRequest')
        ? readResources(
            limitRange.getOptional('defaultRequest'),
            `${path}.limitRange.defaultRequest`,
          )
        : { cpu: '100m', memory: '128Mi' },
      default: limitRange?.has('default')
        ? readResources(
            limitRange.getOptional('default'),
            `${path}.limitRange.default`,
          )
        : { cpu: '500m', memory: '512Mi' },
    },
    pipelineClusterRole:
      config.getOptionalString('pipelineClusterRole') ??
      'delivery-preview-deployer',
  };
}
