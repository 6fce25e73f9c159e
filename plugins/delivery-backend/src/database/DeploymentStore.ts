import { Knex } from 'knex';
import {
  Deployment,
  DeploymentMemo,
  DeploymentPhase,
  DeploymentProgress,
  DeploymentStep,
  ExecutorType,
} from '../domain/executions';
import { Promotion } from '../domain/types';
import { toPromotion } from './PromotionStore';
import { DeploymentRow, DeploymentStepRow, PromotionRow } from './rows';
import { insertUnique, json, num, opt, optNum } from './util';

/** What a step of an execution changes on its deployment. */
export interface DeploymentUpdate {
  phase?: DeploymentPhase;
  attempt?: number;
  memo?: DeploymentMemo;
  progress?: DeploymentProgress;
  previousDigest?: string;
  nextRunAt: number;
}

/**
 * The deployment aggregate: one execution per promotion, claimed by one
 * replica at a time. A claim is a conditional update that succeeds only when
 * nobody holds the deployment or the holder's lease has run out; every write
 * of a step is conditional on still holding it.
 */
export class DeploymentStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Starts the execution of a promotion; false if it already has one. */
  async insert(deployment: Deployment): Promise<boolean> {
    return insertUnique(this.db, 'delivery_deployments', {
      promotion_id: deployment.promotionId,
      component_ref: deployment.componentRef,
      environment: deployment.environment,
      executor: deployment.executor,
      phase: deployment.phase,
      attempt: deployment.attempt,
      target_digest: deployment.targetDigest,
      previous_digest: deployment.previousDigest ?? null,
      memo: JSON.stringify(deployment.memo),
      progress: deployment.progress
        ? JSON.stringify(deployment.progress)
        : null,
      claimed_by: null,
      lease_expires_at: null,
      next_run_at: deployment.nextRunAt,
      created_at: deployment.createdAt,
      updated_at: deployment.updatedAt,
      finished_at: null,
    });
  }

  async get(promotionId: string): Promise<Deployment | undefined> {
    const row = await this.deployments()
      .where({ promotion_id: promotionId })
      .first();
    return row ? toDeployment(row) : undefined;
  }

  async getMany(promotionIds: string[]): Promise<Map<string, Deployment>> {
    if (promotionIds.length === 0) return new Map();
    const rows = await this.deployments().whereIn('promotion_id', [
      ...new Set(promotionIds),
    ]);
    return new Map(rows.map(r => [r.promotion_id, toDeployment(r)]));
  }

  /**
   * Promotions in `states` into one of `environments` that have no execution
   * yet, oldest first: what the executors should pick up.
   */
  async withoutDeployment(
    states: string[],
    environments: Array<{ ladder: string; environment: string }>,
    limit: number,
  ): Promise<Promotion[]> {
    if (environments.length === 0) return [];
    const rows: PromotionRow[] = await this.db<PromotionRow>(
      'delivery_promotions as p',
    )
      .leftJoin('delivery_deployments as d', 'd.promotion_id', 'p.id')
      .whereNull('d.promotion_id')
      .whereIn('p.state', states)
      .where(q => {
        for (const e of environments) {
          q.orWhere(w =>
            w
              .where('p.ladder', e.ladder)
              .andWhere('p.environment', e.environment),
          );
        }
      })
      .orderBy('p.updated_at', 'asc')
      .limit(limit)
      .select('p.*');
    return rows.map(toPromotion);
  }

  /** Unfinished executions that are due and that nobody holds (or whose lease ran out). */
  async due(now: number, limit: number): Promise<Deployment[]> {
    const rows = await this.deployments()
      .whereNot('phase', 'finished')
      .where('next_run_at', '<=', now)
      .where(q =>
        q.whereNull('claimed_by').orWhere('lease_expires_at', '<', now),
      )
      .orderBy('next_run_at', 'asc')
      .limit(limit);
    return rows.map(toDeployment);
  }

  /**
   * Claims an execution for `owner` until `now + leaseMs`: true only when
   * nobody held it or the holder's lease had run out.
   */
  async claim(
    promotionId: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<boolean> {
    const updated = await this.deployments()
      .where('promotion_id', promotionId)
      .whereNot('phase', 'finished')
      .where(q =>
        q.whereNull('claimed_by').orWhere('lease_expires_at', '<', now),
      )
      .update({ claimed_by: owner, lease_expires_at: now + leaseMs });
    return updated === 1;
  }

  /**
   * Records a step's outcome and lets go of the claim, only if `owner` still
   * holds it; false if another replica took it over meanwhile.
   */
  async update(
    promotionId: string,
    owner: string,
    update: DeploymentUpdate,
    now: number,
  ): Promise<boolean> {
    const patch: Partial<DeploymentRow> = {
      next_run_at: update.nextRunAt,
      updated_at: now,
      claimed_by: null,
      lease_expires_at: null,
    };
    if (update.phase) patch.phase = update.phase;
    if (update.phase === 'finished') patch.finished_at = now;
    if (update.attempt !== undefined) patch.attempt = update.attempt;
    if (update.memo) patch.memo = JSON.stringify(update.memo);
    if (update.progress) patch.progress = JSON.stringify(update.progress);
    if (update.previousDigest) patch.previous_digest = update.previousDigest;
    const updated = await this.deployments()
      .where({ promotion_id: promotionId, claimed_by: owner })
      .update(patch);
    return updated === 1;
  }

  async addStep(
    promotionId: string,
    step: { at: number; action: string; message: string },
  ): Promise<void> {
    await this.db<DeploymentStepRow>('delivery_deployment_steps').insert({
      promotion_id: promotionId,
      at: step.at,
      action: step.action,
      message: step.message,
    });
  }

  /** The steps of an execution, oldest first. */
  async steps(promotionId: string): Promise<DeploymentStep[]> {
    const rows = await this.db<DeploymentStepRow>('delivery_deployment_steps')
      .where('promotion_id', promotionId)
      .orderBy('id', 'asc');
    return rows.map(r => ({
      id: num(r.id),
      promotionId: r.promotion_id,
      at: num(r.at),
      action: r.action,
      message: r.message,
    }));
  }

  private deployments() {
    return this.db<DeploymentRow>('delivery_deployments');
  }
}

function toDeployment(r: DeploymentRow): Deployment {
  return {
    promotionId: r.promotion_id,
    componentRef: r.component_ref,
    environment: r.environment,
    executor: r.executor as ExecutorType,
    phase: r.phase as DeploymentPhase,
    attempt: num(r.attempt),
    targetDigest: r.target_digest,
    previousDigest: opt(r.previous_digest),
    memo: json<DeploymentMemo>(r.memo) ?? {},
    progress: json<DeploymentProgress>(r.progress),
    claimedBy: opt(r.claimed_by),
    leaseExpiresAt: optNum(r.lease_expires_at),
    nextRunAt: num(r.next_run_at),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    finishedAt: optNum(r.finished_at),
  };
}
