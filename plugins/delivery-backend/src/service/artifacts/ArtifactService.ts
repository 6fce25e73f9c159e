import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  EvidenceKind,
  PromotionState,
} from '@backstage-delivery/plugin-delivery-common';
import { Ledger } from '../../database/Ledger';
import { Page } from '../../database/util';
import { ReportingPolicy, reportingRefusal } from '../../domain/attestations';
import { urlRefusal } from '../../domain/inputs';
import { shortDigest } from '../../domain/describe';
import {
  Actor,
  Artifact,
  ArtifactInput,
  Evidence,
  EvidenceResult,
  EvidenceSummary,
} from '../../domain/types';
import { ComponentResolver, componentRef } from '../components';
import { ArtifactDetail, ArtifactView, artifactViews } from '../views';
import { LedgerChanges, NO_CHANGES } from '../notifications/LedgerChanges';

/** How many artifacts' components an ArtifactService remembers. */
const COMPONENT_MEMO_SIZE = 10_000;

/** States in which a quarantine aborts a promotion: it has not started deploying. */
const ABORTED_BY_QUARANTINE = ['awaiting-approval', 'approved'] as const;

/**
 * The artifact aggregate's operations: recording immutable builds, their
 * evidence, and quarantines.
 */
export class ArtifactService {
  private readonly ledger: Ledger;
  private readonly components: ComponentResolver;
  private readonly reporting: ReportingPolicy;
  private readonly allowHttpUrls: boolean;
  private readonly changes: LedgerChanges;
  private readonly clock: () => number;
  private readonly newId: () => string;
  /** Artifact id → component ref: fixed when the build is recorded. */
  private readonly componentMemo = new Map<string, string>();

  constructor(options: {
    ledger: Ledger;
    components: ComponentResolver;
    /** Which kinds may be reported without a bundle, and by whom. */
    reporting: ReportingPolicy;
    /** Whether links may be http as well as https (`delivery.allowHttpUrls`). */
    allowHttpUrls?: boolean;
    /** Told of each quarantine (notifications, signals). */
    changes?: LedgerChanges;
    clock?: () => number;
    newId?: () => string;
  }) {
    this.ledger = options.ledger;
    this.components = options.components;
    this.reporting = options.reporting;
    this.allowHttpUrls = options.allowHttpUrls ?? false;
    this.changes = options.changes ?? NO_CHANGES;
    this.clock = options.clock ?? Date.now;
    this.newId = options.newId ?? randomUUID;
  }

  /** Records a build of a registered component (idempotent for the same payload). */
  async recordArtifact(
    input: ArtifactInput,
    actor: Actor,
  ): Promise<{ artifact: Artifact; created: boolean }> {
    this.checkUrl('buildUrl', input.buildUrl);
    const ref = componentRef(input.componentRef);
    await this.components.entity(ref);
    return this.ledger.artifacts.recordArtifact(
      {
        ...input,
        componentRef: ref,
        tags: [...new Set(input.tags)],
        id: this.newId(),
      },
      actor.ref,
      this.clock(),
    );
  }

  /** 400 for a link that is not https (or http where allowed). */
  checkUrl(field: string, url: string | undefined) {
    const refusal = urlRefusal(field, url, this.allowHttpUrls);
    if (refusal) throw new InputError(refusal);
  }

  /**
   * The component an artifact was built for, or 404. An artifact's
   * component never changes and artifacts are not deleted, so the answer is
   * remembered (the last 10,000): a pipeline's evidence posts read it once.
   */
  async componentOf(id: string): Promise<string> {
    const memo = this.componentMemo.get(id);
    if (memo) return memo;
    const ref = await this.ledger.artifacts.componentOf(id);
    if (!ref) throw new NotFoundError(`No artifact with id ${id}`);
    if (this.componentMemo.size >= COMPONENT_MEMO_SIZE) {
      this.componentMemo.delete(this.componentMemo.keys().next().value!);
    }
    this.componentMemo.set(id, ref);
    return ref;
  }

  async requireArtifact(id: string): Promise<Artifact> {
    const artifact = await this.ledger.artifacts.getArtifact(id);
    if (!artifact) throw new NotFoundError(`No artifact with id ${id}`);
    return artifact;
  }

  /** Artifacts with their latest evidence, releases and quarantine. */
  views(artifacts: Artifact[]): Promise<ArtifactView[]> {
    return artifactViews(this.ledger, artifacts);
  }

  async getArtifact(id: string): Promise<ArtifactDetail> {
    const artifact = await this.requireArtifact(id);
    const [[view], evidenceHistory, quarantineHistory] = await Promise.all([
      this.views([artifact]),
      this.ledger.evidence.listEvidence(id),
      this.ledger.artifacts.listQuarantines(id),
    ]);
    return { ...view, evidenceHistory, quarantineHistory };
  }

  async listArtifacts(
    component: string,
    page: { limit: number; cursor?: string; digest?: string },
  ): Promise<Page<ArtifactView>> {
    const ref = componentRef(component);
    if (page.digest) {
      const artifact = await this.ledger.artifacts.getArtifactByDigest(
        ref,
        page.digest,
      );
      return { items: await this.views(artifact ? [artifact] : []) };
    }
    const result = await this.ledger.artifacts.listArtifacts({
      componentRef: ref,
      limit: page.limit,
      cursor: page.cursor,
    });
    return {
      items: await this.views(result.items),
      nextCursor: result.nextCursor,
    };
  }

  async addEvidence(
    artifactId: string,
    input: {
      kind: EvidenceKind;
      result: EvidenceResult;
      summary?: EvidenceSummary;
      url?: string;
    },
    actor: Actor,
    /** The request's idempotency key (hashed), if it carried one. */
    requestKey?: string,
  ): Promise<{ evidence: Evidence }> {
    this.checkUrl('url', input.url);
    await this.componentOf(artifactId);
    const refusal = reportingRefusal(input.kind, actor, this.reporting);
    if (refusal) throw new NotAllowedError(refusal);
    const evidence = await this.ledger.evidence.addEvidence({
      artifactId,
      ...input,
      reportedBy: actor.ref,
      reportedAt: this.clock(),
      requestKey,
    });
    return { evidence };
  }

  /**
   * Quarantines an artifact. Its promotions that have not started deploying
   * are aborted, since they could never proceed.
   */
  async quarantine(
    artifactId: string,
    reason: string,
    actor: Actor,
  ): Promise<{ view: ArtifactView; aborted: string[] }> {
    const artifact = await this.requireArtifact(artifactId);
    const now = this.clock();
    const aborted = await this.ledger.transaction(async tx => {
      if (
        !(await tx.artifacts.quarantine(artifactId, reason, actor.ref, now))
      ) {
        throw new ConflictError(
          `${shortDigest(artifact.digest)} is already quarantined`,
        );
      }
      const active = await tx.promotions.listPromotions(
        { artifactId, states: [...ABORTED_BY_QUARANTINE] },
        { limit: 100 },
      );
      const ids: Array<{ id: string; from: PromotionState }> = [];
      for (const p of active.items) {
        const moved = await tx.promotions.transition(
          p.id,
          ABORTED_BY_QUARANTINE,
          'aborted',
          {
            now,
            active: false,
            outcome: `aborted: ${shortDigest(
              artifact.digest,
            )} was quarantined by ${actor.ref}: ${reason}`,
          },
        );
        if (moved) ids.push({ id: p.id, from: p.state });
      }
      return ids;
    });
    await this.changes.artifactQuarantined(artifact, reason, actor.ref);
    for (const { id, from } of aborted) {
      const p = await this.ledger.promotions.getPromotion(id);
      if (p) await this.changes.promotionChanged(p, from);
    }
    const [view] = await this.views([artifact]);
    return { view, aborted: aborted.map(a => a.id) };
  }

  async liftQuarantine(
    artifactId: string,
    reason: string,
    actor: Actor,
  ): Promise<ArtifactView> {
    const artifact = await this.requireArtifact(artifactId);
    const lifted = await this.ledger.artifacts.liftQuarantine(
      artifactId,
      reason,
      actor.ref,
      this.clock(),
    );
    if (!lifted) {
      throw new ConflictError(
        `${shortDigest(artifact.digest)} is not quarantined`,
      );
    }
    return (await this.views([artifact]))[0];
  }
}
