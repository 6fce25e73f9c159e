import { ConflictError } from '@backstage/errors';
import type { DeliveryConfig } from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { listInWords } from '../../domain/describe';
import { describeDeployRefusal } from '../../domain/gates';
import { environmentOfPromotion } from '../../domain/ladder';
import {
  describeWrongState,
  isActive,
  ROLLOUT_TRANSITIONS,
} from '../../domain/stateMachine';
import { thresholdBreaches } from '../../domain/thresholds';
import {
  Actor,
  Artifact,
  Promotion,
  RolloutEventType,
  RolloutMetrics,
} from '../../domain/types';
import { promotionDetail, PromotionView } from '../views';
import { checkPromotionNow, moveWithEvent } from './transitions';
import type { GateEvidenceSource } from '../artifacts/AttestationService';
import type { LedgerChanges } from '../notifications/LedgerChanges';

/** Executors that report their own progress: pipelines do not report for them. */
const SELF_REPORTING = ['kubernetes', 'gitops'];

/**
 * Rollouts that pipelines report (the external executor, and the
 * github-actions executor's workflow): deploying, verifying, succeeded,
 * failed, errored; failures the cluster shows during verification.
 */
export class RolloutService {
  constructor(
    private readonly options: {
      ledger: Ledger;
      config: DeliveryConfig;
      evidence: GateEvidenceSource;
      /** Told of each move (notifications, signals). */
      changes?: LedgerChanges;
      clock?: () => number;
    },
  ) {}

  private now() {
    return (this.options.clock ?? Date.now)();
  }

  /**
   * Applies a rollout event reported by a pipeline. Before deploying, and
   * before verifying or releasing, the gates that can change since the
   * request are judged again: a quarantined build is never deployed nor
   * released. Verification metrics are held against the environment's
   * rollback thresholds; a breach fails the promotion with the breach as its
   * outcome.
   */
  async reportRolloutEvent(
    id: string,
    input: {
      type: RolloutEventType;
      metrics?: RolloutMetrics;
      message?: string;
    },
    actor: Actor,
  ): Promise<PromotionView> {
    const { ledger, config } = this.options;
    const { promotion } = await promotionDetail(ledger, id);
    const env = environmentOfPromotion(config.ladders, promotion);
    const executor = env?.executor.type ?? 'external';
    if (SELF_REPORTING.includes(executor)) {
      throw new ConflictError(
        `${promotion.environment} is deployed by the portal's ${executor} executor, which reports its own progress; pipelines do not report events for it`,
      );
    }
    const rule = ROLLOUT_TRANSITIONS[input.type];
    const now = this.now();
    let to = rule.to;
    let outcome = rolloutOutcome(input, [], promotion.environment);

    if (input.type === 'deploying') {
      const { failed, artifact } = await checkPromotionNow(
        this.options,
        promotion,
        now,
        'deploy',
      );
      if (failed.length) {
        throw new ConflictError(
          describeDeployRefusal(failed, promotion.environment, artifact.digest),
        );
      }
    }
    if (input.type === 'verifying' || input.type === 'succeeded') {
      const breaches = thresholdBreaches(
        input.metrics,
        env?.rollbackThresholds ?? {},
      );
      if (breaches.length) {
        to = 'failed';
        outcome = rolloutOutcome(input, breaches, promotion.environment);
      } else {
        const { failed, artifact } = await checkPromotionNow(
          this.options,
          promotion,
          now,
          'release',
        );
        if (failed.length) {
          to = 'failed';
          outcome = describeDeployRefusal(
            failed,
            promotion.environment,
            artifact.digest,
            'release',
          );
        }
      }
    }

    const moved = await moveWithEvent(ledger, promotion, {
      from: rule.from,
      to,
      active: isActive(to),
      outcome,
      event: input,
      reporter: actor.ref,
      now,
      changes: this.options.changes,
    });
    if (!moved) {
      const current = (await ledger.promotions.getPromotion(id))!;
      throw new ConflictError(
        describeWrongState(`report ${input.type}`, current.state, rule.from),
      );
    }
    return promotionDetail(ledger, id);
  }

  /**
   * Fails a promotion that is verifying, from observations of the cluster
   * (the verification reconciler). False if it was no longer verifying.
   */
  async failVerification(
    id: string,
    breaches: string[],
    metrics: RolloutMetrics,
    reporter: string,
  ): Promise<boolean> {
    const { ledger } = this.options;
    const promotion = await ledger.promotions.getPromotion(id);
    if (!promotion) return false;
    return moveWithEvent(ledger, promotion, {
      from: ['verifying'],
      to: 'failed',
      active: false,
      outcome: `verification failed: ${listInWords(
        breaches,
      )} (observed in the cluster)`,
      event: {
        type: 'failed',
        metrics,
        message: `observed in the cluster: ${listInWords(breaches)}`,
      },
      changes: this.options.changes,
      reporter,
      now: this.now(),
    });
  }

  /**
   * Every promotion that a pipeline verifies now, with its artifact, page by
   * page (executors that follow the rollout verify their own).
   */
  async *verifying(): AsyncGenerator<{
    promotion: Promotion;
    artifact: Artifact;
  }> {
    const { ledger, config } = this.options;
    let cursor: string | undefined;
    do {
      const page = await ledger.promotions.listPromotions(
        { states: ['verifying'] },
        { limit: 100, cursor },
      );
      const artifacts = await ledger.artifacts.getArtifacts(
        page.items.map(p => p.artifactId),
      );
      for (const promotion of page.items) {
        const executor = environmentOfPromotion(config.ladders, promotion)
          ?.executor.type;
        const artifact = artifacts.get(promotion.artifactId);
        if (artifact && !SELF_REPORTING.includes(executor ?? '')) {
          yield { promotion, artifact };
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
}

/** The recorded outcome of a rollout event, if it ends or explains something. */
function rolloutOutcome(
  input: { type: RolloutEventType; message?: string },
  breaches: string[],
  environment: string,
): string | undefined {
  if (breaches.length) {
    return `verification failed: ${listInWords(breaches)}`;
  }
  if (input.type === 'failed' || input.type === 'errored') {
    return `${input.type}${input.message ? `: ${input.message}` : ''}`;
  }
  if (input.type === 'succeeded') {
    return `released in ${environment}`;
  }
  return undefined;
}
