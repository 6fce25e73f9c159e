import { ConflictError, InputError } from '@backstage/errors';
import {
  EvidenceKind,
  PromotionState,
} from '@backstage-delivery/plugin-delivery-common';
import { Knex } from 'knex';
import {
  Approval,
  Artifact,
  ArtifactInput,
  Evidence,
  EvidenceResult,
  EvidenceSummary,
  GateVerdict,
  Promotion,
  PromotionKind,
  Quarantine,
  Release,
  RolloutEvent,
  RolloutEventType,
  RolloutMetrics,
} from '../domain/types';
import { shortDigest } from '../domain/describe';

/** A page of results, newest first, and the cursor of the next page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface PromotionFilter {
  componentRef?: string;
  environment?: string;
  states?: PromotionState[];
  kinds?: PromotionKind[];
  artifactId?: string;
  /** Created at or after, epoch ms. */
  since?: number;
  /** Created before, epoch ms. */
  until?: number;
}

/** Fields compared when the same artifact is recorded again. */
const ARTIFACT_FIELDS: Array<[keyof ArtifactInput, string]> = [
  ['imageRepository', 'image_repository'],
  ['commitSha', 'commit_sha'],
  ['commitTime', 'commit_time'],
  ['branch', 'branch'],
  ['buildId', 'build_id'],
  ['buildUrl', 'build_url'],
  ['sizeBytes', 'size_bytes'],
  ['baseImage', 'base_image'],
];

const ACTIVE = 'Y';

/** Columns of bigint type come back as strings from PostgreSQL. */
function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function optNum(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : num(value);
}

function opt<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}

function json<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e?.code === '23505' || // PostgreSQL
    e?.code === 'ER_DUP_ENTRY' || // MySQL
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    /UNIQUE constraint failed/.test(e?.message ?? '')
  );
}

export function encodeCursor(createdAt: number, id: string | number): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [number, string | number] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      (typeof value[1] === 'string' || typeof value[1] === 'number')
    ) {
      return value as [number, string | number];
    }
  } catch {
    // fall through
  }
  throw new InputError(
    'Invalid cursor; pass the nextCursor of a previous page unchanged',
  );
}

/**
 * Persistence of the delivery ledger. Conflicts that the schema detects
 * (a second active promotion, a moved tag) surface as results or
 * ConflictErrors, never as partial writes: multi-row changes run in
 * transactions, and inserts that may collide run in savepoints.
 */
export class DeliveryStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Runs `fn` in a transaction, with a store bound to it. */
  async transaction<T>(fn: (tx: DeliveryStore) => Promise<T>): Promise<T> {
    return this.db.transaction(trx => fn(new DeliveryStore(trx)));
  }

  /** Inserts a row in a savepoint; false if it violated a unique index. */
  private async insertUnique(table: string, row: object): Promise<boolean> {
    try {
      await this.db.transaction(async sp => {
        await sp(table).insert(row);
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  // Artifacts

  /**
   * Records an artifact and its tags. Recording the same artifact again is
   * idempotent (and may add tags); a different payload for the same digest,
   * or a tag that points to another digest, is a ConflictError and writes
   * nothing.
   */
  async recordArtifact(
    input: ArtifactInput & { id: string },
    createdBy: string,
    now: number,
  ): Promise<{ artifact: Artifact; created: boolean }> {
    return this.transaction(async tx => {
      let created = false;
      let existing = await tx.getArtifactByDigest(
        input.componentRef,
        input.digest,
      );
      if (!existing) {
        created = await tx.insertUnique('delivery_artifacts', {
          id: input.id,
          component_ref: input.componentRef,
          digest: input.digest,
          image_repository: input.imageRepository,
          commit_sha: input.commitSha,
          commit_time: input.commitTime ?? null,
          branch: input.branch ?? null,
          build_id: input.buildId ?? null,
          build_url: input.buildUrl ?? null,
          size_bytes: input.sizeBytes ?? null,
          base_image: input.baseImage ?? null,
          created_by: createdBy,
          created_at: now,
        });
        existing = await tx.getArtifactByDigest(
          input.componentRef,
          input.digest,
        );
      }
      if (!existing) {
        throw new Error(`Artifact ${input.digest} vanished while recording it`);
      }
      if (!created) {
        for (const [field] of ARTIFACT_FIELDS) {
          if ((existing[field] ?? null) !== (input[field] ?? null)) {
            throw new ConflictError(
              `${shortDigest(input.digest)} is already recorded for ${
                input.componentRef
              } with ${field} ${JSON.stringify(
                existing[field] ?? null,
              )}, not ${JSON.stringify(
                input[field] ?? null,
              )}; an artifact never changes, so record the new build under its own digest`,
            );
          }
        }
      }
      const tags = await tx
        .db('delivery_artifact_tags')
        .where('component_ref', input.componentRef)
        .whereIn('tag', input.tags);
      for (const tag of tags) {
        if (tag.artifact_id !== existing.id) {
          const other = await tx.getArtifact(tag.artifact_id);
          throw new ConflictError(
            `Tag ${tag.tag} of ${
              input.componentRef
            } already points to ${shortDigest(
              other?.digest ?? tag.artifact_id,
            )}; tags never move to another digest`,
          );
        }
      }
      const known = new Set(tags.map(t => t.tag));
      for (const tag of input.tags.filter(t => !known.has(t))) {
        const inserted = await tx.insertUnique('delivery_artifact_tags', {
          component_ref: input.componentRef,
          tag,
          artifact_id: existing.id,
          created_by: createdBy,
          created_at: now,
        });
        if (!inserted) {
          throw new ConflictError(
            `Tag ${tag} of ${input.componentRef} was just given to another artifact; tags never move`,
          );
        }
      }
      const artifact = (await tx.getArtifact(existing.id))!;
      return { artifact, created };
    });
  }

  async getArtifact(id: string): Promise<Artifact | undefined> {
    const row = await this.db('delivery_artifacts').where({ id }).first();
    return row ? (await this.withTags([row]))[0] : undefined;
  }

  async getArtifactByDigest(
    componentRef: string,
    digest: string,
  ): Promise<Artifact | undefined> {
    const row = await this.db('delivery_artifacts')
      .where({ component_ref: componentRef, digest })
      .first();
    return row ? (await this.withTags([row]))[0] : undefined;
  }

  async getArtifacts(ids: string[]): Promise<Map<string, Artifact>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db('delivery_artifacts').whereIn('id', [
      ...new Set(ids),
    ]);
    return new Map((await this.withTags(rows)).map(a => [a.id, a]));
  }

  /** Artifacts of a component, newest first. */
  async listArtifacts(options: {
    componentRef: string;
    limit: number;
    cursor?: string;
  }): Promise<Page<Artifact>> {
    const query = this.db('delivery_artifacts')
      .where('component_ref', options.componentRef)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit + 1);
    if (options.cursor) {
      const [createdAt, id] = decodeCursor(options.cursor);
      query.where(q =>
        q
          .where('created_at', '<', createdAt)
          .orWhere(q2 =>
            q2.where('created_at', createdAt).andWhere('id', '<', id),
          ),
      );
    }
    const rows = await query;
    const items = await this.withTags(rows.slice(0, options.limit));
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > options.limit
          ? encodeCursor(last.createdAt, last.id)
          : undefined,
    };
  }

  /** The newest artifacts of a component. */
  async newestArtifacts(
    componentRef: string,
    limit: number,
  ): Promise<Artifact[]> {
    const rows = await this.db('delivery_artifacts')
      .where('component_ref', componentRef)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return this.withTags(rows);
  }

  private async withTags(rows: any[]): Promise<Artifact[]> {
    if (rows.length === 0) return [];
    const tags = await this.db('delivery_artifact_tags')
      .whereIn(
        'artifact_id',
        rows.map(r => r.id),
      )
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'tag', order: 'asc' },
      ]);
    const byArtifact = new Map<string, string[]>();
    for (const t of tags) {
      byArtifact.set(t.artifact_id, [
        ...(byArtifact.get(t.artifact_id) ?? []),
        t.tag,
      ]);
    }
    return rows.map(r => ({
      id: r.id,
      componentRef: r.component_ref,
      digest: r.digest,
      imageRepository: r.image_repository,
      tags: byArtifact.get(r.id) ?? [],
      commitSha: r.commit_sha,
      commitTime: optNum(r.commit_time),
      branch: opt(r.branch),
      buildId: opt(r.build_id),
      buildUrl: opt(r.build_url),
      sizeBytes: optNum(r.size_bytes),
      baseImage: opt(r.base_image),
      createdBy: r.created_by,
      createdAt: num(r.created_at),
    }));
  }

  // Evidence

  async addEvidence(evidence: {
    artifactId: string;
    kind: EvidenceKind;
    result: EvidenceResult;
    summary?: EvidenceSummary;
    url?: string;
    reportedBy: string;
    reportedAt: number;
  }): Promise<Evidence> {
    const row = {
      artifact_id: evidence.artifactId,
      kind: evidence.kind,
      result: evidence.result,
      status: 'reported',
      summary: evidence.summary ? JSON.stringify(evidence.summary) : null,
      url: evidence.url ?? null,
      reported_by: evidence.reportedBy,
      reported_at: evidence.reportedAt,
    };
    const id = await this.insertReturningId('delivery_evidence', row);
    return toEvidence({ id, ...row });
  }

  /** Inserts a row with an auto-increment id and returns the id. */
  private async insertReturningId(table: string, row: object): Promise<number> {
    const client = String(this.db.client.config.client);
    if (client.includes('mysql')) {
      const [id] = await this.db(table).insert(row);
      return num(id);
    }
    const [inserted] = await this.db(table).insert(row).returning('id');
    return num(typeof inserted === 'object' ? inserted.id : inserted);
  }

  /** Every piece of evidence of an artifact, oldest first. */
  async listEvidence(artifactId: string): Promise<Evidence[]> {
    const rows = await this.db('delivery_evidence')
      .where('artifact_id', artifactId)
      .orderBy('id', 'asc');
    return rows.map(toEvidence);
  }

  /** The latest evidence of each kind, per artifact. */
  async latestEvidence(
    artifactIds: string[],
  ): Promise<Map<string, Evidence[]>> {
    const result = new Map<string, Evidence[]>();
    if (artifactIds.length === 0) return result;
    const latest = this.db('delivery_evidence')
      .select('artifact_id', 'kind')
      .max({ id: 'id' })
      .whereIn('artifact_id', [...new Set(artifactIds)])
      .groupBy('artifact_id', 'kind')
      .as('latest');
    const rows = await this.db('delivery_evidence as e')
      .join(latest, 'e.id', 'latest.id')
      .select('e.*')
      .orderBy('e.kind');
    for (const row of rows) {
      const evidence = toEvidence(row);
      result.set(evidence.artifactId, [
        ...(result.get(evidence.artifactId) ?? []),
        evidence,
      ]);
    }
    return result;
  }

  // Quarantines

  /** Quarantines an artifact; false if it already is. */
  async quarantine(
    artifactId: string,
    reason: string,
    by: string,
    now: number,
  ): Promise<boolean> {
    return this.insertUnique('delivery_quarantines', {
      artifact_id: artifactId,
      reason,
      quarantined_by: by,
      quarantined_at: now,
      active_lock: ACTIVE,
    });
  }

  /** Lifts the active quarantine of an artifact; false if there is none. */
  async liftQuarantine(
    artifactId: string,
    reason: string,
    by: string,
    now: number,
  ): Promise<boolean> {
    const updated = await this.db('delivery_quarantines')
      .where({ artifact_id: artifactId, active_lock: ACTIVE })
      .update({
        active_lock: null,
        lift_reason: reason,
        lifted_by: by,
        lifted_at: now,
      });
    return updated === 1;
  }

  async activeQuarantines(
    artifactIds: string[],
  ): Promise<Map<string, Quarantine>> {
    if (artifactIds.length === 0) return new Map();
    const rows = await this.db('delivery_quarantines')
      .whereIn('artifact_id', [...new Set(artifactIds)])
      .where('active_lock', ACTIVE);
    return new Map(rows.map(r => [r.artifact_id, toQuarantine(r)]));
  }

  async listQuarantines(artifactId: string): Promise<Quarantine[]> {
    const rows = await this.db('delivery_quarantines')
      .where('artifact_id', artifactId)
      .orderBy('id', 'asc');
    return rows.map(toQuarantine);
  }

  // Promotions

  /**
   * Inserts a promotion. An active one (awaiting approval, approved,
   * deploying, verifying) is refused with false when the component already
   * has an active promotion into that environment.
   */
  async insertPromotion(
    promotion: Promotion,
    active: boolean,
  ): Promise<boolean> {
    return this.insertUnique('delivery_promotions', {
      id: promotion.id,
      component_ref: promotion.componentRef,
      environment: promotion.environment,
      ladder: promotion.ladder,
      artifact_id: promotion.artifactId,
      kind: promotion.kind,
      state: promotion.state,
      requested_by: promotion.requestedBy,
      reason: promotion.reason ?? null,
      gates: JSON.stringify(promotion.gates),
      required_approvals: promotion.requiredApprovals,
      replaces_promotion_id: promotion.replacesPromotionId ?? null,
      outcome: promotion.outcome ?? null,
      active_lock: active ? ACTIVE : null,
      created_at: promotion.createdAt,
      updated_at: promotion.updatedAt,
      completed_at: promotion.completedAt ?? null,
    });
  }

  async getPromotion(id: string): Promise<Promotion | undefined> {
    const row = await this.db('delivery_promotions').where({ id }).first();
    return row ? toPromotion(row) : undefined;
  }

  async getPromotions(ids: string[]): Promise<Map<string, Promotion>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db('delivery_promotions').whereIn('id', [
      ...new Set(ids),
    ]);
    return new Map(rows.map(r => [r.id, toPromotion(r)]));
  }

  /** The active promotions of a component, one per environment at most. */
  async activePromotions(componentRef: string): Promise<Promotion[]> {
    const rows = await this.db('delivery_promotions')
      .where({ component_ref: componentRef, active_lock: ACTIVE })
      .orderBy('created_at', 'asc');
    return rows.map(toPromotion);
  }

  /** The active promotions of several components. */
  async activePromotionsOf(componentRefs: string[]): Promise<Promotion[]> {
    if (componentRefs.length === 0) return [];
    const rows = await this.db('delivery_promotions')
      .whereIn('component_ref', [...new Set(componentRefs)])
      .where('active_lock', ACTIVE);
    return rows.map(toPromotion);
  }

  /** Promotions awaiting approval, oldest first. */
  async awaitingApproval(limit: number): Promise<Promotion[]> {
    const rows = await this.db('delivery_promotions')
      .where('state', 'awaiting-approval')
      .orderBy('updated_at', 'asc')
      .limit(limit);
    return rows.map(toPromotion);
  }

  /**
   * Promotions of several components that failed, errored or were rolled back
   * since a time, newest first.
   */
  async recentFailures(
    componentRefs: string[],
    since: number,
    limit: number,
  ): Promise<Promotion[]> {
    if (componentRefs.length === 0) return [];
    const rows = await this.db('delivery_promotions')
      .whereIn('component_ref', [...new Set(componentRefs)])
      .whereIn('state', ['failed', 'errored', 'rolled-back'])
      .where('updated_at', '>=', since)
      .orderBy('updated_at', 'desc')
      .limit(limit);
    return rows.map(toPromotion);
  }

  async activePromotion(
    componentRef: string,
    environment: string,
  ): Promise<Promotion | undefined> {
    const row = await this.db('delivery_promotions')
      .where({ component_ref: componentRef, environment, active_lock: ACTIVE })
      .first();
    return row ? toPromotion(row) : undefined;
  }

  async listPromotions(
    filter: PromotionFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<Promotion>> {
    const query = this.db('delivery_promotions')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(page.limit + 1);
    if (filter.componentRef) query.where('component_ref', filter.componentRef);
    if (filter.environment) query.where('environment', filter.environment);
    if (filter.states?.length) query.whereIn('state', filter.states);
    if (filter.kinds?.length) query.whereIn('kind', filter.kinds);
    if (filter.artifactId) query.where('artifact_id', filter.artifactId);
    if (filter.since !== undefined)
      query.where('created_at', '>=', filter.since);
    if (filter.until !== undefined)
      query.where('created_at', '<', filter.until);
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
    const items = rows.slice(0, page.limit).map(toPromotion);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > page.limit
          ? encodeCursor(last.createdAt, last.id)
          : undefined,
    };
  }

  /**
   * Moves a promotion from one of `from` to `to`, in one conditional update.
   * Returns false when the promotion was not in one of `from` (someone else
   * moved it first).
   */
  async transition(
    id: string,
    from: readonly PromotionState[],
    to: PromotionState,
    options: { now: number; active: boolean; outcome?: string },
  ): Promise<boolean> {
    const patch: Record<string, unknown> = {
      state: to,
      updated_at: options.now,
      active_lock: options.active ? ACTIVE : null,
    };
    if (!options.active) patch.completed_at = options.now;
    if (options.outcome !== undefined) patch.outcome = options.outcome;
    const updated = await this.db('delivery_promotions')
      .where('id', id)
      .whereIn('state', from)
      .update(patch);
    return updated === 1;
  }

  /**
   * Takes the row lock of a promotion in the given state (PostgreSQL, MySQL;
   * SQLite serialises writers anyway), so that concurrent approvals count each
   * other. Returns false if the promotion is not in that state.
   */
  async lockPromotion(
    id: string,
    state: PromotionState,
    now: number,
  ): Promise<boolean> {
    const updated = await this.db('delivery_promotions')
      .where({ id, state })
      .update({ updated_at: now });
    return updated === 1;
  }

  /**
   * The succeeded (or later rolled back) promotions of a component into an
   * environment, oldest first, from `since` on.
   */
  async releaseHistory(
    componentRef: string,
    environment: string,
    options: {
      artifactId?: string;
      completedAfter?: number;
      limit: number;
      newestFirst?: boolean;
    },
  ): Promise<Promotion[]> {
    const query = this.db('delivery_promotions')
      .where({ component_ref: componentRef, environment })
      .whereIn('state', ['succeeded', 'rolled-back'])
      .orderBy([
        { column: 'completed_at', order: options.newestFirst ? 'desc' : 'asc' },
        { column: 'id', order: options.newestFirst ? 'desc' : 'asc' },
      ])
      .limit(options.limit);
    if (options.artifactId) query.where('artifact_id', options.artifactId);
    if (options.completedAfter !== undefined) {
      query.where('completed_at', '>', options.completedAfter);
    }
    const rows = await query;
    return rows.map(toPromotion);
  }

  /** Promotions of a component into an environment that succeeded and still count as good, newest first. */
  async knownGood(
    componentRef: string,
    environment: string,
    limit: number,
  ): Promise<Promotion[]> {
    const rows = await this.db('delivery_promotions')
      .where({ component_ref: componentRef, environment, state: 'succeeded' })
      .orderBy([
        { column: 'completed_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(toPromotion);
  }

  // Approvals

  /** Records an approval or rejection; false if this approver already decided. */
  async addApproval(promotionId: string, approval: Approval): Promise<boolean> {
    return this.insertUnique('delivery_approvals', {
      promotion_id: promotionId,
      approver_ref: approval.approverRef,
      decision: approval.decision,
      comment: approval.comment ?? null,
      created_at: approval.createdAt,
    });
  }

  async listApprovals(
    promotionIds: string[],
  ): Promise<Map<string, Approval[]>> {
    const result = new Map<string, Approval[]>();
    if (promotionIds.length === 0) return result;
    const rows = await this.db('delivery_approvals')
      .whereIn('promotion_id', [...new Set(promotionIds)])
      .orderBy('id', 'asc');
    for (const r of rows) {
      result.set(r.promotion_id, [
        ...(result.get(r.promotion_id) ?? []),
        {
          approverRef: r.approver_ref,
          decision: r.decision,
          comment: opt(r.comment),
          createdAt: num(r.created_at),
        },
      ]);
    }
    return result;
  }

  // Rollout events

  async addRolloutEvent(
    promotionId: string,
    event: Omit<RolloutEvent, 'id'>,
  ): Promise<void> {
    await this.db('delivery_rollout_events').insert({
      promotion_id: promotionId,
      type: event.type,
      metrics: event.metrics ? JSON.stringify(event.metrics) : null,
      message: event.message ?? null,
      reported_by: event.reportedBy,
      created_at: event.createdAt,
    });
  }

  async listRolloutEvents(
    promotionIds: string[],
  ): Promise<Map<string, RolloutEvent[]>> {
    const result = new Map<string, RolloutEvent[]>();
    if (promotionIds.length === 0) return result;
    const rows = await this.db('delivery_rollout_events')
      .whereIn('promotion_id', [...new Set(promotionIds)])
      .orderBy('id', 'asc');
    for (const r of rows) {
      result.set(r.promotion_id, [
        ...(result.get(r.promotion_id) ?? []),
        {
          id: num(r.id),
          type: r.type as RolloutEventType,
          metrics: json<RolloutMetrics>(r.metrics),
          message: opt(r.message),
          reportedBy: r.reported_by,
          createdAt: num(r.created_at),
        },
      ]);
    }
    return result;
  }

  // Releases

  async getReleases(componentRef: string): Promise<Release[]> {
    const rows = await this.db('delivery_releases').where(
      'component_ref',
      componentRef,
    );
    return rows.map(toRelease);
  }

  async releasesOfComponents(componentRefs: string[]): Promise<Release[]> {
    if (componentRefs.length === 0) return [];
    const rows = await this.db('delivery_releases').whereIn('component_ref', [
      ...new Set(componentRefs),
    ]);
    return rows.map(toRelease);
  }

  async releasesOfArtifacts(
    artifactIds: string[],
  ): Promise<Map<string, Release[]>> {
    const result = new Map<string, Release[]>();
    if (artifactIds.length === 0) return result;
    const rows = await this.db('delivery_releases').whereIn('artifact_id', [
      ...new Set(artifactIds),
    ]);
    for (const row of rows) {
      const release = toRelease(row);
      result.set(release.artifactId, [
        ...(result.get(release.artifactId) ?? []),
        release,
      ]);
    }
    return result;
  }

  /** Makes `release` the current release of its component and environment. */
  async setRelease(release: Release): Promise<void> {
    const row = {
      promotion_id: release.promotionId,
      artifact_id: release.artifactId,
      released_at: release.releasedAt,
      released_by: release.releasedBy,
    };
    const updated = await this.db('delivery_releases')
      .where({
        component_ref: release.componentRef,
        environment: release.environment,
      })
      .update(row);
    if (updated === 0) {
      await this.db('delivery_releases').insert({
        component_ref: release.componentRef,
        environment: release.environment,
        ...row,
      });
    }
  }

  /** Whether the ledger holds anything at all. */
  async isEmpty(): Promise<boolean> {
    const row = await this.db('delivery_artifacts').select('id').first();
    return !row;
  }
}

function toEvidence(r: any): Evidence {
  return {
    id: num(r.id),
    artifactId: r.artifact_id,
    kind: r.kind,
    result: r.result,
    status: r.status,
    summary: json<EvidenceSummary>(r.summary),
    url: opt(r.url),
    reportedBy: r.reported_by,
    reportedAt: num(r.reported_at),
  };
}

function toQuarantine(r: any): Quarantine {
  return {
    id: num(r.id),
    artifactId: r.artifact_id,
    reason: r.reason,
    quarantinedBy: r.quarantined_by,
    quarantinedAt: num(r.quarantined_at),
    liftReason: opt(r.lift_reason),
    liftedBy: opt(r.lifted_by),
    liftedAt: optNum(r.lifted_at),
  };
}

function toPromotion(r: any): Promotion {
  return {
    id: r.id,
    componentRef: r.component_ref,
    environment: r.environment,
    ladder: r.ladder,
    artifactId: r.artifact_id,
    kind: r.kind,
    state: r.state,
    requestedBy: r.requested_by,
    reason: opt(r.reason),
    gates: json<GateVerdict[]>(r.gates) ?? [],
    requiredApprovals: num(r.required_approvals),
    replacesPromotionId: opt(r.replaces_promotion_id),
    outcome: opt(r.outcome),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    completedAt: optNum(r.completed_at),
  };
}

function toRelease(r: any): Release {
  return {
    componentRef: r.component_ref,
    environment: r.environment,
    promotionId: r.promotion_id,
    artifactId: r.artifact_id,
    releasedAt: num(r.released_at),
    releasedBy: r.released_by,
  };
}
