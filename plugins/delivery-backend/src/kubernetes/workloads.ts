import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  ArgoRolloutObject,
  RolloutAction,
  rolloutActionPatches,
  rolloutStepState,
  RolloutStepState,
} from '../domain/argoRollouts';
import { WorkloadStatus } from '../domain/executions';
import { TRACK_LABEL } from '../domain/nativeStrategies';
import { KubernetesCallError, KubernetesGateway } from './KubernetesGateway';
import { KUBERNETES_ID_LABEL, ROLLOUT_RESOURCE } from './liveState';

/** The annotation that names the promotion that last set a workload's images. */
export const PROMOTION_ANNOTATION = 'delivery.backstage.io/promotion-id';

export { ROLLOUT_RESOURCE };

export type WorkloadKind = 'Deployment' | 'Rollout';

/** A component's workload in one namespace: its containers and rollout status. */
export interface Workload {
  kind: WorkloadKind;
  name: string;
  containers: Array<{ name: string; image: string }>;
  status: WorkloadStatus;
  /** A Rollout as read, to judge its steps (Rollouts only). */
  rollout?: ArgoRolloutObject;
}

/** Where a workload lives. */
export interface WorkloadTarget {
  cluster: string;
  namespace: string;
}

/** What the executors need of a cluster: the port they depend on. */
export interface WorkloadPort {
  /** The component's Deployments and Rollouts (labelled with its kubernetes-id). */
  list(target: WorkloadTarget, kubernetesId: string): Promise<Workload[]>;
  /** Sets container images of a workload, and notes the promotion on it. */
  setImages(
    target: WorkloadTarget,
    workload: { kind?: WorkloadKind; name: string },
    images: Array<{ container: string; image: string }>,
    promotionId: string,
  ): Promise<void>;
  /** Promotes or aborts a Rollout as `kubectl argo rollouts` does; its state after. */
  rolloutAction(
    target: WorkloadTarget,
    name: string,
    action: RolloutAction,
  ): Promise<RolloutStepState>;
}

/**
 * A Deployment's or a Rollout's status as the executors judge it (a Rollout
 * reports its observed generation as a string).
 */
export function statusOf(w: {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number | string;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    replicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string }>;
  };
}): WorkloadStatus {
  return {
    name: w.metadata?.name ?? '',
    generation: w.metadata?.generation ?? 0,
    observedGeneration: Number(w.status?.observedGeneration ?? 0) || 0,
    desired: w.spec?.replicas ?? 1,
    updated: w.status?.updatedReplicas ?? 0,
    ready: w.status?.readyReplicas ?? 0,
    available: w.status?.availableReplicas ?? 0,
    total: w.status?.replicas ?? 0,
    conditions: (w.status?.conditions ?? []).map(c => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
    })),
  };
}

const containersOf = (
  spec: { containers?: Array<{ name: string; image?: string }> } | undefined,
) =>
  (spec?.containers ?? []).map(c => ({ name: c.name, image: c.image ?? '' }));

/**
 * Deployments and Argo Rollouts of a component, read and patched through the
 * gateway (bounded time, classified errors). Needs get, list and patch on
 * Deployments and on rollouts (and rollouts/status for promote and abort) in
 * the environment namespaces (examples/kubernetes/delivery-executor-rbac.yaml).
 * A cluster without the Rollout CRD simply has no Rollouts.
 */
export class KubernetesWorkloads implements WorkloadPort {
  constructor(private readonly gateway: KubernetesGateway) {}

  async list(
    target: WorkloadTarget,
    kubernetesId: string,
  ): Promise<Workload[]> {
    const labelSelector = `${KUBERNETES_ID_LABEL}=${kubernetesId}`;
    const [deployments, rollouts] = await Promise.all([
      this.gateway.call(target.cluster, (c, options) =>
        c.apps.listNamespacedDeployment(
          { namespace: target.namespace, labelSelector },
          options,
        ),
      ),
      this.listRollouts(target, labelSelector),
    ]);
    return [
      // Deployments of a track (a native canary or preview) belong to the executor.
      ...deployments.items
        .filter(d => !d.metadata?.labels?.[TRACK_LABEL])
        .map(d => ({
          kind: 'Deployment' as const,
          name: d.metadata?.name ?? '',
          containers: containersOf(d.spec?.template?.spec),
          status: statusOf(d),
        })),
      ...rollouts.map(r => ({
        kind: 'Rollout' as const,
        name: r.metadata?.name ?? '',
        containers: containersOf(r.spec?.template?.spec),
        status: statusOf(r),
        rollout: r,
      })),
    ];
  }

  /** The Rollouts with a label; none where the CRD is not installed. */
  async listRollouts(
    target: WorkloadTarget,
    labelSelector: string,
  ): Promise<ArgoRolloutObject[]> {
    try {
      const list = (await this.gateway.call(target.cluster, (c, options) =>
        c.custom.listNamespacedCustomObject(
          { ...ROLLOUT_RESOURCE, namespace: target.namespace, labelSelector },
          options,
        ),
      )) as { items?: ArgoRolloutObject[] };
      return list.items ?? [];
    } catch (error) {
      if (error instanceof KubernetesCallError && error.problem === 'not-found')
        return [];
      throw error;
    }
  }

  private async getRollout(
    target: WorkloadTarget,
    name: string,
  ): Promise<ArgoRolloutObject> {
    return (await this.gateway.call(target.cluster, (c, options) =>
      c.custom.getNamespacedCustomObject(
        { ...ROLLOUT_RESOURCE, namespace: target.namespace, name },
        options,
      ),
    )) as ArgoRolloutObject;
  }

  async setImages(
    target: WorkloadTarget,
    workload: { kind?: WorkloadKind; name: string },
    images: Array<{ container: string; image: string }>,
    promotionId: string,
  ): Promise<void> {
    if (workload.kind === 'Rollout') {
      await this.setRolloutImages(target, workload.name, images, promotionId);
      return;
    }
    await this.gateway.call(target.cluster, (c, options) =>
      c.apps.patchNamespacedDeployment(
        {
          name: workload.name,
          namespace: target.namespace,
          body: {
            metadata: { annotations: { [PROMOTION_ANNOTATION]: promotionId } },
            spec: {
              template: {
                spec: {
                  containers: images.map(i => ({
                    name: i.container,
                    image: i.image,
                  })),
                },
              },
            },
          },
        },
        setHeaderOptions(
          'Content-Type',
          PatchStrategy.StrategicMergePatch,
          options,
        ),
      ),
    );
  }

  /**
   * A custom resource takes no strategic merge patch: a JSON patch replaces
   * each image by index, after testing the container's name there, so a
   * template changed in between fails the patch instead of the wrong one.
   */
  private async setRolloutImages(
    target: WorkloadTarget,
    name: string,
    images: Array<{ container: string; image: string }>,
    promotionId: string,
  ) {
    const rollout = await this.getRollout(target, name);
    const containers = rollout.spec?.template?.spec?.containers ?? [];
    const ops: object[] = [
      {
        op: 'add',
        path: '/metadata/annotations',
        value: {
          ...(rollout.metadata as { annotations?: object })?.annotations,
          [PROMOTION_ANNOTATION]: promotionId,
        },
      },
    ];
    for (const { container, image } of images) {
      const index = containers.findIndex(c => c.name === container);
      if (index < 0) {
        throw new Error(`rollout/${name} has no container '${container}'`);
      }
      const path = `/spec/template/spec/containers/${index}`;
      ops.push(
        { op: 'test', path: `${path}/name`, value: container },
        { op: 'replace', path: `${path}/image`, value: image },
      );
    }
    await this.gateway.call(target.cluster, (c, options) =>
      c.custom.patchNamespacedCustomObject(
        { ...ROLLOUT_RESOURCE, namespace: target.namespace, name, body: ops },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch, options),
      ),
    );
  }

  async rolloutAction(
    target: WorkloadTarget,
    name: string,
    action: RolloutAction,
  ): Promise<RolloutStepState> {
    const rollout = await this.getRollout(target, name);
    const patches = rolloutActionPatches(rollout, action);
    // The merge patches the plugin makes, sent as JSON patches: the client
    // drops nulls from a merge patch body, and a null is how a merge patch
    // clears the pause conditions.
    const json = (part: 'spec' | 'status', patch: object | undefined) =>
      Object.entries(patch ?? {}).flatMap(([key, value]) => {
        const present =
          (rollout[part] as Record<string, unknown> | undefined)?.[key] !==
          undefined;
        if (value === null) {
          return present ? [{ op: 'remove', path: `/${part}/${key}` }] : [];
        }
        return [{ op: 'add', path: `/${part}/${key}`, value }];
      });
    const call = (status: boolean, ops: object[]) =>
      ops.length === 0
        ? undefined
        : this.gateway.call(target.cluster, (c, options) => {
            const request = {
              ...ROLLOUT_RESOURCE,
              namespace: target.namespace,
              name,
              body: ops,
            };
            const asJsonPatch = setHeaderOptions(
              'Content-Type',
              PatchStrategy.JsonPatch,
              options,
            );
            return status
              ? c.custom.patchNamespacedCustomObjectStatus(request, asJsonPatch)
              : c.custom.patchNamespacedCustomObject(request, asJsonPatch);
          });
    await call(true, json('status', patches.status));
    await call(false, json('spec', patches.spec));
    return rolloutStepState(await this.getRollout(target, name));
  }
}
