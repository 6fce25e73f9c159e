import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import {
  getDeliverySettings,
  PromotionState,
  resolveNamespace,
} from '@backstage-delivery/plugin-delivery-common';
import { EntityLookup } from '../../catalog/catalog';
import type { DeliveryConfig } from '../../config/types';
import { DeploymentUpdate } from '../../database/DeploymentStore';
import { Ledger } from '../../database/Ledger';
import {
  Deployment,
  ENDED_STATES,
  ExecutorType,
  retryDelay,
} from '../../domain/executions';
import { describeDeployRefusal } from '../../domain/gates';
import { environmentOfPromotion, isProductionLike } from '../../domain/ladder';
import { Promotion } from '../../domain/types';
import { checkPromotionNow, moveWithEvent } from '../promotions/transitions';
import type { GateEvidenceSource } from '../artifacts/AttestationService';
import { promotionDetail } from '../views';
import { ExecutionContext, Executor } from './Executor';
import { advance, Advance } from './steps';
import type { LedgerChanges } from '../notifications/LedgerChanges';

/** The reporter of what executors do, in rollout events and the audit log. */
export const EXECUTOR_REPORTER = 'delivery-executor';

/** Where an executor may move a promotion from, by where it moves it to. */
const MOVES_TO: Partial<Record<PromotionState, PromotionState[]>> = {
  deploying: ['approved'],
  verifying: ['deploying'],
  succeeded: ['deploying', 'verifying'],
  failed: ['deploying', 'verifying'],
  errored: ['approved', 'deploying', 'verifying'],
  aborted: ['approved'],
};

/** Most executions one run of the task starts or steps. */
const BATCH = 20;

/**
 * Carries approved promotions out with their environment's executor. One run
 * (a scheduled task, global scope): picks up approved promotions of
 * environments with an executor, then takes one step of each execution that
 * is due. Each execution is claimed with a conditional update and a lease,
 * so exactly one replica steps it at a time; a claim that outlives its lease
 * (a replica that died) is taken over, and steps are idempotent. Transient
 * errors are retried with backoff; after the last attempt the promotion ends
 * errored, with the reason, and what was changed is put back.
 */
export class ExecutionService {
  constructor(
    private readonly options: {
      ledger: Ledger;
      config: DeliveryConfig;
      catalog: EntityLookup;
      /** Evidence for the deploy-time checks, attestations judged again. */
      evidence: GateEvidenceSource;
      executors: Partial<Record<ExecutorType, Executor>>;
      /** This replica, as claims name it. */
      owner: string;
      logger: LoggerService;
      auditor?: AuditorService;
      /** Told of each move and each step (notifications, signals). */
      changes?: LedgerChanges;
      clock?: () => number;
    },
  ) {}

  private now() {
    return (this.options.clock ?? Date.now)();
  }

  async run(): Promise<{ started: string[]; stepped: string[] }> {
    const started = await this.pickUp();
    const { ledger, config, owner } = this.options;
    const stepped: string[] = [];
    const now = this.now();
    for (const deployment of await ledger.deployments.due(now, BATCH)) {
      const claimed = await ledger.deployments.claim(
        deployment.promotionId,
        owner,
        now,
        config.execution.leaseMs,
      );
      if (!claimed) continue;
      await this.step(deployment);
      stepped.push(deployment.promotionId);
    }
    return { started, stepped };
  }

  /** Starts an execution for each approved promotion of an executor's environment. */
  private async pickUp(): Promise<string[]> {
    const { ledger, config } = this.options;
    const environments = [...config.ladders.values()].flatMap(ladder =>
      ladder.environments
        .filter(env => this.options.executors[env.executor.type])
        .map(env => ({ ladder: ladder.name, environment: env.name })),
    );
    const promotions = await ledger.deployments.withoutDeployment(
      ['approved'],
      environments,
      BATCH,
    );
    const started: string[] = [];
    for (const promotion of promotions) {
      const env = environmentOfPromotion(config.ladders, promotion)!;
      const [artifact, releases] = await Promise.all([
        ledger.artifacts.getArtifact(promotion.artifactId),
        ledger.releases.getReleases(promotion.componentRef),
      ]);
      const release = releases.find(r => r.environment === env.name);
      const previous = release
        ? await ledger.artifacts.getArtifact(release.artifactId)
        : undefined;
      const now = this.now();
      const inserted = await ledger.deployments.insert({
        promotionId: promotion.id,
        componentRef: promotion.componentRef,
        environment: promotion.environment,
        executor: env.executor.type,
        phase: 'queued',
        attempt: 0,
        targetDigest: artifact!.digest,
        previousDigest: previous?.digest,
        memo: {},
        progress: {
          message: `queued for the ${env.executor.type} executor`,
          since: now,
        },
        nextRunAt: now,
        createdAt: now,
        updatedAt: now,
      });
      if (inserted) started.push(promotion.id);
    }
    return started;
  }

  /** Takes one step of a claimed execution and records it, while still holding the claim. */
  private async step(deployment: Deployment) {
    const { ledger, config, owner, logger } = this.options;
    const now = this.now();
    let update: DeploymentUpdate;
    let steps: Advance['steps'] = [];
    const ctx = await this.context(deployment, now);
    const executor = this.options.executors[deployment.executor];
    try {
      if (!ctx || !executor) {
        throw new Error(
          ctx
            ? `no ${deployment.executor} executor is configured`
            : `${deployment.componentRef} is not in the catalog, or its environment left the config`,
        );
      }
      ({ update, steps } = await advance(ctx, executor, {
        move: (to, event, outcome) => this.move(ctx, to, event, outcome),
        checks: moment => this.checks(ctx, moment),
        interval: config.execution.intervalMs,
      }));
    } catch (error) {
      ({ update, steps } = await this.failedAttempt(
        deployment,
        ctx,
        error as Error,
        now,
      ));
    }
    for (const s of steps) {
      await ledger.deployments.addStep(deployment.promotionId, {
        at: now,
        ...s,
      });
      await this.audit(deployment, s);
    }
    if (
      !(await ledger.deployments.update(
        deployment.promotionId,
        owner,
        update,
        now,
      ))
    ) {
      logger.warn(
        `Execution of promotion ${deployment.promotionId} was taken over by another replica while this one stepped it`,
      );
    } else if (ctx) {
      // Progress changed: open tabs refresh (a move already told its own,
      // so the promotion as this step began is enough to name it).
      await this.options.changes?.promotionChanged(
        ctx.promotion,
        ctx.promotion.state,
      );
    }
  }

  /** A transient error: retry with backoff, or end the promotion errored after the last attempt. */
  private async failedAttempt(
    deployment: Deployment,
    ctx: ExecutionContext | undefined,
    error: Error,
    now: number,
  ): Promise<Advance> {
    const { config, logger } = this.options;
    const attempt = deployment.attempt + 1;
    const reason = error.message;
    logger.warn(
      `Execution of promotion ${deployment.promotionId}, attempt ${attempt}: ${reason}`,
    );
    if (attempt < config.execution.maxAttempts) {
      const delay = retryDelay(attempt, config.execution.intervalMs);
      return {
        update: {
          attempt,
          nextRunAt: now + delay,
          progress: {
            ...deployment.progress,
            message: `attempt ${attempt} of ${
              config.execution.maxAttempts
            } failed: ${reason}; trying again in ${Math.round(delay / 1000)} s`,
            since: deployment.progress?.since ?? now,
          },
        },
        steps: [
          { action: 'retry', message: `attempt ${attempt} failed: ${reason}` },
        ],
      };
    }
    const outcome = `errored after ${attempt} attempts: ${reason}`;
    if (ctx)
      await this.move(
        ctx,
        'errored',
        { type: 'errored', message: outcome },
        outcome,
      );
    const revert =
      Boolean(deployment.memo.actedAt) && ctx?.promotion.kind !== 'rollback';
    return {
      update: {
        attempt,
        phase: revert ? 'reverting' : 'finished',
        nextRunAt: now,
        progress: { message: outcome, since: now },
      },
      steps: [{ action: 'errored', message: outcome }],
    };
  }

  /** Moves the promotion with a rollout event, as the executor. */
  private move(
    ctx: ExecutionContext,
    to: PromotionState,
    event: Parameters<typeof moveWithEvent>[2]['event'] | undefined,
    outcome?: string,
  ): Promise<boolean> {
    const from = MOVES_TO[to] ?? [];
    return moveWithEvent(this.options.ledger, ctx.promotion, {
      from,
      to,
      active: to === 'deploying' || to === 'verifying',
      outcome,
      event,
      reporter: EXECUTOR_REPORTER,
      now: ctx.now,
      changes: this.options.changes,
    });
  }

  /** The deploy-time checks, in words, or nothing when they pass. */
  private async checks(
    ctx: ExecutionContext,
    moment: 'deploy' | 'release',
  ): Promise<string | undefined> {
    const { failed } = await checkPromotionNow(
      this.options,
      ctx.promotion,
      ctx.now,
      moment,
    );
    return failed.length
      ? describeDeployRefusal(
          failed,
          ctx.environment.name,
          ctx.artifact.digest,
          moment,
        )
      : undefined;
  }

  private async context(
    deployment: Deployment,
    now: number,
  ): Promise<ExecutionContext | undefined> {
    const { ledger, config, catalog } = this.options;
    const view = await promotionDetail(ledger, deployment.promotionId);
    const environment = environmentOfPromotion(config.ladders, view.promotion);
    const entity = await catalog.getEntity(view.promotion.componentRef);
    if (!environment || !entity) return undefined;
    return {
      deployment,
      promotion: view.promotion,
      approvals: view.approvals,
      artifact: view.artifact,
      entity,
      environment,
      namespace: resolveNamespace(
        environment.namespace,
        view.promotion.componentRef,
        environment.name,
      ),
      kubernetesId: getDeliverySettings(entity).kubernetesId,
      now,
    };
  }

  /** Every step is audited like a request-driven change, as the executor. */
  private async audit(
    deployment: Deployment,
    step: { action: string; message: string },
  ) {
    if (!this.options.auditor) return;
    const event = await this.options.auditor.createEvent({
      eventId: 'promotion-execute',
      severityLevel: isProductionLike(
        this.options.config.ladders,
        deployment.environment,
      )
        ? 'high'
        : 'medium',
      meta: {
        actionType: step.action,
        component: deployment.componentRef,
        environment: deployment.environment,
        promotionId: deployment.promotionId,
        executor: deployment.executor,
        detail: step.message,
      },
    });
    if (['errored', 'retry'].includes(step.action)) {
      await event.fail({ error: new Error(step.message) });
    } else {
      await event.success();
    }
  }
}

/** Whether a promotion has ended (nothing more will happen to it). */
export function hasEnded(promotion: Promotion): boolean {
  return ENDED_STATES.includes(promotion.state);
}
