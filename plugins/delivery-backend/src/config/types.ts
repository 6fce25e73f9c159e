import type { ClusterConfig } from './clusters';
import type { AnalysisConfig } from '../domain/analysis';
import type { NotificationSettings } from '../domain/notifications';
import type { ExecutionSettings, ExecutorConfig } from '../domain/executions';
import type {
  AttestationPolicy,
  ReportingPolicy,
} from '../domain/attestations';
import {
  EvidenceKind,
  RolloutStrategy,
} from '@backstage-delivery/plugin-delivery-common';

/** Thresholds that fail a promotion during verification. */
export interface RollbackThresholds {
  maxErrorRate?: number;
  maxRestarts?: number;
  maxReadinessFailures?: number;
  maxP95LatencyMs?: number;
}

/** An allowed deploy window, in minutes since local midnight. */
export interface AllowedWindow {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  fromMinute: number;
  toMinute: number;
  /** The window as configured, for messages ("mon-fri 08:00-18:00"). */
  label: string;
}

/** A freeze, as epoch milliseconds (end exclusive). */
export interface Freeze {
  from: number;
  to: number;
  reason?: string;
}

export interface DeployWindows {
  timezone: string;
  allow: AllowedWindow[];
  freezes: Freeze[];
}

export interface VulnerabilityLimits {
  maxCritical?: number;
  maxHigh?: number;
}

export interface EnvironmentConfig {
  name: string;
  title: string;
  cluster?: string;
  /** Namespace pattern with `{component}`, `{namespace}`, `{environment}`. */
  namespace: string;
  requiredEvidence: EvidenceKind[];
  /** The required kinds that count only when verified (`- signature: verified`). */
  verifiedEvidence: EvidenceKind[];
  /** Who may sign and what provenance must say, for this environment. */
  attestationPolicy: AttestationPolicy;
  soakTimeMs: number;
  approvals: {
    count: number;
    groups: string[];
    /** Whether one approver must be on none of the committing teams. */
    outsideCommittingTeam?: boolean;
  };
  strategy: RolloutStrategy;
  rollbackThresholds: RollbackThresholds;
  windows?: DeployWindows;
  rollbackRequiresApprovals: boolean;
  /** From `delivery.imagePolicy.vulnerabilities.<name>`. */
  vulnerabilityLimits?: VulnerabilityLimits;
  /** What carries promotions into this environment out. */
  executor: ExecutorConfig;
  /** Prometheus queries judged between canary steps and while verifying; absent when none. */
  analysis?: AnalysisConfig;
}

export interface LadderConfig {
  name: string;
  title: string;
  environments: EnvironmentConfig[];
}

export interface ImagePolicy {
  forbiddenTags: string[];
  maxSizeBytes?: number;
}

export interface DeliveryConfig {
  defaultLadder: string;
  ladders: Map<string, LadderConfig>;
  /** The clusters of `kubernetes.clusterLocatorMethods` (type `config`). */
  clusters: Map<string, ClusterConfig>;
  imagePolicy: ImagePolicy;
  kubernetes: KubernetesSettings;
  execution: ExecutionSettings;
  /** How long a request's claim on its Idempotency-Key lasts before a retry may run it again. */
  idempotency: { leaseMs: number };
  /** Absent when previews are not configured. */
  previews?: PreviewSettings;
  /** `delivery.metrics`: the metrics provider and the before/after comparison. */
  metrics: MetricsSettings;
  /** `delivery.notifications`: who hears about what. */
  notifications: NotificationSettings;
  scorecard: ScorecardSettings;
  supplyChain: SupplyChainSettings;
  /** Whether links (build, evidence) may be http as well as https. */
  allowHttpUrls: boolean;
  demoFile?: string;
  /** PEM private key the demo signs its attestations with. */
  demoSigningKey?: { id: string; privateKey: string };
}

/** A public key trusted for key-based (cosign `--key`) signatures. */
export interface TrustedKey {
  /** Matches the bundle's `publicKey.hint`. */
  id: string;
  /** PEM (SubjectPublicKeyInfo). */
  publicKey: string;
  transparencyLog: 'required' | 'optional';
}

/** `delivery.supplyChain`: trust, the default policy, and who may report what. */
export interface SupplyChainSettings extends ReportingPolicy {
  /** The Sigstore trusted root for keyless signatures. */
  trustedRoot: { source: 'public-good' } | { source: 'file'; path: string };
  /** Whether keyless signatures need a transparency-log entry. */
  transparencyLog: 'required' | 'optional';
  keys: TrustedKey[];
  /** The policy of environments and ladders that set none. */
  policy: AttestationPolicy;
  /** Largest bundle (with its payload) accepted and kept, in bytes. */
  maxBundleBytes: number;
}

export interface KubernetesSettings {
  /** Keep live state by watching the namespaces read (else read per request, cached). */
  watch: boolean;
  requestTimeoutMs: number;
  cacheTtlMs: number;
  verificationIntervalMs: number;
  /** How long a new pod may stay unready before it counts as a readiness failure. */
  readinessGracePeriodMs: number;
}

export interface PreviewSettings {
  cluster: string;
  namespacePrefix: string;
  defaultTtlMs: number;
  maxTtlMs: number;
  maxPerComponent: number;
  reaperIntervalMs: number;
  resourceQuota: Record<string, string>;
  limitRange: {
    defaultRequest: Record<string, string>;
    default: Record<string, string>;
  };
  pipelineClusterRole: string;
}

/** A check a platform team adds in config. */
export interface CustomCheckConfig {
  id: string;
  title: string;
  annotation?: string;
  evidence?: string;
  fixUrl?: string;
}

export interface ScorecardSettings {
  windowMs: number;
  restoreTargetMs: number;
  previewGraceMs: number;
  /** Built-in checks turned off. */
  disabled: Set<string>;
  /** Fix links that replace the built-in ones, by check id. */
  fixUrls: Map<string, string>;
  custom: CustomCheckConfig[];
}

/** `delivery.metrics`. */
export interface MetricsSettings {
  /** Absent when no metrics provider is configured (no analysis, no comparison). */
  prometheus?: PrometheusSettings;
  comparison: {
    /** How long before and after going live each release is compared over. */
    windowMs: number;
    /** How much worse (a share of the larger of the old value and the threshold) counts as worse. */
    tolerance: number;
    /** How often the comparison task runs. */
    intervalMs: number;
  };
  /** Whether DORA's change-failure rate counts releases that made a metric worse. */
  countWorseAsFailures: boolean;
  /** How long organisation-wide metrics are kept in the cache; 0 keeps none. */
  organisationCacheTtlMs: number;
}

/** `delivery.metrics.prometheus`. */
export interface PrometheusSettings {
  /** e.g. https://prometheus.example.net (the HTTP API is under /api/v1). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** How long one query may take before its answer counts as unknown. */
  timeoutMs: number;
}
