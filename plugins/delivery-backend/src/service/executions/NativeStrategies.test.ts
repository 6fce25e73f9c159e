/*
 * Native canary and blue-green of plain Deployments, on the real test
 * cluster: the controller-manager creates the ReplicaSets and pods, the
 * test acts as the kubelet. One engine: the database does not change what
 * the executor does in the cluster.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { STEP_ANNOTATION, TRACK_LABEL } from '../../domain/nativeStrategies';
import {
  admin,
  deployComponent,
  describeWithCluster,
  imagesOf,
  runPods,
  uniqueName,
} from '../../kubernetes/testing/testCluster';
import {
  createHarness,
  digest,
  leastPrivilegeToken,
  REPOSITORY,
} from './__testUtils__/harness';
import { LedgerChanges, NO_CHANGES } from '../notifications/LedgerChanges';

jest.setTimeout(240_000);

const APP = 'app=checkout';
const image = (n: number) => `${REPOSITORY}@${digest(n)}`;

describeWithCluster('native strategies of the kubernetes executor', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const namespaces = {
    canary: uniqueName('native-canary'),
    canaryFails: uniqueName('native-canary-fail'),
    blueGreen: uniqueName('native-bg'),
    blueGreenFails: uniqueName('native-bg-fail'),
  };
  let token: string;

  beforeAll(async () => {
    token = await leastPrivilegeToken(Object.values(namespaces));
    for (const namespace of Object.values(namespaces)) {
      await deployComponent(namespace, {
        kubernetesId: 'checkout',
        image: image(1),
        replicas: 3,
      });
      await admin().core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: 'checkout' },
          spec: {
            selector: { app: 'checkout' },
            ports: [{ port: 80, targetPort: 8080 as any }],
          },
        },
      });
      await runPods(namespace, APP);
    }
  });
  afterAll(async () => {
    for (const name of Object.values(namespaces)) {
      await admin()
        .core.deleteNamespace({ name })
        .catch(() => undefined);
    }
  });

  async function harness(
    namespace: string,
    strategy: 'canary' | 'blue-green',
    extra: object = {},
    changes?: LedgerChanges,
  ) {
    const h = await createHarness({
      knex: await databases.init('SQLITE_3'),
      environments: [
        {
          name: 'dev',
          cluster: 'test',
          namespace,
          strategy,
          rollbackThresholds: { maxRestarts: 2 },
          executor: {
            type: 'kubernetes',
            rolloutTimeout: '3m',
            verificationWindow: '1m',
            canary: { steps: [25, 50], stepDuration: '1m' },
          },
          ...extra,
        },
      ],
      token,
      changes,
    });
    for (const n of [1, 2]) await h.record(n);
    await h.released(1, 'dev');
    return h;
  }

  const deployment = (namespace: string, name: string) =>
    admin()
      .apps.readNamespacedDeployment({ name, namespace })
      .catch(() => undefined);
  const selector = async (namespace: string) =>
    (await admin().core.readNamespacedService({ name: 'checkout', namespace }))
      .spec!.selector;

  it('canary: a second Deployment of the new version beside the stable one, scaled step by step, then the stable one takes it', async () => {
    const ns = namespaces.canary;
    const h = await harness(ns, 'canary');
    const runner = h.execution('replica-a');
    const p = await h.promote(2, 'dev');
    const view = () => h.promotion(p.id);
    await h.drive(
      [runner],
      async () => (await view()).promotion.state === 'deploying',
    );

    // Step 1: one canary pod (25% of the pods) beside the three stable ones,
    // behind the same Service (its selector picks both).
    const canary = await deployment(ns, 'checkout-canary');
    expect(canary!.spec!.replicas).toBe(1);
    expect(canary!.spec!.selector.matchLabels).toEqual({
      app: 'checkout',
      [TRACK_LABEL]: 'canary',
    });
    expect(canary!.spec!.template.spec!.containers[0].image).toBe(image(2));
    expect(await imagesOf(ns, 'checkout')).toEqual({ app: image(1) });
    expect(await selector(ns)).toEqual({ app: 'checkout' });

    // Its pod becomes ready; the step holds for its duration, then step 2.
    await h.drive(
      [runner],
      async () =>
        (
          await deployment(ns, 'checkout-canary')
        )?.metadata?.annotations?.[STEP_ANNOTATION] === '1',
      { kubelet: () => runPods(ns, APP), stepMs: 20_000 },
    );
    expect((await deployment(ns, 'checkout-canary'))!.spec!.replicas).toBe(3);
    expect((await view()).deployment!.progress).toMatchObject({
      rollouts: [
        { name: 'checkout', strategy: 'canary', step: 2, steps: 3, weight: 50 },
      ],
    });

    // After the last step the stable Deployment takes the new version and
    // the canary goes; then verification, and the release.
    await h.drive(
      [runner],
      async () => (await view()).promotion.state === 'succeeded',
      { kubelet: () => runPods(ns, APP), stepMs: 20_000 },
    );
    expect(await imagesOf(ns, 'checkout')).toEqual({ app: image(2) });
    expect(await deployment(ns, 'checkout-canary')).toBeUndefined();
    expect((await view()).steps!.map(s => s.action)).toEqual([
      'acted',
      'rolled-out',
      'released',
    ]);
    expect((await view()).steps![0].message).toBe(
      `started the canary deployment/checkout-canary with ${image(
        2,
      )}: 1 pod(s) beside 3 (step 1 of 3, 25%)`,
    );
  });

  it('canary: a canary that never gets ready fails the promotion, and the canary is removed; two replicas tell of the failure once', async () => {
    const ns = namespaces.canaryFails;
    const told: string[] = [];
    const h = await harness(
      ns,
      'canary',
      {},
      {
        ...NO_CHANGES,
        promotionChanged: async (p, from) => {
          if (from !== p.state) told.push(`${from} → ${p.state}`);
        },
      },
    );
    const runners = [h.execution('replica-a'), h.execution('replica-b')];
    const p = await h.promote(2, 'dev');
    // No kubelet: the canary's pod stays pending past the rollout timeout.
    await h.drive(
      runners,
      async () => (await h.promotion(p.id)).deployment?.phase === 'finished',
      { stepMs: 30_000 },
    );
    const view = await h.promotion(p.id);
    expect(view.promotion.state).toBe('failed');
    expect(view.promotion.outcome).toMatch(
      /^the rollout did not finish within 3 min/,
    );
    expect(view.steps!.at(-1)!.message).toMatch(
      /^deleted deployment\/checkout-canary; put the previous release back/,
    );
    expect(await deployment(ns, 'checkout-canary')).toBeUndefined();
    expect(await imagesOf(ns, 'checkout')).toEqual({ app: image(1) });
    expect(told).toEqual([
      'undefined → approved',
      'approved → deploying',
      'deploying → failed',
    ]);
  });

  it('blue-green: a preview at full size, the Service switched to it once ready, and back to the stable Deployment once it runs the new version', async () => {
    const ns = namespaces.blueGreen;
    const h = await harness(ns, 'blue-green');
    const runner = h.execution('replica-a');
    const p = await h.promote(2, 'dev');
    const view = () => h.promotion(p.id);
    await h.drive(
      [runner],
      async () => (await view()).promotion.state === 'deploying',
    );
    const preview = await deployment(ns, 'checkout-preview');
    expect(preview!.spec!.replicas).toBe(3);
    // Not switched before the preview is ready.
    expect(await selector(ns)).toEqual({ app: 'checkout' });

    await h.drive(
      [runner],
      async () => (await view()).promotion.state === 'verifying',
      { kubelet: () => runPods(ns, APP) },
    );
    expect(await selector(ns)).toEqual({
      app: 'checkout',
      [TRACK_LABEL]: 'preview',
    });
    expect((await view()).steps!.at(-1)!.message).toMatch(
      /^switched service\/checkout to deployment\/checkout-preview; verifying for 1 min/,
    );
    expect(await imagesOf(ns, 'checkout')).toEqual({ app: image(1) });

    await h.drive(
      [runner],
      async () => (await view()).promotion.state === 'succeeded',
      { kubelet: () => runPods(ns, APP), stepMs: 20_000 },
    );
    expect(await imagesOf(ns, 'checkout')).toEqual({ app: image(2) });
    expect(await selector(ns)).toEqual({ app: 'checkout' });
    expect(await deployment(ns, 'checkout-preview')).toBeUndefined();
  });

  it('blue-green: a preview failing verification sends the Service back and removes the preview', async () => {
    const ns = namespaces.blueGreenFails;
    const h = await harness(ns, 'blue-green');
    const runner = h.execution('replica-a');
    const p = await h.promote(2, 'dev');
    const view = () => h.promotion(p.id);
    await h.drive(
      [runner],
      async () => (await view()).promotion.state === 'verifying',
      { kubelet: () => runPods(ns, APP) },
    );
    expect(await selector(ns)).toEqual({
      app: 'checkout',
      [TRACK_LABEL]: 'preview',
    });
    await h.drive(
      [runner],
      async () => (await view()).deployment?.phase === 'finished',
      { kubelet: () => runPods(ns, `${TRACK_LABEL}=preview`, { restarts: 4 }) },
    );
    const done = await view();
    expect(done.promotion.state).toBe('failed');
    expect(done.promotion.outcome).toMatch(
      /^verification failed: \d+ restarts exceed 2/,
    );
    expect(done.steps!.at(-1)!.message).toMatch(
      /^switched service\/checkout back to deployment\/checkout; deleted deployment\/checkout-preview; /,
    );
    expect(await selector(ns)).toEqual({ app: 'checkout' });
    expect(await deployment(ns, 'checkout-preview')).toBeUndefined();
    expect(await imagesOf(ns, 'checkout')).toEqual({ app: image(1) });
  });
});
