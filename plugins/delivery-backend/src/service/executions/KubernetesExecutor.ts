import type { KubernetesExecutorConfig } from '../../domain/executions';
import {
  Workload,
  WorkloadKind,
  WorkloadPort,
} from '../../kubernetes/workloads';
import { ClusterFollower, imageOf, targetOf } from './clusterFollower';
import { ExecutionContext, Executor, StepResult } from './Executor';
import { NativeStrategies, NativeStrategy } from './nativeStrategies';

/** A workload the executor sets the image on. */
type Target = { kind?: WorkloadKind; name: string; container: string };

/** `deployment` or `rollout`, as kubectl names them. */
const kindOf = (w: { kind?: WorkloadKind }) =>
  (w.kind ?? 'Deployment').toLowerCase();

/**
 * The `kubernetes` executor: sets the component's container image to
 * `repository@digest` on its Deployments in the environment's namespace,
 * follows the rollout, and verifies it against the rollback thresholds;
 * puts the previous release's digest back on failure or abort. Containers
 * the component does not own (sidecars) are left alone.
 */
export class KubernetesExecutor implements Executor {
  constructor(
    private readonly options: {
      workloads: WorkloadPort;
      follower: ClusterFollower;
      /** Canary and blue-green of plain Deployments (strategy canary or blue-green). */
      native: NativeStrategies;
    },
  ) {}

  /** The container of a workload that runs the component's image. */
  private container(
    ctx: ExecutionContext,
    workload: Workload,
  ): string | { error: string } {
    const config = ctx.environment.executor as KubernetesExecutorConfig;
    const names = workload.containers.map(c => c.name);
    if (config.container) {
      return names.includes(config.container)
        ? config.container
        : {
            error: `${kindOf(workload)}/${workload.name} has no container '${
              config.container
            }' (it has ${names.join(', ')})`,
          };
    }
    const repository = ctx.artifact.imageRepository;
    const own = workload.containers.filter(
      c => c.image.replace(/[@:][^/]*$/, '') === repository,
    );
    if (own.length === 1) return own[0].name;
    if (workload.containers.length === 1) return workload.containers[0].name;
    return {
      error: `${kindOf(workload)}/${workload.name} has containers ${names.join(
        ', ',
      )} and ${
        own.length ? 'several' : 'none'
      } run ${repository}; set the executor's container option`,
    };
  }

  private async setImage(
    ctx: ExecutionContext,
    digest: string,
    workloads: Target[],
  ) {
    const image = imageOf(ctx.artifact.imageRepository, digest);
    for (const w of workloads) {
      await this.options.workloads.setImages(
        targetOf(ctx),
        w,
        [{ container: w.container, image }],
        ctx.promotion.id,
      );
    }
    return `set ${image} on ${workloads
      .map(w => `${kindOf(w)}/${w.name} (container ${w.container})`)
      .join(', ')}`;
  }

  async act(ctx: ExecutionContext): Promise<StepResult> {
    const found = await this.options.follower.workloads(ctx);
    if ('error' in found) return { kind: 'error', reason: found.error };
    const targets: Target[] = [];
    for (const workload of found.workloads) {
      const container = this.container(ctx, workload);
      if (typeof container !== 'string') {
        return { kind: 'error', reason: container.error };
      }
      targets.push({ kind: workload.kind, name: workload.name, container });
    }
    // Rollouts carry out their own strategy; Deployments get the native one.
    const strategy = ctx.environment.strategy;
    if (
      strategy !== 'rolling' &&
      found.workloads.every(w => w.kind === 'Deployment')
    ) {
      const native: NativeStrategy = strategy;
      return {
        kind: 'done',
        message: await this.options.native.act(ctx, native, targets),
        memo: { workloads: targets, native },
      };
    }
    return {
      kind: 'done',
      message: await this.setImage(ctx, ctx.artifact.digest, targets),
      memo: { workloads: targets },
    };
  }

  rollout(ctx: ExecutionContext): Promise<StepResult> {
    const native = ctx.deployment.memo.native;
    return native
      ? this.options.native.rollout(ctx, native)
      : this.options.follower.rollout(ctx, 'the Deployment controller');
  }

  verify(ctx: ExecutionContext): Promise<StepResult> {
    return ctx.deployment.memo.native === 'blue-green'
      ? this.options.native.verifyBlueGreen(ctx)
      : this.options.follower.verify(ctx);
  }

  async revert(ctx: ExecutionContext): Promise<StepResult> {
    const undone = ctx.deployment.memo.native
      ? await this.options.native.revert(ctx)
      : '';
    const result = await this.revertImages(ctx);
    return result.kind === 'done'
      ? { ...result, message: `${undone}${result.message}` }
      : result;
  }

  private async revertImages(ctx: ExecutionContext): Promise<StepResult> {
    const previous = ctx.deployment.previousDigest;
    const workloads = ctx.deployment.memo.workloads ?? [];
    if (!previous || workloads.length === 0) {
      return {
        kind: 'done',
        message: `nothing to put back: ${ctx.environment.name} had no earlier release`,
      };
    }
    // A Rollout still stepping is aborted first, so its traffic goes back to
    // the stable version at once, as `kubectl argo rollouts abort` does.
    const aborted: string[] = [];
    for (const w of workloads.filter(x => x.kind === 'Rollout')) {
      const state = await this.options.workloads.rolloutAction(
        targetOf(ctx),
        w.name,
        'abort',
      );
      if (!state.stable) aborted.push(`aborted rollout/${w.name}; `);
    }
    return {
      kind: 'done',
      message: `${aborted.join(
        '',
      )}put the previous release back: ${await this.setImage(
        ctx,
        previous,
        workloads,
      )}`,
    };
  }
}
