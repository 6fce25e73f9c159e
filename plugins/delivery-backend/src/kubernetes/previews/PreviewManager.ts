import { randomBytes, randomUUID } from 'node:crypto';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  CustomErrorBase,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { V1Namespace } from '@kubernetes/client-node';
import { PreviewSettings } from '../../config/types';
import { DeliveryStore, Page } from '../../database/DeliveryStore';
import { Preview, PreviewStore } from '../../database/PreviewStore';
import { formatDuration } from '../../domain/describe';
import { Actor } from '../../domain/types';
import { DeliveryService, EntityLookup } from '../../service/DeliveryService';
import { UnprocessableEntityError } from '../../service/errors';
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

/** More live previews than a component may have (HTTP 429). */
export class TooManyPreviewsError extends CustomErrorBase {
  name = 'TooManyPreviewsError' as const;
  statusCode = 429;
}

export interface ReapReport {
  expired: string[];
  deleted: string[];
  vanished: string[];
  /** Namespaces with our label that no live preview accounts for. */
  orphans: string[];
  /** Namespaces the reaper would not delete, with why. */
  refused: string[];
}

/** A DNS label made of `text`: lowercase letters, digits and "-". */
function slug(text: string, max: number): string {
  return text
    .toLocaleLowerCase('en-US')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, max)
    .replace(/-$/, '');
}

/** A label value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends. */
function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/**
 * Preview namespaces: created with production-like guard rails (labels and
 * annotations, ResourceQuota, LimitRange, a NetworkPolicy that denies traffic
 * from other namespaces, and a ServiceAccount bound to a ClusterRole only
 * within the namespace), given a TTL, extended up to a maximum, destroyed on
 * request or by the reaper when they expire. Every state is in the ledger.
 */
export class PreviewManager {
  private readonly store: PreviewStore;
  private readonly ledger: DeliveryStore;
  private readonly settings: PreviewSettings;
  private readonly gateway: KubernetesGateway;
  private readonly catalog: EntityLookup;
  private readonly logger: LoggerService;
  private readonly auditor?: AuditorService;
  private readonly clock: () => number;

  constructor(options: {
    store: PreviewStore;
    ledger: DeliveryStore;
    settings: PreviewSettings;
    gateway: KubernetesGateway;
    catalog: EntityLookup;
    logger: LoggerService;
    auditor?: AuditorService;
    clock?: () => number;
  }) {
    this.store = options.store;
    this.ledger = options.ledger;
    this.settings = options.settings;
    this.gateway = options.gateway;
    this.catalog = options.catalog;
    this.logger = options.logger;
    this.auditor = options.auditor;
    this.clock = options.clock ?? Date.now;
  }

  /** A namespace name: prefix, component, pull request or branch, and a random suffix. */
  private namespaceName(
    component: string,
    target: { pullRequest?: number; branch?: string },
  ) {
    const what =
      target.pullRequest !== undefined
        ? `pr${target.pullRequest}`
        : slug(target.branch ?? '', 24);
    const suffix = randomBytes(3).toString('hex');
    const head = slug(
      `${this.settings.namespacePrefix}-${component}-${what}`,
      63 - suffix.length - 1,
    );
    return `${head}-${suffix}`;
  }

  private maxTtl(): string {
    return formatDuration(this.settings.maxTtlMs);
  }

  async list(
    componentRef: string | undefined,
    options: { includeDeleted: boolean },
    page: { limit: number; cursor?: string },
  ): Promise<Page<Preview>> {
    return this.store.list(
      {
        componentRef: componentRef
          ? DeliveryService.componentRef(componentRef)
          : undefined,
        states: options.includeDeleted
          ? undefined
          : ['provisioning', 'ready', 'expiring', 'deleting', 'failed'],
      },
      page,
    );
  }

  async get(id: string): Promise<Preview> {
    const preview = await this.store.get(id);
    if (!preview) throw new NotFoundError(`No preview with id ${id}`);
    return preview;
  }

  /**
   * Creates a preview namespace for a component's pull request or branch, or
   * returns the live one that already exists for it.
   */
  async create(
    input: {
      componentRef: string;
      pullRequest?: number;
      branch?: string;
      digest?: string;
      ttlMs?: number;
    },
    actor: Actor,
  ): Promise<{ preview: Preview; created: boolean }> {
    const componentRef = DeliveryService.componentRef(input.componentRef);
    if ((input.pullRequest === undefined) === (input.branch === undefined)) {
      throw new InputError(
        'Give either pullRequest or branch (exactly one) for a preview',
      );
    }
    const entity = await this.catalog.getEntity(componentRef);
    if (!entity) {
      throw new UnprocessableEntityError(
        `${componentRef} is not in the catalog; register the component before creating previews of it`,
      );
    }
    const ttlMs = input.ttlMs ?? this.settings.defaultTtlMs;
    if (ttlMs > this.settings.maxTtlMs) {
      throw new InputError(
        `ttl ${formatDuration(
          ttlMs,
        )} is longer than the maximum of ${this.maxTtl()} (delivery.previews.maxTtl)`,
      );
    }
    const existing = await this.store.findLive(componentRef, input);
    if (existing) {
      return { preview: existing, created: false };
    }
    let artifactId: string | undefined;
    if (input.digest) {
      const artifact = await this.ledger.getArtifactByDigest(
        componentRef,
        input.digest,
      );
      if (!artifact) {
        throw new NotFoundError(
          `No artifact ${input.digest} is recorded for ${componentRef}`,
        );
      }
      artifactId = artifact.id;
    }

    const now = this.clock();
    const { name } = parseEntityRef(componentRef);
    const preview: Preview = {
      id: randomUUID(),
      componentRef,
      cluster: this.settings.cluster,
      namespace: this.namespaceName(name, input),
      pullRequest: input.pullRequest,
      branch: input.branch,
      artifactId,
      state: 'provisioning',
      requestedBy: actor.ref,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + ttlMs,
    };
    if (!(await this.store.insert(preview, this.settings.maxPerComponent))) {
      const live = await this.store.list(
        {
          componentRef,
          states: ['provisioning', 'ready', 'expiring', 'deleting'],
        },
        { limit: this.settings.maxPerComponent },
      );
      throw new TooManyPreviewsError(
        `${componentRef} already has ${
          this.settings.maxPerComponent
        } live previews, the most allowed (delivery.previews.maxPerComponent): ${live.items
          .map(p => p.namespace)
          .join(', ')}; destroy one first`,
      );
    }

    const owner =
      typeof entity.spec?.owner === 'string' ? entity.spec.owner : '';
    try {
      await this.provision(preview, { component: name, owner });
    } catch (error) {
      const reason = (error as Error).message;
      await this.deleteNamespace(preview).catch(() => undefined);
      await this.store.transition(preview.id, ['provisioning'], 'failed', {
        now: this.clock(),
        reason,
      });
      throw new ServiceUnavailableError(
        `Could not create preview namespace ${preview.namespace} in cluster ${preview.cluster}: ${reason}`,
      );
    }
    await this.store.transition(preview.id, ['provisioning'], 'ready', {
      now: this.clock(),
    });
    return { preview: (await this.store.get(preview.id))!, created: true };
  }

  /** Creates the namespace and its guard rails; safe to repeat. */
  private async provision(
    preview: Preview,
    meta: { component: string; owner: string },
  ) {
    const ns = preview.namespace;
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
        if ((error as { code?: number }).code !== 409) throw error;
        // It exists: fine only if it is this very preview's (a repeated call).
        const found = await c.core.readNamespace({ name: ns }, options);
        if (
          found.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY ||
          found.metadata?.labels?.[PREVIEW_ID_LABEL] !== preview.id
        ) {
          throw new KubernetesCallError(
            'conflict',
            `namespace ${ns} already exists and does not belong to this preview`,
            409,
          );
        }
      }
      const ignoreExisting = async (create: () => Promise<unknown>) => {
        try {
          await create();
        } catch (error) {
          if ((error as { code?: number }).code !== 409) throw error;
        }
      };
      const labels = { [MANAGED_BY_LABEL]: MANAGED_BY };
      await ignoreExisting(() =>
        c.core.createNamespacedResourceQuota(
          {
            namespace: ns,
            body: {
              metadata: { name: 'preview-quota', labels },
              spec: { hard: this.settings.resourceQuota },
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
                    defaultRequest: this.settings.limitRange.defaultRequest,
                    _default: this.settings.limitRange.default,
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
                name: this.settings.pipelineClusterRole,
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
   * label. A namespace that is already gone counts as deleted.
   */
  private async deleteNamespace(
    preview: Preview,
  ): Promise<'deleted' | 'gone' | 'not-ours'> {
    return this.gateway.call(preview.cluster, async (c, options) => {
      let found: V1Namespace;
      try {
        found = await c.core.readNamespace(
          { name: preview.namespace },
          options,
        );
      } catch (error) {
        if ((error as { code?: number }).code === 404) return 'gone';
        throw error;
      }
      if (found.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
        return 'not-ours';
      }
      try {
        await c.core.deleteNamespace({ name: preview.namespace }, options);
      } catch (error) {
        if ((error as { code?: number }).code === 404) return 'gone';
        throw error;
      }
      return 'deleted';
    });
  }

  /** Moves the expiry to `ttl` from now, up to the maximum lifetime. */
  async extend(
    id: string,
    ttlMs: number,
    actor: Actor,
  ): Promise<{ preview: Preview; capped: boolean }> {
    const preview = await this.get(id);
    if (preview.state !== 'ready' && preview.state !== 'provisioning') {
      throw new ConflictError(
        `Preview ${preview.namespace} is ${preview.state}; only ready previews can be extended`,
      );
    }
    const now = this.clock();
    const limit = preview.createdAt + this.settings.maxTtlMs;
    const wanted = now + ttlMs;
    const expiresAt = Math.min(wanted, limit);
    if (
      !(await this.store.transition(id, [preview.state], preview.state, {
        now,
        expiresAt,
      }))
    ) {
      throw new ConflictError(
        `Preview ${preview.namespace} changed meanwhile; try again`,
      );
    }
    await this.gateway
      .call(preview.cluster, (c, options) =>
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
      )
      .catch(error =>
        this.logger.warn(
          `Extended preview ${preview.namespace} to ${new Date(
            expiresAt,
          ).toISOString()} by ${
            actor.ref
          }, but could not update its annotation: ${error}`,
        ),
      );
    return { preview: (await this.store.get(id))!, capped: wanted > limit };
  }

  /** Destroys a preview now: deletes its namespace and marks it deleting. */
  async destroy(id: string): Promise<Preview> {
    const preview = await this.get(id);
    if (
      !(await this.store.transition(
        id,
        ['provisioning', 'ready', 'failed'],
        'deleting',
        { now: this.clock() },
      ))
    ) {
      // Already expiring, deleting or deleted: on its way out.
      return (await this.store.get(id))!;
    }
    await this.finishDelete({ ...preview, state: 'deleting' });
    return (await this.store.get(id))!;
  }

  /** Deletes a claimed (deleting) preview's namespace and records the outcome. */
  private async finishDelete(preview: Preview) {
    let outcome: 'deleted' | 'gone' | 'not-ours';
    try {
      outcome = await this.deleteNamespace(preview);
    } catch (error) {
      // Stays "deleting": the reaper retries.
      this.logger.warn(
        `Could not delete preview namespace ${preview.namespace}: ${error}`,
      );
      return;
    }
    const now = this.clock();
    if (outcome === 'gone') {
      await this.store.transition(preview.id, ['deleting'], 'deleted', { now });
    } else if (outcome === 'not-ours') {
      await this.store.transition(preview.id, ['deleting'], 'failed', {
        now,
        reason: `namespace ${preview.namespace} does not carry ${MANAGED_BY_LABEL}=${MANAGED_BY}; it was left in place`,
      });
    }
    // 'deleted': the namespace is terminating; the reaper records it gone.
  }

  private async audit(actionType: string, preview: Preview, detail: string) {
    if (!this.auditor) return;
    const event = await this.auditor.createEvent({
      eventId: 'preview-mutate',
      severityLevel: 'low',
      meta: {
        actionType,
        component: preview.componentRef,
        previewId: preview.id,
        namespace: preview.namespace,
        detail,
      },
    });
    await event.success();
  }

  /**
   * One pass of the reaper: deletes expired previews, records namespaces that
   * finished deleting or vanished, and reports labelled namespaces that no
   * preview accounts for. Safe to run on several replicas at once: every
   * preview is claimed with a conditional update, and a namespace that is
   * already gone counts as deleted.
   */
  async reap(): Promise<ReapReport> {
    const report: ReapReport = {
      expired: [],
      deleted: [],
      vanished: [],
      orphans: [],
      refused: [],
    };
    const now = this.clock();

    for (const preview of await this.store.inState(['ready', 'provisioning'], {
      expiredBefore: now,
      limit: 100,
    })) {
      if (
        !(await this.store.transition(preview.id, [preview.state], 'expiring', {
          now,
        }))
      )
        continue;
      report.expired.push(preview.namespace);
      await this.audit(
        'expire',
        preview,
        `expired ${new Date(preview.expiresAt).toISOString()}`,
      );
      let outcome: Awaited<ReturnType<PreviewManager['deleteNamespace']>>;
      try {
        outcome = await this.deleteNamespace(preview);
      } catch (error) {
        this.logger.warn(
          `Reaper could not delete ${preview.namespace}: ${error}`,
        );
        continue; // stays "expiring"; retried below on the next pass
      }
      if (outcome === 'not-ours') {
        report.refused.push(`${preview.namespace}: not managed by delivery`);
        await this.store.transition(preview.id, ['expiring'], 'failed', {
          now,
          reason: `namespace ${preview.namespace} does not carry ${MANAGED_BY_LABEL}=${MANAGED_BY}; it was left in place`,
        });
      } else {
        await this.store.transition(preview.id, ['expiring'], 'deleting', {
          now,
        });
      }
    }

    // Expiring previews whose delete failed earlier: try again.
    for (const preview of await this.store.inState(['expiring'], {
      limit: 100,
    })) {
      if (preview.updatedAt > now - 60_000) continue;
      if (
        await this.store.transition(preview.id, ['expiring'], 'deleting', {
          now,
        })
      ) {
        await this.finishDelete({ ...preview, state: 'deleting' });
      }
    }

    // What exists in the cluster, in one call per cluster.
    const existing = await this.gateway.call(
      this.settings.cluster,
      (c, options) =>
        c.core.listNamespace(
          { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` },
          options,
        ),
    );
    const present = new Map(existing.items.map(n => [n.metadata!.name!, n]));

    for (const preview of await this.store.inState(['deleting'], {
      limit: 500,
    })) {
      if (present.has(preview.namespace)) {
        if (!present.get(preview.namespace)!.metadata?.deletionTimestamp) {
          await this.finishDelete(preview); // delete was lost: ask again
        }
        continue;
      }
      if (
        await this.store.transition(preview.id, ['deleting'], 'deleted', {
          now,
        })
      ) {
        report.deleted.push(preview.namespace);
        await this.audit('delete', preview, 'namespace gone');
      }
    }

    for (const preview of await this.store.inState(['ready'], {
      limit: 1000,
    })) {
      if (
        preview.cluster !== this.settings.cluster ||
        present.has(preview.namespace)
      )
        continue;
      if (
        await this.store.transition(preview.id, ['ready'], 'deleted', {
          now,
          reason: `namespace ${preview.namespace} disappeared outside the portal`,
        })
      ) {
        report.vanished.push(preview.namespace);
        await this.audit(
          'vanished',
          preview,
          'namespace disappeared outside the portal',
        );
      }
    }

    const known = await this.store.liveNamespaces(this.settings.cluster);
    report.orphans = [...present.keys()]
      .filter(name => !known.has(name))
      .sort();
    if (report.orphans.length) {
      this.logger.warn(
        `Preview reaper: namespaces labelled ${MANAGED_BY_LABEL}=${MANAGED_BY} without a live preview in the ledger (left alone): ${report.orphans.join(
          ', ',
        )}`,
      );
    }
    return report;
  }
}
