import { randomUUID } from 'node:crypto';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  DELIVERY_LADDER_ANNOTATION,
  EvidenceKind,
  PromotionState,
  resolveNamespace,
} from '@backstage-delivery/plugin-delivery-common';
import {
  DeliveryConfig,
  EnvironmentConfig,
  LadderConfig,
  ScorecardSettings,
} from '../config/types';
import {
  DeliveryStore,
  Page,
  PromotionFilter,
} from '../database/DeliveryStore';
import { listInWords, shortDigest } from '../domain/describe';
import {
  decide,
  describeRefusal,
  evaluateGates,
  GateInput,
  PreviousRelease,
  requiredApprovals,
} from '../domain/gates';
import {
  ABORT_FROM,
  APPROVAL_FROM,
  describeWrongState,
  isActive,
  ROLLOUT_TRANSITIONS,
} from '../domain/stateMachine';
import { thresholdBreaches } from '../domain/thresholds';
import {
  Actor,
  Approval,
  Artifact,
  ArtifactInput,
  Evidence,
  EvidenceResult,
  EvidenceSummary,
  GateVerdict,
  Promotion,
  PromotionKind,
  Quarantine,
  Release,
  RolloutEvent,
  RolloutEventType,
  RolloutMetrics,
} from '../domain/types';
import { checkWindows } from '../domain/windows';
import { UnprocessableEntityError } from './errors';
import { KUBERNETES_ANNOTATION } from '@backstage/plugin-kubernetes-common';
import {
  detectDrift,
  Drift,
  LiveState,
  LiveTarget,
} from '../kubernetes/liveState';

/** What runs in a cluster for a component's environment (see kubernetes/liveState). */
export interface LiveStateSource {
  read(target: LiveTarget, options?: { fresh?: boolean }): Promise<LiveState>;
}

/** Looks up catalog entities with the plugin's own credentials. */
export interface EntityLookup {
  getEntity(ref: string): Promise<Entity | undefined>;
}

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

export interface PromotionView {
  promotion: Promotion;
  artifact: Artifact;
  approvals: Approval[];
  events?: RolloutEvent[];
}

export interface CandidateView {
  artifact: Artifact;
  evidence: Evidence[];
  gates: GateVerdict[];
  decision: 'refused' | 'awaiting-approval' | 'approved';
  /** Soak progress in the previous environment, when a soak time applies. */
  soak?: { requiredMs: number; soakedMs: number };
}

/** Whether the viewer may decide a promotion's approval, and if not, why. */
export type ApprovalEligibility =
  | { allowed: true }
  | { allowed: false; reason: string };

export interface EnvironmentOverview {
  environment: EnvironmentConfig;
  namespace: string;
  release?: {
    release: Release;
    artifact: Artifact;
    evidence: Evidence[];
    promotion?: Promotion;
    quarantine?: Quarantine;
  };
  activePromotion?: PromotionView & { viewer?: ApprovalEligibility };
  candidate?: CandidateView;
  /** The last known good artifact a rollback would return to. */
  rollbackTarget?: {
    artifact: Artifact;
    promotionId: string;
    releasedAt: number;
  };
  /** What runs in the cluster, when a live state source is configured. */
  live?: LiveState;
  /** Set when what runs differs from the release. */
  drift?: Drift;
}

export interface ComponentOverview {
  componentRef: string;
  ladder: LadderConfig;
  environments: EnvironmentOverview[];
}

/** The catalog as the caller may see it, for listing components. */
export interface ComponentCatalog {
  /** A page of delivery-enabled components, filtered by owner and system refs. */
  query(
    filter: { owner?: string; system?: string },
    page: { limit: number; cursor?: string },
  ): Promise<{ entities: Entity[]; nextCursor?: string; totalItems?: number }>;
  /** The entities with these refs that the caller may see. */
  byRefs(refs: string[]): Promise<Entity[]>;
}

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

/** How far back the organisation page looks for failures and rollbacks. */
export const RECENT_FAILURES_MS = 7 * 86_400_000;

export interface PromotionOutcome {
  view: PromotionView;
  /** Set when the gates refused the promotion. */
  refusal?: string;
}

/**
 * The delivery ledger's domain operations: who may do what, what the gates
 * say, and which transitions happen. HTTP, permissions and auditing live in
 * the router; storage in the store.
 */
export class DeliveryService {
  private readonly store: DeliveryStore;
  private readonly config: DeliveryConfig;
  private readonly catalog: EntityLookup;
  private readonly clock: () => number;
  private readonly newId: () => string;
  private readonly live?: LiveStateSource;

  constructor(options: {
    store: DeliveryStore;
    config: DeliveryConfig;
    catalog: EntityLookup;
    live?: LiveStateSource;
    clock?: () => number;
    newId?: () => string;
  }) {
    this.store = options.store;
    this.config = options.config;
    this.catalog = options.catalog;
    this.live = options.live;
    this.clock = options.clock ?? Date.now;
    this.newId = options.newId ?? randomUUID;
  }

  // Components and ladders

  /** The canonical ref of a component, e.g. `component:default/payments-api`. */
  static componentRef(ref: string): string {
    let parsed;
    try {
      parsed = parseEntityRef(ref, {
        defaultKind: 'component',
        defaultNamespace: 'default',
      });
    } catch {
      throw new InputError(
        `'${ref}' is not an entity ref; use component:<namespace>/<name>, e.g. component:default/payments-api`,
      );
    }
    if (parsed.kind.toLocaleLowerCase('en-US') !== 'component') {
      throw new InputError(
        `'${ref}' is a ${parsed.kind}; delivery applies to components`,
      );
    }
    return stringifyEntityRef(parsed);
  }

  private async component(componentRef: string): Promise<Entity> {
    const entity = await this.catalog.getEntity(componentRef);
    if (!entity) {
      throw new UnprocessableEntityError(
        `${componentRef} is not in the catalog; register the component before recording its builds`,
      );
    }
    return entity;
  }

  ladderOf(entity: Entity): LadderConfig {
    const name =
      entity.metadata.annotations?.[DELIVERY_LADDER_ANNOTATION]?.trim() ||
      this.config.defaultLadder;
    const ladder = this.config.ladders.get(name);
    if (!ladder) {
      throw new UnprocessableEntityError(
        `${stringifyEntityRef(
          entity,
        )} asks for the ladder '${name}' (annotation ${DELIVERY_LADDER_ANNOTATION}), which is not configured; configured ladders: ${[
          ...this.config.ladders.keys(),
        ].join(', ')}`,
      );
    }
    return ladder;
  }

  private environmentOf(
    ladder: LadderConfig,
    environment: string,
    componentRef: string,
  ): { env: EnvironmentConfig; previous?: EnvironmentConfig; index: number } {
    const index = ladder.environments.findIndex(e => e.name === environment);
    if (index < 0) {
      throw new InputError(
        `environment '${environment}' is not on the ${
          ladder.name
        } ladder of ${componentRef}; use one of ${ladder.environments
          .map(e => e.name)
          .join(', ')}`,
      );
    }
    return {
      env: ladder.environments[index],
      previous: index > 0 ? ladder.environments[index - 1] : undefined,
      index,
    };
  }

  /**
   * Whether an environment is production-like: the last environment of some
   * ladder. Changes to it are audited at a higher severity.
   */
  isProductionLike(environment: string): boolean {
    return [...this.config.ladders.values()].some(
      l => l.environments[l.environments.length - 1]?.name === environment,
    );
  }

  // Artifacts

  async recordArtifact(
    input: ArtifactInput,
    actor: Actor,
  ): Promise<{ artifact: Artifact; created: boolean }> {
    const componentRef = DeliveryService.componentRef(input.componentRef);
    await this.component(componentRef);
    const tags = [...new Set(input.tags)];
    return this.store.recordArtifact(
      { ...input, componentRef, tags, id: this.newId() },
      actor.ref,
      this.clock(),
    );
  }

  async requireArtifact(id: string): Promise<Artifact> {
    const artifact = await this.store.getArtifact(id);
    if (!artifact) throw new NotFoundError(`No artifact with id ${id}`);
    return artifact;
  }

  /** Artifacts with their latest evidence, releases and quarantine. */
  async views(artifacts: Artifact[]): Promise<ArtifactView[]> {
    const ids = artifacts.map(a => a.id);
    const [evidence, releases, quarantines] = await Promise.all([
      this.store.latestEvidence(ids),
      this.store.releasesOfArtifacts(ids),
      this.store.activeQuarantines(ids),
    ]);
    return artifacts.map(artifact => ({
      artifact,
      evidence: evidence.get(artifact.id) ?? [],
      releases: releases.get(artifact.id) ?? [],
      quarantine: quarantines.get(artifact.id),
    }));
  }

  async getArtifact(id: string): Promise<ArtifactDetail> {
    const artifact = await this.requireArtifact(id);
    const [[view], evidenceHistory, quarantineHistory] = await Promise.all([
      this.views([artifact]),
      this.store.listEvidence(id),
      this.store.listQuarantines(id),
    ]);
    return { ...view, evidenceHistory, quarantineHistory };
  }

  async listArtifacts(
    componentRef: string,
    page: { limit: number; cursor?: string; digest?: string },
  ): Promise<Page<ArtifactView>> {
    if (page.digest) {
      const artifact = await this.store.getArtifactByDigest(
        DeliveryService.componentRef(componentRef),
        page.digest,
      );
      return { items: await this.views(artifact ? [artifact] : []) };
    }
    const result = await this.store.listArtifacts({
      componentRef: DeliveryService.componentRef(componentRef),
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
  ): Promise<{ artifact: Artifact; evidence: Evidence }> {
    const artifact = await this.requireArtifact(artifactId);
    const evidence = await this.store.addEvidence({
      artifactId,
      ...input,
      reportedBy: actor.ref,
      reportedAt: this.clock(),
    });
    return { artifact, evidence };
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
    const aborted = await this.store.transaction(async tx => {
      if (!(await tx.quarantine(artifactId, reason, actor.ref, now))) {
        throw new ConflictError(
          `${shortDigest(artifact.digest)} is already quarantined`,
        );
      }
      const active = await tx.listPromotions(
        { artifactId, states: ['awaiting-approval', 'approved'] },
        { limit: 100 },
      );
      const ids: string[] = [];
      for (const p of active.items) {
        if (
          await tx.transition(
            p.id,
            ['awaiting-approval', 'approved'],
            'aborted',
            {
              now,
              active: false,
              outcome: `aborted: ${shortDigest(
                artifact.digest,
              )} was quarantined by ${actor.ref}: ${reason}`,
            },
          )
        ) {
          ids.push(p.id);
        }
      }
      return ids;
    });
    const [view] = await this.views([artifact]);
    return { view, aborted };
  }

  async liftQuarantine(
    artifactId: string,
    reason: string,
    actor: Actor,
  ): Promise<ArtifactView> {
    const artifact = await this.requireArtifact(artifactId);
    if (
      !(await this.store.liftQuarantine(
        artifactId,
        reason,
        actor.ref,
        this.clock(),
      ))
    ) {
      throw new ConflictError(
        `${shortDigest(artifact.digest)} is not quarantined`,
      );
    }
    return (await this.views([artifact]))[0];
  }

  // Gates

  private async previousRelease(
    componentRef: string,
    environment: string,
    artifactId: string,
  ): Promise<PreviousRelease | undefined> {
    const [latest] = await this.store.releaseHistory(
      componentRef,
      environment,
      {
        artifactId,
        newestFirst: true,
        limit: 1,
      },
    );
    if (!latest?.completedAt) return undefined;
    const [next] = await this.store.releaseHistory(componentRef, environment, {
      completedAfter: latest.completedAt,
      limit: 1,
    });
    return {
      releasedAt: latest.completedAt,
      endedAt: next?.completedAt,
      rolledBack: latest.state === 'rolled-back',
    };
  }

  private async gateInput(options: {
    componentRef: string;
    ladder: LadderConfig;
    env: EnvironmentConfig;
    previous?: EnvironmentConfig;
    artifact: Artifact;
    kind: PromotionKind;
    releases: Release[];
  }): Promise<GateInput> {
    const { componentRef, ladder, env, previous, artifact, kind, releases } =
      options;
    const [quarantines, evidence, previousRelease] = await Promise.all([
      this.store.activeQuarantines([artifact.id]),
      this.store.latestEvidence([artifact.id]),
      previous
        ? this.previousRelease(componentRef, previous.name, artifact.id)
        : Promise.resolve(undefined),
    ]);
    const releasedIn = ladder.environments
      .map(e => e.name)
      .filter(name =>
        releases.some(
          r => r.environment === name && r.artifactId === artifact.id,
        ),
      );
    return {
      now: this.clock(),
      kind,
      ladder,
      environment: env,
      previousEnvironment: previous,
      artifact,
      quarantine: quarantines.get(artifact.id),
      currentRelease: releases.find(r => r.environment === env.name),
      previousRelease,
      releasedIn,
      evidence: evidence.get(artifact.id) ?? [],
      imagePolicy: this.config.imagePolicy,
    };
  }

  private async describeActive(
    componentRef: string,
    environment: string,
  ): Promise<string> {
    const active = await this.store.activePromotion(componentRef, environment);
    if (!active)
      return `${componentRef} already has an active promotion to ${environment}`;
    const artifact = await this.store.getArtifact(active.artifactId);
    return `${componentRef} already has an active promotion to ${environment} (${
      active.id
    }, ${active.state}, ${shortDigest(
      artifact?.digest ?? '',
    )}); wait for it to finish or abort it`;
  }

  private async createPromotion(options: {
    componentRef: string;
    ladder: LadderConfig;
    env: EnvironmentConfig;
    previous?: EnvironmentConfig;
    artifact: Artifact;
    kind: PromotionKind;
    reason?: string;
    actor: Actor;
    releases: Release[];
    replacesPromotionId?: string;
  }): Promise<PromotionOutcome> {
    const gates = evaluateGates(await this.gateInput(options));
    const decision = decide(gates);
    const now = this.clock();
    const promotion: Promotion = {
      id: this.newId(),
      componentRef: options.componentRef,
      environment: options.env.name,
      ladder: options.ladder.name,
      artifactId: options.artifact.id,
      kind: options.kind,
      state: decision,
      requestedBy: options.actor.ref,
      reason: options.reason,
      gates,
      requiredApprovals: requiredApprovals(options.env, options.kind),
      replacesPromotionId: options.replacesPromotionId,
      outcome:
        decision === 'refused'
          ? describeRefusal(gates, options.env.name, options.artifact.digest)
          : undefined,
      createdAt: now,
      updatedAt: now,
      completedAt: decision === 'refused' ? now : undefined,
    };
    const active = decision !== 'refused';
    if (
      active &&
      (await this.store.activePromotion(options.componentRef, options.env.name))
    ) {
      throw new ConflictError(
        await this.describeActive(options.componentRef, options.env.name),
      );
    }
    if (!(await this.store.insertPromotion(promotion, active))) {
      throw new ConflictError(
        await this.describeActive(options.componentRef, options.env.name),
      );
    }
    return {
      view: { promotion, artifact: options.artifact, approvals: [] },
      refusal:
        promotion.outcome && decision === 'refused'
          ? promotion.outcome
          : undefined,
    };
  }

  /**
   * Requests a promotion of a component's artifact (by digest) into an
   * environment. Every gate is evaluated and the decision stored; a refused
   * request is recorded too, and reported with its reasons.
   */
  async requestPromotion(
    input: {
      componentRef: string;
      digest: string;
      environment: string;
      kind: 'normal' | 'hotfix';
      reason?: string;
    },
    actor: Actor,
  ): Promise<PromotionOutcome> {
    const componentRef = DeliveryService.componentRef(input.componentRef);
    const entity = await this.component(componentRef);
    const ladder = this.ladderOf(entity);
    const { env, previous } = this.environmentOf(
      ladder,
      input.environment,
      componentRef,
    );
    const artifact = await this.store.getArtifactByDigest(
      componentRef,
      input.digest,
    );
    if (!artifact) {
      throw new NotFoundError(
        `No artifact ${shortDigest(
          input.digest,
        )} is recorded for ${componentRef}; record it before promoting it`,
      );
    }
    const releases = await this.store.getReleases(componentRef);
    return this.createPromotion({
      componentRef,
      ladder,
      env,
      previous,
      artifact,
      kind: input.kind,
      reason: input.reason,
      actor,
      releases,
    });
  }

  /**
   * Rolls an environment back to its last known good artifact: the newest
   * earlier release that succeeded, was not rolled back and is not
   * quarantined. No approvals unless the environment requires them for
   * rollbacks.
   */
  async rollback(
    input: { componentRef: string; environment: string; reason: string },
    actor: Actor,
  ): Promise<PromotionOutcome> {
    const componentRef = DeliveryService.componentRef(input.componentRef);
    const entity = await this.component(componentRef);
    const ladder = this.ladderOf(entity);
    const { env, previous } = this.environmentOf(
      ladder,
      input.environment,
      componentRef,
    );
    const releases = await this.store.getReleases(componentRef);
    const current = releases.find(r => r.environment === env.name);
    if (!current) {
      throw new ConflictError(
        `Nothing is released in ${env.name} for ${componentRef}, so there is nothing to roll back`,
      );
    }
    const candidates = (
      await this.store.knownGood(componentRef, env.name, 50)
    ).filter(p => p.artifactId !== current.artifactId);
    const quarantined = await this.store.activeQuarantines(
      candidates.map(c => c.artifactId),
    );
    const target = candidates.find(c => !quarantined.has(c.artifactId));
    if (!target) {
      throw new ConflictError(
        `${componentRef} has no earlier good release in ${
          env.name
        } to roll back to${
          quarantined.size ? ' (earlier releases are quarantined)' : ''
        }`,
      );
    }
    const artifact = (await this.store.getArtifact(target.artifactId))!;
    return this.createPromotion({
      componentRef,
      ladder,
      env,
      previous,
      artifact,
      kind: 'rollback',
      reason: input.reason,
      actor,
      releases,
      replacesPromotionId: current.promotionId,
    });
  }

  // Approvals and aborts

  private async requirePromotion(id: string): Promise<Promotion> {
    const promotion = await this.store.getPromotion(id);
    if (!promotion) throw new NotFoundError(`No promotion with id ${id}`);
    return promotion;
  }

  /**
   * Records an approval or rejection. Separation of duties holds here, for
   * any permission policy: only users, never the requester, only members of
   * the environment's approver groups. A second decision by the same user
   * changes nothing.
   */
  async decideApproval(
    id: string,
    input: { decision: 'approve' | 'reject'; comment?: string },
    actor: Actor,
  ): Promise<PromotionView> {
    const promotion = await this.requirePromotion(id);
    if (promotion.state !== 'awaiting-approval') {
      throw new ConflictError(
        describeWrongState(
          `${input.decision} it`,
          promotion.state,
          APPROVAL_FROM,
        ),
      );
    }
    const eligibility = this.approvalEligibility(actor, promotion, []);
    if (!eligibility.allowed) {
      throw new NotAllowedError(eligibility.reason);
    }
    const now = this.clock();
    await this.store.transaction(async tx => {
      if (!(await tx.lockPromotion(id, 'awaiting-approval', now))) {
        const current = (await tx.getPromotion(id))!;
        throw new ConflictError(
          describeWrongState(
            `${input.decision} it`,
            current.state,
            APPROVAL_FROM,
          ),
        );
      }
      const recorded = await tx.addApproval(id, {
        approverRef: actor.ref,
        decision: input.decision,
        comment: input.comment,
        createdAt: now,
      });
      if (!recorded) return; // this approver already decided: no-op
      if (input.decision === 'reject') {
        await tx.transition(id, APPROVAL_FROM, 'rejected', {
          now,
          active: false,
          outcome: `rejected by ${actor.ref}${
            input.comment ? `: ${input.comment}` : ''
          }`,
        });
        return;
      }
      const approvals = (await tx.listApprovals([id])).get(id) ?? [];
      const received = approvals.filter(a => a.decision === 'approve').length;
      if (received >= promotion.requiredApprovals) {
        await tx.transition(id, APPROVAL_FROM, 'approved', {
          now,
          active: true,
        });
      }
    });
    return this.getPromotion(id);
  }

  /**
   * Whether an actor may decide a promotion's approval, and if not, why: the
   * rules of separation of duties, shared by the API (which refuses) and the
   * UI (which disables the buttons and says why).
   */
  approvalEligibility(
    actor: Actor,
    promotion: Promotion,
    approvals: Approval[],
  ): ApprovalEligibility {
    if (actor.type !== 'user') {
      return {
        allowed: false,
        reason: 'Only users can approve or reject promotions',
      };
    }
    if (actor.ref === promotion.requestedBy) {
      return {
        allowed: false,
        reason: `${actor.ref} requested this promotion and cannot approve or reject it; another member of the approver groups must`,
      };
    }
    const env = this.config.ladders
      .get(promotion.ladder)
      ?.environments.find(e => e.name === promotion.environment);
    const groups = env?.approvals.groups ?? [];
    if (!groups.some(g => actor.ownershipRefs.includes(g))) {
      return {
        allowed: false,
        reason: `Only members of ${
          listInWords(groups) || 'the configured approver groups'
        } may approve promotions to ${promotion.environment}; ${
          actor.ref
        } is not one`,
      };
    }
    if (approvals.some(a => a.approverRef === actor.ref)) {
      return {
        allowed: false,
        reason: `${actor.ref} has already decided on this promotion`,
      };
    }
    return { allowed: true };
  }

  async abort(
    id: string,
    reason: string | undefined,
    actor: Actor,
  ): Promise<PromotionView> {
    const promotion = await this.requirePromotion(id);
    const aborted = await this.store.transition(id, ABORT_FROM, 'aborted', {
      now: this.clock(),
      active: false,
      outcome: `aborted by ${actor.ref}${reason ? `: ${reason}` : ''}`,
    });
    if (!aborted) {
      const current = (await this.store.getPromotion(id)) ?? promotion;
      throw new ConflictError(
        describeWrongState('abort it', current.state, ABORT_FROM),
      );
    }
    return this.getPromotion(id);
  }

  // Rollout

  /**
   * Applies a rollout event reported by the pipeline. Verification metrics
   * are held against the environment's rollback thresholds: a breach fails
   * the promotion, with the breach as its outcome.
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
    const promotion = await this.requirePromotion(id);
    const env = this.config.ladders
      .get(promotion.ladder)
      ?.environments.find(e => e.name === promotion.environment);
    const rule = ROLLOUT_TRANSITIONS[input.type];
    const now = this.clock();

    if (input.type === 'deploying') {
      const artifact = (await this.store.getArtifact(promotion.artifactId))!;
      const quarantine = (
        await this.store.activeQuarantines([artifact.id])
      ).get(artifact.id);
      if (quarantine) {
        throw new ConflictError(
          `${shortDigest(artifact.digest)} was quarantined by ${
            quarantine.quarantinedBy
          }: ${quarantine.reason}; do not deploy it`,
        );
      }
      const window = checkWindows(env?.windows, now);
      if (!window.open && promotion.kind === 'normal') {
        throw new ConflictError(
          `${promotion.environment} is closed for deployments now (${
            window.why === 'freeze'
              ? `frozen${window.reason ? `: ${window.reason}` : ''}`
              : 'outside its deploy windows'
          }); deploy inside a window or request a hotfix`,
        );
      }
    }

    const breaches =
      input.type === 'verifying' || input.type === 'succeeded'
        ? thresholdBreaches(input.metrics, env?.rollbackThresholds ?? {})
        : [];
    const to = breaches.length ? 'failed' : rule.to;
    const outcome = rolloutOutcome(input, breaches, promotion.environment);

    await this.store.transaction(async tx => {
      const moved = await tx.transition(id, rule.from, to, {
        now,
        active: isActive(to),
        outcome,
      });
      if (!moved) {
        const current = (await tx.getPromotion(id))!;
        throw new ConflictError(
          describeWrongState(`report ${input.type}`, current.state, rule.from),
        );
      }
      await tx.addRolloutEvent(id, {
        type: input.type,
        metrics: input.metrics,
        message: input.message,
        reportedBy: actor.ref,
        createdAt: now,
      });
      if (to === 'succeeded') {
        await this.release(tx, promotion, now);
      }
    });
    return this.getPromotion(id);
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
    const now = this.clock();
    return this.store.transaction(async tx => {
      const moved = await tx.transition(id, ['verifying'], 'failed', {
        now,
        active: false,
        outcome: `verification failed: ${listInWords(
          breaches,
        )} (observed in the cluster)`,
      });
      if (moved) {
        await tx.addRolloutEvent(id, {
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

  /** Makes a succeeded promotion the environment's release. */
  private async release(tx: DeliveryStore, promotion: Promotion, now: number) {
    const releases = await tx.getReleases(promotion.componentRef);
    const replaced = releases.find(
      r => r.environment === promotion.environment,
    );
    await tx.setRelease({
      componentRef: promotion.componentRef,
      environment: promotion.environment,
      promotionId: promotion.id,
      artifactId: promotion.artifactId,
      releasedAt: now,
      releasedBy: promotion.requestedBy,
    });
    if (promotion.kind === 'rollback' && replaced) {
      await tx.transition(replaced.promotionId, ['succeeded'], 'rolled-back', {
        now,
        active: false,
        outcome: `rolled back by promotion ${promotion.id}`,
      });
    }
  }

  // Reads

  async getPromotion(id: string): Promise<PromotionView> {
    const promotion = await this.requirePromotion(id);
    const [artifact, approvals, events] = await Promise.all([
      this.store.getArtifact(promotion.artifactId),
      this.store.listApprovals([id]),
      this.store.listRolloutEvents([id]),
    ]);
    return {
      promotion,
      artifact: artifact!,
      approvals: approvals.get(id) ?? [],
      events: events.get(id) ?? [],
    };
  }

  private async promotionViews(
    promotions: Promotion[],
  ): Promise<PromotionView[]> {
    const ids = promotions.map(p => p.id);
    const [artifacts, approvals] = await Promise.all([
      this.store.getArtifacts(promotions.map(p => p.artifactId)),
      this.store.listApprovals(ids),
    ]);
    return promotions.map(promotion => ({
      promotion,
      artifact: artifacts.get(promotion.artifactId)!,
      approvals: approvals.get(promotion.id) ?? [],
    }));
  }

  async listPromotions(
    filter: PromotionFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<PromotionView>> {
    const normalized = {
      ...filter,
      componentRef: filter.componentRef
        ? DeliveryService.componentRef(filter.componentRef)
        : undefined,
    };
    const result = await this.store.listPromotions(normalized, page);
    return {
      items: await this.promotionViews(result.items),
      nextCursor: result.nextCursor,
    };
  }

  /**
   * Everything the Delivery tab shows first, in a bounded number of queries:
   * per environment the release, the active promotion (with whether the
   * viewer may approve it), the next candidate with its gates and soak
   * progress, and the artifact a rollback would return to.
   */
  async overview(
    componentRefInput: string,
    viewer?: Actor,
  ): Promise<ComponentOverview> {
    const componentRef = DeliveryService.componentRef(componentRefInput);
    const entity = await this.component(componentRef);
    const ladder = this.ladderOf(entity);
    const [releases, active, newest] = await Promise.all([
      this.store.getReleases(componentRef),
      this.store.activePromotions(componentRef),
      this.store.newestArtifacts(componentRef, 1),
    ]);
    const knownGood = await Promise.all(
      ladder.environments.map(env =>
        releases.some(r => r.environment === env.name)
          ? this.store.knownGood(componentRef, env.name, 20)
          : Promise.resolve([]),
      ),
    );
    const artifactIds = [
      ...releases.map(r => r.artifactId),
      ...active.map(p => p.artifactId),
      ...newest.map(a => a.id),
      ...knownGood.flat().map(p => p.artifactId),
    ];
    const [artifacts, evidence, activeViews, releasePromotions, quarantines] =
      await Promise.all([
        this.store.getArtifacts(artifactIds),
        this.store.latestEvidence(artifactIds),
        this.promotionViews(active),
        this.store.getPromotions(releases.map(r => r.promotionId)),
        this.store.activeQuarantines(artifactIds),
      ]);
    const kubernetesId =
      entity.metadata.annotations?.[KUBERNETES_ANNOTATION]?.trim();
    const liveStates = this.live
      ? await Promise.all(
          ladder.environments.map(env =>
            this.live!.read({
              cluster: env.cluster,
              namespace: resolveNamespace(
                env.namespace,
                componentRef,
                env.name,
              ),
              kubernetesId,
            }),
          ),
        )
      : [];

    const environments: EnvironmentOverview[] = [];
    for (const [index, env] of ladder.environments.entries()) {
      const release = releases.find(r => r.environment === env.name);
      const activeView = activeViews.find(
        v => v.promotion.environment === env.name,
      );
      const previous = index > 0 ? ladder.environments[index - 1] : undefined;
      // The next candidate: what the previous environment runs, or for the
      // first environment the newest build.
      const candidateId = previous
        ? releases.find(r => r.environment === previous.name)?.artifactId
        : newest[0]?.id;
      let candidate: CandidateView | undefined;
      if (
        candidateId &&
        candidateId !== release?.artifactId &&
        candidateId !== activeView?.artifact.id
      ) {
        const artifact = artifacts.get(candidateId)!;
        const input = await this.gateInput({
          componentRef,
          ladder,
          env,
          previous,
          artifact,
          kind: 'normal',
          releases,
        });
        const gates = evaluateGates(input);
        const soaked = input.previousRelease
          ? (input.previousRelease.endedAt ?? input.now) -
            input.previousRelease.releasedAt
          : undefined;
        candidate = {
          artifact,
          evidence: evidence.get(candidateId) ?? [],
          gates,
          decision: decide(gates),
          soak:
            previous && env.soakTimeMs > 0 && soaked !== undefined
              ? { requiredMs: env.soakTimeMs, soakedMs: soaked }
              : undefined,
        };
      }
      const target = knownGood[index].find(
        p =>
          p.artifactId !== release?.artifactId &&
          !quarantines.has(p.artifactId),
      );
      const live = liveStates[index];
      const rollingOut =
        activeView &&
        ['deploying', 'verifying'].includes(activeView.promotion.state)
          ? activeView.artifact.digest
          : undefined;
      environments.push({
        environment: env,
        namespace: resolveNamespace(env.namespace, componentRef, env.name),
        live,
        drift: live
          ? detectDrift(
              live,
              release ? artifacts.get(release.artifactId)?.digest : undefined,
              rollingOut,
            )
          : undefined,
        release: release && {
          release,
          artifact: artifacts.get(release.artifactId)!,
          evidence: evidence.get(release.artifactId) ?? [],
          promotion: releasePromotions.get(release.promotionId),
          quarantine: quarantines.get(release.artifactId),
        },
        activePromotion: activeView && {
          ...activeView,
          viewer:
            viewer && activeView.promotion.state === 'awaiting-approval'
              ? this.approvalEligibility(
                  viewer,
                  activeView.promotion,
                  activeView.approvals,
                )
              : undefined,
        },
        candidate,
        rollbackTarget: target && {
          artifact: artifacts.get(target.artifactId)!,
          promotionId: target.id,
          releasedAt: target.completedAt!,
        },
      });
    }
    return { componentRef, ladder, environments };
  }

  /**
   * Components with their release per environment, active promotions (and
   * whether the viewer may approve them) and recent failures and rollbacks:
   * the organisation page, in a bounded number of queries per page. With
   * `waitingForMe`, only components with a promotion the viewer may approve.
   */
  async listComponents(
    filter: { owner?: string; system?: string; waitingForMe?: boolean },
    page: { limit: number; cursor?: string },
    viewer: Actor,
    catalog: ComponentCatalog,
  ): Promise<{
    items: ComponentSummary[];
    nextCursor?: string;
    totalItems?: number;
  }> {
    let entities: Entity[];
    let nextCursor: string | undefined;
    let totalItems: number | undefined;
    if (filter.waitingForMe) {
      const pending = await this.store.awaitingApproval(1000);
      const approvals = await this.store.listApprovals(pending.map(p => p.id));
      const refs = [
        ...new Set(
          pending
            .filter(
              p =>
                this.approvalEligibility(viewer, p, approvals.get(p.id) ?? [])
                  .allowed,
            )
            .map(p => p.componentRef),
        ),
      ];
      const visible = (await catalog.byRefs(refs))
        .filter(
          e =>
            (!filter.owner ||
              e.relations?.some(
                r => r.type === 'ownedBy' && r.targetRef === filter.owner,
              )) &&
            (!filter.system ||
              e.relations?.some(
                r => r.type === 'partOf' && r.targetRef === filter.system,
              )),
        )
        .sort((a, b) =>
          stringifyEntityRef(a).localeCompare(stringifyEntityRef(b)),
        );
      const offset = page.cursor ? decodeOffset(page.cursor) : 0;
      entities = visible.slice(offset, offset + page.limit);
      nextCursor =
        offset + page.limit < visible.length
          ? encodeOffset(offset + page.limit)
          : undefined;
      totalItems = visible.length;
    } else {
      ({ entities, nextCursor, totalItems } = await catalog.query(
        { owner: filter.owner, system: filter.system },
        page,
      ));
    }

    const refs = entities.map(e => stringifyEntityRef(e));
    const [releases, active, failures] = await Promise.all([
      this.store.releasesOfComponents(refs),
      this.store.activePromotionsOf(refs),
      this.store.recentFailures(
        refs,
        this.clock() - RECENT_FAILURES_MS,
        refs.length * 5,
      ),
    ]);
    const [artifacts, releasePromotions, activeViews, failureViews] =
      await Promise.all([
        this.store.getArtifacts(releases.map(r => r.artifactId)),
        this.store.getPromotions(releases.map(r => r.promotionId)),
        this.promotionViews(active),
        this.promotionViews(failures),
      ]);

    const items = entities.map((entity, i): ComponentSummary => {
      const componentRef = refs[i];
      let ladder: LadderConfig | undefined;
      let problem: string | undefined;
      try {
        ladder = this.ladderOf(entity);
      } catch (error) {
        problem = (error as Error).message;
      }
      return {
        entity,
        componentRef,
        ladder,
        problem,
        environments: (ladder?.environments ?? []).map(environment => {
          const release = releases.find(
            r =>
              r.componentRef === componentRef &&
              r.environment === environment.name,
          );
          const activeView = activeViews.find(
            v =>
              v.promotion.componentRef === componentRef &&
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
            activePromotion: activeView && {
              ...activeView,
              viewer:
                activeView.promotion.state === 'awaiting-approval'
                  ? this.approvalEligibility(
                      viewer,
                      activeView.promotion,
                      activeView.approvals,
                    )
                  : undefined,
            },
          };
        }),
        recentFailures: failureViews.filter(
          v => v.promotion.componentRef === componentRef,
        ),
      };
    });
    return { items, nextCursor, totalItems };
  }

  /** The configured ladders, for clients. */
  ladders(): LadderConfig[] {
    return [...this.config.ladders.values()];
  }

  get defaultLadder(): string {
    return this.config.defaultLadder;
  }

  /** The golden-path scorecard settings. */
  get scorecardSettings(): ScorecardSettings {
    return this.config.scorecard;
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

export type { PromotionState };
