import { ConflictError } from '@backstage/errors';
import type { DeliveryConfig } from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { listInWords } from '../../domain/describe';
import { deployTimeChecks, describeDeployRefusal } from '../../domain/gates';
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

/**
 * Rollouts of approved promotions: the events a pipeline reports
 * (deploying, verifying, succeeded, failed, errored), failures the cluster
 * shows during verification, and the release a success makes.
 */
export class RolloutService {
  constructor(
    private readonly options: {
      ledger: Ledger;
      config: DeliveryConfig;
      clock?: () => number;
    },
  ) {}

  private now() {
    return (this.options.clock ?? Date.now)();
  }

  /**
   * Applies a rollout event reported by the pipeline. Before deploying, the
   * gates that can change since the request are judged again; verification
   * metrics are held against the environment's rollback thresholds, and a
   * breach fails the promotion with the breach as its outcome.
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
    const rule = ROLLOUT_TRANSITIONS[input.type];
    const now = this.now();

    if (input.type === 'deploying') {
      await this.checkDeployable(promotion, now);
    }

    const breaches =
      input.type === 'verifying' || input.type === 'succeeded'
        ? thresholdBreaches(input.metrics, env?.rollbackThresholds ?? {})
        : [];
    const to = breaches.length ? 'failed' : rule.to;
    const outcome = rolloutOutcome(input, breaches, promotion.environment);

    await ledger.transaction(async tx => {
      const moved = await tx.promotions.transition(id, rule.from, to, {
        now,
        active: isActive(to),
        outcome,
      });
      if (!moved) {
        const current = (await tx.promotions.getPromotion(id))!;
        throw new ConflictError(
          describeWrongState(`report ${input.type}`, current.state, rule.from),
        );
      }
      await tx.promotions.addRolloutEvent(id, {
        type: input.type,
        metrics: input.metrics,
        message: input.message,
        reportedBy: actor.ref,
        createdAt: now,
      });
      if (to === 'succeeded') {
        await release(tx, promotion, now);
      }
    });
    return promotionDetail(ledger, id);
  }

  /** Refuses to start deploying what the deploy-time checks stop (409). */
  private async checkDeployable(promotion: Promotion, now: number) {
    const { ledger, config } = this.options;
    const artifact = (await ledger.artifacts.getArtifact(
      promotion.artifactId,
    ))!;
    const quarantine = (
      await ledger.artifacts.activeQuarantines([artifact.id])
    ).get(artifact.id);
    const failed = deployTimeChecks({
      now,
      kind: promotion.kind,
      environment: environmentOfPromotion(config.ladders, promotion),
      artifact,
      quarantine,
    });
    if (failed.length) {
      throw new ConflictError(
        describeDeployRefusal(failed, promotion.environment, artifact.digest),
      );
    }
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
    const now = this.now();
    return this.options.ledger.transaction(async tx => {
      const moved = await tx.promotions.transition(
        id,
        ['verifying'],
        'failed',
        {
          now,
          active: false,
          outcome: `verification failed: ${listInWords(
            breaches,
          )} (observed in the cluster)`,
        },
      );
      if (moved) {
        await tx.promotions.addRolloutEvent(id, {
          type: 'failed',
          metrics,
          message: `observed in the cluster: ${listInWords(breaches)}`,
          reportedBy: reporter,
          createdAt: now,
        });
      }
      return moved;
    });
  }

  /** Every promotion being verified now, with its artifact, page by page. */
  async *verifying(): AsyncGenerator<{
    promotion: Promotion;
    artifact: Artifact;
  }> {
    const { ledger } = this.options;
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
        const artifact = artifacts.get(promotion.artifactId);
        if (artifact) yield { promotion, artifact };
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
}

/** Makes a succeeded promotion the environment's release. */
async function release(tx: Ledger, promotion: Promotion, now: number) {
  const releases = await tx.releases.getReleases(promotion.componentRef);
  const replaced = releases.find(r => r.environment === promotion.environment);
  await tx.releases.setRelease({
    componentRef: promotion.componentRef,
    environment: promotion.environment,
    promotionId: promotion.id,
    artifactId: promotion.artifactId,
    releasedAt: now,
    releasedBy: promotion.requestedBy,
  });
  if (promotion.kind === 'rollback' && replaced) {
    await tx.promotions.transition(
      replaced.promotionId,
      ['succeeded'],
      'rolled-back',
      {
        now,
        active: false,
        outcome: `rolled back by promotion ${promotion.id}`,
      },
    );
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
