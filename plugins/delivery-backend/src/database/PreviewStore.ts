import { Knex } from 'knex';
import { decodeCursor, encodeCursor, Page } from './DeliveryStore';

export type PreviewState =
  | 'provisioning'
  | 'ready'
  | 'expiring'
  | 'deleting'
  | 'deleted'
  | 'failed';

/** States in which a preview holds a slot (counts towards the limit). */
export const LIVE_PREVIEW_STATES: readonly PreviewState[] = [
  'provisioning',
  'ready',
  'expiring',
  'deleting',
];

export interface Preview {
  id: string;
  componentRef: string;
  cluster: string;
  namespace: string;
  pullRequest?: number;
  branch?: string;
  artifactId?: string;
  state: PreviewState;
  reason?: string;
  requestedBy: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  deletedAt?: number;
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));
const optNum = (v: unknown) =>
  v === null || v === undefined ? undefined : num(v);
const opt = <T>(v: T | null) => (v === null ? undefined : v);

function toPreview(r: any): Preview {
  return {
    id: r.id,
    componentRef: r.component_ref,
    cluster: r.cluster,
    namespace: r.namespace,
    pullRequest: optNum(r.pull_request),
    branch: opt(r.branch),
    artifactId: opt(r.artifact_id),
    state: r.state,
    reason: opt(r.reason),
    requestedBy: r.requested_by,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    expiresAt: num(r.expires_at),
    deletedAt: optNum(r.deleted_at),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e?.code === '23505' ||
    e?.code === 'ER_DUP_ENTRY' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed/.test(e?.message ?? '')
  );
}

/** Persistence of preview namespaces; transitions are conditional updates. */
export class PreviewStore {
  constructor(private readonly db: Knex) {}

  /**
   * Inserts a preview into the first free slot of its component, up to
   * `maxSlots`. Returns false when every slot is taken.
   */
  async insert(preview: Preview, maxSlots: number): Promise<boolean> {
    const taken = new Set(
      (
        await this.db('delivery_previews')
          .where('component_ref', preview.componentRef)
          .whereNotNull('slot')
          .select('slot')
      ).map(r => num(r.slot)),
    );
    for (let slot = 1; slot <= maxSlots; slot++) {
      if (taken.has(slot)) continue;
      try {
        await this.db.transaction(async sp => {
          await sp('delivery_previews').insert({
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
            created_at: preview.createdAt,
            updated_at: preview.updatedAt,
            expires_at: preview.expiresAt,
          });
        });
        return true;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Someone took this slot (or the name) at the same moment: try the next.
      }
    }
    return false;
  }

  async get(id: string): Promise<Preview | undefined> {
    const row = await this.db('delivery_previews').where({ id }).first();
    return row ? toPreview(row) : undefined;
  }

  /** The live preview of a component for a pull request or branch, if any. */
  async findLive(
    componentRef: string,
    target: { pullRequest?: number; branch?: string },
  ): Promise<Preview | undefined> {
    const query = this.db('delivery_previews')
      .where('component_ref', componentRef)
      .whereIn('state', ['provisioning', 'ready']);
    if (target.pullRequest !== undefined)
      query.where('pull_request', target.pullRequest);
    else query.where('branch', target.branch ?? '').whereNull('pull_request');
    const row = await query.first();
    return row ? toPreview(row) : undefined;
  }

  async list(
    filter: { componentRef?: string; states?: PreviewState[] },
    page: { limit: number; cursor?: string },
  ): Promise<Page<Preview>> {
    const query = this.db('delivery_previews')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(page.limit + 1);
    if (filter.componentRef) query.where('component_ref', filter.componentRef);
    if (filter.states?.length) query.whereIn('state', filter.states);
    if (page.cursor) {
      const [createdAt, id] = decodeCursor(page.cursor);
      query.where(q =>
        q
          .where('created_at', '<', createdAt)
          .orWhere(q2 =>
            q2.where('created_at', createdAt).andWhere('id', '<', id),
          ),
      );
    }
    const rows = await query;
    const items = rows.slice(0, page.limit).map(toPreview);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > page.limit
          ? encodeCursor(last.createdAt, last.id)
          : undefined,
    };
  }

  /** Previews in a state, e.g. ready ones that expired before `expiredBefore`. */
  async inState(
    states: readonly PreviewState[],
    options: { expiredBefore?: number; limit: number },
  ): Promise<Preview[]> {
    const query = this.db('delivery_previews')
      .whereIn('state', states)
      .orderBy('expires_at', 'asc')
      .limit(options.limit);
    if (options.expiredBefore !== undefined) {
      query.where('expires_at', '<', options.expiredBefore);
    }
    return (await query).map(toPreview);
  }

  /** The live previews of every component, for finding orphaned namespaces. */
  async liveNamespaces(cluster: string): Promise<Set<string>> {
    const rows = await this.db('delivery_previews')
      .where('cluster', cluster)
      .whereNot('state', 'deleted')
      .select('namespace');
    return new Set(rows.map(r => r.namespace));
  }

  /**
   * Moves a preview from one of `from` to `to`; false if it was not in one of
   * them (someone else moved it first). Leaving the live states frees the slot.
   */
  async transition(
    id: string,
    from: readonly PreviewState[],
    to: PreviewState,
    options: { now: number; reason?: string; expiresAt?: number },
  ): Promise<boolean> {
    const patch: Record<string, unknown> = {
      state: to,
      updated_at: options.now,
    };
    if (options.reason !== undefined) patch.reason = options.reason;
    if (options.expiresAt !== undefined) patch.expires_at = options.expiresAt;
    if (!LIVE_PREVIEW_STATES.includes(to)) patch.slot = null;
    if (to === 'deleted') patch.deleted_at = options.now;
    const updated = await this.db('delivery_previews')
      .where('id', id)
      .whereIn('state', from)
      .update(patch);
    return updated === 1;
  }
}
