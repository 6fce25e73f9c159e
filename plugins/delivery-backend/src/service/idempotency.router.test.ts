import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import deliveryPlugin from '..';

jest.setTimeout(120_000);

const COMPONENT = 'component:default/payments-api';
const ci = mockCredentials.service.header();

// The middleware does not depend on the engine (the store's tests run on
// all three): SQLite, counting rows in the ledger itself.
describe('Idempotency-Key on mutating routes', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let server: any;
  let knex: any;
  let artifactId: string;

  beforeAll(async () => {
    knex = await databases.init('SQLITE_3');
    ({ server } = await startTestBackend({
      features: [
        deliveryPlugin,
        mockServices.database.factory({ knex }),
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
            delivery: {
              ladders: {
                standard: {
                  environments: [{ name: 'dev' }, { name: 'production' }],
                },
              },
            },
          },
        }),
      ],
    }));
    const res = await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send({
        component: COMPONENT,
        digest: `sha256:${'1'.repeat(64)}`,
        imageRepository: 'ghcr.io/acme/payments-api',
        commitSha: 'c0ffee'.padEnd(40, '0'),
      });
    if (res.status !== 201) throw new Error(`record: ${res.status}`);
    artifactId = res.body.id;
  });

  const evidence = (key?: string, result = 'passed') => {
    const req = request(server)
      .post(`/api/delivery/artifacts/${artifactId}/evidence`)
      .set('authorization', ci);
    if (key) req.set('idempotency-key', key);
    return req.send({ kind: 'unit-test', result });
  };
  const count = async () =>
    Number(
      (
        await knex('delivery_evidence')
          .where({ artifact_id: artifactId })
          .count({ n: '*' })
      )[0].n,
    );

  it('answers a retried request with its first answer and records it once', async () => {
    const before = await count();
    const first = await evidence('retry-1');
    expect(first.status).toBe(201);
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    const retry = await evidence('retry-1');
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotency-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await count()).toBe(before + 1);
  });

  it('records retries without a key twice, as before', async () => {
    const before = await count();
    await evidence();
    await evidence();
    expect(await count()).toBe(before + 2);
  });

  it('runs concurrent requests with one key once', async () => {
    const before = await count();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => evidence('concurrent-1')),
    );
    expect(answers.filter(a => a.status === 201)).not.toHaveLength(0);
    expect(answers.every(a => [201, 409].includes(a.status))).toBe(true);
    expect(await count()).toBe(before + 1);
  });

  it('refuses a key reused for another request, and a malformed key', async () => {
    await evidence('reused-1', 'passed');
    const other = await evidence('reused-1', 'failed');
    expect(other.status).toBe(422);
    expect(other.body.error.message).toMatch(/used for another request/);
    const bad = await evidence('has spaces');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/Idempotency-Key must be/);
  });

  it('scopes keys to the caller', async () => {
    const before = await count();
    await evidence('shared-key');
    const other = await request(server)
      .post(`/api/delivery/artifacts/${artifactId}/evidence`)
      .set(
        'authorization',
        mockCredentials.service.header({
          onBehalfOf: mockCredentials.service('plugin:other'),
          targetPluginId: 'delivery',
        }),
      )
      .set('idempotency-key', 'shared-key')
      .send({ kind: 'unit-test', result: 'passed' });
    expect(other.status).toBe(201);
    expect(other.headers['idempotency-replayed']).toBeUndefined();
    expect(await count()).toBe(before + 2);
  });
});
