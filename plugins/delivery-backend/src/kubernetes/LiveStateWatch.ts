import { LoggerService } from '@backstage/backend-plugin-api';
import {
  Informer,
  KubernetesObject,
  makeInformer,
  ObjectCache,
  V1Pod,
} from '@kubernetes/client-node';
import { LiveState, LiveTarget } from '../domain/liveState';
import { KubernetesGateway } from './KubernetesGateway';
import {
  KUBERNETES_ID_LABEL,
  LiveObjects,
  LiveStateSource,
  liveStateOf,
  ROLLOUT_RESOURCE,
  WorkloadObject,
} from './liveState';

type Watched = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

interface NamespaceWatch {
  cluster: string;
  namespace: string;
  informers: Map<keyof LiveObjects, Watched>;
  /** Informers whose list and watch are up. */
  up: Set<keyof LiveObjects>;
  /** Why it is not up, when it is not. */
  reason?: string;
  lastRead: number;
  failures: number;
  stopped: boolean;
}

/** Where each kind is listed and watched in a namespace. */
function paths(namespace: string): Record<keyof LiveObjects, string> {
  const { group, version, plural } = ROLLOUT_RESOURCE;
  return {
    deployments: `/apis/apps/v1/namespaces/${namespace}/deployments`,
    statefulSets: `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
    rollouts: `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
    pods: `/api/v1/namespaces/${namespace}/pods`,
  };
}

const MAX_BACKOFF_MS = 30_000;
/** Changes within this long are told together. */
const COALESCE_MS = 250;

/**
 * Live state kept by watches (informers) on the namespaces the portal reads:
 * Deployments, StatefulSets, Argo Rollouts (where the CRD is served) and Pods
 * labelled with a kubernetes-id. A namespace is watched from the first read
 * of it; reads are answered from the watched objects once every watch is up,
 * and from the fallback (a read of the cluster) until then or while a watch
 * is broken, so a cluster that cannot be watched still shows its state. A
 * watch that breaks lists and watches again with backoff. Memory stays
 * bounded: at most `maxNamespaces` namespaces, the least recently read one
 * given up first. Every change of an object calls `onChange` with its
 * component's kubernetes-id.
 */
export class LiveStateWatch implements LiveStateSource {
  private readonly watches = new Map<string, NamespaceWatch>();
  /** cluster/namespace/kubernetes-id → the components read with it. */
  private readonly components = new Map<string, Set<string>>();
  private pending = new Set<string>();
  private flush?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly options: {
      gateway: KubernetesGateway;
      fallback: LiveStateSource;
      /** The components whose live state changed (coalesced over a moment). */
      onChange: (componentRefs: string[]) => void;
      logger: LoggerService;
      maxNamespaces?: number;
      clock?: () => number;
    },
  ) {}

  private now() {
    return (this.options.clock ?? Date.now)();
  }

  async read(
    target: LiveTarget,
    options: { fresh?: boolean } = {},
  ): Promise<LiveState> {
    if (!target.cluster || !target.kubernetesId) {
      return this.options.fallback.read(target, options);
    }
    const watch = this.ensure(target.cluster, target.namespace);
    watch.lastRead = this.now();
    if (target.componentRef) {
      const key = `${target.cluster}/${target.namespace}/${target.kubernetesId}`;
      const refs = this.components.get(key) ?? new Set<string>();
      refs.add(target.componentRef);
      this.components.set(key, refs);
    }
    const status = this.status(target.cluster, target.namespace);
    if (!status.up) {
      return {
        ...(await this.options.fallback.read(target, options)),
        source: { watched: false, reason: status.reason ?? 'starting' },
      };
    }
    const of = <T>(kind: keyof LiveObjects) =>
      (watch.informers.get(kind)?.list() ?? []).filter(
        o => o.metadata?.labels?.[KUBERNETES_ID_LABEL] === target.kubernetesId,
      ) as unknown as T[];
    return {
      ...liveStateOf(
        { cluster: target.cluster, namespace: target.namespace },
        {
          deployments: of<WorkloadObject>('deployments'),
          statefulSets: of<WorkloadObject>('statefulSets'),
          rollouts: of<WorkloadObject>('rollouts'),
          pods: of<V1Pod>('pods'),
        },
        this.now(),
      ),
      source: { watched: true },
    };
  }

  /** Whether a namespace is watched and every watch is up, or why not. */
  status(cluster: string, namespace: string): { up: boolean; reason?: string } {
    const w = this.watches.get(`${cluster}/${namespace}`);
    if (!w) return { up: false, reason: 'not watched' };
    return w.up.size === w.informers.size && w.informers.size > 0
      ? { up: true }
      : { up: false, reason: w.reason ?? 'starting' };
  }

  /** Stops every watch. */
  async stop() {
    if (this.flush) clearTimeout(this.flush);
    await Promise.all([...this.watches.values()].map(w => this.stopWatch(w)));
    this.watches.clear();
  }

  private ensure(cluster: string, namespace: string): NamespaceWatch {
    const key = `${cluster}/${namespace}`;
    const existing = this.watches.get(key);
    if (existing) return existing;
    const watch: NamespaceWatch = {
      cluster,
      namespace,
      informers: new Map(),
      up: new Set(),
      lastRead: this.now(),
      failures: 0,
      stopped: false,
    };
    this.watches.set(key, watch);
    this.evict();
    void this.start(watch);
    return watch;
  }

  /** Gives up the least recently read namespace when there are too many. */
  private evict() {
    const max = this.options.maxNamespaces ?? 200;
    while (this.watches.size > max) {
      const [key, oldest] = [...this.watches.entries()].sort(
        (a, b) => a[1].lastRead - b[1].lastRead,
      )[0];
      this.watches.delete(key);
      void this.stopWatch(oldest);
    }
  }

  private async stopWatch(watch: NamespaceWatch) {
    watch.stopped = true;
    await Promise.all(
      [...watch.informers.values()].map(i => i.stop().catch(() => undefined)),
    );
  }

  private async start(watch: NamespaceWatch) {
    const { gateway, logger } = this.options;
    let clients;
    try {
      clients = gateway.clientsOf(watch.cluster);
    } catch (error) {
      watch.reason = (error as Error).message;
      return;
    }
    const { kubeConfig, apps, core, custom } = clients;
    const labelSelector = KUBERNETES_ID_LABEL;
    const ns = watch.namespace;
    const lists: Record<keyof LiveObjects, () => Promise<any>> = {
      deployments: () =>
        apps.listNamespacedDeployment({ namespace: ns, labelSelector }),
      statefulSets: () =>
        apps.listNamespacedStatefulSet({ namespace: ns, labelSelector }),
      rollouts: () =>
        custom.listNamespacedCustomObject({
          ...ROLLOUT_RESOURCE,
          namespace: ns,
          labelSelector,
        }),
      pods: () => core.listNamespacedPod({ namespace: ns, labelSelector }),
    };
    const where = paths(ns);
    for (const kind of Object.keys(lists) as Array<keyof LiveObjects>) {
      // Kinds the cluster does not serve (no Rollout CRD) or forbids are
      // left out, as the reads leave them out.
      try {
        await lists[kind]();
      } catch (error) {
        const code = (error as { code?: number }).code;
        if (code === 404 || code === 403) continue;
        watch.reason = `cannot list ${kind} in ${ns}: ${
          (error as Error).message
        }`;
        this.retry(watch);
        return;
      }
      const informer = makeInformer<KubernetesObject>(
        kubeConfig,
        where[kind],
        lists[kind],
        labelSelector,
      ) as Watched;
      const changed = (o: KubernetesObject) => {
        const id = o.metadata?.labels?.[KUBERNETES_ID_LABEL];
        if (id) this.changed(`${watch.cluster}/${ns}/${id}`);
      };
      informer.on('add', changed);
      informer.on('update', changed);
      informer.on('delete', changed);
      informer.on('connect', () => {
        watch.up.add(kind);
        watch.failures = 0;
        watch.reason = undefined;
      });
      informer.on('error', (error: unknown) => {
        watch.up.delete(kind);
        watch.reason = `the watch of ${kind} in ${ns} broke: ${
          (error as Error)?.message ?? error
        }`;
        logger.debug(watch.reason);
        this.restart(watch, informer);
      });
      watch.informers.set(kind, informer);
    }
    for (const [kind, informer] of watch.informers) {
      try {
        await informer.start();
        watch.up.add(kind);
      } catch (error) {
        watch.reason = `cannot watch ${kind} in ${ns}: ${
          (error as Error).message
        }`;
        this.restart(watch, informer);
      }
    }
  }

  /** Tells of the components of a change, a rollout's bursts coalesced. */
  private changed(key: string) {
    for (const ref of this.components.get(key) ?? []) this.pending.add(ref);
    if (this.flush || this.pending.size === 0) return;
    this.flush = setTimeout(() => {
      const refs = [...this.pending];
      this.pending = new Set();
      this.flush = undefined;
      this.options.onChange(refs);
    }, COALESCE_MS);
    this.flush.unref?.();
  }

  /** Backoff doubling from 1 s up to 30 s. */
  private delay(watch: NamespaceWatch) {
    watch.failures += 1;
    return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (watch.failures - 1));
  }

  private restart(watch: NamespaceWatch, informer: Watched) {
    if (watch.stopped) return;
    setTimeout(() => {
      if (watch.stopped) return;
      informer.start().catch(() => this.restart(watch, informer));
    }, this.delay(watch)).unref?.();
  }

  private retry(watch: NamespaceWatch) {
    if (watch.stopped) return;
    setTimeout(() => {
      if (!watch.stopped) void this.start(watch);
    }, this.delay(watch)).unref?.();
  }
}
