import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { ComponentCatalog, visibleInScope } from '../../catalog/catalog';
import type {
  DeliveryConfig,
  EnvironmentConfig,
  LadderConfig,
} from '../../config/types';
import { Ledger } from '../../database/Ledger';
import {
  ApprovalEligibility,
  approvalEligibility,
} from '../../domain/approvals';
import { environmentOfPromotion, ladderOf } from '../../domain/ladder';
import { ComponentScope } from '../../domain/refs';
import { Actor, Artifact, PromotionKind, Release } from '../../domain/types';
import { PromotionView, promotionViews, withViewer } from '../views';

/** How far back the organisation page looks for failures and rollbacks. */
export const RECENT_FAILURES_MS = 7 * 86_400_000;

/** Most promotions awaiting approval that "waiting for me" looks through. */
const MAX_PENDING = 1000;

export interface ComponentSummary {
  entity: Entity;
  componentRef: string;
  ladder?: LadderConfig;
  /** Why the component's delivery cannot be shown, e.g. an unknown ladder. */
  problem?: string;
  environments: Array<{
    environment: EnvironmentConfig;
    release?: { release: Release; artifact: Artifact; kind: PromotionKind };
    activePromotion?: PromotionView & { viewer?: ApprovalEligibility };
  }>;
  recentFailures: PromotionView[];
}

type EntityPage = {
  entities: Entity[];
  nextCursor?: string;
  totalItems?: number;
};

/**
 * The organisation page: components with their release per environment,
 * active promotions (and whether the viewer may approve them) and recent
 * failures and rollbacks, in a bounded number of queries per page. With
 * `waitingForMe`, only components with a promotion the viewer may approve.
 */
export class ComponentsQuery {
  constructor(
    private readonly options: {
      ledger: Ledger;
      config: DeliveryConfig;
      clock?: () => number;
    },
  ) {}

  async listComponents(
    filter: ComponentScope & { waitingForMe?: boolean },
    page: { limit: number; cursor?: string },
    viewer: Actor,
    catalog: ComponentCatalog,
  ): Promise<{
    items: ComponentSummary[];
    nextCursor?: string;
    totalItems?: number;
  }> {
    const { ledger, config } = this.options;
    const { entities, nextCursor, totalItems } = filter.waitingForMe
      ? await this.waitingFor(viewer, filter, page, catalog)
      : await catalog.query(filter, page);

    const refs = entities.map(e => stringifyEntityRef(e));
    const now = (this.options.clock ?? Date.now)();
    const [releases, active, failures] = await Promise.all([
      ledger.releases.releasesOfComponents(refs),
      ledger.promotions.activePromotionsOf(refs),
      ledger.promotions.recentFailures(
        refs,
        now - RECENT_FAILURES_MS,
        refs.length * 5,
      ),
    ]);
    const [artifacts, releasePromotions, activeViews, failureViews] =
      await Promise.all([
        ledger.artifacts.getArtifacts(releases.map(r => r.artifactId)),
        ledger.promotions.getPromotions(releases.map(r => r.promotionId)),
        promotionViews(ledger, active),
        promotionViews(ledger, failures),
      ]);

    const items = entities.map((entity, i): ComponentSummary => {
      const ref = refs[i];
      const resolved = ladderOf(config, entity, ref);
      const ladder = resolved.ok ? resolved.ladder : undefined;
      return {
        entity,
        componentRef: ref,
        ladder,
        problem: resolved.ok ? undefined : resolved.problem,
        environments: (ladder?.environments ?? []).map(environment => {
          const release = releases.find(
            r => r.componentRef === ref && r.environment === environment.name,
          );
          const activeView = activeViews.find(
            v =>
              v.promotion.componentRef === ref &&
              v.promotion.environment === environment.name,
          );
          return {
            environment,
            release: release && {
              release,
              artifact: artifacts.get(release.artifactId)!,
              kind:
                releasePromotions.get(release.promotionId)?.kind ?? 'normal',
            },
            activePromotion:
              activeView && withViewer(activeView, viewer, config.ladders),
          };
        }),
        recentFailures: failureViews.filter(
          v => v.promotion.componentRef === ref,
        ),
      };
    });
    return { items, nextCursor, totalItems };
  }

  /** The components, visible to the viewer, with a promotion the viewer may approve. */
  private async waitingFor(
    viewer: Actor,
    scope: ComponentScope,
    page: { limit: number; cursor?: string },
    catalog: ComponentCatalog,
  ): Promise<EntityPage> {
    const { ledger, config } = this.options;
    const pending = await ledger.promotions.awaitingApproval(MAX_PENDING);
    const approvals = await ledger.promotions.listApprovals(
      pending.map(p => p.id),
    );
    const refs = [
      ...new Set(
        pending
          .filter(
            p =>
              approvalEligibility(
                viewer,
                p,
                approvals.get(p.id) ?? [],
                environmentOfPromotion(config.ladders, p),
              ).allowed,
          )
          .map(p => p.componentRef),
      ),
    ];
    const visible = (await visibleInScope(catalog, refs, scope)).sort((a, b) =>
      stringifyEntityRef(a).localeCompare(stringifyEntityRef(b)),
    );
    const offset = page.cursor ? decodeOffset(page.cursor) : 0;
    return {
      entities: visible.slice(offset, offset + page.limit),
      nextCursor:
        offset + page.limit < visible.length
          ? encodeOffset(offset + page.limit)
          : undefined,
      totalItems: visible.length,
    };
  }
}

function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeOffset(cursor: string): number {
  try {
    const { offset } = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    if (Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw new InputError(
    'Invalid cursor; pass the nextCursor of a previous page unchanged',
  );
}
