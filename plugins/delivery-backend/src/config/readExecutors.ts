import { Config } from '@backstage/config';
import {
  EXECUTOR_TYPES,
  ExecutionSettings,
  ExecutorConfig,
} from '../domain/executions';
import { checkKeys, duration, invalid } from './configReader';
import type { ClusterConfig } from './clusters';
import type { LadderConfig } from './types';

/** The executor of environments that name none, unless configured. */
export const EXTERNAL: ExecutorConfig = { type: 'external' };

const MINUTE = 60_000;

/**
 * Reads an executor (`delivery.defaultExecutor`, or an environment's
 * `executor`); `fallback` applies when there is none.
 */
export function readExecutor(
  config: Config | undefined,
  path: string,
  fallback: ExecutorConfig,
): ExecutorConfig {
  if (!config) return fallback;
  const type = config.getString('type');
  if (!(EXECUTOR_TYPES as readonly string[]).includes(type)) {
    throw invalid(
      `${path}.type`,
      `'${type}' is not an executor; use one of ${EXECUTOR_TYPES.join(', ')}`,
    );
  }
  const rollout = () => ({
    rolloutTimeoutMs: duration(config, 'rolloutTimeout', path, 10 * MINUTE),
    verificationWindowMs: duration(
      config,
      'verificationWindow',
      path,
      5 * MINUTE,
    ),
  });
  switch (type) {
    case 'kubernetes':
      checkKeys(config, path, [
        'type',
        'container',
        'rolloutTimeout',
        'verificationWindow',
        'canary',
      ]);
      return {
        type,
        container: config.getOptionalString('container'),
        ...rollout(),
        canary: readNativeCanary(
          config.getOptionalConfig('canary'),
          `${path}.canary`,
        ),
      };
    case 'gitops': {
      checkKeys(config, path, [
        'type',
        'repository',
        'branch',
        'path',
        'image',
        'rolloutTimeout',
        'verificationWindow',
      ]);
      const repository = config.getOptionalString('repository');
      if (repository && !/^(https?|file):\/\//.test(repository)) {
        throw invalid(
          `${path}.repository`,
          `'${repository}' is not an https:// URL of a Git repository`,
        );
      }
      const file =
        config.getOptionalString('path') ??
        'deploy/overlays/{environment}/kustomization.yaml';
      if (file.startsWith('/') || file.split('/').includes('..')) {
        throw invalid(
          `${path}.path`,
          `'${file}' must be relative to the repository root`,
        );
      }
      return {
        type,
        repository,
        branch: config.getOptionalString('branch') ?? 'main',
        path: file,
        image: config.getOptionalString('image') ?? 'app',
        ...rollout(),
      };
    }
    case 'github-actions':
      checkKeys(config, path, [
        'type',
        'workflow',
        'ref',
        'host',
        'reportTimeout',
      ]);
      return {
        type,
        workflow: config.getOptionalString('workflow') ?? 'deploy.yaml',
        ref: config.getOptionalString('ref') ?? 'main',
        host: config.getOptionalString('host') ?? 'github.com',
        reportTimeoutMs: duration(config, 'reportTimeout', path, 15 * MINUTE),
      };
    default:
      checkKeys(config, path, ['type']);
      return EXTERNAL;
  }
}

/** `delivery.execution`: how the executors' scheduled task runs. */
export function readExecution(config: Config | undefined): ExecutionSettings {
  const path = 'delivery.execution';
  checkKeys(config, path, ['interval', 'lease', 'maxAttempts']);
  const maxAttempts = config?.getOptionalNumber('maxAttempts') ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw invalid(
      `${path}.maxAttempts`,
      `must be a whole number >= 1, got ${maxAttempts}`,
    );
  }
  const intervalMs = duration(config, 'interval', path, 5000);
  const leaseMs = duration(config, 'lease', path, 2 * MINUTE);
  if (leaseMs < 4 * intervalMs) {
    throw invalid(
      `${path}.lease`,
      'must be at least four intervals, so that a live claim is never taken over',
    );
  }
  return { intervalMs, leaseMs, maxAttempts };
}

/**
 * Executors that follow the rollout in a cluster need the environment's
 * cluster to be configured: say which environment and what to fix.
 */
export function checkExecutorClusters(
  ladders: Map<string, LadderConfig>,
  clusters: Map<string, ClusterConfig>,
) {
  for (const ladder of ladders.values()) {
    ladder.environments.forEach((env, i) => {
      const { type } = env.executor;
      if (type !== 'kubernetes' && type !== 'gitops') return;
      if (env.cluster && clusters.has(env.cluster)) return;
      throw invalid(
        `delivery.ladders.${ladder.name}.environments[${i}].executor`,
        `the ${type} executor follows the rollout in the environment's cluster, but ${
          env.cluster
            ? `'${
                env.cluster
              }' is not a cluster of kubernetes.clusterLocatorMethods (configured: ${
                [...clusters.keys()].join(', ') || 'none'
              })`
            : `${env.name} names no cluster`
        }`,
      );
    });
  }
}

/** `executor.canary` of the kubernetes executor: steps in % and how long each runs. */
function readNativeCanary(config: Config | undefined, path: string) {
  checkKeys(config, path, ['steps', 'stepDuration']);
  const raw = config?.getOptional('steps') ?? [25, 50];
  const steps = Array.isArray(raw) ? (raw as number[]) : [NaN];
  steps.forEach((step, i) => {
    if (
      typeof step !== 'number' ||
      !Number.isFinite(step) ||
      step <= 0 ||
      step >= 100 ||
      (i > 0 && step <= steps[i - 1])
    ) {
      throw invalid(
        `${path}.steps`,
        `must be rising shares between 0 and 100 (exclusive), e.g. [10, 50]; got [${steps.join(
          ', ',
        )}]`,
      );
    }
  });
  return {
    steps,
    stepDurationMs: duration(config, 'stepDuration', path, MINUTE),
  };
}
