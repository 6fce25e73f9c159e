import { V1Deployment } from '@kubernetes/client-node';
import { formatDuration } from '../../domain/describe';
import {
  DeploymentMemo,
  KubernetesExecutorConfig,
  rolloutProgress,
} from '../../domain/executions';
import {
  canaryReplicas,
  canaryShare,
  nextCanaryMove,
  SELECTOR_BEFORE_ANNOTATION,
  selects,
  STEP_ANNOTATION,
  STEP_STARTED_ANNOTATION,
  Track,
  TRACK_LABEL,
  trackDeployment,
  trackName,
} from '../../domain/nativeStrategies';
import { TrackPort } from '../../kubernetes/trackWorkloads';
import { statusOf, WorkloadPort } from '../../kubernetes/workloads';
import { ClusterFollower, imageOf, targetOf } from './clusterFollower';
import { ExecutionContext, StepResult } from './Executor';
import { ReleaseAnalysis } from './ReleaseAnalysis';

export type NativeStrategy = NonNullable<DeploymentMemo['native']>;
type Target = NonNullable<DeploymentMemo['workloads']>[number];

const TRACK_OF: Record<NativeStrategy, Track> = {
  canary: 'canary',
  'blue-green': 'preview',
};

/**
 * Canary and blue-green for plain Deployments (rules in
 * domain/nativeStrategies). Canary: a `<name>-canary` Deployment of the new
 * version beside the component's own, behind the same Service, scaled step
 * by step (its step and when it started are kept on it), each step analysed
 * before the next; after the last the component's Deployment takes the new
 * version and the canary goes. Blue-green: a `<name>-preview` Deployment at
 * full size, analysed, then the Services that select the component's pods
 * are switched to it; after verification the component's Deployment takes
 * the new version, the Services go back to it and the preview goes.
 */
export class NativeStrategies {
  constructor(
    private readonly options: {
      tracks: TrackPort;
      workloads: WorkloadPort;
      follower: ClusterFollower;
      analysis: ReleaseAnalysis;
    },
  ) {}

  private async source(ctx: ExecutionContext, w: Target) {
    const d = await this.options.tracks.getDeployment(targetOf(ctx), w.name);
    if (!d) throw new Error(`deployment/${w.name} is gone`);
    return d;
  }

  /** Starts the new version in its track; what it did, in words. */
  async act(
    ctx: ExecutionContext,
    strategy: NativeStrategy,
    targets: Target[],
  ): Promise<string> {
    const config = ctx.environment.executor as KubernetesExecutorConfig;
    const image = imageOf(ctx.artifact.imageRepository, ctx.artifact.digest);
    const done: string[] = [];
    for (const w of targets) {
      const source = await this.source(ctx, w);
      const stable = source.spec?.replicas ?? 1;
      const replicas =
        strategy === 'canary'
          ? canaryReplicas(stable, config.canary.steps[0])
          : stable;
      const track = trackDeployment(source, {
        track: TRACK_OF[strategy],
        container: w.container,
        image,
        replicas,
        annotations: {
          'delivery.backstage.io/promotion-id': ctx.promotion.id,
          [STEP_ANNOTATION]: '0',
          [STEP_STARTED_ANNOTATION]: String(ctx.now),
        },
      });
      await this.options.tracks.putDeployment(targetOf(ctx), track);
      done.push(
        strategy === 'canary'
          ? `started the canary deployment/${
              track.metadata!.name
            } with ${image}: ${replicas} pod(s) beside ${stable} (step 1 of ${
              config.canary.steps.length + 1
            }, ${canaryShare(stable, replicas)}%)`
          : `started the preview deployment/${
              track.metadata!.name
            } with ${image} (${replicas} pods); the Services stay on deployment/${
              w.name
            } until it is ready and analysed`,
      );
    }
    return done.join('; ');
  }

  async rollout(
    ctx: ExecutionContext,
    strategy: NativeStrategy,
  ): Promise<StepResult> {
    const targets = ctx.deployment.memo.workloads ?? [];
    const switched: string[] = [];
    for (const w of targets) {
      const name = trackName(w.name, TRACK_OF[strategy]);
      const track = await this.options.tracks.getDeployment(
        targetOf(ctx),
        name,
      );
      if (!track) {
        if (strategy === 'canary') continue; // promoted: the Deployment rolls
        return {
          kind: 'error',
          reason: `the preview deployment/${name} is gone`,
        };
      }
      const progress = rolloutProgress(statusOf(track));
      if (!progress.done) {
        return progress.failed
          ? { kind: 'failed', reason: progress.failed }
          : { kind: 'waiting', waitingFor: progress.waitingFor };
      }
      const step = Number(track.metadata?.annotations?.[STEP_ANNOTATION] ?? 0);
      const analysed = await this.options.analysis.evaluate(
        ctx,
        strategy === 'canary' ? `at canary step ${step + 1}` : 'of the preview',
      );
      if (analysed?.kind === 'failed') {
        return { kind: 'failed', reason: analysed.reason };
      }
      const result =
        strategy === 'canary'
          ? await this.stepCanary(ctx, w, track, step, analysed?.note)
          : await this.switchServices(ctx, w, name);
      if (typeof result !== 'string') return result;
      switched.push(result);
    }
    if (strategy === 'blue-green') {
      return { kind: 'done', message: switched.join('; ') };
    }
    return this.options.follower.rollout(ctx, 'the Deployment controller');
  }

  private async stepCanary(
    ctx: ExecutionContext,
    w: Target,
    canary: V1Deployment,
    step: number,
    note: string | undefined,
  ): Promise<StepResult> {
    const { steps, stepDurationMs } = (
      ctx.environment.executor as KubernetesExecutorConfig
    ).canary;
    const source = await this.source(ctx, w);
    const stable = source.spec?.replicas ?? 1;
    const share = canaryShare(stable, canary.spec?.replicas ?? 0);
    const startedAt = Number(
      canary.metadata?.annotations?.[STEP_STARTED_ANNOTATION] ?? ctx.now,
    );
    const move = nextCanaryMove(
      steps,
      step,
      startedAt,
      stepDurationMs,
      ctx.now,
    );
    const state = (n: number, weight: number) => ({
      rollouts: [
        {
          name: w.name,
          native: true,
          strategy: 'canary' as const,
          phase: 'Progressing',
          step: n + 1,
          steps: steps.length + 1,
          weight,
          paused: false,
          pauseReasons: [],
          aborted: false,
          stable: false,
        },
      ],
    });
    const name = canary.metadata!.name!;
    if (move.kind === 'hold') {
      return {
        kind: 'waiting',
        waitingFor: `canary step ${step + 1} of ${
          steps.length + 1
        }: ${share}% of the pods on the new version for ${formatDuration(
          move.remainingMs,
        )} more`,
        message: note,
        detail: state(step, share),
      };
    }
    if (move.kind === 'next') {
      const replicas = canaryReplicas(stable, move.percent);
      await this.options.tracks.updateDeployment(targetOf(ctx), name, {
        replicas,
        annotations: {
          [STEP_ANNOTATION]: String(move.step),
          [STEP_STARTED_ANNOTATION]: String(ctx.now),
        },
      });
      return {
        kind: 'waiting',
        waitingFor: `canary step ${move.step + 1} of ${
          steps.length + 1
        }: ${replicas} pod(s) of deployment/${name} to be ready`,
        message: note,
        detail: state(move.step, canaryShare(stable, replicas)),
      };
    }
    await this.options.workloads.setImages(
      targetOf(ctx),
      w,
      [
        {
          container: w.container,
          image: imageOf(ctx.artifact.imageRepository, ctx.artifact.digest),
        },
      ],
      ctx.promotion.id,
    );
    await this.options.tracks.deleteDeployment(targetOf(ctx), name);
    return {
      kind: 'waiting',
      waitingFor: `deployment/${w.name} to take the new version (the canary passed ${steps.length} steps)`,
      message: note,
      detail: state(steps.length, 100),
    };
  }

  /** The Services in front of a Deployment's pods (or already switched away from them). */
  private async servicesOf(ctx: ExecutionContext, w: Target) {
    const source = await this.source(ctx, w);
    const labels = source.spec?.template.metadata?.labels;
    return (await this.options.tracks.listServices(targetOf(ctx))).filter(
      s =>
        s.metadata?.annotations?.[SELECTOR_BEFORE_ANNOTATION] ||
        selects(s.spec?.selector, labels),
    );
  }

  private async switchServices(
    ctx: ExecutionContext,
    w: Target,
    preview: string,
  ): Promise<StepResult | string> {
    const services = await this.servicesOf(ctx, w);
    if (services.length === 0) {
      return {
        kind: 'error',
        reason: `no Service selects the pods of deployment/${w.name}; blue-green switches a Service from it to the preview`,
      };
    }
    for (const s of services) {
      if (s.metadata?.annotations?.[SELECTOR_BEFORE_ANNOTATION]) continue;
      await this.options.tracks.setServiceSelector(
        targetOf(ctx),
        s.metadata!.name!,
        { ...s.spec!.selector, [TRACK_LABEL]: 'preview' },
        { [SELECTOR_BEFORE_ANNOTATION]: JSON.stringify(s.spec!.selector) },
      );
    }
    return `switched ${services
      .map(s => `service/${s.metadata!.name}`)
      .join(', ')} to deployment/${preview}`;
  }

  /** Puts the Services back on the component's own pods; their names. */
  private async restoreServices(ctx: ExecutionContext, w: Target) {
    const restored: string[] = [];
    for (const s of await this.servicesOf(ctx, w)) {
      const before = s.metadata?.annotations?.[SELECTOR_BEFORE_ANNOTATION];
      if (!before) continue;
      await this.options.tracks.setServiceSelector(
        targetOf(ctx),
        s.metadata!.name!,
        JSON.parse(before),
        { [SELECTOR_BEFORE_ANNOTATION]: null },
      );
      restored.push(`service/${s.metadata!.name}`);
    }
    return restored;
  }

  /**
   * Blue-green verification: the preview's pods and analysis during the
   * window; after it, the component's Deployment takes the new version,
   * then the Services go back to it and the preview goes (held until then).
   */
  async verifyBlueGreen(ctx: ExecutionContext): Promise<StepResult> {
    const result = await this.options.follower.verify(ctx);
    const until = ctx.deployment.memo.verifyUntil ?? ctx.now;
    if (result.kind !== 'waiting' || ctx.now < until) return result;
    const image = imageOf(ctx.artifact.imageRepository, ctx.artifact.digest);
    for (const w of ctx.deployment.memo.workloads ?? []) {
      const source = await this.source(ctx, w);
      const runs = source.spec?.template.spec?.containers.some(
        c => c.name === w.container && c.image === image,
      );
      if (!runs) {
        await this.options.workloads.setImages(
          targetOf(ctx),
          w,
          [{ container: w.container, image }],
          ctx.promotion.id,
        );
      }
      const progress = rolloutProgress(statusOf(source));
      if (!runs || !progress.done) {
        return {
          ...result,
          hold: true,
          waitingFor: `deployment/${w.name} to take the new version before the Services go back to it`,
        };
      }
      await this.restoreServices(ctx, w);
      await this.options.tracks.deleteDeployment(
        targetOf(ctx),
        trackName(w.name, 'preview'),
      );
    }
    return result;
  }

  /** Undoes a native strategy: Services back, tracks deleted; what it did. */
  async revert(ctx: ExecutionContext): Promise<string> {
    const done: string[] = [];
    for (const w of ctx.deployment.memo.workloads ?? []) {
      const restored = await this.restoreServices(ctx, w);
      if (restored.length) {
        done.push(
          `switched ${restored.join(', ')} back to deployment/${w.name}`,
        );
      }
      for (const track of ['canary', 'preview'] as const) {
        const name = trackName(w.name, track);
        if (await this.options.tracks.getDeployment(targetOf(ctx), name)) {
          await this.options.tracks.deleteDeployment(targetOf(ctx), name);
          done.push(`deleted deployment/${name}`);
        }
      }
    }
    return done.map(d => `${d}; `).join('');
  }
}
