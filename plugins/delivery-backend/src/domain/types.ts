import {
  EvidenceKind,
  PromotionState,
} from '@backstage-delivery/plugin-delivery-common';
import type { AttestationFacts } from './attestations';
import type { BuildPeople, PersonBehind } from './people';

/** Who did something: a user (with the groups they belong to) or a service. */
export interface Actor {
  type: 'user' | 'service';
  /** `user:default/alice`, or `service:<subject>` for service callers. */
  ref: string;
  /** The user and the groups they belong to; empty for services. */
  ownershipRefs: string[];
}

export interface Artifact extends BuildPeople {
  id: string;
  componentRef: string;
  digest: string;
  imageRepository: string;
  tags: string[];
  commitSha: string;
  commitTime?: number;
  branch?: string;
  buildId?: string;
  buildUrl?: string;
  sizeBytes?: number;
  baseImage?: string;
  createdBy: string;
  createdAt: number;
}

/** What CI reports when recording an artifact. */
export type ArtifactInput = Omit<Artifact, 'id' | 'createdBy' | 'createdAt'>;

export type EvidenceResult = 'passed' | 'failed';

export interface EvidenceSummary {
  tests?: { passed: number; failed: number; skipped?: number };
  vulnerabilities?: {
    critical: number;
    high: number;
    medium?: number;
    low?: number;
  };
}

export interface Evidence {
  id: number;
  artifactId: string;
  kind: EvidenceKind;
  result: EvidenceResult;
  status: 'reported' | 'verified';
  summary?: EvidenceSummary;
  url?: string;
  reportedBy: string;
  reportedAt: number;
  /** What the portal verified from the bundle (verified evidence only). */
  verification?: AttestationFacts;
}

export interface Quarantine {
  id: number;
  artifactId: string;
  reason: string;
  quarantinedBy: string;
  quarantinedAt: number;
  liftReason?: string;
  liftedBy?: string;
  liftedAt?: number;
}

/** Every gate a promotion request passes, in the order they are evaluated. */
export const GATE_NAMES = [
  'quarantine',
  'release',
  'ladder',
  'soak',
  'evidence',
  'image-policy',
  'window',
  'approvals',
] as const;

export type GateName = (typeof GATE_NAMES)[number];

export type GateVerdictValue = 'passed' | 'failed' | 'pending' | 'skipped';

export interface GateVerdict {
  gate: GateName;
  verdict: GateVerdictValue;
  message: string;
}

export type PromotionKind = 'normal' | 'hotfix' | 'rollback';

export interface Promotion {
  id: string;
  componentRef: string;
  environment: string;
  ladder: string;
  artifactId: string;
  kind: PromotionKind;
  state: PromotionState;
  requestedBy: string;
  /** GitHub login of who started the run that requested it (CI only). */
  triggeredBy?: string;
  /** Catalog users behind the change, matched when it was requested. */
  people?: PersonBehind[];
  /** The groups of the people behind the change (the committing team). */
  committingTeams?: string[];
  reason?: string;
  gates: GateVerdict[];
  requiredApprovals: number;
  replacesPromotionId?: string;
  outcome?: string;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  /** When it went live (its succeeded event); a later rollback keeps it. */
  wentLiveAt?: number;
}

export interface Approval {
  approverRef: string;
  decision: 'approve' | 'reject';
  comment?: string;
  /** Whether the approver was on none of the committing teams. */
  outsideCommittingTeam?: boolean;
  createdAt: number;
}

export type RolloutEventType =
  | 'deploying'
  | 'verifying'
  | 'succeeded'
  | 'failed'
  | 'errored';

export interface RolloutMetrics {
  errorRate?: number;
  restarts?: number;
  readinessFailures?: number;
  p95LatencyMs?: number;
}

export interface RolloutEvent {
  id: number;
  type: RolloutEventType;
  metrics?: RolloutMetrics;
  message?: string;
  reportedBy: string;
  createdAt: number;
}

export interface Release {
  componentRef: string;
  environment: string;
  promotionId: string;
  artifactId: string;
  releasedAt: number;
  releasedBy: string;
}
