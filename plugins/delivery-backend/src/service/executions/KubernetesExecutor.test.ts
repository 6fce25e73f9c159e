import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { PROMOTION_ANNOTATION } from '../../kubernetes/workloads';
import {
  FaultProxy,
  startFaultProxy,
} from '../../kubernetes/testing/faultProxy';
import {
  admin,
  deployComponent,
  describeWithCluster,
  imagesOf,
  runPods,
  testCluster,
  uniqueName,
} from '../../kubernetes/testing/testCluster';
import {
  CI,
  createHarness,
  digest,
  leastPrivilegeToken,
  REPOSITORY,
} from './__testUtils__/harness';

jest.setTimeout(180_000);

const APP = 'app=checkout';
const image = (n: number) => `${REPOSITORY}@${digest(n)}`;

describeWithCluster('the kubernetes executor against a real cluster', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });
  let token: string;
  let proxy: FaultProxy;
  const dev = uniqueName('exec-dev');
  const staging = uniqueName('exec-staging');

  beforeAll(async () => {
    token = await leastPrivilegeToken([dev, staging]);
    proxy = await startFaultProxy(testCluster!.url);
    // What runs before: build 1 in both environments, three replicas with a
    // service-mesh sidecar the component does not own.
    for (const namespace of [dev, staging]) {
      await deployComponent(namespace, {
        kubernetesId: 'checkout',
        image: image(1),
        replicas: 2,
      });
      await admin().apps.patchNamespacedDeployment({
        name: 'checkout',
        namespace,
        body: [
          {
            op: 'add',
            path: '/spec/template/spec/containers/-',
            value: {
              name: 'istio-proxy',
              image: 'docker.io/istio/proxyv2:1.24',
            },
          },
        ],
      });
    }
  });
  afterAll(async () => {
    await proxy?.close();
    for (const name of [dev, staging]) {
      await admin()
        .core.deleteNamespace({ name })
        .catch(() => undefined);
    }
  });

  const environments = (overrides: object = {}) =>
    [dev, staging].map((namespace, i) => ({
      name: i === 0 ? 'dev' : 'staging',
      cluster: 'test',
      namespace,
      rollbackThresholds: { maxRestarts: 2 },
      executor: {
        type: 'kubernetes',
        rolloutTimeout: '2m',
        verificationWindow: '1m',
        ...overrides,
      },
    }));

  /** Build 1 released in dev and staging and running there, healthy. */
  async function ready(databaseId: TestDatabaseId, overrides: object = {}) {
    const h = await createHarness({
      knex: await databases.init(databaseId),
      environments: environments(overrides),
      token,
    });
    for (const n of [1, 2, 3]) await h.record(n);
    await h.released(1, 'dev');
    await h.released(1, 'staging');
    for (const namespace of [dev, staging]) {
      await admin().apps.patchNamespacedDeployment({
        name: 'checkout',
        namespace,
        body: [
          {
            op: 'replace',
            path: '/spec/template/spec/containers/0/image',
            value: image(1),
          },
        ],
      });
    }
    return h;
  }

  const stateOf = async (
    h: Awaited<ReturnType<typeof createHarness>>,
    id: string,
  ) => (await h.promotion(id)).promotion.state;

  describe.each(databases.eachSupportedId())(
    'with the ledger on %p',
    databaseId => {
      it('promotes dev then staging: the image really changes, by digest, and the sidecar is left alone', async () => {
        const h = await ready(databaseId);
        const runner = h.execution('replica-a');

        const toDev = await h.promote(2, 'dev');
        expect(toDev.state).toBe('approved');
        await h.drive(
          [runner],
          async () => (await stateOf(h, toDev.id)) === 'deploying',
        );
        expect(await imagesOf(dev, 'checkout')).toEqual({
          app: image(2),
          'istio-proxy': 'docker.io/istio/proxyv2:1.24',
        });
        const annotated = await admin().apps.readNamespacedDeployment({
          name: 'checkout',
          namespace: dev,
        });
        expect(annotated.metadata!.annotations![PROMOTION_ANNOTATION]).toBe(
          toDev.id,
        );

        await h.drive(
          [runner],
          async () => (await stateOf(h, toDev.id)) === 'verifying',
          { kubelet: () => runPods(dev, APP) },
        );
        const verifying = await h.promotion(toDev.id);
        expect(verifying.deployment).toMatchObject({
          executor: 'kubernetes',
          phase: 'verifying',
        });
        await h.drive(
          [runner],
          async () => (await stateOf(h, toDev.id)) === 'succeeded',
          { kubelet: () => runPods(dev, APP), stepMs: 20_000 },
        );
        const done = await h.promotion(toDev.id);
        expect(done.events!.map(e => [e.type, e.reportedBy])).toEqual([
          ['deploying', 'delivery-executor'],
          ['verifying', 'delivery-executor'],
          ['succeeded', 'delivery-executor'],
        ]);
        expect(done.steps!.map(s => s.action)).toEqual([
          'acted',
          'rolled-out',
          'released',
        ]);
        expect(done.deployment!.phase).toBe('finished');
        // Every step is audited like a request-driven change.
        expect(
          h.audited
            .filter(a => a.meta.promotionId === toDev.id)
            .map(a => [
              a.eventId,
              a.meta.actionType,
              a.meta.executor,
              a.outcome,
            ]),
        ).toEqual([
          ['promotion-execute', 'acted', 'kubernetes', 'success'],
          ['promotion-execute', 'rolled-out', 'kubernetes', 'success'],
          ['promotion-execute', 'released', 'kubernetes', 'success'],
        ]);
        const releases = await h.services.ledger.releases.getReleases(
          'component:default/checkout',
        );
        expect(releases.find(r => r.environment === 'dev')!.artifactId).toBe(
          done.artifact.id,
        );

        const toStaging = await h.promote(2, 'staging');
        await h.drive(
          [runner],
          async () => (await stateOf(h, toStaging.id)) === 'succeeded',
          { kubelet: () => runPods(staging, APP), stepMs: 20_000 },
        );
        expect((await imagesOf(staging, 'checkout')).app).toBe(image(2));
      });

      it('fails a rollout that never becomes available, and puts the previous release back', async () => {
        const h = await ready(databaseId);
        const runner = h.execution('replica-a');
        const p = await h.promote(3, 'dev');
        // No kubelet: the new pods never become ready.
        await h.drive(
          [runner],
          async () =>
            (await h.promotion(p.id)).deployment?.phase === 'finished',
          {
            stepMs: 30_000,
          },
        );
        const view = await h.promotion(p.id);
        expect(view.promotion).toMatchObject({
          state: 'failed',
          outcome: expect.stringMatching(
            /^the rollout did not finish within 2 min: waiting for checkout: /,
          ),
        });
        expect(view.steps!.map(s => s.action)).toEqual([
          'acted',
          'failed',
          'reverted',
        ]);
        expect(view.steps![2].message).toBe(
          `put the previous release back: set ${image(
            1,
          )} on deployment/checkout (container app)`,
        );
        expect((await imagesOf(dev, 'checkout')).app).toBe(image(1));
      });

      it('rolls back when restarts during verification breach the threshold', async () => {
        const h = await ready(databaseId);
        const runner = h.execution('replica-a');
        const p = await h.promote(2, 'dev');
        await h.drive(
          [runner],
          async () => (await stateOf(h, p.id)) === 'verifying',
          {
            kubelet: () => runPods(dev, APP),
          },
        );
        // A restart storm.
        await h.drive(
          [runner],
          async () =>
            (await h.promotion(p.id)).deployment?.phase === 'finished',
          {
            kubelet: () => runPods(dev, APP, { restarts: 4 }),
          },
        );
        const view = await h.promotion(p.id);
        expect(view.promotion.outcome).toMatch(
          /^verification failed: .*restarts/,
        );
        expect(
          view.events!.find(e => e.type === 'failed')!.metrics,
        ).toMatchObject({
          restarts: expect.any(Number),
        });
        expect((await imagesOf(dev, 'checkout')).app).toBe(image(1));
      });

      it('runs a promotion once with two backends, and a backend that dies mid-rollout is taken over', async () => {
        const h = await ready(databaseId);
        const [a, b] = [h.execution('replica-a'), h.execution('replica-b')];
        const p = await h.promote(2, 'dev');
        await h.drive(
          [a, b],
          async () => (await stateOf(h, p.id)) === 'deploying',
        );
        const before = await admin().apps.readNamespacedDeployment({
          name: 'checkout',
          namespace: dev,
        });

        // Replica a holds the claim and dies: nobody steps it until the lease ends.
        const { ledger } = h.services;
        h.clock.now += 10_000;
        expect(
          await ledger.deployments.claim(
            p.id,
            'replica-a',
            h.clock.now,
            60_000,
          ),
        ).toBe(true);
        await runPods(dev, APP);
        h.clock.now += 10_000;
        await b.run();
        expect((await h.promotion(p.id)).promotion.state).toBe('deploying');
        // After the lease, b takes over and finishes it.
        h.clock.now += 60_000;
        await h.drive(
          [b],
          async () => (await stateOf(h, p.id)) === 'succeeded',
          {
            kubelet: () => runPods(dev, APP),
            stepMs: 20_000,
          },
        );
        const view = await h.promotion(p.id);
        expect(view.steps!.filter(s => s.action === 'acted')).toHaveLength(1);
        expect(view.events!.filter(e => e.type === 'deploying')).toHaveLength(
          1,
        );
        const after = await admin().apps.readNamespacedDeployment({
          name: 'checkout',
          namespace: dev,
        });
        // One patch of the template: no second rollout.
        expect(after.metadata!.generation).toBe(before.metadata!.generation);
      });

      it('stops a promotion that is deploying when its build is quarantined', async () => {
        const h = await ready(databaseId);
        const runner = h.execution('replica-a');
        const p = await h.promote(2, 'dev');
        await h.drive(
          [runner],
          async () => (await stateOf(h, p.id)) === 'deploying',
        );
        await h.services.artifacts.quarantine(p.artifactId, 'CVE-2026-4242', {
          type: 'user',
          ref: 'user:default/carol',
          ownershipRefs: [],
        });
        await h.drive(
          [runner],
          async () =>
            (await h.promotion(p.id)).deployment?.phase === 'finished',
          {
            kubelet: () => runPods(dev, APP),
          },
        );
        const view = await h.promotion(p.id);
        expect(view.promotion.state).toBe('failed');
        expect(view.promotion.outcome).toMatch(
          /\[quarantine\] .* was quarantined by user:default\/carol .*CVE-2026-4242/,
        );
        expect((await imagesOf(dev, 'checkout')).app).toBe(image(1));
        const release = (
          await h.services.ledger.releases.getReleases(
            'component:default/checkout',
          )
        ).find(r => r.environment === 'dev')!;
        expect(release.artifactId).not.toBe(p.artifactId);
      });

      it('puts the previous release back when a promotion is aborted while verifying, and rolls back through the executor', async () => {
        const h = await ready(databaseId);
        const runner = h.execution('replica-a');
        const p = await h.promote(2, 'dev');
        await h.drive(
          [runner],
          async () => (await stateOf(h, p.id)) === 'verifying',
          {
            kubelet: () => runPods(dev, APP),
          },
        );
        await h.services.promotions.abort(p.id, 'wrong build', CI);
        await h.drive(
          [runner],
          async () =>
            (await h.promotion(p.id)).deployment?.phase === 'finished',
        );
        expect((await h.promotion(p.id)).steps!.map(s => s.action)).toEqual([
          'acted',
          'rolled-out',
          'stopped',
          'reverted',
        ]);
        expect((await imagesOf(dev, 'checkout')).app).toBe(image(1));

        // Release build 2, then roll back from the portal: fast, no verification.
        const again = await h.promote(2, 'dev');
        await h.drive(
          [runner],
          async () => (await stateOf(h, again.id)) === 'succeeded',
          {
            kubelet: () => runPods(dev, APP),
            stepMs: 20_000,
          },
        );
        const { view } = await h.services.promotions.rollback(
          {
            componentRef: 'component:default/checkout',
            environment: 'dev',
            reason: 'errors',
          },
          CI,
        );
        expect(view.promotion.state).toBe('approved');
        await h.drive(
          [runner],
          async () => (await stateOf(h, view.promotion.id)) === 'succeeded',
          {
            kubelet: () => runPods(dev, APP),
          },
        );
        const rollback = await h.promotion(view.promotion.id);
        expect(rollback.events!.map(e => e.type)).toEqual([
          'deploying',
          'succeeded',
        ]);
        expect((await imagesOf(dev, 'checkout')).app).toBe(image(1));
        expect(await stateOf(h, again.id)).toBe('rolled-back');
      });
    },
  );

  it('ends a promotion errored, with the reason, when the cluster keeps failing', async () => {
    const h = await createHarness({
      knex: await databases.init('SQLITE_3'),
      environments: environments(),
      token,
      clusterUrl: proxy.url,
    });
    await h.record(1);
    await h.record(2);
    await h.released(1, 'dev');
    const runner = h.execution('replica-a');
    proxy.setFault({ kind: 'error500' }, { method: 'GET' });
    try {
      const p = await h.promote(2, 'dev');
      await h.drive(
        [runner],
        async () => (await h.promotion(p.id)).deployment?.phase === 'finished',
        {
          stepMs: 120_000,
        },
      );
      const view = await h.promotion(p.id);
      expect(view.promotion).toMatchObject({
        state: 'errored',
        outcome: 'errored after 3 attempts: test: injected internal error',
      });
      expect(view.steps!.map(s => s.action)).toEqual([
        'retry',
        'retry',
        'errored',
      ]);
      expect((await imagesOf(dev, 'checkout')).app).toBe(image(1));
    } finally {
      proxy.setFault({ kind: 'none' });
    }
  });
});
