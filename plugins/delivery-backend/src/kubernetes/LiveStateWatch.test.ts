/*
 * Live state by watch, against the real test API server: the test writes pod
 * status as the kubelet would and checks that the watched state and the
 * change callback follow; a fault proxy in front of the API server breaks
 * the watch's connections; a namespace is deleted and made again.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { CacheManager } from '@backstage/backend-defaults/cache';
import { ConfigReader } from '@backstage/config';
import { FaultProxy, startFaultProxy } from './testing/faultProxy';
import {
  admin,
  clusterConfig,
  deployComponent,
  describeWithCluster,
  eventually,
  runPods,
  testCluster,
  uniqueName,
} from './testing/testCluster';
import { KubernetesGateway } from './KubernetesGateway';
import { LiveStateReader } from './liveState';
import { LiveStateWatch } from './LiveStateWatch';

jest.setTimeout(120_000);

const IMAGE = `ghcr.io/acme/search@sha256:${'a'.repeat(64)}`;

describeWithCluster('live state by watch', () => {
  let proxy: FaultProxy;
  const namespaces = [uniqueName('watch-a'), uniqueName('watch-b')];

  beforeAll(async () => {
    // HTTPS, with the test API server's own certificate: watches need TLS.
    const run = dirname(process.env.DELIVERY_TEST_KUBECONFIG!);
    proxy = await startFaultProxy(testCluster!.url, {
      key: readFileSync(join(run, 'serving.key'), 'utf8'),
      cert: readFileSync(join(run, 'serving.crt'), 'utf8'),
    });
  });
  afterAll(async () => {
    await proxy?.close();
    for (const name of namespaces) {
      await admin()
        .core.deleteNamespace({ name })
        .catch(() => undefined);
    }
  });

  function watchThrough(url: string) {
    const gateway = new KubernetesGateway({
      clusters: new Map([['test', clusterConfig('test', { url })]]),
      timeoutMs: 3000,
    });
    const changes: Array<{ at: number; componentRefs: string[] }> = [];
    const watch = new LiveStateWatch({
      gateway,
      fallback: new LiveStateReader({
        gateway,
        cache: CacheManager.fromConfig(
          new ConfigReader({ backend: { cache: { store: 'memory' } } }),
        ).forPlugin('delivery'),
        cacheTtlMs: 1,
        logger: mockServices.logger.mock(),
      }),
      onChange: componentRefs =>
        changes.push({ at: Date.now(), componentRefs }),
      logger: mockServices.logger.mock(),
    });
    return { watch, changes };
  }

  const run = async (ns: string) => {
    await admin().core.createNamespace({ body: { metadata: { name: ns } } });
    await deployComponent(ns, {
      kubernetesId: 'search',
      image: IMAGE,
      replicas: 1,
    });
  };

  const ready = (state: any) =>
    state.state === 'known' ? state.deployments[0]?.pods[0]?.ready : undefined;

  it('follows a pod becoming ready, and calls back with its component', async () => {
    const [ns] = namespaces;
    await run(ns);
    const { watch, changes } = watchThrough(testCluster!.url);
    const target = {
      cluster: 'test',
      namespace: ns,
      kubernetesId: 'search',
      componentRef: 'component:default/search',
    };
    try {
      // The first read starts the watch (answered by a read meanwhile).
      expect((await watch.read(target)).state).toBe('known');
      await eventually(
        async () => watch.status('test', ns).up || undefined,
        'the watch to be up',
      );
      expect(ready(await watch.read(target))).toBe(false);
      expect((await watch.read(target)).source).toEqual({ watched: true });

      const written = Date.now();
      await runPods(ns, 'app=search');
      await eventually(
        async () => (ready(await watch.read(target)) ? true : undefined),
        'the watched pod to be ready',
      );
      await eventually(
        async () => changes.some(c => c.at >= written) || undefined,
        'the change to be told',
      );
      const seen = changes.find(
        c =>
          c.at >= written &&
          c.componentRefs.includes('component:default/search'),
      );
      expect(seen).toBeDefined();
      // A figure, not an assertion: how long the change took to arrive.
      // eslint-disable-next-line no-console
      console.log(
        `watch: a pod's status reached the watched state in ${
          seen!.at - written
        } ms`,
      );
    } finally {
      await watch.stop();
    }
  });

  it('lists and watches again after the connection breaks, and picks up a namespace made again', async () => {
    const [, ns] = namespaces;
    await run(ns);
    const { watch, changes } = watchThrough(proxy.url);
    const target = {
      cluster: 'test',
      namespace: ns,
      kubernetesId: 'search',
      componentRef: 'component:default/search',
    };
    try {
      await watch.read(target);
      await eventually(
        async () => watch.status('test', ns).up || undefined,
        'the watch to be up',
      );

      // Every connection through the proxy is cut, and new ones dropped: the
      // watch breaks, and says why; reads fall back to the cluster (which
      // fails the same way).
      proxy.setFault({ kind: 'drop' });
      proxy.dropConnections();
      await eventually(
        async () => (watch.status('test', ns).up ? undefined : true),
        'the watch to notice',
      );
      expect(watch.status('test', ns).reason).toMatch(
        /the watch of \w+ in .* broke|cannot watch/,
      );
      expect(await watch.read(target)).toMatchObject({
        state: 'unknown',
        source: {
          watched: false,
          reason: expect.stringMatching(
            /the watch of \w+ in .* broke|cannot watch/,
          ),
        },
      });

      // The connection comes back: the watch is up again and follows changes.
      proxy.setFault({ kind: 'none' });
      await eventually(
        async () => watch.status('test', ns).up || undefined,
        'the watch to come back',
      );
      const before = changes.length;
      await runPods(ns, 'app=search');
      await eventually(
        async () => (ready(await watch.read(target)) ? true : undefined),
        'the change after the break',
      );
      await eventually(
        async () => changes.length > before || undefined,
        'the change to be told',
      );

      // The namespace goes, and comes back with the component in it.
      await admin().core.deleteNamespace({ name: ns });
      await eventually(
        async () =>
          await admin()
            .core.readNamespace({ name: ns })
            .then(
              () => undefined,
              () => true,
            ),
        'the namespace to be gone',
      );
      await eventually(async () => {
        const s = await watch.read(target);
        return s.state === 'known' && s.deployments.length === 0
          ? true
          : undefined;
      }, 'the watched state to be empty');
      await run(ns);
      await runPods(ns, 'app=search');
      await eventually(
        async () => (ready(await watch.read(target)) ? true : undefined),
        'the namespace made again to be followed',
      );
    } finally {
      await watch.stop();
    }
  });
});
