import { Entity } from '@backstage/catalog-model';
import {
  getDeliverySettings,
  resolveNamespace,
} from '@backstage-delivery/plugin-delivery-common';
import type {
  DeliveryConfig,
  EnvironmentConfig,
  LadderConfig,
} from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { ApprovalEligibility } from '../../domain/approvals';
import {
  decide,
  evaluateGates,
  hotfixWouldPass,
  soakProgress,
} from '../../domain/gates';
import { detectDrift, Drift, LiveState } from '../../domain/liveState';
import {
  Actor,
  Artifact,
  Evidence,
  GateVerdict,
  Promotion,
  Quarantine,
  Release,
} from '../../domain/types';
import { LiveStateSource } from '../../kubernetes/liveState';
import { ComponentResolver, componentRef } from '../components';
import { GateInputs, KnownGateInputs } from '../promotions/GateInputs';
import { PromotionView, promotionViews, withViewer } from '../views';

/** The next artifact an environment could take, and what its gates say. */
export interface CandidateView {
  artifact: Artifact;
  evidence: Evidence[];
  gates: GateVerdict[];
  decision: 'refused' | 'awaiting-approval' | 'approved';
  /** Whether a hotfix would pass where this normal request is refused. */
  hotfixAllowed: boolean;
  /** Soak progress in the previous environment, when a soak time applies. */
  soak?: { requiredMs: number; soakedMs: number };
}

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

/**
 * Everything the Delivery tab shows first, in a bounded number of queries:
 * per environment the release, the active promotion (with whether the
 * viewer may approve it), the next candidate with its gates and soak
 * progress, the artifact a rollback would return to, and what runs.
 */
export class OverviewQuery {
  /** Every environment name of the configured ladders. */
  private readonly environmentNames: string[];

  constructor(
    private readonly options: {
      ledger: Ledger;
      config: DeliveryConfig;
      components: ComponentResolver;
      gates: GateInputs;
      live?: LiveStateSource;
    },
  ) {
    this.environmentNames = [
      ...new Set(
        [...options.config.ladders.values()].flatMap(l =>
          l.environments.map(e => e.name),
        ),
      ),
    ];
  }

  async overview(input: string, viewer?: Actor): Promise<ComponentOverview> {
    const { ledger, components } = this.options;
    const ref = componentRef(input);
    // Round 1: the catalog and the ledger at once. Known-good releases are
    // read for every environment name of the configured ladders, so that
    // they need not wait for the entity to say which ladder applies.
    const [{ entity, ladder }, releases, active, newest, knownGoodByEnv] =
      await Promise.all([
        components.resolve(ref),
        ledger.releases.getReleases(ref),
        ledger.promotions.activePromotions(ref),
        ledger.artifacts.newestArtifacts(ref, 1),
        ledger.promotions.knownGoodIn(ref, this.environmentNames, 20),
      ]);
    const knownGood = ladder.environments.map(
      env => knownGoodByEnv.get(env.name) ?? [],
    );
    const releaseIn = (name: string) =>
      releases.find(r => r.environment === name);
    const activeIn = (name: string) => active.find(p => p.environment === name);
    // The next candidate of each environment: what the previous environment
    // runs, or for the first environment the newest build.
    const candidateIds = ladder.environments.map((env, index) => {
      const id =
        index > 0
          ? releaseIn(ladder.environments[index - 1].name)?.artifactId
          : newest[0]?.id;
      return id &&
        id !== releaseIn(env.name)?.artifactId &&
        id !== activeIn(env.name)?.artifactId
        ? id
        : undefined;
    });
    const artifactIds = [
      ...releases.map(r => r.artifactId),
      ...active.map(p => p.artifactId),
      ...newest.map(a => a.id),
      ...knownGood.flat().map(p => p.artifactId),
    ];
    // Round 2: everything those name, and how each candidate fared in the
    // environment before.
    const [
      artifacts,
      evidence,
      activeViews,
      releasePromotions,
      quarantines,
      previousReleases,
    ] = await Promise.all([
      ledger.artifacts.getArtifacts(artifactIds),
      ledger.evidence.latestEvidence(artifactIds),
      promotionViews(ledger, active),
      ledger.promotions.getPromotions(releases.map(r => r.promotionId)),
      ledger.artifacts.activeQuarantines(artifactIds),
      Promise.all(
        candidateIds.map((id, index) =>
          id && index > 0
            ? this.options.gates.previousRelease(
                ref,
                ladder.environments[index - 1].name,
                id,
              )
            : undefined,
        ),
      ),
    ]);
    const { kubernetesId } = getDeliverySettings(entity);
    const namespaces = ladder.environments.map(env =>
      resolveNamespace(env.namespace, ref, env.name),
    );
    const live = this.options.live;
    const liveStates = live
      ? await Promise.all(
          ladder.environments.map((env, i) =>
            live.read({
              cluster: env.cluster,
              namespace: namespaces[i],
              kubernetesId,
              componentRef: ref,
            }),
          ),
        )
      : [];

    const activeViewIn = (name: string) =>
      activeViews.find(v => v.promotion.environment === name);
    // Round 3: each candidate's gates, judged on what was read (the
    // attestations, when an environment requires verified evidence).
    const candidates = await Promise.all(
      candidateIds.map((id, index) =>
        id
          ? this.candidate(entity, ref, ladder, index, artifacts.get(id)!, {
              releases,
              quarantine: quarantines.get(id),
              evidence: evidence.get(id) ?? [],
              previousRelease: previousReleases[index],
            })
          : undefined,
      ),
    );

    const environments: EnvironmentOverview[] = [];
    for (const [index, env] of ladder.environments.entries()) {
      const release = releaseIn(env.name);
      const activeView = activeViewIn(env.name);
      const candidate = candidates[index];
      const target = knownGood[index].find(
        p =>
          p.artifactId !== release?.artifactId &&
          !quarantines.has(p.artifactId),
      );
      const liveState = liveStates[index];
      const rollingOut =
        activeView &&
        ['deploying', 'verifying'].includes(activeView.promotion.state)
          ? activeView.artifact.digest
          : undefined;
      environments.push({
        environment: env,
        namespace: namespaces[index],
        live: liveState,
        drift: liveState
          ? detectDrift(
              liveState,
              release ? artifacts.get(release.artifactId)?.digest : undefined,
              rollingOut,
              release
                ? artifacts.get(release.artifactId)?.imageRepository
                : undefined,
            )
          : undefined,
        release: release && {
          release,
          artifact: artifacts.get(release.artifactId)!,
          evidence: evidence.get(release.artifactId) ?? [],
          promotion: releasePromotions.get(release.promotionId),
          quarantine: quarantines.get(release.artifactId),
        },
        activePromotion:
          activeView &&
          withViewer(activeView, viewer, this.options.config.ladders),
        candidate,
        rollbackTarget: target && {
          artifact: artifacts.get(target.artifactId)!,
          promotionId: target.id,
          releasedAt: (target.wentLiveAt ?? target.completedAt)!,
        },
      });
    }
    return { componentRef: ref, ladder, environments };
  }

  /** What the gates say about promoting a candidate into the environment at `index`. */
  private async candidate(
    entity: Entity,
    ref: string,
    ladder: LadderConfig,
    index: number,
    artifact: Artifact,
    known: KnownGateInputs,
  ): Promise<CandidateView> {
    const input = await this.options.gates.gather({
      componentRef: ref,
      ladder,
      step: {
        env: ladder.environments[index],
        previous: index > 0 ? ladder.environments[index - 1] : undefined,
        index,
      },
      artifact,
      kind: 'normal',
      entity,
      known,
    });
    const gates = evaluateGates(input);
    return {
      artifact,
      evidence: known.evidence,
      gates,
      decision: decide(gates),
      hotfixAllowed: hotfixWouldPass(input),
      soak: soakProgress(input),
    };
  }
}
