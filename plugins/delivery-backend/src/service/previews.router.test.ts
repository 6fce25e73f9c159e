import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import deliveryPlugin from '..';
import { userInfoWithGroups } from './__testUtils__/userInfo';
import {
  admin,
  deployComponent,
  describeWithCluster,
  eventually,
  reportPodStatus,
  kubernetesConfig,
  uniqueName,
} from '../kubernetes/testing/testCluster';

jest.setTimeout(180_000);

const ci = mockCredentials.service.header();
const alice = mockCredentials.user.header('user:default/alice');
const RELEASED = `sha256:${'1'.repeat(64)}`;
const HAND_DEPLOYED = `sha256:${'2'.repeat(64)}`;

const entities = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'storefront',
      annotations: { 'backstage.io/kubernetes-id': 'storefront' },
    },
    spec: {
      type: 'website',
      owner: 'team-storefront',
      lifecycle: 'production',
    },
  },
];

function auditLog() {
  const events: Array<{
    eventId: string;
    meta: any;
    outcome?: string;
    error?: Error;
  }> = [];
  const auditor = mockServices.auditor.mock({
    createEvent: async (options: any) => {
      const event: (typeof events)[number] = {
        eventId: options.eventId,
        meta: options.meta,
      };
      events.push(event);
      return {
        success: async () => {
          event.outcome = 'success';
        },
        fail: async ({ error }: { error: Error }) => {
          event.outcome = 'fail';
          event.error = error;
        },
      };
    },
  });
  return { auditor, events };
}

/** Allows everything except managing previews for user:default/mallory. */
const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: () => ({
    async authorize(requests: any[], options: any) {
      const who = options.credentials.principal.userEntityRef;
      return requests.map(r => ({
        result:
          who === 'user:default/mallory' &&
          r.permission.name === 'delivery.preview.manage'
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      }));
    },
    async authorizeConditional() {
      throw new Error('not used');
    },
  }),
});

async function startBackend(config: object) {
  const { auditor, events } = auditLog();
  const { server } = await startTestBackend({
    features: [
      deliveryPlugin,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({ data: config }),
      auditor.factory,
      permissionsFactory,
      userInfoWithGroups(),
    ],
  });
  return { server, events };
}

describe('preview routes without a cluster', () => {
  it('answer 501 with what to configure', async () => {
    const { server } = await startBackend({ delivery: {} });
    const res = await request(server)
      .get('/api/delivery/previews?component=component:default/storefront')
      .set('authorization', alice);
    expect(res.status).toBe(501);
    expect(res.body.error.message).toBe(
      'Preview namespaces are not configured on this portal (delivery.previews); see the delivery-backend README',
    );
  });

  it('refuse to start when previews name a cluster that is not configured', async () => {
    await expect(
      startBackend({
        kubernetes: {
          clusterLocatorMethods: [{ type: 'config', clusters: [] }],
        },
        delivery: { previews: { cluster: 'nowhere' } },
      }),
    ).rejects.toThrow(
      "delivery.previews.cluster 'nowhere' is not a cluster of kubernetes.clusterLocatorMethods (configured: none)",
    );
  });
});

describeWithCluster(
  'preview routes and live state against a real cluster',
  () => {
    const namespace = uniqueName('storefront-dev');
    const prefix = `pvapi${Date.now().toString(36).slice(-4)}`;
    let server: any;
    let events: ReturnType<typeof auditLog>['events'];

    beforeAll(async () => {
      ({ server, events } = await startBackend({
        kubernetes: kubernetesConfig(),
        delivery: {
          ladders: {
            standard: {
              environments: [
                { name: 'dev', cluster: 'test', namespace },
                { name: 'production' },
              ],
            },
          },
          previews: {
            cluster: 'test',
            namespacePrefix: prefix,
            maxTtl: '2d',
            maxPerComponent: 2,
          },
        },
      }));
      await admin().core.createNamespace({
        body: { metadata: { name: namespace } },
      });
    });

    afterAll(async () => {
      const { core } = admin();
      const list = await core.listNamespace();
      await Promise.all(
        list.items
          .map(n => n.metadata!.name!)
          .filter(name => name === namespace || name.startsWith(prefix))
          .map(name => core.deleteNamespace({ name }).catch(() => undefined)),
      );
    });

    it('creates a preview for a pull request (201), and returns it again (200), audited', async () => {
      const body = {
        component: 'component:default/storefront',
        pullRequest: 12,
        ttl: '4h',
      };
      const created = await request(server)
        .post('/api/delivery/previews')
        .set('authorization', ci)
        .send(body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        component: 'component:default/storefront',
        cluster: 'test',
        pullRequest: 12,
        state: 'ready',
        requestedBy: 'external:test-service',
      });
      expect(created.body.namespace).toMatch(
        new RegExp(`^${prefix}-storefront-pr12-[0-9a-f]{6}$`),
      );
      expect(
        Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt),
      ).toBe(4 * 3_600_000);
      expect(
        (await admin().core.readNamespace({ name: created.body.namespace }))
          .metadata!.labels,
      ).toMatchObject({
        'app.kubernetes.io/managed-by': 'backstage-delivery',
      });

      const again = await request(server)
        .post('/api/delivery/previews')
        .set('authorization', ci)
        .send(body);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(created.body.id);

      expect(events.filter(e => e.eventId === 'preview-mutate')).toEqual([
        expect.objectContaining({
          meta: expect.objectContaining({
            actionType: 'create',
            component: 'component:default/storefront',
          }),
          outcome: 'success',
        }),
        expect.objectContaining({ outcome: 'success' }),
      ]);
    });

    it('lists, shows, extends (capped at the maximum) and destroys', async () => {
      const list = await request(server)
        .get('/api/delivery/previews?component=component:default/storefront')
        .set('authorization', alice);
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(1);
      const [preview] = list.body.items;

      const shown = await request(server)
        .get(`/api/delivery/previews/${preview.id}`)
        .set('authorization', alice);
      expect(shown.body).toEqual(preview);

      const extended = await request(server)
        .post(`/api/delivery/previews/${preview.id}/extend`)
        .set('authorization', alice)
        .send({ ttl: '8h' });
      expect(extended.status).toBe(200);
      expect(extended.body.capped).toBe(false);
      const capped = await request(server)
        .post(`/api/delivery/previews/${preview.id}/extend`)
        .set('authorization', alice)
        .send({ ttl: '30d' });
      expect(capped.body.capped).toBe(true);
      expect(Date.parse(capped.body.preview.expiresAt)).toBe(
        Date.parse(preview.createdAt) + 2 * 86_400_000,
      );

      const destroyed = await request(server)
        .delete(`/api/delivery/previews/${preview.id}`)
        .set('authorization', alice);
      expect(destroyed.status).toBe(202);
      expect(destroyed.body.state).toBe('deleting');

      const live = await request(server)
        .get(
          '/api/delivery/previews?component=component:default/storefront&includeDeleted=false',
        )
        .set('authorization', alice);
      expect(live.body.items.map((p: any) => p.state)).toEqual(['deleting']);
    });

    it('refuses what it should, with reasons a developer can act on', async () => {
      const post = (body: object, as = ci) =>
        request(server)
          .post('/api/delivery/previews')
          .set('authorization', as)
          .send(body);

      const mallory = await post(
        { component: 'component:default/storefront', pullRequest: 99 },
        mockCredentials.user.header('user:default/mallory'),
      );
      expect(mallory.status).toBe(403);
      expect(mallory.body.error.message).toBe(
        'Missing permission delivery.preview.manage for component:default/storefront',
      );
      expect(events.at(-1)).toMatchObject({
        eventId: 'preview-mutate',
        outcome: 'fail',
      });

      expect(
        (
          await post({
            component: 'component:default/storefront',
            pullRequest: 1,
            ttl: 'forever',
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await post({
            component: 'component:default/storefront',
            pullRequest: 1,
            color: 'red',
          })
        ).status,
      ).toBe(400);
      const both = await post({
        component: 'component:default/storefront',
        pullRequest: 1,
        branch: 'main',
      });
      expect(both.status).toBe(400);
      expect(both.body.error.message).toBe(
        'Give either pullRequest or branch (exactly one) for a preview',
      );
      const tooLong = await post({
        component: 'component:default/storefront',
        pullRequest: 1,
        ttl: '3d',
      });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.message).toBe(
        'ttl 3 d is longer than the maximum of 2 d (delivery.previews.maxTtl)',
      );

      // maxPerComponent is 2, and one preview is still deleting.
      expect(
        (
          await post({
            component: 'component:default/storefront',
            pullRequest: 2,
          })
        ).status,
      ).toBe(201);
      const full = await post({
        component: 'component:default/storefront',
        pullRequest: 3,
      });
      expect(full.status).toBe(429);
      expect(full.body.error.message).toMatch(
        /^component:default\/storefront already has 2 live previews, the most allowed \(delivery\.previews\.maxPerComponent\): /,
      );
      expect(
        (
          await request(server)
            .get('/api/delivery/previews/00000000-0000-4000-8000-000000000000')
            .set('authorization', alice)
        ).status,
      ).toBe(404);
    });

    it('shows what runs in each environment, and drift from the release', async () => {
      // The ledger releases RELEASED in dev…
      const artifact = await request(server)
        .post('/api/delivery/artifacts')
        .set('authorization', ci)
        .send({
          component: 'component:default/storefront',
          digest: RELEASED,
          imageRepository: 'ghcr.io/acme/storefront',
          tags: ['3.1.0'],
          commitSha: 'a'.repeat(40),
          commitTime: '2026-11-27T08:00:00.000Z',
          branch: 'main',
          buildId: '31',
          buildUrl: 'https://ci.example.com/31',
        });
      expect(artifact.status).toBe(201);
      const promotion = await request(server)
        .post('/api/delivery/promotions')
        .set('authorization', ci)
        .send({
          component: 'component:default/storefront',
          digest: RELEASED,
          environment: 'dev',
        });
      expect(promotion.status).toBe(201);
      for (const type of ['deploying', 'succeeded']) {
        const res = await request(server)
          .post(`/api/delivery/promotions/${promotion.body.id}/events`)
          .set('authorization', ci)
          .send({ type });
        expect(res.status).toBe(200);
      }
      // …but someone deployed something else by hand.
      const pods = await deployComponent(namespace, {
        kubernetesId: 'storefront',
        image: 'ghcr.io/acme/storefront:hotpatch',
        replicas: 2,
      });
      // Kubernetes keeps times to the second.
      const startedAt = new Date(
        Math.floor(Date.now() / 1000) * 1000 - 3_600_000,
      );
      await reportPodStatus(pods[0], {
        digest: HAND_DEPLOYED,
        restarts: 4,
        ready: true,
        startedAt,
      });
      await reportPodStatus(pods[1], {
        digest: HAND_DEPLOYED,
        restarts: 0,
        ready: false,
        startedAt,
      });

      const overview = await eventually(async () => {
        const res = await request(server)
          .get('/api/delivery/overview?component=component:default/storefront')
          .set('authorization', alice);
        const dev = res.body.environments[0];
        return dev.live?.runningDigests?.length ? res.body : undefined;
      }, 'the overview to show the pods (live state is cached for up to 5 s when unknown)');

      const [dev, production] = overview.environments;
      expect(dev.live).toMatchObject({
        state: 'known',
        cluster: 'test',
        namespace,
        runningDigests: [HAND_DEPLOYED],
        deployments: [
          {
            name: 'storefront',
            replicas: { desired: 2 },
            restarts: 4,
            images: [
              { container: 'app', image: 'ghcr.io/acme/storefront:hotpatch' },
            ],
          },
        ],
      });
      expect(dev.drift).toEqual({
        expected: RELEASED,
        running: [HAND_DEPLOYED],
        since: startedAt.toISOString(),
      });
      expect(production.live).toMatchObject({
        state: 'unknown',
        reason: 'the environment names no cluster',
      });
    });
  },
);
