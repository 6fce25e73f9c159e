/*
 * The drift watch against the real test cluster (the test plays the
 * kubelet): drift is told to the owner once it has lasted driftAfter, once
 * per drift, by one of two replicas, and forgotten when the release runs
 * again. One engine: the database does not change what is seen.
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DriftStore } from '../../database/DriftStore';
import { NotificationIntent } from '../../domain/notifications';
import {
  admin,
  deployComponent,
  describeWithCluster,
  eventually,
  runPods,
  uniqueName,
} from '../../kubernetes/testing/testCluster';
import {
  createHarness,
  digest,
  leastPrivilegeToken,
  REPOSITORY,
} from '../executions/__testUtils__/harness';
import { DriftWatch } from './DriftWatch';

jest.setTimeout(120_000);

const MIN = 60_000;
const APP = 'app=checkout';
const image = (n: number) => `${REPOSITORY}@${digest(n)}`;

describeWithCluster('the drift watch', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const dev = uniqueName('drift-dev');
  let token: string;

  beforeAll(async () => {
    token = await leastPrivilegeToken([dev]);
    // Someone ran build 2 by hand; the release is build 1.
    await deployComponent(dev, {
      kubernetesId: 'checkout',
      image: image(2),
      replicas: 1,
    });
  });
  afterAll(async () => {
    await admin()
      .core.deleteNamespace({ name: dev })
      .catch(() => undefined);
  });

  it('tells the owner once the drift has lasted, once, and forgets it when the release runs again', async () => {
    const h = await createHarness({
      knex: await databases.init('SQLITE_3'),
      environments: [
        { name: 'dev', title: 'Development', cluster: 'test', namespace: dev },
      ],
      token,
    });
    for (const n of [1, 2]) await h.record(n);
    await h.released(1, 'dev');
    const started = Date.now();
    await runPods(dev, APP, { startedAt: new Date(started) });
    const sent: NotificationIntent[] = [];
    const watch = () =>
      new DriftWatch({
        ledger: h.services.ledger,
        store: new DriftStore(h.knex),
        config: h.config,
        catalog: h.catalog,
        live: h.live,
        notifier: { send: async intents => void sent.push(...intents) },
        logger: mockServices.logger.mock(),
        clock: () => h.clock.now,
      });
    const [replicaA, replicaB] = [watch(), watch()];
    const both = async () =>
      (await Promise.all([replicaA.run(), replicaB.run()])).flat();

    // Five minutes of drift: not yet (driftAfter defaults to 15 min).
    h.clock.now = started + 5 * MIN;
    expect(await both()).toEqual([]);
    // Sixteen minutes: told, once, by one of the two replicas.
    h.clock.now = started + 16 * MIN;
    expect(await both()).toEqual(['component:default/checkout/dev']);
    expect(sent).toEqual([
      expect.objectContaining({
        kind: 'drift',
        to: ['group:default/team-payments'],
        title: 'Drift: checkout in Development is not running its release',
        description: expect.stringContaining(
          `Development runs ${digest(2).slice(
            0,
            19,
          )}… instead of the release ${digest(1).slice(0, 19)}…`,
        ),
      }),
    ]);
    h.clock.now = started + 30 * MIN;
    expect(await both()).toEqual([]);

    // The release runs again: the drift is forgotten.
    await admin().apps.patchNamespacedDeployment({
      name: 'checkout',
      namespace: dev,
      body: [
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: image(1),
        },
      ],
    });
    await eventually(async () => {
      const pods = await runPods(dev, APP);
      return pods.length === 1 &&
        pods.every(p => p.spec!.containers[0].image === image(1))
        ? true
        : undefined;
    }, 'the release to run again');
    await eventually(async () => {
      await both();
      const rows = await h.knex('delivery_drift').select();
      return rows.length === 0 ? true : undefined;
    }, 'the drift to be forgotten');
    expect(sent).toHaveLength(1);
  });
});
