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
  /** Each container: its image repository (from the spec) and the digest it runs. */
  containers?: Array<{ name: string; repository?: string; digest?: string }>;
  startedAt?: number;
}

export interface DeploymentState {
  /** What kind of workload: a Deployment (the default), StatefulSet or Argo Rollout. */
  kind?: 'Deployment' | 'StatefulSet' | 'Rollout';
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

/** How live state was had: watched, or read because the watch is not up (and why). */
export type LiveSource = { watched: true } | { watched: false; reason: string };

export type LiveState = (
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
    }
) & {
  /** With a live-state watch: whether this came from it. */
  source?: LiveSource;
};

export interface LiveTarget {
  cluster?: string;
  namespace: string;
  kubernetesId?: string;
  /** Whose live state it is: a watch signals this component when it changes. */
  componentRef?: string;
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

/** The repository of an image reference: no tag, no digest. */
export function repositoryOf(image: string): string {
  return image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
}

/**
 * The digests a pod runs for the component: those of its containers that run
 * the component's image repository, so sidecars the component does not own
 * (service-mesh proxies, log shippers) never count as drift. A pod with no
 * such container counts with all of them.
 */
export function ownDigests(pod: PodState, repository?: string): string[] {
  const own = (pod.containers ?? []).filter(
    c => repository && c.repository === repository,
  );
  return own.length
    ? [...new Set(own.flatMap(c => (c.digest ? [c.digest] : [])))]
    : pod.digests;
}

/**
 * Drift: pods of the component run a digest other than the expected ones
 * (the release, and during a rollout the artifact being rolled out), in the
 * containers of the component's image repository when it is known.
 */
export function detectDrift(
  live: LiveState,
  release: string | undefined,
  rollingOut: string | undefined,
  repository?: string,
): Drift | undefined {
  if (live.state !== 'known' || !release) return undefined;
  const expected = new Set([release, ...(rollingOut ? [rollingOut] : [])]);
  const pods = live.deployments.flatMap(d => d.pods);
  const drifted = pods.filter(p =>
    ownDigests(p, repository).some(d => !expected.has(d)),
  );
  if (drifted.length === 0) return undefined;
  const starts = drifted
    .map(p => p.startedAt)
    .filter((t): t is number => t !== undefined);
  return {
    expected: release,
    running: [...new Set(pods.flatMap(p => ownDigests(p, repository)))].sort(),
    since: starts.length ? Math.min(...starts) : undefined,
  };
}
