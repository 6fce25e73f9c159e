import { DeliveryApiSchemas } from '@backstage-delivery/plugin-delivery-common';
import type { EnvironmentConfig, LadderConfig } from '../../config/types';
import { ApprovalEligibility } from '../../domain/approvals';
import { Deployment, DeploymentStep } from '../../domain/executions';
import { DeploymentState, Drift, LiveState } from '../../domain/liveState';
import { Preview } from '../../domain/previews';
import { ownerRef, systemRef } from '../../domain/refs';
import {
  Artifact,
  Evidence,
  Quarantine,
  RolloutEvent,
} from '../../domain/types';
import { ComponentSummary } from '../readModels/ComponentsQuery';
import { ComponentOverview } from '../readModels/OverviewQuery';
import { ArtifactDetail, ArtifactView, PromotionView } from '../views';

type S = DeliveryApiSchemas;

/** Domain times are epoch milliseconds; the API speaks ISO 8601. */
export function iso(ms: number): string;
export function iso(ms: number | undefined): string | undefined;
export function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

export function artifactRefJson(a: Artifact): S['ArtifactRef'] {
  return {
    id: a.id,
    component: a.componentRef,
    digest: a.digest,
    imageRepository: a.imageRepository,
    tags: a.tags,
    commitSha: a.commitSha,
    commitTime: iso(a.commitTime),
    branch: a.branch,
    buildId: a.buildId,
    buildUrl: a.buildUrl,
    sizeBytes: a.sizeBytes,
    baseImage: a.baseImage,
    commitAuthorEmail: a.commitAuthorEmail,
    commitAuthorLogin: a.commitAuthorLogin,
    triggeredBy: a.triggeredBy,
    createdBy: a.createdBy,
    createdAt: iso(a.createdAt),
  };
}

export function evidenceJson(e: Evidence): S['Evidence'] {
  return {
    id: e.id,
    kind: e.kind,
    result: e.result,
    status: e.status,
    summary: e.summary,
    url: e.url,
    reportedBy: e.reportedBy,
    reportedAt: iso(e.reportedAt),
    verification: e.verification && {
      ...e.verification,
      transparencyLog: e.verification.transparencyLog && {
        ...e.verification.transparencyLog,
        integratedTime: iso(e.verification.transparencyLog.integratedTime),
      },
    },
  };
}

export function quarantineJson(q: Quarantine): S['Quarantine'] {
  return {
    reason: q.reason,
    quarantinedBy: q.quarantinedBy,
    quarantinedAt: iso(q.quarantinedAt),
    liftReason: q.liftReason,
    liftedBy: q.liftedBy,
    liftedAt: iso(q.liftedAt),
  };
}

export function artifactJson(view: ArtifactView): S['Artifact'] {
  return {
    ...artifactRefJson(view.artifact),
    evidence: view.evidence.map(evidenceJson),
    releases: view.releases.map(r => ({
      environment: r.environment,
      releasedAt: iso(r.releasedAt),
    })),
    quarantine: view.quarantine && quarantineJson(view.quarantine),
  };
}

export function artifactDetailJson(
  detail: ArtifactDetail,
): S['ArtifactDetail'] {
  return {
    ...artifactJson(detail),
    evidenceHistory: detail.evidenceHistory.map(evidenceJson),
    quarantineHistory: detail.quarantineHistory.map(quarantineJson),
  };
}

function eventJson(e: RolloutEvent): S['RolloutEvent'] {
  return {
    type: e.type,
    metrics: e.metrics,
    message: e.message,
    reportedBy: e.reportedBy,
    at: iso(e.createdAt),
  };
}

function viewerJson(viewer?: ApprovalEligibility): S['Promotion']['viewer'] {
  if (!viewer) return undefined;
  return viewer.allowed
    ? { canApprove: true }
    : { canApprove: false, reason: viewer.reason };
}

function deploymentJson(
  d: Deployment,
  steps?: DeploymentStep[],
): S['Deployment'] {
  return {
    executor: d.executor as S['Deployment']['executor'],
    phase: d.phase,
    attempt: d.attempt,
    progress: {
      message: d.progress?.message ?? '',
      waitingFor: d.progress?.waitingFor,
      since: iso(d.progress?.since ?? d.updatedAt),
      replicas: d.progress?.replicas,
      links: d.progress?.links,
      rollouts: d.progress?.rollouts,
    },
    steps: steps?.map(s => ({
      at: iso(s.at),
      action: s.action,
      message: s.message,
    })),
  };
}

export function promotionJson(
  view: PromotionView & { viewer?: ApprovalEligibility },
): S['Promotion'] {
  const p = view.promotion;
  return {
    id: p.id,
    component: p.componentRef,
    environment: p.environment,
    ladder: p.ladder,
    kind: p.kind,
    state: p.state,
    artifact: artifactRefJson(view.artifact),
    requestedBy: p.requestedBy,
    triggeredBy: p.triggeredBy,
    people: p.people,
    committingTeams: p.committingTeams,
    reason: p.reason,
    gates: p.gates,
    approvals: {
      required: p.requiredApprovals,
      received: view.approvals.filter(a => a.decision === 'approve').length,
      decisions: view.approvals.map(a => ({
        by: a.approverRef,
        decision: a.decision,
        comment: a.comment,
        outsideCommittingTeam: a.outsideCommittingTeam,
        at: iso(a.createdAt),
      })),
    },
    events: view.events?.map(eventJson),
    deployment: view.deployment && deploymentJson(view.deployment, view.steps),
    viewer: viewerJson(view.viewer),
    replacesPromotionId: p.replacesPromotionId,
    outcome: p.outcome,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    completedAt: iso(p.completedAt),
    wentLiveAt: iso(p.wentLiveAt),
  };
}

export function environmentJson(
  env: EnvironmentConfig,
  namespace: string = env.namespace,
): S['Environment'] {
  return {
    name: env.name,
    title: env.title,
    executor: env.executor.type,
    cluster: env.cluster,
    namespace,
    strategy: env.strategy,
    requiredEvidence: env.requiredEvidence,
    verifiedEvidence: env.verifiedEvidence,
    soakTimeSeconds: env.soakTimeMs / 1000,
    approvals: env.approvals,
    rollbackThresholds: env.rollbackThresholds,
    rollbackRequiresApprovals: env.rollbackRequiresApprovals,
    windows: env.windows && {
      timezone: env.windows.timezone,
      allow: env.windows.allow.map(w => w.label),
      freezes: env.windows.freezes.map(f => ({
        from: iso(f.from),
        to: iso(f.to),
        reason: f.reason,
      })),
    },
  };
}

export function ladderJson(ladder: LadderConfig): S['Ladder'] {
  return {
    name: ladder.name,
    title: ladder.title,
    environments: ladder.environments.map(env => environmentJson(env)),
  };
}

export function overviewJson(overview: ComponentOverview): S['Overview'] {
  return {
    component: overview.componentRef,
    ladder: { name: overview.ladder.name, title: overview.ladder.title },
    environments: overview.environments.map(e => ({
      environment: environmentJson(e.environment, e.namespace),
      release: e.release && {
        artifact: artifactRefJson(e.release.artifact),
        evidence: e.release.evidence.map(evidenceJson),
        promotionId: e.release.release.promotionId,
        releasedAt: iso(e.release.release.releasedAt),
        releasedBy: e.release.release.releasedBy,
        kind: e.release.promotion?.kind ?? 'normal',
        quarantine:
          e.release.quarantine && quarantineJson(e.release.quarantine),
      },
      rollbackTarget: e.rollbackTarget && {
        artifact: artifactRefJson(e.rollbackTarget.artifact),
        promotionId: e.rollbackTarget.promotionId,
        releasedAt: iso(e.rollbackTarget.releasedAt),
      },
      activePromotion: e.activePromotion && promotionJson(e.activePromotion),
      live: e.live && liveJson(e.live),
      drift: e.drift && driftJson(e.drift),
      candidate: e.candidate && {
        artifact: artifactRefJson(e.candidate.artifact),
        evidence: e.candidate.evidence.map(evidenceJson),
        gates: e.candidate.gates,
        decision: e.candidate.decision,
        hotfixAllowed: e.candidate.hotfixAllowed,
        soak: e.candidate.soak && {
          requiredSeconds: e.candidate.soak.requiredMs / 1000,
          soakedSeconds: Math.round(e.candidate.soak.soakedMs / 1000),
        },
      },
    })),
  };
}

export function componentSummaryJson(
  summary: ComponentSummary,
): S['ComponentSummary'] {
  const entity = summary.entity;
  return {
    component: summary.componentRef,
    name: entity.metadata.name,
    title: entity.metadata.title,
    owner: ownerRef(entity),
    system: systemRef(entity),
    ladder: summary.ladder?.name,
    problem: summary.problem,
    environments: summary.environments.map(e => ({
      name: e.environment.name,
      title: e.environment.title,
      release: e.release && {
        artifact: artifactRefJson(e.release.artifact),
        releasedAt: iso(e.release.release.releasedAt),
        kind: e.release.kind,
      },
      activePromotion: e.activePromotion && promotionJson(e.activePromotion),
    })),
    recentFailures: summary.recentFailures.map(v => promotionJson(v)),
  };
}

/** Conditions of a deployment that are not as they should be, in words. */
function deploymentProblems(d: DeploymentState): string[] {
  return d.conditions
    .filter(c =>
      c.type === 'ReplicaFailure' ? c.status === 'True' : c.status === 'False',
    )
    .map(c =>
      [`${c.type}: ${c.reason ?? c.status}`, c.message]
        .filter(Boolean)
        .join(' — '),
    );
}

export function liveJson(live: LiveState): S['LiveState'] {
  if (live.state === 'unknown') {
    return {
      state: 'unknown',
      reason: live.reason,
      cluster: live.cluster,
      namespace: live.namespace,
      observedAt: iso(live.observedAt),
      source: live.source,
    };
  }
  return {
    state: 'known',
    cluster: live.cluster,
    namespace: live.namespace,
    observedAt: iso(live.observedAt),
    source: live.source,
    runningDigests: live.runningDigests,
    deployments: live.deployments.map(d => {
      const problems = deploymentProblems(d);
      return {
        kind: d.kind ?? 'Deployment',
        name: d.name,
        replicas: d.replicas,
        restarts: d.pods.reduce((sum, p) => sum + p.restarts, 0),
        images: d.images,
        problems: problems.length ? problems : undefined,
      };
    }),
  };
}

export function driftJson(drift: Drift): S['Drift'] {
  return {
    expected: drift.expected,
    running: drift.running,
    since: iso(drift.since),
  };
}

export function previewJson(p: Preview): S['Preview'] {
  return {
    id: p.id,
    component: p.componentRef,
    cluster: p.cluster,
    namespace: p.namespace,
    pullRequest: p.pullRequest,
    branch: p.branch,
    artifactId: p.artifactId,
    state: p.state,
    reason: p.reason,
    requestedBy: p.requestedBy,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    expiresAt: iso(p.expiresAt),
    deletedAt: iso(p.deletedAt),
  };
}
