import type { PodState } from './liveState';
import type { PromotionState } from '@backstage-delivery/plugin-delivery-common';
import type { RolloutMetrics } from './types';
import type { RolloutStepState } from './argoRollouts';

/**
 * Executors carry approved promotions out. Types and pure rules here; the
 * executors themselves are in service/executions, the cluster, Git and
 * GitHub behind ports.
 */

export const EXECUTOR_TYPES = [
  'external',
  'kubernetes',
  'gitops',
  'github-actions',
] as const;

export type ExecutorType = (typeof EXECUTOR_TYPES)[number];

/** CI does everything and reports each step (the default). */
export interface ExternalExecutorConfig {
  type: 'external';
}

/** What the executors that follow the rollout in the cluster share. */
interface ClusterRolloutSettings {
  /** A rollout that is not available after this long fails. */
  rolloutTimeoutMs: number;
  /** How long the new pods are watched against the rollback thresholds. */
  verificationWindowMs: number;
}

/** The backend sets the image by digest on the component's Deployments. */
export interface KubernetesExecutorConfig extends ClusterRolloutSettings {
  type: 'kubernetes';
  /** The container to set; by default the one running the artifact's repository. */
  container?: string;
  /** The native canary of plain Deployments (strategy: canary). */
  canary: {
    /** Shares of the pods on the new version, in %, before it takes all of them. */
    steps: number[];
    /** How long each step runs (and is analysed) before the next. */
    stepDurationMs: number;
  };
}

/** The backend commits the digest into the environment's kustomize overlay. */
export interface GitOpsExecutorConfig extends ClusterRolloutSettings {
  type: 'gitops';
  /**
   * The repository (https URL), with `{component}` for the component's name;
   * by default the component's own source repository.
   */
  repository?: string;
  branch: string;
  /** The kustomization file, with `{environment}` (and `{component}`). */
  path: string;
  /** The `images[].name` entry to set the digest on. */
  image: string;
}

/** The backend dispatches the component's deploy workflow, which reports. */
export interface GitHubActionsExecutorConfig {
  type: 'github-actions';
  /** The workflow file name (or id). */
  workflow: string;
  ref: string;
  /** The GitHub host, as in `integrations.github`. */
  host: string;
  /** The workflow must report `deploying` within this long. */
  reportTimeoutMs: number;
}

export type ExecutorConfig =
  | ExternalExecutorConfig
  | KubernetesExecutorConfig
  | GitOpsExecutorConfig
  | GitHubActionsExecutorConfig;

/** The settings of the executors' scheduled task. */
export interface ExecutionSettings {
  intervalMs: number;
  /** A claim older than this is taken over by another replica. */
  leaseMs: number;
  /** Transient errors are retried this many times, with backoff. */
  maxAttempts: number;
}

/**
 * Where an execution stands: queued (approved, not acted yet), dispatched
 * (a workflow runs it), deploying, verifying, reverting (putting the previous
 * release back), finished.
 */
export type DeploymentPhase =
  | 'queued'
  | 'dispatched'
  | 'deploying'
  | 'verifying'
  | 'reverting'
  | 'finished';

export interface DeploymentLink {
  title: string;
  url: string;
}

/** What an execution did last and what it waits for, for people. */
export interface DeploymentProgress {
  message: string;
  waitingFor?: string;
  /** Since when it waits for that. */
  since: number;
  replicas?: {
    desired: number;
    updated: number;
    ready: number;
    available: number;
  };
  links?: DeploymentLink[];
  /** Argo Rollouts under way: their steps, weight and pauses. */
  rollouts?: Array<RolloutStepState & { name: string; native?: boolean }>;
}

/** The execution of one promotion by its environment's executor. */
export interface Deployment {
  promotionId: string;
  componentRef: string;
  environment: string;
  executor: ExecutorType;
  phase: DeploymentPhase;
  /** Failed attempts in a row (transient errors). */
  attempt: number;
  targetDigest: string;
  /** What ran before, to put back on failure or abort. */
  previousDigest?: string;
  /** What the executor remembers between steps (e.g. when it acted). */
  memo: DeploymentMemo;
  progress?: DeploymentProgress;
  claimedBy?: string;
  leaseExpiresAt?: number;
  nextRunAt: number;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
}

export interface DeploymentMemo {
  /** When the executor changed the cluster or the repository. */
  actedAt?: number;
  verifyUntil?: number;
  /** The commit a gitops executor pushed. */
  commit?: string;
  links?: DeploymentLink[];
  /** The native strategy the kubernetes executor carries out on Deployments. */
  native?: 'canary' | 'blue-green';
  /** Workloads the kubernetes executor set the image on. */
  workloads?: Array<{
    kind?: 'Deployment' | 'Rollout';
    name: string;
    container: string;
  }>;
}

/** One thing an execution did, in the order it did them. */
export interface DeploymentStep {
  id: number;
  promotionId: string;
  at: number;
  action: string;
  message: string;
}

/** Promotion states in which nothing more will happen. */
export const ENDED_STATES: readonly PromotionState[] = [
  'succeeded',
  'failed',
  'rolled-back',
  'rejected',
  'aborted',
  'errored',
  'refused',
];

/** A workload (Deployment, Rollout…) as its controller reports it. */
export interface WorkloadStatus {
  name: string;
  generation: number;
  observedGeneration: number;
  desired: number;
  /** Pods of the current template. */
  updated: number;
  ready: number;
  available: number;
  /** Pods of every template, old ones included. */
  total: number;
  conditions: Array<{ type: string; status: string; reason?: string }>;
}

/**
 * Whether a rollout finished, as `kubectl rollout status` judges it: the
 * controller saw the new spec, every replica runs it and is available, and
 * no old ones are left. A progress deadline the controller reports fails it.
 */
export function rolloutProgress(
  w: WorkloadStatus,
): { done: true } | { done: false; failed?: string; waitingFor: string } {
  const deadline = w.conditions.find(
    c => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  if (deadline) {
    return {
      done: false,
      failed: `${w.name} exceeded its progress deadline`,
      waitingFor: 'progress',
    };
  }
  if (w.observedGeneration < w.generation) {
    return {
      done: false,
      waitingFor: `${w.name}: the controller to see the new spec`,
    };
  }
  if (w.updated < w.desired) {
    return {
      done: false,
      waitingFor: `${w.name}: ${w.updated} of ${w.desired} replicas updated`,
    };
  }
  if (w.total > w.updated) {
    return {
      done: false,
      waitingFor: `${w.name}: ${w.total - w.updated} old replicas to terminate`,
    };
  }
  if (w.available < w.updated) {
    return {
      done: false,
      waitingFor: `${w.name}: ${w.available} of ${w.updated} updated replicas available`,
    };
  }
  return { done: true };
}

/**
 * What the cluster shows of the pods running a digest: restarts, and pods
 * not ready after the grace period a new pod is allowed.
 */
export function clusterMetrics(
  pods: PodState[],
  digest: string,
  now: number,
  graceMs: number,
): { pods: number; metrics: RolloutMetrics } {
  const running = pods.filter(p => p.digests.includes(digest));
  return {
    pods: running.length,
    metrics: {
      restarts: running.reduce((sum, p) => sum + p.restarts, 0),
      readinessFailures: running.filter(
        p => !p.ready && now - (p.startedAt ?? now) >= graceMs,
      ).length,
    },
  };
}

/** How long to wait before attempt `attempt` (1-based) after an error. */
export function retryDelay(
  attempt: number,
  baseMs: number,
  maxMs = 5 * 60_000,
) {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
