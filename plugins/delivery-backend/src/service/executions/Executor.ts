import { Entity } from '@backstage/catalog-model';
import type { EnvironmentConfig } from '../../config/types';
import {
  Deployment,
  DeploymentMemo,
  DeploymentProgress,
} from '../../domain/executions';
import {
  Approval,
  Artifact,
  Promotion,
  RolloutMetrics,
} from '../../domain/types';

/** Everything an executor knows when it takes a step. */
export interface ExecutionContext {
  deployment: Deployment;
  promotion: Promotion;
  approvals: Approval[];
  artifact: Artifact;
  entity: Entity;
  environment: EnvironmentConfig;
  /** The environment's namespace for this component. */
  namespace: string;
  kubernetesId?: string;
  now: number;
}

/** What a progress report carries besides its message. */
export type ProgressDetail = Partial<
  Pick<DeploymentProgress, 'replicas' | 'links' | 'rollouts'>
>;

/**
 * The outcome of one step: done (with what it did), waiting (for what),
 * failed (the rollout failed: the promotion fails and the previous release
 * is put back), or error (it cannot be done as configured: the promotion
 * errors). Exceptions are transient errors, retried with backoff.
 */
export type StepResult =
  | {
      kind: 'done';
      message: string;
      memo?: DeploymentMemo;
      detail?: ProgressDetail;
    }
  | {
      kind: 'waiting';
      waitingFor: string;
      message?: string;
      metrics?: RolloutMetrics;
      detail?: ProgressDetail;
      /** Keep verifying past the window: the executor is still finishing (a blue-green fold-back). */
      hold?: boolean;
    }
  | { kind: 'failed'; reason: string; metrics?: RolloutMetrics }
  | { kind: 'error'; reason: string };

/**
 * Carries a promotion out in an environment, one idempotent step at a time:
 * the execution service calls `act` once the promotion is approved and the
 * deploy-time checks pass, `rollout` until it is done, `verify` during the
 * verification window, and `revert` after a failure or an abort.
 */
export interface Executor {
  act(ctx: ExecutionContext): Promise<StepResult>;
  rollout(ctx: ExecutionContext): Promise<StepResult>;
  verify(ctx: ExecutionContext): Promise<StepResult>;
  revert(ctx: ExecutionContext): Promise<StepResult>;
}
