import { Knex } from 'knex';
import {
  CURRENT_PREVIEW_STATES,
  LIVE_PREVIEW_STATES,
  Preview,
  PreviewState,
  PreviewTarget,
  previewTargetKey,
} from '../domain/previews';
import { PreviewRow } from './rows';
import { isUniqueViolation, keysetPage, num, opt, optNum, Page } from './util';

function toPreview(r: PreviewRow): Preview {
  return {
    id: r.id,
    componentRef: r.component_ref,
    cluster: r.cluster,
    namespace: r.namespace,
    pullRequest: optNum(r.pull_request),
    branch: opt(r.branch),
    artifactId: opt(r.artifact_id),
    state: r.state as PreviewState,
    reason: opt(r.reason),
    requestedBy: r.requested_by,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    expiresAt: num(r.expires_at),
    deletedAt: optNum(r.deleted_at),
  };
}

/** Persistence of preview namespaces; transitions are conditional updates. */
export class PreviewStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Inserts a preview into the first free slot of its component, up to
   * `maxSlots`: `full` when every slot is taken, `duplicate` when the
   * component already has a current preview for the pull request or branch
   * (the unique index on live_target decides races).
   */
  async insert(
    preview: Preview,
    maxSlots: number,
  ): Promise<'inserted' | 'full' | 'duplicate'> {
    const taken = new Set(
      (
        await this.previews()
          .where('component_ref', preview.componentRef)
          .whereNotNull('slot')
          .select('slot')
      ).map(r => num(r.slot)),
    );
    for (let slot = 1; slot <= maxSlots; slot++) {
      if (taken.has(slot)) continue;
      try {
        await this.db.transaction(async sp => {
          await sp<PreviewRow>('delivery_previews').insert({
            id: preview.id,
            component_ref: preview.componentRef,
            cluster: preview.cluster,
            namespace: preview.namespace,
            pull_request: preview.pullRequest ?? null,
            branch: preview.branch ?? null,
            artifact_id: preview.artifactId ?? null,
            state: preview.state,
            reason: preview.reason ?? null,
            requested_by: preview.requestedBy,
            slot,
            live_target: previewTargetKey(preview),
            created_at: preview.createdAt,
            updated_at: preview.updatedAt,
            expires_at: preview.expiresAt,
          });
        });
        return 'inserted';
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        if (await this.findLive(preview.componentRef, preview)) {
          return 'duplicate';
        }
        // Someone took this slot at the same moment: try the next.
      }
    }
    return 'full';
  }

  async get(id: string): Promise<Preview | undefined> {
    const row = await this.previews().where({ id }).first();
    return row ? toPreview(row) : undefined;
  }

  /** The live preview of a component for a pull request or branch, if any. */
  async findLive(
    componentRef: string,
    target: PreviewTarget,
  ): Promise<Preview | undefined> {
    const row = await this.previews()
      .where('component_ref', componentRef)
      .where('live_target', previewTargetKey(target))
      .first();
    return row ? toPreview(row) : undefined;
  }

  async list(
    filter: { componentRef?: string; states?: readonly PreviewState[] },
    page: { limit: number; cursor?: string },
  ): Promise<Page<Preview>> {
    const query = this.previews();
    if (filter.componentRef) query.where('component_ref', filter.componentRef);
    if (filter.states?.length) query.whereIn('state', filter.states);
    return keysetPage(query, page, toPreview);
  }

  /** Previews in a state, e.g. ready ones that expired before `expiredBefore`. */
  async inState(
    states: readonly PreviewState[],
    options: { expiredBefore?: number; limit: number },
  ): Promise<Preview[]> {
    const query = this.previews()
      .whereIn('state', states)
      .orderBy('expires_at', 'asc')
      .limit(options.limit);
    if (options.expiredBefore !== undefined) {
      query.where('expires_at', '<', options.expiredBefore);
    }
    return (await query).map(toPreview);
  }

  /** Live previews expiring before `before` whose requester was not warned about this expiry. */
  async expiringUnwarned(before: number, limit: number): Promise<Preview[]> {
    const rows = await this.previews()
      .whereIn('state', CURRENT_PREVIEW_STATES)
      .where('expires_at', '<', before)
      .where(q =>
        q
          .whereNull('expiry_warned_for')
          .orWhereRaw('expiry_warned_for <> expires_at'),
      )
      .orderBy('expires_at', 'asc')
      .limit(limit);
    return rows.map(toPreview);
  }

  /** Notes the warning about this expiry; false if it was noted already (or the expiry changed). */
  async markExpiryWarned(id: string, expiresAt: number): Promise<boolean> {
    const updated = await this.previews()
      .where('id', id)
      .where('expires_at', expiresAt)
      .where(q =>
        q
          .whereNull('expiry_warned_for')
          .orWhereRaw('expiry_warned_for <> expires_at'),
      )
      .update({
        expiry_warned_for: expiresAt,
      } as unknown as Partial<PreviewRow>);
    return updated === 1;
  }

  /** The failed previews among these namespaces (leftovers to clean up). */
  async failedIn(cluster: string, namespaces: string[]): Promise<Preview[]> {
    if (namespaces.length === 0) return [];
    const rows = await this.previews()
      .where('cluster', cluster)
      .where('state', 'failed')
      .whereIn('namespace', namespaces);
    return rows.map(toPreview);
  }

  /** The live previews of every component, for finding orphaned namespaces. */
  async liveNamespaces(cluster: string): Promise<Set<string>> {
    const rows = await this.previews()
      .where('cluster', cluster)
      .whereNot('state', 'deleted')
      .select('namespace');
    return new Set(rows.map(r => r.namespace));
  }

  /**
   * Moves a preview from one of `from` to `to`; false if it was not in one of
   * them (someone else moved it first), or, with `unchangedSince`, if it
   * changed at or after that time. Leaving the live states frees the slot;
   * leaving provisioning and ready frees the pull request or branch.
   */
  async transition(
    id: string,
    from: readonly PreviewState[],
    to: PreviewState,
    options: {
      now: number;
      reason?: string;
      expiresAt?: number;
      unchangedSince?: number;
    },
  ): Promise<boolean> {
    const patch: Partial<PreviewRow> = {
      state: to,
      updated_at: options.now,
    };
    if (options.reason !== undefined) patch.reason = options.reason;
    if (options.expiresAt !== undefined) patch.expires_at = options.expiresAt;
    if (!LIVE_PREVIEW_STATES.includes(to)) patch.slot = null;
    if (!CURRENT_PREVIEW_STATES.includes(to)) patch.live_target = null;
    if (to === 'deleted') patch.deleted_at = options.now;
    const query = this.previews().where('id', id).whereIn('state', from);
    if (options.unchangedSince !== undefined) {
      query.where('updated_at', '<', options.unchangedSince);
    }
    const updated = await query.update(patch);
    return updated === 1;
  }

  private previews() {
    return this.db<PreviewRow>('delivery_previews');
  }
}
