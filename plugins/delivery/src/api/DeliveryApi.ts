import { createApiRef } from '@backstage/core-plugin-api';
import {
  DeliveryApiSchemas,
  DeliveryHealth,
} from '@backstage-delivery/plugin-delivery-common';

type S = DeliveryApiSchemas;

export type Artifact = S['Artifact'];
export type ArtifactDetail = S['ArtifactDetail'];
export type ArtifactRef = S['ArtifactRef'];
export type Evidence = S['Evidence'];
export type Promotion = S['Promotion'];
export type Deployment = S['Deployment'];
export type PromotionState = S['PromotionState'];
export type PromotionKind = S['PromotionKind'];
export type GateVerdict = S['GateVerdict'];
export type Overview = S['Overview'];
export type EnvironmentOverview = Overview['environments'][number];
export type ComponentSummary = S['ComponentSummary'];
export type Ladder = S['Ladder'];
export type LiveState = S['LiveState'];
export type Drift = S['Drift'];
export type Preview = S['Preview'];
export type PreviewState = S['PreviewState'];
export type DoraMetrics = S['DoraMetrics'];
export type PipelineMetrics = S['PipelineMetrics'];
export type Scorecard = S['Scorecard'];
export type ScorecardSummary = S['ScorecardSummary'];
export type ReleaseComparison = S['ReleaseComparison'];
export type MetricComparison = S['MetricComparison'];

/** A page of a cursor-paginated list. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
  totalItems?: number;
}

export interface PromotionFilter {
  component?: string;
  environment?: string;
  state?: PromotionState[];
  kind?: PromotionKind[];
}

/**
 * Client of the delivery backend (`/api/delivery`). Failed requests reject
 * with a `ResponseError` that carries the backend's message.
 *
 * @public
 */
export interface DeliveryApi {
  /** Whether the delivery backend and its database are reachable. */
  getHealth(): Promise<DeliveryHealth>;
  getOverview(componentRef: string): Promise<Overview>;
  listArtifacts(
    componentRef: string,
    page: { limit?: number; cursor?: string },
  ): Promise<Page<Artifact>>;
  getArtifact(id: string): Promise<ArtifactDetail>;
  listPromotions(
    filter: PromotionFilter,
    page: { limit?: number; cursor?: string },
  ): Promise<Page<Promotion>>;
  listComponents(
    filter: { owner?: string; system?: string; waitingForMe?: boolean },
    page: { limit?: number; cursor?: string },
  ): Promise<Page<ComponentSummary>>;
  requestPromotion(input: {
    component: string;
    digest: string;
    environment: string;
    kind?: 'normal' | 'hotfix';
    reason?: string;
  }): Promise<Promotion>;
  approve(promotionId: string, comment?: string): Promise<Promotion>;
  reject(promotionId: string, comment?: string): Promise<Promotion>;
  abort(promotionId: string, reason?: string): Promise<Promotion>;
  /** Promote step, promote fully or abort the Argo Rollout carrying a promotion out. */
  actOnRollout(
    promotionId: string,
    action: 'promote' | 'promote-full' | 'abort',
  ): Promise<Promotion>;
  rollback(input: {
    component: string;
    environment: string;
    reason: string;
  }): Promise<Promotion>;
  quarantine(artifactId: string, reason: string): Promise<Artifact>;
  liftQuarantine(artifactId: string, reason: string): Promise<Artifact>;
  /**
   * A component's preview namespaces, newest first. Rejects with status 501
   * when the portal has no preview configuration.
   */
  listPreviews(
    componentRef: string,
    options: { includeDeleted?: boolean; limit?: number; cursor?: string },
  ): Promise<Page<Preview>>;
  /** Moves the expiry to `ttl` (`30m`, `4h`, `2d`) from now, up to the maximum. */
  extendPreview(
    previewId: string,
    ttl: string,
  ): Promise<{ preview: Preview; capped: boolean }>;
  destroyPreview(previewId: string): Promise<Preview>;
  /**
   * The DORA keys over the last `days` days, for one component, an owner's
   * or a system's components, or the organisation (no scope).
   */
  /** Before/after comparisons of releases, newest first. */
  listComparisons(
    filter: { component?: string; environment?: string; worse?: boolean },
    page: { limit?: number; cursor?: string },
  ): Promise<Page<ReleaseComparison>>;
  getDoraMetrics(scope: {
    component?: string;
    owner?: string;
    system?: string;
    days?: number;
  }): Promise<DoraMetrics>;
  /**
   * Pipeline stats over the last `days` days: build to each environment,
   * refusals by gate, approval waits, evidence failure rates.
   */
  getPipelineMetrics(scope: {
    component?: string;
    owner?: string;
    system?: string;
    days?: number;
  }): Promise<PipelineMetrics>;
  /** The golden-path scorecard of a component. */
  getScorecard(componentRef: string): Promise<Scorecard>;
  /** Scorecards across the organisation, an owner or a system. */
  getScorecardSummary(scope: {
    owner?: string;
    system?: string;
  }): Promise<ScorecardSummary>;
}

/**
 * Reference to the {@link DeliveryApi}.
 *
 * @public
 */
export const deliveryApiRef = createApiRef<DeliveryApi>({
  id: 'plugin.delivery.api',
});
