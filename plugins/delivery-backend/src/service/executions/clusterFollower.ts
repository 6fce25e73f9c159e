import type { KubernetesSettings } from '../../config/types';
import {
  argoRolloutProgress,
  rolloutStepState,
} from '../../domain/argoRollouts';
import { clusterMetrics, rolloutProgress } from '../../domain/executions';
import { listInWords } from '../../domain/describe';
import { thresholdBreaches } from '../../domain/thresholds';
import { LiveStateSource } from '../../kubernetes/liveState';
import { Workload, WorkloadPort } from '../../kubernetes/workloads';
import { ExecutionContext, StepResult } from './Executor';
import { ReleaseAnalysis } from './ReleaseAnalysis';

/** The cluster an environment's workloads run in (its `cluster` is checked at startup). */
export function targetOf(ctx: ExecutionContext) {
  return { cluster: ctx.environment.cluster!, namespace: ctx.namespace };
}

/** `repository@digest`. */
export function imageOf(repository: string, digest: string) {
  return `${repository}@${digest}`;
}

/**
 * Following a rollout in the cluster, shared by the executors that change
 * what runs there (kubernetes, gitops): whether every workload of the
 * component runs the digest and is available, and whether the pods running
 * it stay within the environment's rollback thresholds.
 */
export class ClusterFollower {
  constructor(
    private readonly options: {
      workloads: WorkloadPort;
      live: LiveStateSource;
      settings: KubernetesSettings;
      /** The environment's Prometheus analysis, between canary steps and while verifying. */
      analysis: ReleaseAnalysis;
    },
  ) {}

  /** The component's workloads; none is an error the configuration must fix. */
  async workloads(
    ctx: ExecutionContext,
  ): Promise<{ workloads: Workload[] } | { error: string }> {
    if (!ctx.kubernetesId) {
      return {
        error: `${ctx.promotion.componentRef} has no backstage.io/kubernetes-id annotation, so its workloads cannot be found`,
      };
    }
    const workloads = await this.options.workloads.list(
      targetOf(ctx),
      ctx.kubernetesId,
    );
    if (workloads.length === 0) {
      return {
        error: `no Deployment or Rollout labelled backstage.io/kubernetes-id=${ctx.kubernetesId} in namespace ${ctx.namespace} of cluster ${ctx.environment.cluster}`,
      };
    }
    return { workloads };
  }

  /** Done when every workload runs `digest` and its rollout finished. */
  async rollout(ctx: ExecutionContext, applier: string): Promise<StepResult> {
    const found = await this.workloads(ctx);
    if ('error' in found) return { kind: 'error', reason: found.error };
    const digest = ctx.artifact.digest;
    const replicas = { desired: 0, updated: 0, ready: 0, available: 0 };
    let waitingFor: string | undefined;
    for (const w of found.workloads) {
      replicas.desired += w.status.desired;
      replicas.updated += w.status.updated;
      replicas.ready += w.status.ready;
      replicas.available += w.status.available;
      if (!w.containers.some(c => c.image.endsWith(`@${digest}`))) {
        waitingFor ??= `${applier} to apply ${digest.slice(0, 19)}… to ${
          w.name
        }`;
        continue;
      }
      const progress = w.rollout
        ? argoRolloutProgress(w.name, w.rollout)
        : rolloutProgress(w.status);
      if (!progress.done && progress.failed) {
        return { kind: 'failed', reason: progress.failed };
      }
      if (!progress.done) waitingFor ??= progress.waitingFor;
    }
    const rollouts = found.workloads.flatMap(w =>
      w.rollout ? [{ name: w.name, ...rolloutStepState(w.rollout) }] : [],
    );
    const detail = { replicas, ...(rollouts.length ? { rollouts } : {}) };
    // A canary taking traffic, or a blue-green preview up: judge the new
    // version before the next step.
    let note: string | undefined;
    if (
      waitingFor &&
      rollouts.some(
        r =>
          !r.stable &&
          !r.aborted &&
          (r.strategy === 'canary'
            ? (r.weight ?? 0) > 0
            : Boolean(r.previewSelector)),
      )
    ) {
      const step = rollouts.find(r => r.step)?.step;
      const analysed = await this.options.analysis.evaluate(
        ctx,
        step ? `at canary step ${step}` : 'of the new version',
      );
      if (analysed?.kind === 'failed') {
        return { kind: 'failed', reason: analysed.reason };
      }
      note = analysed?.note;
    }
    return waitingFor
      ? {
          kind: 'waiting',
          waitingFor,
          detail,
          ...(note ? { message: note } : {}),
        }
      : {
          kind: 'done',
          message: `${found.workloads
            .map(w => w.name)
            .join(', ')} rolled out: ${replicas.available} of ${
            replicas.desired
          } replicas available`,
          detail,
        };
  }

  /** Fails on a breach of the rollback thresholds; an unreadable cluster is an error to retry. */
  async verify(ctx: ExecutionContext): Promise<StepResult> {
    const state = await this.options.live.read(
      {
        cluster: ctx.environment.cluster,
        namespace: ctx.namespace,
        kubernetesId: ctx.kubernetesId,
      },
      { fresh: true },
    );
    if (state.state === 'unknown') {
      throw new Error(`cannot read the cluster: ${state.reason}`);
    }
    const { pods, metrics } = clusterMetrics(
      state.deployments.flatMap(d => d.pods),
      ctx.artifact.digest,
      ctx.now,
      this.options.settings.readinessGracePeriodMs,
    );
    const breaches = thresholdBreaches(
      metrics,
      ctx.environment.rollbackThresholds,
    );
    if (breaches.length) {
      return {
        kind: 'failed',
        reason: `verification failed: ${listInWords(breaches)}`,
        metrics,
      };
    }
    const analysed = await this.options.analysis.evaluate(
      ctx,
      'while verifying',
    );
    if (analysed?.kind === 'failed') {
      return { kind: 'failed', reason: analysed.reason, metrics };
    }
    return {
      kind: 'waiting',
      waitingFor: 'the verification window to end',
      message: `${pods} pods run it: ${metrics.restarts} restarts, ${
        metrics.readinessFailures
      } readiness failures${analysed ? `; ${analysed.note}` : ''}`,
      metrics,
    };
  }
}
