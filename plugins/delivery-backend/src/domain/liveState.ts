/**
 * What runs in a cluster for a component's environment, as the portal sees
 * it, and what drift means: read by kubernetes/liveState.ts, judged here.
 */

export interface PodState {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  /** Digests of the images its containers run (from imageID). */
  digests: string[];
  startedAt?: number;
}

export interface DeploymentState {
  name: string;
  replicas: {
    desired: number;
    updated: number;
    ready: number;
    available: number;
  };
  images: Array<{ container: string; image: string; digest?: string }>;
  conditions: Array<{
    type: string;
    status: string;
    reason?: string;
    message?: string;
  }>;
  pods: PodState[];
}

export type LiveState =
  | {
      state: 'known';
      cluster: string;
      namespace: string;
      observedAt: number;
      deployments: DeploymentState[];
      /** Every digest any pod of the component runs. */
      runningDigests: string[];
    }
  | {
      state: 'unknown';
      cluster?: string;
      namespace: string;
      observedAt: number;
      /** Why nothing is known, e.g. "timed out after 3000 ms". */
      reason: string;
    };

export interface LiveTarget {
  cluster?: string;
  namespace: string;
  kubernetesId?: string;
}

/** A release that differs from what runs. */
export interface Drift {
  expected: string;
  running: string[];
  /** When the earliest pod running something else started. */
  since?: number;
}

const DIGEST = /(sha256:[a-f0-9]{64})/;

/** The sha256 digest in an image reference or a pod's imageID. */
export function digestOf(reference: string | undefined): string | undefined {
  return reference ? DIGEST.exec(reference)?.[1] : undefined;
}

/**
 * Drift: pods of the component run a digest other than the expected ones
 * (the release, and during a rollout the artifact being rolled out).
 */
export function detectDrift(
  live: LiveState,
  release: string | undefined,
  rollingOut: string | undefined,
): Drift | undefined {
  if (live.state !== 'known' || !release) return undefined;
  const expected = new Set([release, ...(rollingOut ? [rollingOut] : [])]);
  const pods = live.deployments.flatMap(d => d.pods);
  const drifted = pods.filter(p => p.digests.some(d => !expected.has(d)));
  if (drifted.length === 0) return undefined;
  const starts = drifted
    .map(p => p.startedAt)
    .filter((t): t is number => t !== undefined);
  return {
    expected: release,
    running: live.runningDigests,
    since: starts.length ? Math.min(...starts) : undefined,
  };
}
