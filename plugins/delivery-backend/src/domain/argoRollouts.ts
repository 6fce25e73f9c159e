/**
 * Argo Rollouts, as the portal reads a `Rollout` (argoproj.io/v1alpha1):
 * where its canary or blue-green update stands, and whether it finished,
 * waits (for a step, a pause, a promotion) or failed (Degraded, aborted).
 * Pure: kubernetes/workloads.ts reads the object, executors judge with this.
 */

/** The fields of a Rollout the portal reads (a subset of the CRD). */
export interface ArgoRolloutObject {
  metadata?: { name?: string; generation?: number };
  spec?: {
    replicas?: number;
    paused?: boolean;
    strategy?: {
      canary?: { steps?: Array<Record<string, unknown>> };
      blueGreen?: { activeService?: string; previewService?: string };
    };
    template?: {
      spec?: { containers?: Array<{ name: string; image?: string }> };
    };
  };
  status?: {
    phase?: string;
    message?: string;
    observedGeneration?: string | number;
    currentStepIndex?: number;
    currentPodHash?: string;
    stableRS?: string;
    abort?: boolean;
    pauseConditions?: Array<{ reason?: string }>;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    canary?: { weights?: { canary?: { weight?: number } } };
    blueGreen?: { activeSelector?: string; previewSelector?: string };
    conditions?: Array<{ type: string; status: string; reason?: string }>;
  };
}

/** Where a Rollout's update stands, for the executor, the API and the UI. */
export interface RolloutStepState {
  strategy: 'canary' | 'blue-green';
  /** The controller's phase: Progressing, Paused, Healthy, Degraded. */
  phase: string;
  message?: string;
  /** Canary: the current step (1-based) and how many there are. */
  step?: number;
  steps?: number;
  /** Canary: the share of traffic (or replicas) on the new version, 0–100. */
  weight?: number;
  paused: boolean;
  /** Why it is paused, e.g. CanaryPauseStep, BlueGreenPause. */
  pauseReasons: string[];
  aborted: boolean;
  /** Blue-green: the pod-template hash each service selects. */
  activeSelector?: string;
  previewSelector?: string;
  /** The new version is the stable one (nothing left to roll out). */
  stable: boolean;
}

/** The canary weight the steps set up to `index` (exclusive), when status has none. */
function weightFromSteps(
  steps: Array<Record<string, unknown>>,
  index: number,
): number | undefined {
  let weight: number | undefined;
  for (const step of steps.slice(0, index)) {
    if (typeof step.setWeight === 'number') weight = step.setWeight;
  }
  return weight;
}

export function rolloutStepState(r: ArgoRolloutObject): RolloutStepState {
  const status = r.status ?? {};
  const canary = r.spec?.strategy?.canary;
  const steps = canary?.steps ?? [];
  const pauseReasons = (status.pauseConditions ?? [])
    .map(p => p.reason ?? 'paused')
    .filter(Boolean);
  const stable =
    Boolean(status.currentPodHash) && status.currentPodHash === status.stableRS;
  const base = {
    phase: status.phase ?? 'Unknown',
    message: status.message || undefined,
    paused: Boolean(r.spec?.paused) || pauseReasons.length > 0,
    pauseReasons,
    aborted: Boolean(status.abort),
    stable,
  };
  if (r.spec?.strategy?.blueGreen) {
    return {
      strategy: 'blue-green',
      ...base,
      activeSelector: status.blueGreen?.activeSelector,
      previewSelector: status.blueGreen?.previewSelector,
    };
  }
  const index = status.currentStepIndex ?? 0;
  return {
    strategy: 'canary',
    ...base,
    step: steps.length ? Math.min(index + 1, steps.length) : undefined,
    steps: steps.length || undefined,
    weight: stable
      ? 100
      : status.canary?.weights?.canary?.weight ??
        weightFromSteps(steps, index + 1) ??
        0,
  };
}

/** `step 2 of 4, 20% of traffic` or `preview ready`. */
export function describeRolloutStep(s: RolloutStepState): string {
  if (s.strategy === 'blue-green') {
    return s.previewSelector && s.previewSelector !== s.activeSelector
      ? 'the new version runs behind the preview service'
      : 'the active service selects the new version';
  }
  const step = s.steps ? `step ${s.step} of ${s.steps}, ` : '';
  return `${step}${s.weight ?? 0}% on the new version`;
}

/**
 * Whether a Rollout finished: the controller saw the new spec and made it
 * stable, Healthy. Degraded or aborted fails it; a pause waits for someone to
 * promote it (the portal's Promote step, or `kubectl argo rollouts promote`).
 */
export function argoRolloutProgress(
  name: string,
  r: ArgoRolloutObject,
): { done: true } | { done: false; failed?: string; waitingFor: string } {
  const s = rolloutStepState(r);
  if (s.aborted) {
    return {
      done: false,
      failed: `rollout/${name} was aborted${s.message ? `: ${s.message}` : ''}`,
      waitingFor: 'nothing',
    };
  }
  if (s.phase === 'Degraded') {
    return {
      done: false,
      failed: `rollout/${name} is Degraded${s.message ? `: ${s.message}` : ''}`,
      waitingFor: 'nothing',
    };
  }
  const generation = r.metadata?.generation ?? 0;
  if (String(r.status?.observedGeneration ?? '') !== String(generation)) {
    return {
      done: false,
      waitingFor: `rollout/${name}: the Argo Rollouts controller to see the new spec`,
    };
  }
  if (s.stable && s.phase === 'Healthy') return { done: true };
  if (s.paused) {
    return {
      done: false,
      waitingFor: `rollout/${name}: paused at ${describeRolloutStep(s)} (${
        s.pauseReasons.join(', ') || 'paused'
      }); promote it to go on`,
    };
  }
  return {
    done: false,
    waitingFor: `rollout/${name}: ${describeRolloutStep(s)}`,
  };
}

/** What a person may ask of a Rollout under way, as the kubectl plugin does. */
export type RolloutAction = 'promote' | 'promote-full' | 'abort';

export const ROLLOUT_ACTIONS: readonly RolloutAction[] = [
  'promote',
  'promote-full',
  'abort',
];

/**
 * The merge patches `kubectl argo rollouts promote|abort` makes, for a
 * controller that uses the status subresource: promote clears the pause
 * conditions (and unpauses the spec), or, with no pause, moves a canary to
 * its next step; promote-full asks for a full promotion; abort sets abort.
 * Nothing to do (e.g. fully promoting a stable Rollout) gives no patches.
 */
export function rolloutActionPatches(
  r: ArgoRolloutObject,
  action: RolloutAction,
): { spec?: object; status?: object } {
  const status = r.status ?? {};
  if (action === 'abort') return { status: { abort: true } };
  if (action === 'promote-full') {
    return status.currentPodHash !== status.stableRS
      ? { status: { promoteFull: true } }
      : {};
  }
  const patches: { spec?: object; status?: object } = {};
  if (r.spec?.paused) patches.spec = { paused: false };
  const steps = r.spec?.strategy?.canary?.steps;
  if ((status.pauseConditions ?? []).length > 0) {
    patches.status = { pauseConditions: null };
  } else if (steps) {
    const index = status.currentStepIndex ?? 0;
    patches.status = {
      pauseConditions: null,
      currentStepIndex: Math.min(index + 1, steps.length),
    };
  }
  return patches;
}
