import {
  PatchStrategy,
  setHeaderOptions,
  V1Deployment,
} from '@kubernetes/client-node';
import { WorkloadStatus } from '../domain/executions';
import { KubernetesGateway } from './KubernetesGateway';
import { KUBERNETES_ID_LABEL } from './liveState';

/** The annotation that names the promotion that last set a workload's images. */
export const PROMOTION_ANNOTATION = 'delivery.backstage.io/promotion-id';

/** A component's workload in one namespace: its containers and rollout status. */
export interface Workload {
  kind: 'Deployment';
  name: string;
  containers: Array<{ name: string; image: string }>;
  status: WorkloadStatus;
}

/** Where a workload lives. */
export interface WorkloadTarget {
  cluster: string;
  namespace: string;
}

/** What the executors need of a cluster: the port they depend on. */
export interface WorkloadPort {
  /** The component's workloads (labelled with its kubernetes-id). */
  list(target: WorkloadTarget, kubernetesId: string): Promise<Workload[]>;
  /** Sets container images of a workload, and notes the promotion on it. */
  setImages(
    target: WorkloadTarget,
    name: string,
    images: Array<{ container: string; image: string }>,
    promotionId: string,
  ): Promise<void>;
}

function statusOf(d: V1Deployment): WorkloadStatus {
  return {
    name: d.metadata?.name ?? '',
    generation: d.metadata?.generation ?? 0,
    observedGeneration: d.status?.observedGeneration ?? 0,
    desired: d.spec?.replicas ?? 1,
    updated: d.status?.updatedReplicas ?? 0,
    ready: d.status?.readyReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    total: d.status?.replicas ?? 0,
    conditions: (d.status?.conditions ?? []).map(c => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
    })),
  };
}

/**
 * Deployments of a component, read and patched through the gateway (bounded
 * time, classified errors). Needs only get, list and patch on Deployments in
 * the environment namespaces (examples/kubernetes/delivery-executor-rbac.yaml).
 */
export class KubernetesWorkloads implements WorkloadPort {
  constructor(private readonly gateway: KubernetesGateway) {}

  async list(
    target: WorkloadTarget,
    kubernetesId: string,
  ): Promise<Workload[]> {
    const list = await this.gateway.call(target.cluster, (c, options) =>
      c.apps.listNamespacedDeployment(
        {
          namespace: target.namespace,
          labelSelector: `${KUBERNETES_ID_LABEL}=${kubernetesId}`,
        },
        options,
      ),
    );
    return list.items.map(d => ({
      kind: 'Deployment',
      name: d.metadata?.name ?? '',
      containers: (d.spec?.template?.spec?.containers ?? []).map(c => ({
        name: c.name,
        image: c.image ?? '',
      })),
      status: statusOf(d),
    }));
  }

  async setImages(
    target: WorkloadTarget,
    name: string,
    images: Array<{ container: string; image: string }>,
    promotionId: string,
  ): Promise<void> {
    await this.gateway.call(target.cluster, (c, options) =>
      c.apps.patchNamespacedDeployment(
        {
          name,
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
}
