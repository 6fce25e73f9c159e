import { CacheManager } from '@backstage/backend-defaults/cache';
import { mockServices, TestCaches } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { V1Pod } from '@kubernetes/client-node';
import { KubernetesGateway } from './KubernetesGateway';
import { detectDrift } from '../domain/liveState';
import { LiveStateReader } from './liveState';
import { FaultProxy, startFaultProxy } from './testing/faultProxy';
import {
  admin,
  applyCustomResourceDefinition,
  ROLLOUT_CRD,
  clusterConfig,
  deployComponent,
  describeWithCluster,
  eventually,
  reportPodStatus,
  testCluster,
  uniqueName,
} from './testing/testCluster';

jest.setTimeout(120_000);

const RUNNING = `sha256:${'a'.repeat(64)}`;
const RELEASED = `sha256:${'b'.repeat(64)}`;
const STARTED = '2026-11-27T08:00:00.000Z';

function memoryCache() {
  return CacheManager.fromConfig(
    new ConfigReader({ backend: { cache: { store: 'memory' } } }),
  ).forPlugin('delivery');
}

function reader(
  url: string,
  options: { timeoutMs?: number; cache?: ReturnType<typeof memoryCache> } = {},
) {
  const gateway = new KubernetesGateway({
    clusters: new Map([['test', clusterConfig('test', { url })]]),
    timeoutMs: options.timeoutMs ?? 2000,
  });
  return new LiveStateReader({
    gateway,
    cache: options.cache ?? memoryCache(),
    cacheTtlMs: 60_000,
    logger: mockServices.logger.mock(),
  });
}

/** The pod runs RUNNING, is ready, and has restarted `restarts` times. */
function runPod(pod: V1Pod, restarts: number) {
  return reportPodStatus(pod, {
    digest: RUNNING,
    restarts,
    ready: true,
    startedAt: new Date(STARTED),
  });
}

describeWithCluster('live state from a real API server', () => {
  const namespace = uniqueName('live');
  let proxy: FaultProxy;

  beforeAll(async () => {
    await admin().core.createNamespace({
      body: { metadata: { name: namespace } },
    });
    const pods = await deployComponent(namespace, {
      kubernetesId: 'checkout',
      image: 'ghcr.io/acme/checkout:2.0',
      replicas: 2,
    });
    await runPod(pods[0], 2);
    await runPod(pods[1], 0);
    proxy = await startFaultProxy(testCluster!.url);
  });

  afterAll(async () => {
    await proxy?.close();
    await admin()
      .core.deleteNamespace({ name: namespace })
      .catch(() => undefined);
  });

  it('reads deployments and pods with the digests they run', async () => {
    const live = await reader(testCluster!.url).read({
      cluster: 'test',
      namespace,
      kubernetesId: 'checkout',
    });

    expect(live).toMatchObject({
      state: 'known',
      cluster: 'test',
      namespace,
      runningDigests: [RUNNING],
    });
    if (live.state !== 'known') throw new Error('unreachable');
    expect(live.deployments).toHaveLength(1);
    const deployment = live.deployments[0];
    expect(deployment).toMatchObject({
      name: 'checkout',
      replicas: { desired: 2 },
      images: [{ container: 'app', image: 'ghcr.io/acme/checkout:2.0' }],
    });
    expect(
      deployment.pods
        .map(p => [p.phase, p.ready, p.restarts, p.digests])
        .sort(),
    ).toEqual([
      ['Running', true, 0, [RUNNING]],
      ['Running', true, 2, [RUNNING]],
    ]); // Each container, with the repository it runs and its digest (for drift).
    expect(deployment.pods[0].containers).toEqual([
      { name: 'app', repository: 'ghcr.io/acme/checkout', digest: RUNNING },
    ]);
  });

  it('flags drift when what runs is not the release, since the drifted pods started', async () => {
    const live = await reader(testCluster!.url).read({
      cluster: 'test',
      namespace,
      kubernetesId: 'checkout',
    });

    expect(detectDrift(live, RELEASED, undefined)).toEqual({
      expected: RELEASED,
      running: [RUNNING],
      since: Date.parse(STARTED),
    });
    expect(detectDrift(live, RUNNING, undefined)).toBeUndefined();
    // During a rollout of RUNNING, it is expected too.
    expect(detectDrift(live, RELEASED, RUNNING)).toBeUndefined();
  });

  it('reads StatefulSets and Argo Rollouts of the component as well', async () => {
    const other = uniqueName('live-kinds');
    await admin().core.createNamespace({ body: { metadata: { name: other } } });
    try {
      await applyCustomResourceDefinition(ROLLOUT_CRD);
      const labels = { 'backstage.io/kubernetes-id': 'ledger' };
      const template = (app: string) => ({
        metadata: { labels: { app } },
        spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/ledger:1' }] },
      });
      await admin().apps.createNamespacedStatefulSet({
        namespace: other,
        body: {
          metadata: { name: 'ledger-db', labels },
          spec: {
            serviceName: 'ledger-db',
            replicas: 0,
            selector: { matchLabels: { app: 'ledger-db' } },
            template: template('ledger-db'),
          },
        },
      });
      await eventually(
        () =>
          admin()
            .custom.createNamespacedCustomObject({
              group: 'argoproj.io',
              version: 'v1alpha1',
              plural: 'rollouts',
              namespace: other,
              body: {
                apiVersion: 'argoproj.io/v1alpha1',
                kind: 'Rollout',
                metadata: { name: 'ledger', labels },
                spec: {
                  replicas: 2,
                  selector: { matchLabels: { app: 'ledger' } },
                  template: template('ledger'),
                  strategy: { canary: { steps: [{ setWeight: 50 }] } },
                },
              },
            })
            .then(
              () => true,
              () => undefined,
            ),
        'the Rollout CRD to be served',
      );
      const live = await reader(testCluster!.url).read({
        cluster: 'test',
        namespace: other,
        kubernetesId: 'ledger',
      });
      expect(
        live.state === 'known' &&
          live.deployments.map(d => [d.kind, d.name, d.replicas.desired]),
      ).toEqual([
        ['StatefulSet', 'ledger-db', 0],
        ['Rollout', 'ledger', 2],
      ]);
    } finally {
      await admin()
        .core.deleteNamespace({ name: other })
        .catch(() => undefined);
    }
  });

  it('finds nothing for another component', async () => {
    const live = await reader(testCluster!.url).read({
      cluster: 'test',
      namespace,
      kubernetesId: 'payments',
    });
    expect(live).toMatchObject({
      state: 'known',
      deployments: [],
      runningDigests: [],
    });
  });

  describe('when the cluster misbehaves, gives an unknown state with the reason, in bounded time', () => {
    afterEach(() => proxy.setFault({ kind: 'none' }));

    it.each([
      [
        { kind: 'error500' as const },
        /^server-error: test: injected internal error/,
      ],
      [{ kind: 'hang' as const }, /^timeout: test: no answer within 1000 ms/],
      [{ kind: 'drop' as const }, /^unreachable: test: cannot be reached/],
      [
        { kind: 'latency' as const, ms: 3000 },
        /^timeout: test: no answer within 1000 ms/,
      ],
    ])('%j', async (fault, reason) => {
      proxy.setFault(fault);
      const started = Date.now();
      const live = await reader(proxy.url, { timeoutMs: 1000 }).read({
        cluster: 'test',
        namespace,
        kubernetesId: 'checkout',
      });
      expect(live.state).toBe('unknown');
      expect(live.state === 'unknown' && live.reason).toMatch(reason);
      // Never blocks a page: the call gives up at its timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('answers through a slow proxy within the timeout', async () => {
      proxy.setFault({ kind: 'latency', ms: 200 });
      const live = await reader(proxy.url, { timeoutMs: 2000 }).read({
        cluster: 'test',
        namespace,
        kubernetesId: 'checkout',
      });
      expect(live.state).toBe('known');
    });

    it('says why without any cluster call when nothing is configured', async () => {
      const r = reader(testCluster!.url);
      expect(
        await r.read({
          cluster: 'elsewhere',
          namespace,
          kubernetesId: 'checkout',
        }),
      ).toMatchObject({
        state: 'unknown',
        reason:
          "not-configured: cluster 'elsewhere' is not configured in kubernetes.clusterLocatorMethods",
      });
      expect(
        await r.read({ namespace, kubernetesId: 'checkout' }),
      ).toMatchObject({
        state: 'unknown',
        reason: 'the environment names no cluster',
      });
      expect(await r.read({ cluster: 'test', namespace })).toMatchObject({
        state: 'unknown',
        reason: 'the component has no backstage.io/kubernetes-id annotation',
      });
      const noToken = new LiveStateReader({
        gateway: new KubernetesGateway({
          clusters: new Map([
            [
              'gke',
              clusterConfig('gke', {
                serviceAccountToken: undefined,
                authProvider: 'google',
              }),
            ],
          ]),
          timeoutMs: 2000,
        }),
        cache: memoryCache(),
        cacheTtlMs: 60_000,
        logger: mockServices.logger.mock(),
      });
      expect(
        await noToken.read({ cluster: 'gke', namespace, kubernetesId: 'x' }),
      ).toMatchObject({
        state: 'unknown',
        reason:
          "not-configured: cluster 'gke' has no serviceAccountToken (authProvider google); the delivery backend calls clusters with a service account token",
      });
    });

    it('refuses a wrong token as unauthorized', async () => {
      const gateway = new KubernetesGateway({
        clusters: new Map([
          [
            'test',
            clusterConfig('test', { serviceAccountToken: 'not-a-token' }),
          ],
        ]),
        timeoutMs: 2000,
      });
      const live = await new LiveStateReader({
        gateway,
        cache: memoryCache(),
        cacheTtlMs: 1000,
        logger: mockServices.logger.mock(),
      }).read({ cluster: 'test', namespace, kubernetesId: 'checkout' });
      expect(live).toMatchObject({
        state: 'unknown',
        reason: expect.stringMatching(/^unauthorized: /),
      });
    });
  });

  describe('cache', () => {
    const caches = TestCaches.create({ ids: ['REDIS_7'] });
    // Redis runs when BACKSTAGE_TEST_CACHE_REDIS7_CONNECTION_STRING is set (always in CI).
    const describeWithRedis = caches.supports('REDIS_7')
      ? describe
      : describe.skip;

    it('serves a recent answer while the cluster is unreachable', async () => {
      const cache = memoryCache();
      const first = reader(proxy.url, { cache });
      expect(
        (
          await first.read({
            cluster: 'test',
            namespace,
            kubernetesId: 'checkout',
          })
        ).state,
      ).toBe('known');
      proxy.setFault({ kind: 'drop' });
      const again = await reader(proxy.url, { cache }).read({
        cluster: 'test',
        namespace,
        kubernetesId: 'checkout',
      });
      expect(again.state).toBe('known');
      // A replica with its own memory cache does not see it.
      expect(
        (
          await reader(proxy.url).read({
            cluster: 'test',
            namespace,
            kubernetesId: 'checkout',
          })
        ).state,
      ).toBe('unknown');
      proxy.setFault({ kind: 'none' });
    });

    describeWithRedis('in Redis', () => {
      it('is shared by replicas', async () => {
        const { connection } = await caches.init('REDIS_7');
        const replica = () =>
          CacheManager.fromConfig(
            new ConfigReader({
              backend: { cache: { store: 'redis', connection } },
            }),
          ).forPlugin('delivery');
        const target = { cluster: 'test', namespace, kubernetesId: `checkout` };
        // Different namespaces per run keep keys apart in a shared Redis.
        expect(
          (await reader(proxy.url, { cache: replica() }).read(target)).state,
        ).toBe('known');
        proxy.setFault({ kind: 'drop' });
        const other = await reader(proxy.url, { cache: replica() }).read(
          target,
        );
        proxy.setFault({ kind: 'none' });
        expect(other).toMatchObject({
          state: 'known',
          runningDigests: [RUNNING],
        });
      });
    });
  });
});
