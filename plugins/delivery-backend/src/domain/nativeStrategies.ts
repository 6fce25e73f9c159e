/**
 * Canary and blue-green for plain Deployments, without Argo Rollouts: the
 * new version runs in a second Deployment beside the component's own, its
 * pods labelled with a track so a Service can tell them apart. These are the
 * rules; the executor (service/executions/nativeStrategies) applies them.
 */
import type { V1Deployment } from '@kubernetes/client-node';

/** The label that tells the new version's pods (and Deployment) apart. */
export const TRACK_LABEL = 'delivery.backstage.io/track';
/** On a canary Deployment: its current step (0-based). */
export const STEP_ANNOTATION = 'delivery.backstage.io/canary-step';
/** On a canary Deployment: when its current step started (epoch ms). */
export const STEP_STARTED_ANNOTATION =
  'delivery.backstage.io/canary-step-started';
/** On a Service switched to a preview: its selector before (JSON). */
export const SELECTOR_BEFORE_ANNOTATION =
  'delivery.backstage.io/selector-before';

export type Track = 'canary' | 'preview';

/** The Deployment a track of `name` runs in. */
export function trackName(name: string, track: Track): string {
  return `${name}-${track}`.slice(0, 63);
}

/**
 * Canary replicas for a share of the pods beside `stable` replicas: at
 * least one, so a small Deployment still gets a canary.
 */
export function canaryReplicas(stable: number, percent: number): number {
  return Math.max(1, Math.round((stable * percent) / (100 - percent)));
}

/** The share of the pods the canary really has. */
export function canaryShare(stable: number, canary: number): number {
  return Math.round((100 * canary) / Math.max(1, stable + canary));
}

/**
 * A Deployment of the new version beside `source`: the same pod template
 * with `image` on `container`, selector and pod labels with the track, the
 * component's labels (so live state shows it), no status or server fields.
 */
export function trackDeployment(
  source: V1Deployment,
  options: {
    track: Track;
    container: string;
    image: string;
    replicas: number;
    annotations: Record<string, string>;
  },
): V1Deployment {
  const name = source.metadata!.name!;
  const track = { [TRACK_LABEL]: options.track };
  const template = source.spec!.template;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: trackName(name, options.track),
      namespace: source.metadata!.namespace,
      labels: { ...source.metadata!.labels, ...track },
      annotations: options.annotations,
    },
    spec: {
      replicas: options.replicas,
      selector: {
        ...source.spec!.selector,
        matchLabels: { ...source.spec!.selector.matchLabels, ...track },
      },
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          labels: { ...template.metadata?.labels, ...track },
        },
        spec: {
          ...template.spec!,
          containers: template.spec!.containers.map(c =>
            c.name === options.container ? { ...c, image: options.image } : c,
          ),
        },
      },
    },
  };
}

/** What a canary step does next. */
export type CanaryMove =
  | { kind: 'hold'; remainingMs: number }
  | { kind: 'next'; step: number; percent: number }
  | { kind: 'promote' };

/**
 * After a step's pods are ready and its analysis passed: hold until the
 * step has run its duration, then go to the next step, or after the last
 * one give the new version all the pods.
 */
export function nextCanaryMove(
  steps: number[],
  step: number,
  startedAt: number,
  stepDurationMs: number,
  now: number,
): CanaryMove {
  const remainingMs = startedAt + stepDurationMs - now;
  if (remainingMs > 0) return { kind: 'hold', remainingMs };
  if (step + 1 < steps.length) {
    return { kind: 'next', step: step + 1, percent: steps[step + 1] };
  }
  return { kind: 'promote' };
}

/** Whether a Service's selector picks the pods of a template (all its labels match). */
export function selects(
  selector: Record<string, string> | undefined,
  podLabels: Record<string, string> | undefined,
): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => podLabels?.[k] === v);
}
