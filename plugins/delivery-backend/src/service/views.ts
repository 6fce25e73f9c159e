import { NotFoundError } from '@backstage/errors';
import type { LadderConfig } from '../config/types';
import { Ledger } from '../database/Ledger';
import { ApprovalEligibility, approvalEligibility } from '../domain/approvals';
import { Deployment, DeploymentStep } from '../domain/executions';
import { environmentOfPromotion } from '../domain/ladder';
import {
  Actor,
  Approval,
  Artifact,
  Evidence,
  Promotion,
  Quarantine,
  Release,
  RolloutEvent,
} from '../domain/types';

/** An artifact with its latest evidence of each kind, releases and quarantine. */
export interface ArtifactView {
  artifact: Artifact;
  /** Latest evidence of each kind. */
  evidence: Evidence[];
  releases: Release[];
  quarantine?: Quarantine;
}

export interface ArtifactDetail extends ArtifactView {
  evidenceHistory: Evidence[];
  quarantineHistory: Quarantine[];
}

/**
 * A promotion with its artifact, approvals, its execution by an executor (if
 * any), and for one promotion its events and the execution's steps.
 */
export interface PromotionView {
  promotion: Promotion;
  artifact: Artifact;
  approvals: Approval[];
  events?: RolloutEvent[];
  deployment?: Deployment;
  steps?: DeploymentStep[];
}

/** Artifacts with their latest evidence, releases and quarantine, in three queries. */
export async function artifactViews(
  ledger: Ledger,
  artifacts: Artifact[],
): Promise<ArtifactView[]> {
  const ids = artifacts.map(a => a.id);
  const [evidence, releases, quarantines] = await Promise.all([
    ledger.evidence.latestEvidence(ids),
    ledger.releases.releasesOfArtifacts(ids),
    ledger.artifacts.activeQuarantines(ids),
  ]);
  return artifacts.map(artifact => ({
    artifact,
    evidence: evidence.get(artifact.id) ?? [],
    releases: releases.get(artifact.id) ?? [],
    quarantine: quarantines.get(artifact.id),
  }));
}

/** Promotions with their artifacts, approvals and executions, in three queries. */
export async function promotionViews(
  ledger: Ledger,
  promotions: Promotion[],
): Promise<PromotionView[]> {
  const ids = promotions.map(p => p.id);
  const [artifacts, approvals, deployments] = await Promise.all([
    ledger.artifacts.getArtifacts(promotions.map(p => p.artifactId)),
    ledger.promotions.listApprovals(ids),
    ledger.deployments.getMany(ids),
  ]);
  return promotions.map(promotion => ({
    promotion,
    artifact: artifacts.get(promotion.artifactId)!,
    approvals: approvals.get(promotion.id) ?? [],
    deployment: deployments.get(promotion.id),
  }));
}

/** A promotion (404 if there is none), with its artifact, approvals, events and execution. */
export async function promotionDetail(
  ledger: Ledger,
  id: string,
): Promise<PromotionView> {
  const promotion = await ledger.promotions.getPromotion(id);
  if (!promotion) throw new NotFoundError(`No promotion with id ${id}`);
  const [artifact, approvals, events, deployment, steps] = await Promise.all([
    ledger.artifacts.getArtifact(promotion.artifactId),
    ledger.promotions.listApprovals([id]),
    ledger.promotions.listRolloutEvents([id]),
    ledger.deployments.get(id),
    ledger.deployments.steps(id),
  ]);
  return {
    promotion,
    artifact: artifact!,
    approvals: approvals.get(id) ?? [],
    events: events.get(id) ?? [],
    deployment,
    steps,
  };
}

/** An active promotion, with whether the viewer may decide its approval. */
export function withViewer(
  view: PromotionView,
  viewer: Actor | undefined,
  ladders: Map<string, LadderConfig>,
): PromotionView & { viewer?: ApprovalEligibility } {
  return {
    ...view,
    viewer:
      viewer && view.promotion.state === 'awaiting-approval'
        ? approvalEligibility(
            viewer,
            view.promotion,
            view.approvals,
            environmentOfPromotion(ladders, view.promotion),
          )
        : undefined,
  };
}
