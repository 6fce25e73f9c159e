import { Config, readDurationFromConfig } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ROLLOUT_STRATEGIES,
  RolloutStrategy,
} from '@backstage-delivery/plugin-delivery-common';
import { DateTime, Duration, IANAZone } from 'luxon';
import type { AttestationPolicy } from '../domain/attestations';
import { ExecutorConfig } from '../domain/executions';
import { checkKeys, checkName, invalid, nonNegative } from './configReader';
import { readExecutor } from './readExecutors';
import { readAnalysis } from './readAnalysis';
import type { AnalysisConfig } from '../domain/analysis';
import { readAttestationPolicy, readRequiredEvidence } from './readSupplyChain';
import {
  AllowedWindow,
  DeployWindows,
  EnvironmentConfig,
  Freeze,
  LadderConfig,
  RollbackThresholds,
  VulnerabilityLimits,
} from './types';

/** Reading `delivery.ladders`: environments, their gates, thresholds and windows. */

/** What a ladder's environments inherit when they set nothing themselves. */
export interface LadderDefaults {
  vulnerabilities: Map<string, VulnerabilityLimits>;
  executor: ExecutorConfig;
  attestationPolicy: AttestationPolicy;
  /** Ids of `delivery.supplyChain.keys`, which key signers must name. */
  keyIds: string[];
  /** The ladder's `analysis`, for environments that set none. */
  analysis?: Partial<AnalysisConfig>;
  /** The ladder's `strategy`, for environments that set none. */
  strategy?: string;
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const NAMESPACE_TOKENS = ['{component}', '{namespace}', '{environment}'];

/** When no ladder is configured: dev → staging → production, no gates. */
export const DEFAULT_LADDER = {
  default: {
    title: 'Default',
    environments: [
      { name: 'dev', title: 'Development' },
      { name: 'staging', title: 'Staging' },
      { name: 'production', title: 'Production' },
    ],
  },
};

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
  defaults: LadderDefaults,
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
    'executor',
    'supplyChain',
    'analysis',
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

  const { requiredEvidence, verifiedEvidence } = readRequiredEvidence(
    config,
    path,
  );

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
  checkKeys(approvalsConfig, `${path}.approvals`, [
    'count',
    'groups',
    'outsideCommittingTeam',
  ]);
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

  const strategy =
    config.getOptionalString('strategy') ?? defaults.strategy ?? 'rolling';
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
    verifiedEvidence,
    attestationPolicy: readAttestationPolicy(
      config.getOptionalConfig('supplyChain'),
      `${path}.supplyChain`,
      defaults.attestationPolicy,
      defaults.keyIds,
    ),
    soakTimeMs,
    approvals: {
      count,
      groups,
      outsideCommittingTeam:
        approvalsConfig?.getOptionalBoolean('outsideCommittingTeam') ?? false,
    },
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
    vulnerabilityLimits: defaults.vulnerabilities.get(name),
    executor: readExecutor(
      config.getOptionalConfig('executor'),
      `${path}.executor`,
      defaults.executor,
    ),
    analysis: readAnalysis(
      config.getOptionalConfig('analysis'),
      `${path}.analysis`,
      defaults.analysis,
    ) as AnalysisConfig | undefined,
  };
}

export function readLadder(
  config: Config,
  name: string,
  path: string,
  defaults: LadderDefaults,
): LadderConfig {
  checkKeys(config, path, [
    'title',
    'environments',
    'executor',
    'supplyChain',
    'analysis',
    'strategy',
  ]);
  // The ladder's own executor and policy, for its environments that set none.
  const ladderDefaults: LadderDefaults = {
    ...defaults,
    executor: readExecutor(
      config.getOptionalConfig('executor'),
      `${path}.executor`,
      defaults.executor,
    ),
    attestationPolicy: readAttestationPolicy(
      config.getOptionalConfig('supplyChain'),
      `${path}.supplyChain`,
      defaults.attestationPolicy,
      defaults.keyIds,
    ),
    analysis: readAnalysis(
      config.getOptionalConfig('analysis'),
      `${path}.analysis`,
      undefined,
    ),
    strategy: config.getOptionalString('strategy'),
  };
  const environments = config
    .getConfigArray('environments')
    .map((env, i) =>
      readEnvironment(env, `${path}.environments[${i}]`, ladderDefaults),
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
  // Analysis without a word on unknown answers fails closed in production.
  environments.forEach((env, i) => {
    if (!env.analysis) return;
    if (!env.analysis.queries?.length) {
      env.analysis = undefined;
      return;
    }
    env.analysis = {
      queries: env.analysis.queries,
      onUnknown:
        env.analysis.onUnknown ??
        (i === environments.length - 1 ? 'fail' : 'continue'),
    };
  });
  return {
    name,
    title: config.getOptionalString('title') ?? name,
    environments,
  };
}
