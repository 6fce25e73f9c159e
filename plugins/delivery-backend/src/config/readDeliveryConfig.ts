import {
  Config,
  ConfigReader,
  readDurationFromConfig,
} from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  EVIDENCE_KINDS,
  EvidenceKind,
  ROLLOUT_STRATEGIES,
  RolloutStrategy,
} from '@backstage-delivery/plugin-delivery-common';
import { DateTime, Duration, IANAZone } from 'luxon';
import {
  AllowedWindow,
  DeliveryConfig,
  DeployWindows,
  EnvironmentConfig,
  Freeze,
  KubernetesSettings,
  LadderConfig,
  PreviewSettings,
  RollbackThresholds,
  ScorecardSettings,
  VulnerabilityLimits,
} from './types';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME_RULE =
  'use lowercase letters, digits and "-", starting and ending with a letter or digit (at most 63)';
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const NAMESPACE_TOKENS = ['{component}', '{namespace}', '{environment}'];

/** When no ladder is configured: dev → staging → production, no gates. */
const DEFAULT_LADDER = {
  default: {
    title: 'Default',
    environments: [
      { name: 'dev', title: 'Development' },
      { name: 'staging', title: 'Staging' },
      { name: 'production', title: 'Production' },
    ],
  },
};

function invalid(key: string, problem: string): Error {
  return new Error(`Invalid delivery config at '${key}': ${problem}`);
}

/** Refuses keys the plugin does not know, which are usually typos. */
function checkKeys(config: Config | undefined, path: string, known: string[]) {
  for (const key of config?.keys() ?? []) {
    if (!known.includes(key)) {
      throw invalid(
        path ? `${path}.${key}` : key,
        `unknown key; expected one of ${known.join(', ')}`,
      );
    }
  }
}

function checkName(value: string, key: string) {
  if (value.length > 63 || !NAME.test(value)) {
    throw invalid(key, `'${value}' is not a valid name; ${NAME_RULE}`);
  }
}

function nonNegative(config: Config, key: string, path: string) {
  const value = config.getOptionalNumber(key);
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw invalid(`${path}.${key}`, `must be a number >= 0, got ${value}`);
  }
  return value;
}

function readThresholds(config: Config | undefined, path: string) {
  const thresholds: RollbackThresholds = {};
  if (!config) return thresholds;
  for (const key of config.keys()) {
    if (
      ![
        'maxErrorRate',
        'maxRestarts',
        'maxReadinessFailures',
        'maxP95LatencyMs',
      ].includes(key)
    ) {
      throw invalid(
        `${path}.${key}`,
        'unknown threshold; use maxErrorRate, maxRestarts, maxReadinessFailures or maxP95LatencyMs',
      );
    }
  }
  thresholds.maxErrorRate = nonNegative(config, 'maxErrorRate', path);
  if (thresholds.maxErrorRate !== undefined && thresholds.maxErrorRate > 1) {
    throw invalid(
      `${path}.maxErrorRate`,
      `is a share of requests between 0 and 1, got ${thresholds.maxErrorRate}`,
    );
  }
  thresholds.maxRestarts = nonNegative(config, 'maxRestarts', path);
  thresholds.maxReadinessFailures = nonNegative(
    config,
    'maxReadinessFailures',
    path,
  );
  thresholds.maxP95LatencyMs = nonNegative(config, 'maxP95LatencyMs', path);
  return thresholds;
}

function readWindows(
  config: Config | undefined,
  path: string,
): DeployWindows | undefined {
  if (!config) return undefined;
  checkKeys(config, path, ['timezone', 'allow', 'freezes']);
  const timezone = config.getOptionalString('timezone') ?? 'UTC';
  if (!IANAZone.isValidZone(timezone)) {
    throw invalid(
      `${path}.timezone`,
      `'${timezone}' is not an IANA time zone such as Europe/Berlin or UTC`,
    );
  }
  const allow: AllowedWindow[] = (
    config.getOptionalConfigArray('allow') ?? []
  ).map((window, i) => {
    const key = `${path}.allow[${i}]`;
    checkKeys(window, key, ['days', 'from', 'to']);
    const days = (window.getOptionalStringArray('days') ?? WEEKDAYS).map(
      (day, j) => {
        const index = WEEKDAYS.indexOf(day.toLocaleLowerCase('en-US'));
        if (index < 0) {
          throw invalid(
            `${key}.days[${j}]`,
            `'${day}' is not a day; use ${WEEKDAYS.join(', ')}`,
          );
        }
        return index + 1;
      },
    );
    const minute = (field: 'from' | 'to') => {
      const value = window.getString(field);
      const match = TIME_OF_DAY.exec(value);
      if (!match) {
        throw invalid(
          `${key}.${field}`,
          `'${value}' is not a time of day HH:mm`,
        );
      }
      return Number(match[1]) * 60 + Number(match[2]);
    };
    const fromMinute = minute('from');
    const toMinute = minute('to');
    if (fromMinute === toMinute) {
      throw invalid(
        `${key}`,
        'from and to are equal; the window would be empty',
      );
    }
    const dayLabel =
      days.length === 7
        ? 'every day'
        : days.map(d => WEEKDAYS[d - 1]).join(',');
    return {
      days,
      fromMinute,
      toMinute,
      label: `${dayLabel} ${window.getString('from')}-${window.getString(
        'to',
      )} ${timezone}`,
    };
  });
  const freezes: Freeze[] = (
    config.getOptionalConfigArray('freezes') ?? []
  ).map((freeze, i) => {
    const key = `${path}.freezes[${i}]`;
    checkKeys(freeze, key, ['from', 'to', 'reason']);
    const instant = (field: 'from' | 'to') => {
      const value = freeze.getString(field);
      const parsed = DateTime.fromISO(value, { zone: timezone });
      if (!parsed.isValid) {
        throw invalid(
          `${key}.${field}`,
          `'${value}' is not an ISO 8601 date-time such as 2026-12-20T00:00`,
        );
      }
      return parsed.toMillis();
    };
    const from = instant('from');
    const to = instant('to');
    if (to <= from) {
      throw invalid(key, 'the freeze ends before it starts');
    }
    return { from, to, reason: freeze.getOptionalString('reason') };
  });
  return { timezone, allow, freezes };
}

function readEnvironment(
  config: Config,
  path: string,
  vulnerabilities: Map<string, VulnerabilityLimits>,
): EnvironmentConfig {
  checkKeys(config, path, [
    'name',
    'title',
    'cluster',
    'namespace',
    'requiredEvidence',
    'soakTime',
    'approvals',
    'strategy',
    'rollbackThresholds',
    'windows',
    'rollback',
  ]);
  const name = config.getString('name');
  checkName(name, `${path}.name`);

  const namespace =
    config.getOptionalString('namespace') ?? '{component}-{environment}';
  for (const token of namespace.match(/\{[^}]*\}/g) ?? []) {
    if (!NAMESPACE_TOKENS.includes(token)) {
      throw invalid(
        `${path}.namespace`,
        `unknown placeholder ${token}; use ${NAMESPACE_TOKENS.join(', ')}`,
      );
    }
  }

  const requiredEvidence = (
    config.getOptionalStringArray('requiredEvidence') ?? []
  ).map((kind, i) => {
    if (!(EVIDENCE_KINDS as readonly string[]).includes(kind)) {
      throw invalid(
        `${path}.requiredEvidence[${i}]`,
        `'${kind}' is not an evidence kind; use ${EVIDENCE_KINDS.join(', ')}`,
      );
    }
    return kind as EvidenceKind;
  });

  let soakTimeMs = 0;
  if (config.has('soakTime')) {
    try {
      soakTimeMs = Duration.fromObject(
        readDurationFromConfig(config, { key: 'soakTime' }),
      ).toMillis();
    } catch (error) {
      throw invalid(`${path}.soakTime`, (error as Error).message);
    }
  }

  const approvalsConfig = config.getOptionalConfig('approvals');
  checkKeys(approvalsConfig, `${path}.approvals`, ['count', 'groups']);
  checkKeys(config.getOptionalConfig('rollback'), `${path}.rollback`, [
    'requireApprovals',
  ]);
  const count = approvalsConfig?.getOptionalNumber('count') ?? 0;
  if (!Number.isInteger(count) || count < 0) {
    throw invalid(
      `${path}.approvals.count`,
      `must be a whole number >= 0, got ${count}`,
    );
  }
  const groups = (approvalsConfig?.getOptionalStringArray('groups') ?? []).map(
    (ref, i) => {
      try {
        return stringifyEntityRef(
          parseEntityRef(ref, { defaultKind: 'group' }),
        );
      } catch (error) {
        throw invalid(
          `${path}.approvals.groups[${i}]`,
          `'${ref}' is not an entity ref such as group:default/platform`,
        );
      }
    },
  );
  if (count > 0 && groups.length === 0) {
    throw invalid(
      `${path}.approvals.groups`,
      `${count} approval(s) are required, so name the groups whose members may approve`,
    );
  }

  const strategy = config.getOptionalString('strategy') ?? 'rolling';
  if (!(ROLLOUT_STRATEGIES as readonly string[]).includes(strategy)) {
    throw invalid(
      `${path}.strategy`,
      `'${strategy}' is not one of ${ROLLOUT_STRATEGIES.join(', ')}`,
    );
  }

  return {
    name,
    title: config.getOptionalString('title') ?? name,
    cluster: config.getOptionalString('cluster'),
    namespace,
    requiredEvidence,
    soakTimeMs,
    approvals: { count, groups },
    strategy: strategy as RolloutStrategy,
    rollbackThresholds: readThresholds(
      config.getOptionalConfig('rollbackThresholds'),
      `${path}.rollbackThresholds`,
    ),
    windows: readWindows(
      config.getOptionalConfig('windows'),
      `${path}.windows`,
    ),
    rollbackRequiresApprovals:
      config.getOptionalBoolean('rollback.requireApprovals') ?? false,
    vulnerabilityLimits: vulnerabilities.get(name),
  };
}

/** The ids of the built-in scorecard checks. */
export const BUILT_IN_CHECKS = [
  'ladder-order',
  'signed-releases',
  'required-evidence',
  'image-policy',
  'previews-ttl',
  'restore-target',
  'catalog-annotations',
] as const;

function readScorecard(config: Config | undefined): ScorecardSettings {
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

/**
 * Reads and validates the `delivery` configuration. Throws an error naming
 * the offending key for anything invalid, so that the backend refuses to start
 * with a config it would misread.
 */
export function readDeliveryConfig(root: Config): DeliveryConfig {
  const config = root.getOptionalConfig('delivery');
  checkKeys(config, 'delivery', [
    'defaultLadder',
    'ladders',
    'imagePolicy',
    'kubernetes',
    'previews',
    'scorecard',
    'demo',
  ]);

  const policy = config?.getOptionalConfig('imagePolicy');
  checkKeys(policy, 'delivery.imagePolicy', [
    'forbiddenTags',
    'maxSizeMb',
    'vulnerabilities',
  ]);
  const maxSizeMb = policy
    ? nonNegative(policy, 'maxSizeMb', 'delivery.imagePolicy')
    : undefined;
  const vulnerabilities = new Map<string, VulnerabilityLimits>();
  const vulnConfig = policy?.getOptionalConfig('vulnerabilities');
  for (const env of vulnConfig?.keys() ?? []) {
    const path = `delivery.imagePolicy.vulnerabilities.${env}`;
    const limits = vulnConfig!.getConfig(env);
    checkKeys(limits, path, ['maxCritical', 'maxHigh']);
    vulnerabilities.set(env, {
      maxCritical: nonNegative(limits, 'maxCritical', path),
      maxHigh: nonNegative(limits, 'maxHigh', path),
    });
  }

  const laddersConfig = config?.getOptionalConfig('ladders');
  const ladderNames = laddersConfig?.keys() ?? [];
  const ladders = new Map<string, LadderConfig>();
  if (ladderNames.length === 0) {
    const fallback = new ConfigReader(DEFAULT_LADDER);
    ladders.set(
      'default',
      readLadder(
        fallback.getConfig('default'),
        'default',
        'delivery.ladders.default',
        vulnerabilities,
      ),
    );
  }
  for (const name of ladderNames) {
    const path = `delivery.ladders.${name}`;
    checkName(name, path);
    ladders.set(
      name,
      readLadder(laddersConfig!.getConfig(name), name, path, vulnerabilities),
    );
  }

  const configuredDefault = config?.getOptionalString('defaultLadder');
  let defaultLadder: string;
  if (configuredDefault !== undefined) {
    if (!ladders.has(configuredDefault)) {
      throw invalid(
        'delivery.defaultLadder',
        `there is no ladder '${configuredDefault}'; configured ladders: ${[
          ...ladders.keys(),
        ].join(', ')}`,
      );
    }
    defaultLadder = configuredDefault;
  } else if (ladders.size === 1) {
    defaultLadder = [...ladders.keys()][0];
  } else {
    throw invalid(
      'delivery.defaultLadder',
      `required when several ladders are configured (${[...ladders.keys()].join(
        ', ',
      )})`,
    );
  }

  for (const env of vulnerabilities.keys()) {
    const known = [...ladders.values()].some(l =>
      l.environments.some(e => e.name === env),
    );
    if (!known) {
      throw invalid(
        `delivery.imagePolicy.vulnerabilities.${env}`,
        `no ladder has an environment '${env}'`,
      );
    }
  }

  return {
    defaultLadder,
    ladders,
    kubernetes: readKubernetes(config?.getOptionalConfig('kubernetes')),
    scorecard: readScorecard(config?.getOptionalConfig('scorecard')),
    previews: readPreviews(config?.getOptionalConfig('previews')),
    imagePolicy: {
      forbiddenTags: policy?.getOptionalStringArray('forbiddenTags') ?? [],
      maxSizeBytes: maxSizeMb === undefined ? undefined : maxSizeMb * 1e6,
    },
    demoFile: config?.getOptionalString('demo.file') || undefined,
  };
}

function duration(
  config: Config | undefined,
  key: string,
  path: string,
  fallbackMs: number,
): number {
  if (!config?.has(key)) return fallbackMs;
  let ms: number;
  try {
    ms = Duration.fromObject(
      readDurationFromConfig(config, { key }),
    ).toMillis();
  } catch (error) {
    throw invalid(`${path}.${key}`, (error as Error).message);
  }
  if (!(ms > 0)) {
    throw invalid(`${path}.${key}`, 'must be longer than zero');
  }
  return ms;
}

function readKubernetes(config: Config | undefined): KubernetesSettings {
  const path = 'delivery.kubernetes';
  checkKeys(config, path, [
    'requestTimeout',
    'cacheTtl',
    'verificationInterval',
    'readinessGracePeriod',
  ]);
  return {
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

/** A map of resource names to quantities; names may contain dots (requests.cpu). */
function readResources(raw: unknown, path: string) {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(
      path,
      'must map resource names to quantities, e.g. { pods: 20 }',
    );
  }
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw invalid(
        `${path}.${key}`,
        'must be a quantity such as 500m, 2 or 4Gi',
      );
    }
    result[key] = String(value);
  }
  return result;
}

function readPreviews(config: Config | undefined): PreviewSettings | undefined {
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

function readLadder(
  config: Config,
  name: string,
  path: string,
  vulnerabilities: Map<string, VulnerabilityLimits>,
): LadderConfig {
  checkKeys(config, path, ['title', 'environments']);
  const environments = config
    .getConfigArray('environments')
    .map((env, i) =>
      readEnvironment(env, `${path}.environments[${i}]`, vulnerabilities),
    );
  if (environments.length === 0) {
    throw invalid(
      `${path}.environments`,
      'a ladder needs at least one environment',
    );
  }
  const seen = new Set<string>();
  environments.forEach((env, i) => {
    if (seen.has(env.name)) {
      throw invalid(
        `${path}.environments[${i}].name`,
        `environment '${env.name}' appears twice in the ladder`,
      );
    }
    seen.add(env.name);
  });
  return {
    name,
    title: config.getOptionalString('title') ?? name,
    environments,
  };
}
