import { Config, ConfigReader } from '@backstage/config';
import { readClusters } from './clusters';
import {
  checkKeys,
  checkName,
  duration,
  invalid,
  nonNegative,
} from './configReader';
import { DEFAULT_LADDER, LadderDefaults, readLadder } from './readLadders';
import {
  checkExecutorClusters,
  EXTERNAL,
  readExecution,
  readExecutor,
} from './readExecutors';
import { readMetrics } from './readAnalysis';
import { readNotifications } from './readNotifications';
import { readKubernetes, readPreviews, readScorecard } from './readSettings';
import { readSupplyChain } from './readSupplyChain';
import { DeliveryConfig, LadderConfig, VulnerabilityLimits } from './types';

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
    'allowHttpUrls',
    'defaultExecutor',
    'execution',
    'idempotency',
    'supplyChain',
    'metrics',
    'notifications',
    // Read by the permission policy module, not by this plugin.
    'permissionPolicy',
  ]);
  const supplyChain = readSupplyChain(config?.getOptionalConfig('supplyChain'));
  const defaultExecutor = readExecutor(
    config?.getOptionalConfig('defaultExecutor'),
    'delivery.defaultExecutor',
    EXTERNAL,
  );

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

  const ladderDefaults: LadderDefaults = {
    vulnerabilities,
    executor: defaultExecutor,
    attestationPolicy: supplyChain.policy,
    keyIds: supplyChain.keys.map(k => k.id),
  };
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
        ladderDefaults,
      ),
    );
  }
  for (const name of ladderNames) {
    const path = `delivery.ladders.${name}`;
    checkName(name, path);
    ladders.set(
      name,
      readLadder(laddersConfig!.getConfig(name), name, path, ladderDefaults),
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

  const metrics = readMetrics(config?.getOptionalConfig('metrics'));
  for (const ladder of ladders.values()) {
    const analysed = ladder.environments.find(e => e.analysis);
    if (analysed && !metrics.prometheus) {
      throw invalid(
        `delivery.ladders.${ladder.name}`,
        `environment '${analysed.name}' has analysis queries, so configure delivery.metrics.prometheus.baseUrl`,
      );
    }
  }

  const demoFile = readDemoFile(config?.getOptionalConfig('demo'));
  const clusters = readClusters(root);
  checkExecutorClusters(ladders, clusters);
  const previews = readPreviews(config?.getOptionalConfig('previews'));
  if (previews && !clusters.has(previews.cluster)) {
    throw new Error(
      `delivery.previews.cluster '${
        previews.cluster
      }' is not a cluster of kubernetes.clusterLocatorMethods (configured: ${
        [...clusters.keys()].join(', ') || 'none'
      })`,
    );
  }

  return {
    defaultLadder,
    ladders,
    clusters,
    kubernetes: readKubernetes(config?.getOptionalConfig('kubernetes')),
    execution: readExecution(config?.getOptionalConfig('execution')),
    idempotency: readIdempotency(config?.getOptionalConfig('idempotency')),
    scorecard: readScorecard(config?.getOptionalConfig('scorecard')),
    previews,
    metrics,
    notifications: readNotifications(
      config?.getOptionalConfig('notifications'),
    ),
    imagePolicy: {
      forbiddenTags: policy?.getOptionalStringArray('forbiddenTags') ?? [],
      maxSizeBytes: maxSizeMb === undefined ? undefined : maxSizeMb * 1e6,
    },
    supplyChain,
    allowHttpUrls: config?.getOptionalBoolean('allowHttpUrls') ?? false,
    demoFile,
    demoSigningKey: readDemoSigningKey(
      config?.getOptionalConfig('demo'),
      supplyChain.keys.map(k => k.id),
    ),
  };
}

/** `delivery.demo.file`; an empty string (app-config.production.yaml) turns the demo off. */
function readDemoFile(demo: Config | undefined): string | undefined {
  const file = demo?.getOptional('file');
  if (file === undefined || file === '') return undefined;
  if (typeof file !== 'string') {
    throw invalid(
      'delivery.demo.file',
      'must be a path, or empty to turn the demo off',
    );
  }
  return file;
}

/** `delivery.demo.signingKey`: the private half of a trusted key, for demo attestations. */
function readDemoSigningKey(
  demo: Config | undefined,
  keyIds: string[],
): DeliveryConfig['demoSigningKey'] {
  checkKeys(demo, 'delivery.demo', ['file', 'signingKey']);
  const key = demo?.getOptionalConfig('signingKey');
  // Without a demo, the key is never used, nor checked against the trust.
  if (!key || !readDemoFile(demo)) return undefined;
  checkKeys(key, 'delivery.demo.signingKey', ['id', 'privateKey']);
  const id = key.getString('id');
  if (!keyIds.includes(id)) {
    throw invalid(
      'delivery.demo.signingKey.id',
      `'${id}' is not a key of delivery.supplyChain.keys, so its attestations would be refused`,
    );
  }
  return { id, privateKey: key.getString('privateKey') };
}

/** `delivery.idempotency`. */
function readIdempotency(config: Config | undefined) {
  const path = 'delivery.idempotency';
  checkKeys(config, path, ['lease']);
  return { leaseMs: duration(config, 'lease', path, 2 * 60_000) };
}
