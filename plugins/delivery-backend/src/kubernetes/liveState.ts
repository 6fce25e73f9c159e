import { CacheService, LoggerService } from '@backstage/backend-plugin-api';
import { KUBERNETES_ANNOTATION } from '@backstage/plugin-kubernetes-common';
import { JsonObject } from '@backstage/types';
import { V1Pod } from '@kubernetes/client-node';
import { KubernetesCallError, KubernetesGateway } from './KubernetesGateway';
import {
  DeploymentState,
  digestOf,
  LiveState,
  repositoryOf,
  LiveTarget,
  PodState,
} from '../domain/liveState';

/** The workloads of a component carry this label, as for the official plugin. */
export const KUBERNETES_ID_LABEL = KUBERNETES_ANNOTATION;

/** The items of an optional list: none where it is not served (404) or not granted (403). */
async function optional<T>(list: Promise<{ items: T[] }>): Promise<T[]> {
  try {
    return (await list).items;
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 404 || code === 403) return [];
    throw error;
  }
}

/** Argo Rollouts' custom resource. */
export const ROLLOUT_RESOURCE = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'rollouts',
};

/** What runs for a component in one environment: the port services read. */
export interface LiveStateSource {
  read(target: LiveTarget, options?: { fresh?: boolean }): Promise<LiveState>;
}

function matches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

function podState(pod: V1Pod): PodState {
  const statuses = pod.status?.containerStatuses ?? [];
  const specDigests = (pod.spec?.containers ?? []).map(c => digestOf(c.image));
  const digests = statuses.length
    ? statuses.map(
        (s, i) => digestOf(s.imageID) ?? digestOf(s.image) ?? specDigests[i],
      )
    : specDigests;
  const byName = new Map(statuses.map(s => [s.name, s]));
  return {
    name: pod.metadata?.name ?? '',
    containers: (pod.spec?.containers ?? []).map(c => {
      const status = byName.get(c.name);
      return {
        name: c.name,
        repository: c.image ? repositoryOf(c.image) : undefined,
        digest:
          digestOf(status?.imageID) ??
          digestOf(status?.image) ??
          digestOf(c.image),
      };
    }),
    phase: pod.status?.phase ?? 'Unknown',
    ready: (pod.status?.conditions ?? []).some(
      c => c.type === 'Ready' && c.status === 'True',
    ),
    restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
    digests: [...new Set(digests.filter((d): d is string => Boolean(d)))],
    startedAt: pod.status?.startTime
      ? new Date(pod.status.startTime).getTime()
      : undefined,
  };
}

/** A Deployment, StatefulSet or Rollout: the fields live state reads. */
export interface WorkloadObject {
  metadata?: { name?: string };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: {
      spec?: { containers?: Array<{ name: string; image?: string }> };
    };
  };
  status?: {
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }>;
  };
}

function deploymentState(
  deployment: WorkloadObject,
  pods: V1Pod[],
  kind: DeploymentState['kind'] = 'Deployment',
): DeploymentState {
  const selector = deployment.spec?.selector?.matchLabels;
  return {
    kind,
    name: deployment.metadata?.name ?? '',
    replicas: {
      desired: deployment.spec?.replicas ?? 1,
      updated: deployment.status?.updatedReplicas ?? 0,
      ready: deployment.status?.readyReplicas ?? 0,
      available: deployment.status?.availableReplicas ?? 0,
    },
    images: (deployment.spec?.template?.spec?.containers ?? []).map(c => ({
      container: c.name,
      image: c.image ?? '',
      digest: digestOf(c.image),
    })),
    conditions: (deployment.status?.conditions ?? []).map(c => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    pods: pods.filter(p => matches(selector, p.metadata?.labels)).map(podState),
  };
}

/** The objects a component's live state is made of, as listed or watched. */
export interface LiveObjects {
  deployments: WorkloadObject[];
  statefulSets: WorkloadObject[];
  rollouts: WorkloadObject[];
  pods: V1Pod[];
}

/** A known live state from a component's objects in one namespace. */
export function liveStateOf(
  target: { cluster: string; namespace: string },
  objects: LiveObjects,
  now: number,
): LiveState {
  const { pods } = objects;
  return {
    state: 'known',
    cluster: target.cluster,
    namespace: target.namespace,
    observedAt: now,
    deployments: [
      ...objects.deployments.map(d => deploymentState(d, pods)),
      ...objects.statefulSets.map(s => deploymentState(s, pods, 'StatefulSet')),
      ...objects.rollouts.map(r => deploymentState(r, pods, 'Rollout')),
    ],
    runningDigests: [...new Set(pods.flatMap(p => podState(p).digests))].sort(),
  };
}

/**
 * What runs for a component in one environment, read from its cluster.
 * Never throws and never waits longer than the gateway's timeout: a cluster
 * that is slow, unreachable or forbids access gives an `unknown` state with
 * the reason. Results are cached briefly (known states longer than unknown
 * ones), in the backend's cache, which replicas share when it is Redis.
 */
export class LiveStateReader implements LiveStateSource {
  private readonly gateway: KubernetesGateway;
  private readonly cache: CacheService;
  private readonly cacheTtlMs: number;
  private readonly logger: LoggerService;
  private readonly clock: () => number;

  constructor(options: {
    gateway: KubernetesGateway;
    cache: CacheService;
    cacheTtlMs: number;
    logger: LoggerService;
    clock?: () => number;
  }) {
    this.gateway = options.gateway;
    this.cache = options.cache;
    this.cacheTtlMs = options.cacheTtlMs;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
  }

  async read(
    target: LiveTarget,
    options: { fresh?: boolean } = {},
  ): Promise<LiveState> {
    const now = this.clock();
    if (!target.kubernetesId) {
      return {
        state: 'unknown',
        cluster: target.cluster,
        namespace: target.namespace,
        observedAt: now,
        reason: `the component has no ${KUBERNETES_ANNOTATION} annotation`,
      };
    }
    if (!target.cluster) {
      return {
        state: 'unknown',
        namespace: target.namespace,
        observedAt: now,
        reason: 'the environment names no cluster',
      };
    }
    const key = `live:v1:${target.cluster}:${target.namespace}:${target.kubernetesId}`;
    if (!options.fresh) {
      const cached = await this.cache.get(key).catch(() => undefined);
      if (cached) return cached as unknown as LiveState;
    }
    const state = await this.readFromCluster(
      target as Required<LiveTarget>,
      now,
    );
    const ttl =
      state.state === 'known'
        ? this.cacheTtlMs
        : Math.min(this.cacheTtlMs, 5000);
    await this.cache
      .set(key, state as unknown as JsonObject, { ttl })
      .catch(error =>
        this.logger.warn(`Could not cache the live state of ${key}`, error),
      );
    return state;
  }

  private async readFromCluster(
    target: Required<LiveTarget>,
    now: number,
  ): Promise<LiveState> {
    const labelSelector = `${KUBERNETES_ID_LABEL}=${target.kubernetesId}`;
    try {
      const request = { namespace: target.namespace, labelSelector };
      const [deployments, statefulSets, rollouts, pods] =
        await this.gateway.call(target.cluster, (c, options) =>
          Promise.all([
            c.apps.listNamespacedDeployment(request, options),
            // StatefulSets and Argo Rollouts where the cluster has (and lets
            // us read) them; a cluster without the CRD has no Rollouts.
            optional(c.apps.listNamespacedStatefulSet(request, options)),
            optional(
              c.custom.listNamespacedCustomObject(
                { ...ROLLOUT_RESOURCE, ...request },
                options,
              ) as Promise<{ items: WorkloadObject[] }>,
            ),
            c.core.listNamespacedPod(request, options),
          ]),
        );
      return liveStateOf(
        target,
        {
          deployments: deployments.items,
          statefulSets: statefulSets as WorkloadObject[],
          rollouts,
          pods: pods.items,
        },
        now,
      );
    } catch (error) {
      const reason =
        error instanceof KubernetesCallError
          ? `${error.problem}: ${error.message}`
          : String(error);
      this.logger.debug(
        `Live state of ${target.kubernetesId} in ${target.namespace} unknown: ${reason}`,
      );
      return {
        state: 'unknown',
        cluster: target.cluster,
        namespace: target.namespace,
        observedAt: now,
        reason,
      };
    }
  }
}
