import {
  PatchStrategy,
  setHeaderOptions,
  V1Deployment,
  V1Service,
} from '@kubernetes/client-node';
import { TRACK_LABEL } from '../domain/nativeStrategies';
import { KubernetesCallError, KubernetesGateway } from './KubernetesGateway';
import type { WorkloadTarget } from './workloads';

/** What the native strategies need of a cluster: Deployments of a track, and Services to switch. */
export interface TrackPort {
  getDeployment(
    target: WorkloadTarget,
    name: string,
  ): Promise<V1Deployment | undefined>;
  /** Creates the Deployment, replacing one of the same name left by an earlier attempt. */
  putDeployment(
    target: WorkloadTarget,
    deployment: V1Deployment,
  ): Promise<void>;
  /** Scales a Deployment and sets annotations on it. */
  updateDeployment(
    target: WorkloadTarget,
    name: string,
    change: { replicas?: number; annotations?: Record<string, string> },
  ): Promise<void>;
  /** Deletes a Deployment of a track (and its pods); gone already is fine. */
  deleteDeployment(target: WorkloadTarget, name: string): Promise<void>;
  /** The Services of the namespace. */
  listServices(target: WorkloadTarget): Promise<V1Service[]>;
  /** Replaces a Service's selector and its annotations. */
  setServiceSelector(
    target: WorkloadTarget,
    name: string,
    selector: Record<string, string>,
    annotations: Record<string, string | null>,
  ): Promise<void>;
}

const notFound = (error: unknown) =>
  error instanceof KubernetesCallError && error.problem === 'not-found';

/**
 * The track port over the gateway. Needs create, delete and patch on
 * Deployments and get, list and patch on Services in the environment
 * namespaces (examples/kubernetes/delivery-executor-rbac.yaml). It deletes
 * only Deployments that carry the track label.
 */
export class KubernetesTracks implements TrackPort {
  constructor(private readonly gateway: KubernetesGateway) {}

  async getDeployment(target: WorkloadTarget, name: string) {
    try {
      return await this.gateway.call(target.cluster, (c, options) =>
        c.apps.readNamespacedDeployment(
          { name, namespace: target.namespace },
          options,
        ),
      );
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  async putDeployment(target: WorkloadTarget, deployment: V1Deployment) {
    const name = deployment.metadata!.name!;
    await this.deleteDeployment(target, name);
    await this.gateway.call(target.cluster, (c, options) =>
      c.apps.createNamespacedDeployment(
        { namespace: target.namespace, body: deployment },
        options,
      ),
    );
  }

  async updateDeployment(
    target: WorkloadTarget,
    name: string,
    change: { replicas?: number; annotations?: Record<string, string> },
  ) {
    await this.gateway.call(target.cluster, (c, options) =>
      c.apps.patchNamespacedDeployment(
        {
          name,
          namespace: target.namespace,
          body: {
            ...(change.annotations
              ? { metadata: { annotations: change.annotations } }
              : {}),
            ...(change.replicas !== undefined
              ? { spec: { replicas: change.replicas } }
              : {}),
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, options),
      ),
    );
  }

  async deleteDeployment(target: WorkloadTarget, name: string) {
    const existing = await this.getDeployment(target, name);
    if (!existing) return;
    if (!existing.metadata?.labels?.[TRACK_LABEL]) {
      throw new Error(
        `deployment/${name} exists and is not one the executor created (no ${TRACK_LABEL} label); rename it or remove it`,
      );
    }
    try {
      await this.gateway.call(target.cluster, (c, options) =>
        c.apps.deleteNamespacedDeployment(
          {
            name,
            namespace: target.namespace,
            propagationPolicy: 'Background',
            body: { preconditions: { uid: existing.metadata!.uid } },
          },
          options,
        ),
      );
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  }

  async listServices(target: WorkloadTarget) {
    const list = await this.gateway.call(target.cluster, (c, options) =>
      c.core.listNamespacedService({ namespace: target.namespace }, options),
    );
    return list.items;
  }

  async setServiceSelector(
    target: WorkloadTarget,
    name: string,
    selector: Record<string, string>,
    annotations: Record<string, string | null>,
  ) {
    // A JSON patch: a merge patch cannot drop a selector key reliably
    // through the client (it strips nulls), and the whole selector is
    // replaced anyway.
    const service = await this.gateway.call(target.cluster, (c, options) =>
      c.core.readNamespacedService(
        { name, namespace: target.namespace },
        options,
      ),
    );
    const current = { ...service.metadata?.annotations };
    for (const [key, value] of Object.entries(annotations)) {
      if (value === null) delete current[key];
      else current[key] = value;
    }
    await this.gateway.call(target.cluster, (c, options) =>
      c.core.patchNamespacedService(
        {
          name,
          namespace: target.namespace,
          body: [
            {
              op: 'test',
              path: '/metadata/resourceVersion',
              value: service.metadata?.resourceVersion,
            },
            { op: 'add', path: '/metadata/annotations', value: current },
            { op: 'replace', path: '/spec/selector', value: selector },
          ],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch, options),
      ),
    );
  }
}
