import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import deliveryPlugin from '..';

jest.setTimeout(60_000);

const SECRET = 'component:default/secret-api';
const OPEN = 'component:default/payments-api';
const DIGEST = `sha256:${'5'.repeat(64)}`;
const ci = mockCredentials.service.header();
const bob = mockCredentials.user.header('user:default/bob');
const alice = mockCredentials.user.header('user:default/alice');

const component = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    annotations: { 'backstage.io/kubernetes-id': name },
  },
  spec: { type: 'service', owner: 'team', lifecycle: 'production' },
});

/** The catalog as its permission policy would answer: bob may not see secret-api. */
function catalogHidingSecretFromBob() {
  const inner = catalogServiceMock({
    entities: [component('payments-api'), component('secret-api')],
  });
  const hides = (options: any) =>
    options?.credentials?.principal?.userEntityRef === 'user:default/bob';
  const hidden = (e: Entity | undefined) =>
    e && e.metadata.name === 'secret-api' ? undefined : e;
  return {
    ...inner,
    async getEntityByRef(ref: any, options: any) {
      const e = await inner.getEntityByRef(ref, options);
      return hides(options) ? hidden(e) : e;
    },
    async getEntitiesByRefs(req: any, options: any) {
      const r = await inner.getEntitiesByRefs(req, options);
      return hides(options) ? { items: r.items.map(hidden) } : r;
    },
    async queryEntities(req: any, options: any) {
      const r = await inner.queryEntities(req, options);
      return hides(options)
        ? { ...r, items: r.items.filter(e => hidden(e)) }
        : r;
    },
  };
}

describe('reads through the caller’s view of the catalog', () => {
  let server: any;
  let artifactId: string;
  let promotionId: string;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        deliveryPlugin,
        createServiceFactory({
          service: catalogServiceRef,
          deps: {},
          factory: () => catalogHidingSecretFromBob() as any,
        }),
        mockServices.rootConfig.factory({
          data: {
            delivery: {
              ladders: { standard: { environments: [{ name: 'dev' }] } },
            },
          },
        }),
      ],
    }));
    // An older promotion of a visible component, then the hidden one.
    const open = await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send({
        component: OPEN,
        digest: DIGEST,
        imageRepository: 'ghcr.io/acme/payments-api',
        commitSha: 'c0ffee'.padEnd(40, '1'),
      });
    const openPromotion = await request(server)
      .post('/api/delivery/promotions')
      .set('authorization', ci)
      .send({ component: OPEN, digest: DIGEST, environment: 'dev' });
    if (open.status !== 201 || openPromotion.status !== 201) {
      throw new Error(`setup failed: ${open.text} ${openPromotion.text}`);
    }
    await new Promise(r => setTimeout(r, 5)); // strictly newer
    const recorded = await request(server)
      .post('/api/delivery/artifacts')
      .set('authorization', ci)
      .send({
        component: SECRET,
        digest: DIGEST,
        imageRepository: 'ghcr.io/acme/secret-api',
        tags: ['1.0.0'],
        commitSha: 'c0ffee'.padEnd(40, '0'),
      });
    const promoted = await request(server)
      .post('/api/delivery/promotions')
      .set('authorization', ci)
      .send({ component: SECRET, digest: DIGEST, environment: 'dev' });
    if (recorded.status !== 201 || promoted.status !== 201) {
      throw new Error(`setup failed: ${recorded.text} ${promoted.text}`);
    }
    artifactId = recorded.body.id;
    promotionId = promoted.body.id;
  });

  const get = (path: string, as: string) =>
    request(server).get(`/api/delivery${path}`).set('authorization', as);

  it('answers 404 for a component the caller cannot see, as for one that does not exist', async () => {
    for (const [path, message] of [
      [`/overview?component=${SECRET}`, `${SECRET} is not in the catalog`],
      [`/artifacts?component=${SECRET}`, `${SECRET} is not in the catalog`],
      [`/promotions?component=${SECRET}`, `${SECRET} is not in the catalog`],
      [`/previews?component=${SECRET}`, `${SECRET} is not in the catalog`],
      [`/artifacts/${artifactId}`, `No artifact with id ${artifactId}`],
      [`/promotions/${promotionId}`, `No promotion with id ${promotionId}`],
    ]) {
      const hidden = await get(path, bob);
      expect([path, hidden.status, hidden.body.error?.message]).toEqual([
        path,
        404,
        message,
      ]);
      // Alice sees it (previews answer 501 here: no preview cluster is configured).
      expect((await get(path, alice)).status).not.toBe(404);
    }
    const missing = await get(
      '/overview?component=component:default/nowhere',
      bob,
    );
    expect(missing.status).toBe(404);
  });

  it('leaves hidden components out of lists and metrics', async () => {
    const promotions = await get('/promotions', bob);
    expect(promotions.status).toBe(200);
    expect(promotions.body.items.map((p: any) => p.component)).toEqual([OPEN]);
    expect(
      (await get('/promotions', alice)).body.items.map((p: any) => p.component),
    ).toEqual([SECRET, OPEN]);
    // Filtered in the query: a page is full although the newest is hidden.
    const page = await get('/promotions?limit=1', bob);
    expect(page.body.items.map((p: any) => p.component)).toEqual([OPEN]);
    expect(page.body.nextCursor).toBeUndefined();

    const components = await get('/components', bob);
    expect(components.body.items.map((c: any) => c.name)).toEqual([
      'payments-api',
    ]);
    const dora = await get(`/metrics/dora?component=${SECRET}`, bob);
    expect(dora.status).toBe(404);
    expect(
      (await get(`/metrics/pipeline?component=${SECRET}`, bob)).status,
    ).toBe(404);
    expect((await get(`/metrics/dora?component=${SECRET}`, alice)).status).toBe(
      200,
    );
    expect((await get(`/overview?component=${OPEN}`, bob)).status).toBe(200);
  });

  it('shows release markers and release comparisons only of components the caller can see', async () => {
    const list = await get('/promotions', alice);
    for (const p of list.body.items) {
      for (const type of ['deploying', 'succeeded']) {
        const reported = await request(server)
          .post(`/api/delivery/promotions/${p.id}/events`)
          .set('authorization', ci)
          .send({ type });
        expect([type, reported.status]).toEqual([type, 200]);
      }
    }
    const scraped = await get('/release-markers', ci);
    expect(scraped.status).toBe(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain/);
    expect(scraped.text).toContain(
      `delivery_release_info{component="${SECRET}",environment="dev",digest="${DIGEST}",version="1.0.0"} 1`,
    );
    expect(scraped.text).toContain(
      `delivery_release_info{component="${OPEN}",environment="dev",digest="${DIGEST}",version="${DIGEST.slice(
        0,
        19,
      )}"} 1`,
    );
    expect(scraped.text).toMatch(
      /delivery_release_timestamp_seconds\{component="component:default\/secret-api",environment="dev",digest="sha256:5+",version="1.0.0"\} \d+\.?\d*/,
    );
    const asBob = await get('/release-markers', bob);
    expect(asBob.text).not.toContain(SECRET);
    expect(asBob.text).toContain(OPEN);

    expect((await get(`/comparisons?component=${SECRET}`, bob)).status).toBe(
      404,
    );
    const comparisons = await get('/comparisons?worse=true', bob);
    expect(comparisons.status).toBe(200);
    expect(comparisons.body).toEqual({ items: [] });
  });
});
