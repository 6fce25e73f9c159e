import { randomBytes, randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { PreviewSettings } from '../../config/types';
import { ArtifactStore } from '../../database/ArtifactStore';
import { PreviewStore } from '../../database/PreviewStore';
import { Page } from '../../database/util';
import { formatDuration } from '../../domain/describe';
import {
  extendedExpiry,
  LISTED_PREVIEW_STATES,
  LIVE_PREVIEW_STATES,
  Preview,
  previewNamespaceName,
} from '../../domain/previews';
import { entityName } from '../../domain/refs';
import { Actor } from '../../domain/types';
import { PreviewCluster } from '../../kubernetes/previews/PreviewNamespaces';
import { ComponentResolver, componentRef } from '../components';
import { TooManyPreviewsError } from '../errors';
import { finishDelete } from './finishDelete';

/**
 * Preview namespaces: created in the cluster with guard rails, given a TTL,
 * extended up to a maximum, destroyed on request (and by the reaper when
 * they expire). Every state is in the ledger; the cluster is a port.
 */
export class PreviewService {
  private readonly store: PreviewStore;
  private readonly artifacts: ArtifactStore;
  private readonly cluster: PreviewCluster;
  private readonly settings: PreviewSettings;
  private readonly components: ComponentResolver;
  private readonly logger: LoggerService;
  private readonly clock: () => number;

  constructor(options: {
    store: PreviewStore;
    artifacts: ArtifactStore;
    cluster: PreviewCluster;
    settings: PreviewSettings;
    components: ComponentResolver;
    logger: LoggerService;
    clock?: () => number;
  }) {
    this.store = options.store;
    this.artifacts = options.artifacts;
    this.cluster = options.cluster;
    this.settings = options.settings;
    this.components = options.components;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
  }

  async list(
    component: string | undefined,
    options: { includeDeleted: boolean },
    page: { limit: number; cursor?: string },
  ): Promise<Page<Preview>> {
    return this.store.list(
      {
        componentRef: component ? componentRef(component) : undefined,
        states: options.includeDeleted ? undefined : LISTED_PREVIEW_STATES,
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
    const ref = componentRef(input.componentRef);
    if ((input.pullRequest === undefined) === (input.branch === undefined)) {
      throw new InputError(
        'Give either pullRequest or branch (exactly one) for a preview',
      );
    }
    const entity = await this.components.entity(ref, 'creating previews of it');
    const ttlMs = input.ttlMs ?? this.settings.defaultTtlMs;
    if (ttlMs > this.settings.maxTtlMs) {
      throw new InputError(
        `ttl ${formatDuration(
          ttlMs,
        )} is longer than the maximum of ${formatDuration(
          this.settings.maxTtlMs,
        )} (delivery.previews.maxTtl)`,
      );
    }
    const existing = await this.store.findLive(ref, input);
    if (existing) {
      return { preview: existing, created: false };
    }
    const artifactId = input.digest
      ? await this.artifactId(ref, input.digest)
      : undefined;

    const now = this.clock();
    const name = entityName(ref);
    const preview: Preview = {
      id: randomUUID(),
      componentRef: ref,
      cluster: this.settings.cluster,
      namespace: previewNamespaceName(
        this.settings.namespacePrefix,
        name,
        input,
        randomBytes(3).toString('hex'),
      ),
      pullRequest: input.pullRequest,
      branch: input.branch,
      artifactId,
      state: 'provisioning',
      requestedBy: actor.ref,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + ttlMs,
    };
    const inserted = await this.store.insert(
      preview,
      this.settings.maxPerComponent,
    );
    if (inserted === 'duplicate') {
      // Another request for the same pull request or branch won the race.
      const winner = await this.store.findLive(ref, input);
      if (winner) return { preview: winner, created: false };
    }
    if (inserted !== 'inserted') throw await this.tooMany(ref);

    const owner =
      typeof entity.spec?.owner === 'string' ? entity.spec.owner : '';
    try {
      await this.cluster.provision(preview, { component: name, owner });
    } catch (error) {
      const reason = (error as Error).message;
      // Clean up what was made; if that fails too, the reaper deletes the
      // failed preview's namespace on a later pass.
      const cleanup = await this.cluster
        .deleteNamespace(preview)
        .then(() => undefined)
        .catch((e: Error) => e.message);
      await this.store.transition(preview.id, ['provisioning'], 'failed', {
        now: this.clock(),
        reason: cleanup
          ? `${reason}; cleanup failed too (${cleanup}), the reaper retries it`
          : reason,
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

  private async artifactId(ref: string, digest: string): Promise<string> {
    const artifact = await this.artifacts.getArtifactByDigest(ref, digest);
    if (!artifact) {
      throw new NotFoundError(`No artifact ${digest} is recorded for ${ref}`);
    }
    return artifact.id;
  }

  private async tooMany(ref: string): Promise<TooManyPreviewsError> {
    const live = await this.store.list(
      { componentRef: ref, states: LIVE_PREVIEW_STATES },
      { limit: this.settings.maxPerComponent },
    );
    return new TooManyPreviewsError(
      `${ref} already has ${
        this.settings.maxPerComponent
      } live previews, the most allowed (delivery.previews.maxPerComponent): ${live.items
        .map(p => p.namespace)
        .join(', ')}; destroy one first`,
    );
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
    const { expiresAt, capped } = extendedExpiry(
      preview,
      ttlMs,
      this.settings.maxTtlMs,
      now,
    );
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
    await this.cluster
      .annotateExpiry(preview, expiresAt)
      .catch(error =>
        this.logger.warn(
          `Extended preview ${preview.namespace} to ${new Date(
            expiresAt,
          ).toISOString()} by ${
            actor.ref
          }, but could not update its annotation: ${error}`,
        ),
      );
    return { preview: (await this.store.get(id))!, capped };
  }

  /** Destroys a preview now: deletes its namespace and marks it deleting. */
  async destroy(id: string): Promise<Preview> {
    const preview = await this.get(id);
    const claimed = await this.store.transition(
      id,
      ['provisioning', 'ready', 'failed'],
      'deleting',
      { now: this.clock() },
    );
    if (claimed) {
      await finishDelete(
        {
          store: this.store,
          cluster: this.cluster,
          logger: this.logger,
          clock: this.clock,
        },
        { ...preview, state: 'deleting' },
      );
    }
    // Otherwise already expiring, deleting or deleted: on its way out.
    return (await this.store.get(id))!;
  }
}
