/*
 * The delivery API through Backstage's real auth and permission stack: a
 * static external-access token for CI, narrowed by accessRestrictions, the
 * permission backend with the allow-all policy. Restrictions only bite where
 * the route calls permissions.authorize, so this checks that mutating routes
 * do, for service callers too.
 */
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import permissionPlugin from '@backstage/plugin-permission-backend';
import allowAllPolicyModule from '@backstage/plugin-permission-backend-module-allow-all-policy';
import deliveryPlugin from '..';

jest.setTimeout(60_000);

const CI_TOKEN = 'ci-token-for-tests-0123456789';
const PLATFORM_TOKEN = 'platform-token-for-tests-0123456789';
const COMPONENT = 'component:default/payments-api';
const DIGEST = `sha256:${'1'.repeat(64)}`;

describe('delivery API with a static CI token', () => {
  let server: any;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        deliveryPlugin,
        permissionPlugin,
        allowAllPolicyModule,
        authServiceFactory,
        httpAuthServiceFactory,
        permissionsServiceFactory,
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'payments-api' },
              spec: {
                type: 'service',
                owner: 'team-payments',
                lifecycle: 'production',
              },
            },
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            backend: {
              auth: {
                externalAccess: [
                  {
                    type: 'static',
                    options: { token: CI_TOKEN, subject: 'ci-pipeline' },
                    accessRestrictions: [
                      {
                        plugin: 'delivery',
                        permission: [
                          'delivery.ledger.read',
                          'delivery.artifact.record',
                          'delivery.promotion.request',
                          'delivery.environment.deploy',
                        ],
                      },
                    ],
                  },
                  {
                    type: 'static',
                    options: {
                      token: PLATFORM_TOKEN,
                      subject: 'platform-automation',
                    },
                  },
                ],
              },
            },
          },
        }),
      ],
    }));
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('refuses requests without a token', async () => {
    const res = await request(server).post('/api/delivery/artifacts').send({});
    expect(res.status).toBe(401);
  });

  it('lets CI record, request and read', async () => {
    const recorded = await request(server)
      .post('/api/delivery/artifacts')
      .set(as(CI_TOKEN))
      .send({
        component: COMPONENT,
        digest: DIGEST,
        imageRepository: 'ghcr.io/acme/payments-api',
        commitSha: 'abcdef1',
      });
    expect(recorded.status).toBe(201);
    expect(recorded.body.createdBy).toBe('ci-pipeline');

    const requested = await request(server)
      .post('/api/delivery/promotions')
      .set(as(CI_TOKEN))
      .send({ component: COMPONENT, digest: DIGEST, environment: 'dev' });
    expect(requested.status).toBe(201);
    expect(requested.body.requestedBy).toBe('ci-pipeline');

    const read = await request(server)
      .get(`/api/delivery/overview?component=${COMPONENT}`)
      .set(as(CI_TOKEN));
    expect(read.status).toBe(200);
  });

  it('never lets a CI token approve', async () => {
    const { body } = await request(server)
      .get(`/api/delivery/promotions?component=${COMPONENT}`)
      .set(as(CI_TOKEN));
    const res = await request(server)
      .post(`/api/delivery/promotions/${body.items[0].id}/approve`)
      .set(as(CI_TOKEN))
      .send({});
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      "This endpoint does not allow 'service' credentials",
    );
  });

  it('holds CI to its access restrictions even under an allow-all policy', async () => {
    const rollback = {
      component: COMPONENT,
      environment: 'dev',
      reason: 'test',
    };
    const restricted = await request(server)
      .post('/api/delivery/rollbacks')
      .set(as(CI_TOKEN))
      .send(rollback);
    expect(restricted.status).toBe(403);
    expect(restricted.body.error.message).toBe(
      `Missing permission delivery.promotion.rollback for ${COMPONENT}`,
    );

    // An unrestricted token passes authorization and reaches the domain.
    const unrestricted = await request(server)
      .post('/api/delivery/rollbacks')
      .set(as(PLATFORM_TOKEN))
      .send(rollback);
    expect(unrestricted.status).toBe(409);
    expect(unrestricted.body.error.message).toContain(
      'Nothing is released in dev',
    );
  });
});
