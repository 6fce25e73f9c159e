import { PromotionState } from '@backstage-delivery/plugin-delivery-common';
import { Knex } from 'knex';
import {
  Approval,
  GateVerdict,
  Promotion,
  PromotionKind,
  RolloutEvent,
  RolloutEventType,
  RolloutMetrics,
} from '../domain/types';
import type { PersonBehind } from '../domain/people';
import { ACTIVE } from './ArtifactStore';
import { ApprovalRow, PromotionRow, RolloutEventRow } from './rows';
import { MetricDayStore } from './MetricDayStore';
import {
  groupByPromotion,
  inTransaction,
  insertUnique,
  json,
  keysetPage,
  num,
  opt,
  optNum,
  Page,
} from './util';

export interface PromotionFilter {
  componentRef?: string;
  /** Only these components (the caller's view of the catalog). */
  componentRefs?: string[];
  environment?: string;
  states?: PromotionState[];
  kinds?: PromotionKind[];
  artifactId?: string;
  /** Created at or after, epoch ms. */
  since?: number;
  /** Created before, epoch ms. */
  until?: number;
}

/**
 * The promotion aggregate: requests, their approvals and rollout events.
 * At most one active promotion per component and environment, by schema;
 * state changes are conditional updates that report whether they happened.
 */
export class PromotionStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Inserts a promotion. An active one (awaiting approval, approved,
   * deploying, verifying) is refused with false when the component already
   * has an active promotion into that environment.
   */
  async insertPromotion(
    promotion: Promotion,
    active: boolean,
  ): Promise<boolean> {
    const row: PromotionRow = {
      id: promotion.id,
      component_ref: promotion.componentRef,
      environment: promotion.environment,
      ladder: promotion.ladder,
      artifact_id: promotion.artifactId,
      kind: promotion.kind,
      state: promotion.state,
      requested_by: promotion.requestedBy,
      triggered_by: promotion.triggeredBy ?? null,
      people: promotion.people ? JSON.stringify(promotion.people) : null,
      committing_teams: promotion.committingTeams
        ? JSON.stringify(promotion.committingTeams)
        : null,
      reason: promotion.reason ?? null,
      gates: JSON.stringify(promotion.gates),
      required_approvals: promotion.requiredApprovals,
      replaces_promotion_id: promotion.replacesPromotionId ?? null,
      outcome: promotion.outcome ?? null,
      active_lock: active ? ACTIVE : null,
      created_at: promotion.createdAt,
      updated_at: promotion.updatedAt,
      completed_at: promotion.completedAt ?? null,
      went_live_at:
        promotion.wentLiveAt ??
        (['succeeded', 'rolled-back'].includes(promotion.state)
          ? promotion.completedAt ?? null
          : null),
    };
    return this.withMetrics(promotion.id, trx =>
      insertUnique(trx, 'delivery_promotions', row),
    );
  }

  /**
   * Runs a write of a promotion and, when it wrote, recomputes the delivery
   * metrics it touches, in one transaction.
   */
  private withMetrics(
    promotionId: string,
    write: (trx: Knex.Transaction) => Promise<boolean>,
  ): Promise<boolean> {
    return inTransaction(this.db, async trx => {
      const wrote = await write(trx);
      if (wrote) await new MetricDayStore(trx).promotionChanged(promotionId);
      return wrote;
    });
  }

  async getPromotion(id: string): Promise<Promotion | undefined> {
    const row = await this.promotions().where({ id }).first();
    return row ? toPromotion(row) : undefined;
  }

  async getPromotions(ids: string[]): Promise<Map<string, Promotion>> {
    if (ids.length === 0) return new Map();
    const rows = await this.promotions().whereIn('id', [...new Set(ids)]);
    return new Map(rows.map(r => [r.id, toPromotion(r)]));
  }

  /** The active promotions of a component, one per environment at most. */
  async activePromotions(componentRef: string): Promise<Promotion[]> {
    const rows = await this.promotions()
      .where({ component_ref: componentRef, active_lock: ACTIVE })
      .orderBy('created_at', 'asc');
    return rows.map(toPromotion);
  }

  /** The active promotions of several components. */
  async activePromotionsOf(componentRefs: string[]): Promise<Promotion[]> {
    if (componentRefs.length === 0) return [];
    const rows = await this.promotions()
      .whereIn('component_ref', [...new Set(componentRefs)])
      .where('active_lock', ACTIVE);
    return rows.map(toPromotion);
  }

  async activePromotion(
    componentRef: string,
    environment: string,
  ): Promise<Promotion | undefined> {
    const row = await this.promotions()
      .where({ component_ref: componentRef, environment, active_lock: ACTIVE })
      .first();
    return row ? toPromotion(row) : undefined;
  }

  /** Promotions awaiting approval, oldest first. */
  async awaitingApproval(limit: number): Promise<Promotion[]> {
    const rows = await this.promotions()
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
    const rows = await this.promotions()
      .whereIn('component_ref', [...new Set(componentRefs)])
      .whereIn('state', ['failed', 'errored', 'rolled-back'])
      .where('updated_at', '>=', since)
      .orderBy('updated_at', 'desc')
      .limit(limit);
    return rows.map(toPromotion);
  }

  /** Every component with a promotion in the ledger. */
  async componentRefs(): Promise<string[]> {
    const rows = await this.promotions().distinct('component_ref');
    return rows.map(r => r.component_ref);
  }

  async listPromotions(
    filter: PromotionFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<Promotion>> {
    const query = this.promotions();
    if (filter.componentRef) query.where('component_ref', filter.componentRef);
    if (filter.componentRefs) {
      query.whereIn('component_ref', filter.componentRefs);
    }
    if (filter.environment) query.where('environment', filter.environment);
    if (filter.states?.length) query.whereIn('state', filter.states);
    if (filter.kinds?.length) query.whereIn('kind', filter.kinds);
    if (filter.artifactId) query.where('artifact_id', filter.artifactId);
    if (filter.since !== undefined)
      query.where('created_at', '>=', filter.since);
    if (filter.until !== undefined)
      query.where('created_at', '<', filter.until);
    return keysetPage(query, page, toPromotion);
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
    const patch: Partial<PromotionRow> = {
      state: to,
      updated_at: options.now,
      active_lock: options.active ? ACTIVE : null,
    };
    if (!options.active) patch.completed_at = options.now;
    // Live from its success on; a rollback later does not move it.
    if (to === 'succeeded') patch.went_live_at = options.now;
    if (options.outcome !== undefined) patch.outcome = options.outcome;
    return this.withMetrics(
      id,
      async trx =>
        (await trx<PromotionRow>('delivery_promotions')
          .where('id', id)
          .whereIn('state', from)
          .update(patch)) === 1,
    );
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
    const updated = await this.promotions()
      .where({ id, state })
      .update({ updated_at: now });
    return updated === 1;
  }

  /**
   * The succeeded (or later rolled back) promotions of a component into an
   * environment, by the time they went live, oldest first (or newest first),
   * optionally live after a time.
   */
  async releaseHistory(
    componentRef: string,
    environment: string,
    options: {
      artifactId?: string;
      liveAfter?: number;
      limit: number;
      newestFirst?: boolean;
    },
  ): Promise<Promotion[]> {
    const order = options.newestFirst ? 'desc' : 'asc';
    const query = this.promotions()
      .where({ component_ref: componentRef, environment })
      .whereIn('state', ['succeeded', 'rolled-back'])
      .orderBy([
        { column: 'went_live_at', order },
        { column: 'id', order },
      ])
      .limit(options.limit);
    if (options.artifactId) query.where('artifact_id', options.artifactId);
    if (options.liveAfter !== undefined) {
      query.where('went_live_at', '>', options.liveAfter);
    }
    return (await query).map(toPromotion);
  }

  /** Promotions of a component into an environment that succeeded and still count as good, newest first. */
  async knownGood(
    componentRef: string,
    environment: string,
    limit: number,
  ): Promise<Promotion[]> {
    const rows = await this.promotions()
      .where({ component_ref: componentRef, environment, state: 'succeeded' })
      .orderBy([
        { column: 'completed_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(toPromotion);
  }

  /** knownGood for several environments in one query, by environment. */
  async knownGoodIn(
    componentRef: string,
    environments: string[],
    limit: number,
  ): Promise<Map<string, Promotion[]>> {
    const result = new Map<string, Promotion[]>(
      environments.map(env => [env, []]),
    );
    if (environments.length === 0) return result;
    // Each environment's newest rows, as a derived table: SQLite allows no
    // ORDER BY or LIMIT on the parts of a UNION themselves.
    const [first, ...rest] = environments.map((environment, i) =>
      this.db.select('*').from(
        this.promotions()
          .where({
            component_ref: componentRef,
            environment,
            state: 'succeeded',
          })
          .orderBy([
            { column: 'completed_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .limit(limit)
          .as(`k${i}`),
      ),
    );
    const rows: PromotionRow[] = await (rest.length
      ? first.unionAll(rest)
      : first);
    for (const row of rows) result.get(row.environment)?.push(toPromotion(row));
    for (const list of result.values()) {
      list.sort(
        (a, b) =>
          (b.completedAt ?? 0) - (a.completedAt ?? 0) || (b.id < a.id ? -1 : 1),
      );
    }
    return result;
  }

  // Approvals

  /** Records an approval or rejection; false if this approver already decided. */
  async addApproval(promotionId: string, approval: Approval): Promise<boolean> {
    return this.withMetrics(promotionId, trx =>
      insertUnique(trx, 'delivery_approvals', {
        promotion_id: promotionId,
        approver_ref: approval.approverRef,
        decision: approval.decision,
        comment: approval.comment ?? null,
        outside_committing_team: approval.outsideCommittingTeam ?? null,
        created_at: approval.createdAt,
      }),
    );
  }

  async listApprovals(
    promotionIds: string[],
  ): Promise<Map<string, Approval[]>> {
    const rows = await this.byPromotion<ApprovalRow>(
      'delivery_approvals',
      promotionIds,
    );
    return groupByPromotion(rows, r => ({
      approverRef: r.approver_ref,
      decision: r.decision as Approval['decision'],
      comment: opt(r.comment),
      outsideCommittingTeam:
        r.outside_committing_team === null
          ? undefined
          : Boolean(r.outside_committing_team),
      createdAt: num(r.created_at),
    }));
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
    const rows = await this.byPromotion<RolloutEventRow>(
      'delivery_rollout_events',
      promotionIds,
    );
    return groupByPromotion(rows, r => ({
      id: num(r.id),
      type: r.type as RolloutEventType,
      metrics: json<RolloutMetrics>(r.metrics),
      message: opt(r.message),
      reportedBy: r.reported_by,
      createdAt: num(r.created_at),
    }));
  }

  private promotions() {
    return this.db<PromotionRow>('delivery_promotions');
  }

  /** The rows of a child table of promotions, oldest first. */
  private async byPromotion<Row extends { promotion_id: string }>(
    table: string,
    promotionIds: string[],
  ): Promise<Row[]> {
    if (promotionIds.length === 0) return [];
    return this.db<Row>(table)
      .whereIn('promotion_id', [...new Set(promotionIds)])
      .orderBy('id', 'asc') as Promise<Row[]>;
  }
}

/** A promotion row as the domain sees it. */
export function toPromotion(r: PromotionRow): Promotion {
  return {
    id: r.id,
    componentRef: r.component_ref,
    environment: r.environment,
    ladder: r.ladder,
    artifactId: r.artifact_id,
    kind: r.kind as PromotionKind,
    state: r.state as PromotionState,
    requestedBy: r.requested_by,
    triggeredBy: opt(r.triggered_by),
    people: json<PersonBehind[]>(r.people),
    committingTeams: json<string[]>(r.committing_teams),
    reason: opt(r.reason),
    gates: json<GateVerdict[]>(r.gates) ?? [],
    requiredApprovals: num(r.required_approvals),
    replacesPromotionId: opt(r.replaces_promotion_id),
    outcome: opt(r.outcome),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    completedAt: optNum(r.completed_at),
    wentLiveAt: optNum(r.went_live_at),
  };
}
