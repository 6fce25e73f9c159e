import { CacheManager } from '@backstage/backend-defaults/cache';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { V1Pod } from '@kubernetes/client-node';
import { readDeliveryConfig } from '../config/readDeliveryConfig';
import { applyDatabaseMigrations } from '../database/migrations';
import { createLedgerServices } from '../service/createServices';
import { KubernetesGateway } from './KubernetesGateway';
import { LiveStateReader } from './liveState';
import {
  admin,
  clusterConfig,
  deployComponent,
  describeWithCluster,
  reportPodStatus,
  uniqueName,
} from './testing/testCluster';
import {
  VERIFICATION_REPORTER,
  VerificationReconciler,
} from './VerificationReconciler';

jest.setTimeout(120_000);

const NEW = `sha256:${'c'.repeat(64)}`;
const OLD = `sha256:${'d'.repeat(64)}`;
const CI = { type: 'service' as const, ref: 'service:ci', ownershipRefs: [] };
const MINUTE = 60_000;

describeWithCluster('verification against the cluster', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const namespace = uniqueName('verify');
  let services: ReturnType<typeof createLedgerServices>;
  let reconciler: VerificationReconciler;
  let pods: V1Pod[];
  let now: number;

  const entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'checkout',
      annotations: { 'backstage.io/kubernetes-id': 'checkout' },
    },
    spec: {
      type: 'service',
      owner: 'group:default/payments',
      lifecycle: 'production',
    },
  };

  async function verifyingPromotion(digest: string, build: number) {
    await services.artifacts.recordArtifact(
      {
        componentRef: 'checkout',
        digest,
        imageRepository: 'ghcr.io/acme/checkout',
        tags: [`1.0.${build}`],
        commitSha: `${build}`.padEnd(40, '0'),
        commitTime: now - 10 * MINUTE,
        branch: 'main',
        buildId: `${build}`,
        buildUrl: `https://ci.example.com/${build}`,
        sizeBytes: 1000,
        baseImage: 'gcr.io/distroless/nodejs22',
      },
      CI,
    );
    const { view } = await services.promotions.requestPromotion(
      { componentRef: 'checkout', digest, environment: 'dev', kind: 'normal' },
      CI,
    );
    await services.rollouts.reportRolloutEvent(
      view.promotion.id,
      { type: 'deploying' },
      CI,
    );
    await services.rollouts.reportRolloutEvent(
      view.promotion.id,
      { type: 'verifying' },
      CI,
    );
    return view.promotion.id;
  }

  function pod(
    index: number,
    status: {
      digest: string;
      restarts: number;
      ready: boolean;
      startedAgoMs: number;
    },
  ) {
    return reportPodStatus(pods[index], {
      ...status,
      startedAt: new Date(now - status.startedAgoMs),
    });
  }

  const audits: any[] = [];
  const auditor = mockServices.auditor.mock({
    createEvent: async (options: any) => {
      const event = { ...options, outcome: undefined as string | undefined };
      audits.push(event);
      return {
        success: async () => {
          event.outcome = 'success';
        },
        fail: async () => {
          event.outcome = 'fail';
        },
      };
    },
  });

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    now = Date.now();
    const config = readDeliveryConfig(
      new ConfigReader({
        delivery: {
          kubernetes: { readinessGracePeriod: '1m' },
          ladders: {
            standard: {
              environments: [
                {
                  name: 'dev',
                  cluster: 'test',
                  namespace,
                  rollbackThresholds: {
                    maxRestarts: 2,
                    maxReadinessFailures: 0,
                  },
                },
                { name: 'elsewhere', cluster: 'not-configured', namespace },
              ],
            },
          },
        },
      }),
    );
    const catalog = { getEntity: async () => entity };
    const live = new LiveStateReader({
      gateway: new KubernetesGateway({
        clusters: new Map([['test', clusterConfig('test')]]),
        timeoutMs: 3000,
      }),
      cache: CacheManager.fromConfig(
        new ConfigReader({ backend: { cache: { store: 'memory' } } }),
      ).forPlugin('delivery'),
      cacheTtlMs: 60_000,
      logger: mockServices.logger.mock(),
    });
    services = createLedgerServices({
      knex,
      config,
      catalog,
      live,
      clock: () => now,
    });
    reconciler = new VerificationReconciler({
      ledger: services.rollouts,
      live,
      config,
      catalog,
      logger: mockServices.logger.mock(),
      auditor,
      clock: () => now,
    });

    await admin().core.createNamespace({
      body: { metadata: { name: namespace } },
    });
    pods = await deployComponent(namespace, {
      kubernetesId: 'checkout',
      image: 'ghcr.io/acme/checkout:1.0',
      replicas: 3,
    });
  });

  afterAll(async () => {
    await admin()
      .core.deleteNamespace({ name: namespace })
      .catch(() => undefined);
  });

  it('lets a healthy rollout verify, gives new pods time to get ready, and ignores pods of the old release', async () => {
    const id = await verifyingPromotion(NEW, 1);
    await pod(0, {
      digest: NEW,
      restarts: 1,
      ready: true,
      startedAgoMs: 5 * MINUTE,
    });
    await pod(1, {
      digest: NEW,
      restarts: 0,
      ready: false,
      startedAgoMs: 20_000,
    });
    // The old release's pod restarts a lot, but that is not this promotion's doing.
    await pod(2, {
      digest: OLD,
      restarts: 9,
      ready: false,
      startedAgoMs: 60 * MINUTE,
    });

    const result = await reconciler.run();
    expect(result).toEqual({ checked: 1, failed: [], unknown: [] });
    expect((await services.promotions.getPromotion(id)).promotion.state).toBe(
      'verifying',
    );
  });

  it('fails the promotion when its pods breach the thresholds, with the reason and the metrics', async () => {
    const [{ id }] = (
      await services.ledger.promotions.listPromotions(
        { states: ['verifying'] },
        { limit: 1 },
      )
    ).items;
    // The new pod is still not ready after the grace period, and the other restarted twice more.
    now += 2 * MINUTE;
    await pod(0, {
      digest: NEW,
      restarts: 3,
      ready: true,
      startedAgoMs: 7 * MINUTE,
    });

    const result = await reconciler.run();
    expect(result).toEqual({ checked: 1, failed: [id], unknown: [] });
    // Audited as a failed change, as the reconciler, like a reported failure.
    expect(audits).toEqual([
      expect.objectContaining({
        eventId: 'promotion-mutate',
        meta: expect.objectContaining({
          actionType: 'verification-failed',
          promotionId: id,
          breaches: ['3 restarts exceed 2', '1 readiness failures exceed 0'],
        }),
        outcome: 'fail',
      }),
    ]);
    const view = await services.promotions.getPromotion(id);
    expect(view.promotion).toMatchObject({
      state: 'failed',
      outcome:
        'verification failed: 3 restarts exceed 2 and 1 readiness failures exceed 0 (observed in the cluster)',
    });
    expect(view.events!.at(-1)).toMatchObject({
      type: 'failed',
      metrics: { restarts: 3, readinessFailures: 1 },
      reportedBy: VERIFICATION_REPORTER,
    });
    // Nothing more to do on the next run.
    expect(await reconciler.run()).toEqual({
      checked: 0,
      failed: [],
      unknown: [],
    });
  });

  it('leaves a promotion verifying, and says why, when its cluster cannot be read', async () => {
    const id = await verifyingPromotion(OLD, 2);
    await services.rollouts.reportRolloutEvent(id, { type: 'succeeded' }, CI);
    // OLD is released in dev, so it may go on to the environment whose cluster is not configured.
    const { view } = await services.promotions.requestPromotion(
      {
        componentRef: 'checkout',
        digest: OLD,
        environment: 'elsewhere',
        kind: 'normal',
      },
      CI,
    );
    await services.rollouts.reportRolloutEvent(
      view.promotion.id,
      { type: 'deploying' },
      CI,
    );
    await services.rollouts.reportRolloutEvent(
      view.promotion.id,
      { type: 'verifying' },
      CI,
    );

    const result = await reconciler.run();
    expect(result.failed).toEqual([]);
    expect(result.unknown).toEqual([
      `${view.promotion.id}: not-configured: cluster 'not-configured' is not configured in kubernetes.clusterLocatorMethods`,
    ]);
    expect(
      (await services.promotions.getPromotion(view.promotion.id)).promotion
        .state,
    ).toBe('verifying');
  });
});
