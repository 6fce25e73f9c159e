import { PromotionState } from '@backstage-delivery/plugin-delivery-common';
import type { DeliveryConfig } from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { deployTimeChecks } from '../../domain/gates';
import { environmentOfPromotion } from '../../domain/ladder';
import {
  Artifact,
  GateVerdict,
  Promotion,
  RolloutEventType,
  RolloutMetrics,
} from '../../domain/types';
import type { GateEvidenceSource } from '../artifacts/AttestationService';
import type { LedgerChanges } from '../notifications/LedgerChanges';

/**
 * Moves a promotion from one of `from` to `to` and records the rollout event
 * that says why (if any), in one transaction; a success makes the release. False,
 * with nothing written, when the promotion was no longer in `from`.
 */
export async function moveWithEvent(
  ledger: Ledger,
  promotion: Promotion,
  move: {
    from: readonly PromotionState[];
    to: PromotionState;
    active: boolean;
    outcome?: string;
    /** None for a move that no rollout event explains (an abort). */
    event?: {
      type: RolloutEventType;
      metrics?: RolloutMetrics;
      message?: string;
    };
    reporter: string;
    now: number;
    /** Told after the move was made. */
    changes?: LedgerChanges;
  },
): Promise<boolean> {
  const moved = await ledger.transaction(async tx => {
    const done = await tx.promotions.transition(
      promotion.id,
      move.from,
      move.to,
      { now: move.now, active: move.active, outcome: move.outcome },
    );
    if (!done) return false;
    if (move.event) {
      await tx.promotions.addRolloutEvent(promotion.id, {
        ...move.event,
        reportedBy: move.reporter,
        createdAt: move.now,
      });
    }
    if (move.to === 'succeeded') {
      await release(tx, promotion, move.now);
    }
    return true;
  });
  if (moved) {
    await move.changes?.promotionChanged(
      {
        ...promotion,
        state: move.to,
        outcome: move.outcome ?? promotion.outcome,
        updatedAt: move.now,
      },
      promotion.state,
    );
  }
  return moved;
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

/**
 * The gates that can change after a request, judged again for a promotion
 * now (domain/gates deployTimeChecks): before deploying, or before release.
 */
export async function checkPromotionNow(
  context: {
    ledger: Ledger;
    config: DeliveryConfig;
    evidence: GateEvidenceSource;
  },
  promotion: Promotion,
  now: number,
  moment: 'deploy' | 'release',
): Promise<{ failed: GateVerdict[]; artifact: Artifact }> {
  const { ledger, config } = context;
  const artifact = (await ledger.artifacts.getArtifact(promotion.artifactId))!;
  const environment = environmentOfPromotion(config.ladders, promotion);
  const [quarantines, evidence] = await Promise.all([
    ledger.artifacts.activeQuarantines([artifact.id]),
    context.evidence.forGate(artifact, environment),
  ]);
  return {
    artifact,
    failed: deployTimeChecks(
      {
        now,
        kind: promotion.kind,
        environment,
        artifact,
        quarantine: quarantines.get(artifact.id),
        evidence: evidence.evidence,
        attestations: evidence.attestations,
      },
      moment,
    ),
  };
}
