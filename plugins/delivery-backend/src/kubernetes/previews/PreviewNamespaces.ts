import { V1Namespace } from '@kubernetes/client-node';
import type { PreviewSettings } from '../../config/types';
import type { Preview } from '../../domain/previews';
import { KubernetesCallError, KubernetesGateway } from '../KubernetesGateway';

/** Namespaces this plugin manages carry this label with this value. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'backstage-delivery';
export const PREVIEW_ID_LABEL = 'delivery.backstage.io/preview-id';
export const COMPONENT_LABEL = 'delivery.backstage.io/component';
export const OWNER_LABEL = 'delivery.backstage.io/owner';
export const PULL_REQUEST_LABEL = 'delivery.backstage.io/pull-request';
export const EXPIRES_AT_ANNOTATION = 'delivery.backstage.io/expires-at';
export const COMPONENT_REF_ANNOTATION = 'delivery.backstage.io/component-ref';
export const BRANCH_ANNOTATION = 'delivery.backstage.io/branch';
export const REQUESTED_BY_ANNOTATION = 'delivery.backstage.io/requested-by';

/** The pipeline's service account in each preview namespace. */
export const PIPELINE_SERVICE_ACCOUNT = 'preview-deployer';

/** What deleting a preview's namespace found. */
export type NamespaceDeletion = 'deleted' | 'gone' | 'not-ours';

/** A labelled preview namespace as the cluster has it. */
export interface ManagedNamespace {
  name: string;
  terminating: boolean;
}

/** The cluster side of preview namespaces: the port the preview service uses. */
export interface PreviewCluster {
  /** Creates the namespace and its guard rails; safe to repeat. */
  provision(
    preview: Preview,
    meta: { component: string; owner: string },
  ): Promise<void>;
  /**
   * Deletes a preview's namespace, only if it carries our managed-by label
   * and this preview's id label.
   */
  deleteNamespace(preview: Preview): Promise<NamespaceDeletion>;
  /** Writes a preview's expiry on its namespace. */
  annotateExpiry(preview: Preview, expiresAt: number): Promise<void>;
  /** The namespaces in a cluster that carry our managed-by label. */
  listManaged(cluster: string): Promise<Map<string, ManagedNamespace>>;
}

/** A label value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends. */
function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** Whether a namespace is this preview's: our managed-by label and its id. */
function isPreviewNamespace(found: V1Namespace, preview: Preview): boolean {
  const labels = found.metadata?.labels ?? {};
  return (
    labels[MANAGED_BY_LABEL] === MANAGED_BY &&
    labels[PREVIEW_ID_LABEL] === preview.id
  );
}

function statusCode(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

/** Creates a namespaced object unless it exists already. */
async function ignoreExisting(create: () => Promise<unknown>) {
  try {
    await create();
  } catch (error) {
    if (statusCode(error) !== 409) throw error;
  }
}

/**
 * Preview namespaces in the cluster, with production-like guard rails:
 * labels and annotations, a ResourceQuota, a LimitRange, a NetworkPolicy
 * that denies traffic from other namespaces, and a ServiceAccount bound to a
 * ClusterRole only within the namespace.
 */
export class PreviewNamespaces implements PreviewCluster {
  constructor(
    private readonly gateway: KubernetesGateway,
    private readonly settings: PreviewSettings,
  ) {}

  async provision(
    preview: Preview,
    meta: { component: string; owner: string },
  ): Promise<void> {
    const ns = preview.namespace;
    const settings = this.settings;
    const namespace: V1Namespace = {
      metadata: {
        name: ns,
        labels: {
          [MANAGED_BY_LABEL]: MANAGED_BY,
          [PREVIEW_ID_LABEL]: preview.id,
          [COMPONENT_LABEL]: labelValue(meta.component),
          ...(meta.owner ? { [OWNER_LABEL]: labelValue(meta.owner) } : {}),
          ...(preview.pullRequest !== undefined
            ? { [PULL_REQUEST_LABEL]: String(preview.pullRequest) }
            : {}),
        },
        annotations: {
          [COMPONENT_REF_ANNOTATION]: preview.componentRef,
          [EXPIRES_AT_ANNOTATION]: new Date(preview.expiresAt).toISOString(),
          [REQUESTED_BY_ANNOTATION]: preview.requestedBy,
          ...(preview.branch ? { [BRANCH_ANNOTATION]: preview.branch } : {}),
        },
      },
    };
    await this.gateway.call(preview.cluster, async (c, options) => {
      try {
        await c.core.createNamespace({ body: namespace }, options);
      } catch (error) {
        if (statusCode(error) !== 409) throw error;
        // It exists: fine only if it is this very preview's (a repeated call).
        const found = await c.core.readNamespace({ name: ns }, options);
        if (!isPreviewNamespace(found, preview)) {
          throw new KubernetesCallError(
            'conflict',
            `namespace ${ns} already exists and does not belong to this preview`,
            409,
          );
        }
      }
      const labels = { [MANAGED_BY_LABEL]: MANAGED_BY };
      await ignoreExisting(() =>
        c.core.createNamespacedResourceQuota(
          {
            namespace: ns,
            body: {
              metadata: { name: 'preview-quota', labels },
              spec: { hard: settings.resourceQuota },
            },
          },
          options,
        ),
      );
      await ignoreExisting(() =>
        c.core.createNamespacedLimitRange(
          {
            namespace: ns,
            body: {
              metadata: { name: 'preview-limits', labels },
              spec: {
                limits: [
                  {
                    type: 'Container',
                    defaultRequest: settings.limitRange.defaultRequest,
                    _default: settings.limitRange.default,
                  },
                ],
              },
            },
          },
          options,
        ),
      );
      await ignoreExisting(() =>
        c.networking.createNamespacedNetworkPolicy(
          {
            namespace: ns,
            body: {
              metadata: { name: 'deny-from-other-namespaces', labels },
              spec: {
                podSelector: {},
                policyTypes: ['Ingress'],
                // Only pods of this namespace may connect.
                ingress: [{ _from: [{ podSelector: {} }] }],
              },
            },
          },
          options,
        ),
      );
      await ignoreExisting(() =>
        c.core.createNamespacedServiceAccount(
          {
            namespace: ns,
            body: { metadata: { name: PIPELINE_SERVICE_ACCOUNT, labels } },
          },
          options,
        ),
      );
      await ignoreExisting(() =>
        c.rbac.createNamespacedRoleBinding(
          {
            namespace: ns,
            body: {
              metadata: { name: PIPELINE_SERVICE_ACCOUNT, labels },
              roleRef: {
                apiGroup: 'rbac.authorization.k8s.io',
                kind: 'ClusterRole',
                name: settings.pipelineClusterRole,
              },
              subjects: [
                {
                  kind: 'ServiceAccount',
                  name: PIPELINE_SERVICE_ACCOUNT,
                  namespace: ns,
                },
              ],
            },
          },
          options,
        ),
      );
    });
  }

  /**
   * Deletes a preview's namespace, but only one that carries our managed-by
   * label and this preview's id: a namespace of the same name made by
   * someone else, or by another preview, is left alone. The delete is
   * conditional on the uid read, so a namespace replaced in between is not
   * deleted either. A namespace that is already gone counts as deleted.
   */
  async deleteNamespace(preview: Preview): Promise<NamespaceDeletion> {
    return this.gateway.call(preview.cluster, async (c, options) => {
      let found: V1Namespace;
      try {
        found = await c.core.readNamespace(
          { name: preview.namespace },
          options,
        );
      } catch (error) {
        if (statusCode(error) === 404) return 'gone';
        throw error;
      }
      if (!isPreviewNamespace(found, preview)) return 'not-ours';
      try {
        await c.core.deleteNamespace(
          {
            name: preview.namespace,
            body: { preconditions: { uid: found.metadata?.uid } },
          },
          options,
        );
      } catch (error) {
        if (statusCode(error) === 404) return 'gone';
        // The uid changed: another namespace of that name now, not ours.
        if (statusCode(error) === 409) return 'not-ours';
        throw error;
      }
      return 'deleted';
    });
  }

  async annotateExpiry(preview: Preview, expiresAt: number): Promise<void> {
    await this.gateway.call(preview.cluster, (c, options) =>
      c.core.patchNamespace(
        {
          name: preview.namespace,
          body: [
            {
              op: 'add',
              path: `/metadata/annotations/${EXPIRES_AT_ANNOTATION.replace(
                '/',
                '~1',
              )}`,
              value: new Date(expiresAt).toISOString(),
            },
          ],
        },
        options,
      ),
    );
  }

  async listManaged(cluster: string): Promise<Map<string, ManagedNamespace>> {
    const list = await this.gateway.call(cluster, (c, options) =>
      c.core.listNamespace(
        { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` },
        options,
      ),
    );
    return new Map(
      list.items.map(n => [
        n.metadata!.name!,
        {
          name: n.metadata!.name!,
          terminating: Boolean(n.metadata?.deletionTimestamp),
        },
      ]),
    );
  }
}
