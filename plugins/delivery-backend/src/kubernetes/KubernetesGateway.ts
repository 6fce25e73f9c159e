import {
  ApiException,
  AppsV1Api,
  ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  RbacAuthorizationV1Api,
  RequestContext,
  ResponseContext,
} from '@kubernetes/client-node';
import { ClusterConfig } from '../config/clusters';

/** Why a call to a cluster did not give an answer. */
export type KubernetesProblem =
  | 'not-configured'
  | 'timeout'
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'server-error';

/** A failed call to a cluster, with a reason a person can act on. */
export class KubernetesCallError extends Error {
  readonly problem: KubernetesProblem;
  readonly status?: number;

  constructor(problem: KubernetesProblem, message: string, status?: number) {
    super(message);
    this.name = 'KubernetesCallError';
    this.problem = problem;
    this.status = status;
  }
}

export interface ClusterClients {
  /** For watches (informers), which take a KubeConfig rather than a client. */
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  rbac: RbacAuthorizationV1Api;
  custom: CustomObjectsApi;
}

const PROBLEM_BY_STATUS: Record<number, KubernetesProblem> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  422: 'invalid',
};

/** The `message` of a Kubernetes `Status` body, parsed or still JSON text. */
function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (value as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message ? message : undefined;
}

function classify(
  error: unknown,
  cluster: string,
  timeoutMs: number,
): KubernetesCallError {
  if (error instanceof KubernetesCallError) return error;
  if (error instanceof ApiException) {
    const code = error.code;
    const message = statusMessage(error.body) ?? `HTTP ${code}`;
    const problem = PROBLEM_BY_STATUS[code] ?? 'server-error';
    return new KubernetesCallError(problem, `${cluster}: ${message}`, code);
  }
  const e = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new KubernetesCallError(
      'timeout',
      `${cluster}: no answer within ${timeoutMs} ms`,
    );
  }
  const cause =
    e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
  return new KubernetesCallError(
    'unreachable',
    `${cluster}: cannot be reached (${cause})`,
  );
}

/**
 * Access to the configured clusters through @kubernetes/client-node, with a
 * bounded time for every call and errors classified (timeout, unreachable,
 * forbidden, not found, conflict…) so callers can decide what each means.
 */
export class KubernetesGateway {
  private readonly clusters: Map<string, ClusterConfig>;
  private readonly timeoutMs: number;
  private readonly clients = new Map<string, ClusterClients>();

  constructor(options: {
    clusters: Map<string, ClusterConfig>;
    timeoutMs: number;
  }) {
    this.clusters = options.clusters;
    this.timeoutMs = options.timeoutMs;
  }

  has(cluster: string | undefined): boolean {
    return Boolean(cluster && this.clusters.has(cluster));
  }

  private clientsFor(name: string): ClusterClients {
    const existing = this.clients.get(name);
    if (existing) return existing;
    const cluster = this.clusters.get(name);
    if (!cluster) {
      throw new KubernetesCallError(
        'not-configured',
        `cluster '${name}' is not configured in kubernetes.clusterLocatorMethods`,
      );
    }
    if (!cluster.serviceAccountToken) {
      throw new KubernetesCallError(
        'not-configured',
        `cluster '${name}' has no serviceAccountToken (authProvider ${
          cluster.authProvider ?? 'unset'
        }); the delivery backend calls clusters with a service account token`,
      );
    }
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name,
          server: cluster.url,
          caData: cluster.caData,
          skipTLSVerify: cluster.skipTLSVerify,
        },
      ],
      users: [{ name: 'delivery', token: cluster.serviceAccountToken }],
      contexts: [{ name, cluster: name, user: 'delivery' }],
      currentContext: name,
    });
    const clients = {
      kubeConfig: kc,
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      networking: kc.makeApiClient(NetworkingV1Api),
      rbac: kc.makeApiClient(RbacAuthorizationV1Api),
      custom: kc.makeApiClient(CustomObjectsApi),
    };
    this.clients.set(name, clients);
    return clients;
  }

  /**
   * Per-request options that abort the request after the timeout; pass them
   * as the last argument of any client call.
   */
  private options(): ConfigurationOptions {
    const timeoutMs = this.timeoutMs;
    return {
      middleware: [
        {
          pre: (context: RequestContext) => {
            context.setSignal(AbortSignal.timeout(timeoutMs));
            return new Observable(Promise.resolve(context));
          },
          post: (context: ResponseContext) =>
            new Observable(Promise.resolve(context)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
  }

  /** The clients of a configured cluster (the watch uses its KubeConfig). */
  clientsOf(cluster: string): ClusterClients {
    return this.clientsFor(cluster);
  }

  /**
   * Runs calls against one cluster. Any failure becomes a KubernetesCallError;
   * every request is aborted after the configured timeout.
   */
  async call<T>(
    cluster: string,
    fn: (clients: ClusterClients, options: ConfigurationOptions) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(this.clientsFor(cluster), this.options());
    } catch (error) {
      throw classify(error, cluster, this.timeoutMs);
    }
  }
}
