import { Entity } from '@backstage/catalog-model';
import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type { PeopleDirectory } from '../../catalog/people';
import type { DeliveryConfig, LadderConfig } from '../../config/types';
import { PromotionFilter } from '../../database/PromotionStore';
import { Ledger } from '../../database/Ledger';
import { Page } from '../../database/util';
import { approvalEligibility, approvalsComplete } from '../../domain/approvals';
import { shortDigest } from '../../domain/describe';
import { ownerRef } from '../../domain/refs';
import {
  decide,
  describeRefusal,
  evaluateGates,
  requiredApprovals,
} from '../../domain/gates';
import { environmentOfPromotion, LadderStep } from '../../domain/ladder';
import {
  outsideTeams,
  PersonBehind,
  reportedIdentities,
} from '../../domain/people';
import {
  ABORT_FROM,
  APPROVAL_FROM,
  describeWrongState,
} from '../../domain/stateMachine';
import { Actor, Artifact, Promotion, PromotionKind } from '../../domain/types';
import { ComponentResolver, componentRef } from '../components';
import { promotionDetail, PromotionView, promotionViews } from '../views';
import { GateInputs } from './GateInputs';
import { LedgerChanges, NO_CHANGES } from '../notifications/LedgerChanges';

/** A promotion request's answer: the promotion, and why it was refused, if it was. */
export interface PromotionOutcome {
  view: PromotionView;
  /** Set when the gates refused the promotion. */
  refusal?: string;
}

/**
 * The promotion aggregate's operations: requests and rollbacks judged by
 * the gates, approvals under separation of duties, aborts, and reads.
 * HTTP, permissions and auditing live in the routes; rules in domain/.
 */
export class PromotionService {
  private readonly ledger: Ledger;
  private readonly config: DeliveryConfig;
  private readonly components: ComponentResolver;
  private readonly gates: GateInputs;
  private readonly people?: PeopleDirectory;
  private readonly changes: LedgerChanges;
  private readonly clock: () => number;
  private readonly newId: () => string;

  constructor(options: {
    ledger: Ledger;
    config: DeliveryConfig;
    components: ComponentResolver;
    gates: GateInputs;
    /** Matches the people CI names to catalog users; without it only requesters are known. */
    people?: PeopleDirectory;
    /** Told of each change (notifications, signals). */
    changes?: LedgerChanges;
    clock?: () => number;
    newId?: () => string;
  }) {
    this.ledger = options.ledger;
    this.config = options.config;
    this.components = options.components;
    this.gates = options.gates;
    this.people = options.people;
    this.changes = options.changes ?? NO_CHANGES;
    this.clock = options.clock ?? Date.now;
    this.newId = options.newId ?? randomUUID;
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
      /** GitHub login of who started the requesting run (service callers only). */
      triggeredBy?: string;
    },
    actor: Actor,
  ): Promise<PromotionOutcome> {
    const ref = componentRef(input.componentRef);
    const { entity, ladder } = await this.components.resolve(ref);
    const step = this.components.step(ladder, input.environment, ref);
    const artifact = await this.ledger.artifacts.getArtifactByDigest(
      ref,
      input.digest,
    );
    if (!artifact) {
      throw new NotFoundError(
        `No artifact ${shortDigest(
          input.digest,
        )} is recorded for ${ref}; record it before promoting it`,
      );
    }
    return this.createPromotion({
      entity,
      componentRef: ref,
      ladder,
      step,
      artifact,
      kind: input.kind,
      reason: input.reason,
      actor,
      triggeredBy: actor.type === 'service' ? input.triggeredBy : undefined,
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
    const ref = componentRef(input.componentRef);
    const { entity, ladder } = await this.components.resolve(ref);
    const step = this.components.step(ladder, input.environment, ref);
    const envName = step.env.name;
    const current = (await this.ledger.releases.getReleases(ref)).find(
      r => r.environment === envName,
    );
    if (!current) {
      throw new ConflictError(
        `Nothing is released in ${envName} for ${ref}, so there is nothing to roll back`,
      );
    }
    const candidates = (
      await this.ledger.promotions.knownGood(ref, envName, 50)
    ).filter(p => p.artifactId !== current.artifactId);
    const quarantined = await this.ledger.artifacts.activeQuarantines(
      candidates.map(c => c.artifactId),
    );
    const target = candidates.find(c => !quarantined.has(c.artifactId));
    if (!target) {
      throw new ConflictError(
        `${ref} has no earlier good release in ${envName} to roll back to${
          quarantined.size ? ' (earlier releases are quarantined)' : ''
        }`,
      );
    }
    return this.createPromotion({
      entity,
      componentRef: ref,
      ladder,
      step,
      artifact: (await this.ledger.artifacts.getArtifact(target.artifactId))!,
      kind: 'rollback',
      reason: input.reason,
      actor,
      replacesPromotionId: current.promotionId,
    });
  }

  /**
   * The one path of every promotion request: gather the gate input, judge,
   * and insert. The unique index on active promotions refuses a second one.
   */
  private async createPromotion(options: {
    entity: Entity;
    componentRef: string;
    ladder: LadderConfig;
    step: LadderStep;
    artifact: Artifact;
    kind: PromotionKind;
    reason?: string;
    actor: Actor;
    triggeredBy?: string;
    replacesPromotionId?: string;
  }): Promise<PromotionOutcome> {
    const { componentRef: ref, step, artifact, kind } = options;
    const behind = await this.peopleBehind(options);
    const gates = evaluateGates(await this.gates.gather(options));
    const decision = decide(gates);
    const refusal =
      decision === 'refused'
        ? describeRefusal(gates, step.env.name, artifact.digest)
        : undefined;
    const now = this.clock();
    const promotion: Promotion = {
      id: this.newId(),
      componentRef: ref,
      environment: step.env.name,
      ladder: options.ladder.name,
      artifactId: artifact.id,
      kind,
      state: decision,
      requestedBy: options.actor.ref,
      triggeredBy: options.triggeredBy,
      people: behind.people,
      committingTeams: behind.teams,
      reason: options.reason,
      gates,
      requiredApprovals: requiredApprovals(step.env, kind),
      replacesPromotionId: options.replacesPromotionId,
      outcome: refusal,
      createdAt: now,
      updatedAt: now,
      completedAt: refusal ? now : undefined,
    };
    if (!(await this.ledger.promotions.insertPromotion(promotion, !refusal))) {
      throw new ConflictError(await this.describeActive(ref, step.env.name));
    }
    await this.changes.promotionChanged(promotion);
    return { view: { promotion, artifact, approvals: [] }, refusal };
  }

  /**
   * The catalog users behind a change (requester, who started the run, the
   * commit author) and their teams; when CI named nobody the catalog knows,
   * the committing team is the requester's groups, else the owner.
   */
  private async peopleBehind(options: {
    entity: Entity;
    artifact: Artifact;
    actor: Actor;
    triggeredBy?: string;
  }): Promise<{ people: PersonBehind[]; teams: string[] }> {
    const { actor } = options;
    const identities = reportedIdentities(options, options.artifact);
    const matched =
      this.people && identities.length
        ? await this.people.match(identities)
        : { people: [], teams: [] };
    const people: PersonBehind[] = [
      ...(actor.type === 'user'
        ? [{ ref: actor.ref, role: 'requester' as const }]
        : []),
      ...matched.people,
    ];
    let teams = matched.teams;
    if (teams.length === 0) {
      teams = actor.ownershipRefs.filter(r => r.startsWith('group:'));
    }
    const owner = ownerRef(options.entity);
    if (teams.length === 0 && owner) teams = [owner];
    return { people, teams };
  }

  /** Why a new promotion cannot start: the one already under way. */
  private async describeActive(
    ref: string,
    environment: string,
  ): Promise<string> {
    const active = await this.ledger.promotions.activePromotion(
      ref,
      environment,
    );
    if (!active)
      return `${ref} already has an active promotion to ${environment}`;
    const artifact = await this.ledger.artifacts.getArtifact(active.artifactId);
    return `${ref} already has an active promotion to ${environment} (${
      active.id
    }, ${active.state}, ${shortDigest(
      artifact?.digest ?? '',
    )}); wait for it to finish or abort it`;
  }

  // Approvals and aborts

  /**
   * Records an approval or rejection. Separation of duties holds here, for
   * any permission policy (domain/approvals). A second decision by the same
   * user changes nothing.
   */
  async decideApproval(
    id: string,
    input: { decision: 'approve' | 'reject'; comment?: string },
    actor: Actor,
  ): Promise<PromotionView> {
    const { promotion } = await this.getPromotion(id);
    const action = `${input.decision} it`;
    if (promotion.state !== 'awaiting-approval') {
      throw new ConflictError(
        describeWrongState(action, promotion.state, APPROVAL_FROM),
      );
    }
    const environment = environmentOfPromotion(this.config.ladders, promotion);
    const eligibility = approvalEligibility(
      actor,
      promotion,
      (await this.ledger.promotions.listApprovals([id])).get(id) ?? [],
      environment,
    );
    if (!eligibility.allowed) throw new NotAllowedError(eligibility.reason);
    const now = this.clock();
    await this.ledger.transaction(async tx => {
      if (!(await tx.promotions.lockPromotion(id, 'awaiting-approval', now))) {
        const current = (await tx.promotions.getPromotion(id))!;
        throw new ConflictError(
          describeWrongState(action, current.state, APPROVAL_FROM),
        );
      }
      const recorded = await tx.promotions.addApproval(id, {
        approverRef: actor.ref,
        decision: input.decision,
        comment: input.comment,
        outsideCommittingTeam: outsideTeams(
          actor.ownershipRefs,
          promotion.committingTeams ?? [],
        ),
        createdAt: now,
      });
      if (!recorded) return; // this approver already decided: no-op
      if (input.decision === 'reject') {
        await tx.promotions.transition(id, APPROVAL_FROM, 'rejected', {
          now,
          active: false,
          outcome: `rejected by ${actor.ref}${
            input.comment ? `: ${input.comment}` : ''
          }`,
        });
        return;
      }
      const approvals = (await tx.promotions.listApprovals([id])).get(id) ?? [];
      if (approvalsComplete(promotion, approvals, environment)) {
        await tx.promotions.transition(id, APPROVAL_FROM, 'approved', {
          now,
          active: true,
        });
      }
    });
    const view = await this.getPromotion(id);
    await this.changes.promotionChanged(view.promotion, promotion.state);
    return view;
  }

  async abort(
    id: string,
    reason: string | undefined,
    actor: Actor,
  ): Promise<PromotionView> {
    const { promotion } = await this.getPromotion(id);
    const aborted = await this.ledger.promotions.transition(
      id,
      ABORT_FROM,
      'aborted',
      {
        now: this.clock(),
        active: false,
        outcome: `aborted by ${actor.ref}${reason ? `: ${reason}` : ''}`,
      },
    );
    if (!aborted) {
      const current =
        (await this.ledger.promotions.getPromotion(id)) ?? promotion;
      throw new ConflictError(
        describeWrongState('abort it', current.state, ABORT_FROM),
      );
    }
    const view = await this.getPromotion(id);
    await this.changes.promotionChanged(view.promotion, promotion.state);
    return view;
  }

  // Reads

  async getPromotion(id: string): Promise<PromotionView> {
    return promotionDetail(this.ledger, id);
  }

  /** Every component with a promotion, for filtering lists by visibility. */
  async componentRefs(): Promise<string[]> {
    return this.ledger.promotions.componentRefs();
  }

  async listPromotions(
    filter: PromotionFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<PromotionView>> {
    const result = await this.ledger.promotions.listPromotions(
      {
        ...filter,
        componentRef: filter.componentRef
          ? componentRef(filter.componentRef)
          : undefined,
      },
      page,
    );
    return {
      items: await promotionViews(this.ledger, result.items),
      nextCursor: result.nextCursor,
    };
  }
}
