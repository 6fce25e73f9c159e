import { Entity } from '@backstage/catalog-model';
import type { ImagePolicy, LadderConfig } from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { GateInput, PreviousRelease } from '../../domain/gates';
import { LadderStep } from '../../domain/ladder';
import {
  Artifact,
  Evidence,
  PromotionKind,
  Quarantine,
  Release,
} from '../../domain/types';
import type { GateEvidenceSource } from '../artifacts/AttestationService';

/** Gate inputs a caller already read, so that gathering does not read them again. */
export interface KnownGateInputs {
  releases: Release[];
  quarantine?: Quarantine;
  /** The artifact's latest evidence of each kind. */
  evidence: Evidence[];
  /** How the artifact fared in the previous environment, if there is one. */
  previousRelease?: PreviousRelease;
}

/**
 * Everything the gates judge a promotion request on, gathered in one place
 * for requests, rollbacks and the overview's candidates: one query per
 * concern (releases, quarantine, evidence, the previous environment's
 * release), run in parallel.
 */
export class GateInputs {
  constructor(
    private readonly ledger: Ledger,
    private readonly evidence: GateEvidenceSource,
    private readonly imagePolicy: ImagePolicy,
    private readonly clock: () => number,
  ) {}

  async gather(options: {
    componentRef: string;
    ladder: LadderConfig;
    step: LadderStep;
    artifact: Artifact;
    kind: PromotionKind;
    /** The component's entity, when the caller already resolved it. */
    entity?: Entity;
    /** What the caller already read (the overview reads it for every environment at once). */
    known?: KnownGateInputs;
  }): Promise<GateInput> {
    const { componentRef, ladder, step, artifact, kind, known } = options;
    const [releases, quarantine, evidence, previousRelease] = await Promise.all(
      [
        known?.releases ?? this.ledger.releases.getReleases(componentRef),
        known
          ? known.quarantine
          : this.ledger.artifacts
              .activeQuarantines([artifact.id])
              .then(q => q.get(artifact.id)),
        this.evidence.forGate(
          artifact,
          step.env,
          options.entity,
          known?.evidence,
        ),
        known || !step.previous
          ? known?.previousRelease
          : this.previousRelease(componentRef, step.previous.name, artifact.id),
      ],
    );
    return {
      now: this.clock(),
      kind,
      ladder,
      environment: step.env,
      previousEnvironment: step.previous,
      artifact,
      quarantine,
      currentRelease: releases.find(r => r.environment === step.env.name),
      previousRelease,
      releasedIn: ladder.environments
        .map(e => e.name)
        .filter(name =>
          releases.some(
            r => r.environment === name && r.artifactId === artifact.id,
          ),
        ),
      evidence: evidence.evidence,
      attestations: evidence.attestations,
      imagePolicy: this.imagePolicy,
    };
  }

  /** How the artifact fared in an environment: its latest release there, and what ended it. */
  async previousRelease(
    componentRef: string,
    environment: string,
    artifactId: string,
  ): Promise<PreviousRelease | undefined> {
    const history = this.ledger.promotions;
    const [latest] = await history.releaseHistory(componentRef, environment, {
      artifactId,
      newestFirst: true,
      limit: 1,
    });
    if (!latest?.wentLiveAt) return undefined;
    const [next] = await history.releaseHistory(componentRef, environment, {
      liveAfter: latest.wentLiveAt,
      limit: 1,
    });
    return {
      releasedAt: latest.wentLiveAt,
      endedAt: next?.wentLiveAt,
      rolledBack: latest.state === 'rolled-back',
    };
  }
}
