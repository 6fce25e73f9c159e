import { FetchApi } from '@backstage/core-plugin-api';
import { mockApis } from '@backstage/frontend-test-utils';
import { DeliveryClient } from './DeliveryClient';

function clientAnswering(response: () => Response) {
  const requests: Request[] = [];
  const fetchApi: FetchApi = {
    fetch: async (input: any, init?: any) => {
      requests.push(new Request(input, init));
      return response();
    },
  };
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://backstage:7007' });
  return { client: new DeliveryClient({ discoveryApi, fetchApi }), requests };
}

describe('DeliveryClient', () => {
  it('sends bodies through fetch middlewares that rebuild the request', async () => {
    const seen: Array<{
      url: string;
      method: string;
      body: string;
      auth: string | null;
    }> = [];
    // Like Backstage's FetchApi in a browser: its middlewares each build a new
    // Request from the same input, and a browser refuses to build one from a
    // Request whose body was already used (the jsdom polyfill does not).
    const used = new WeakSet<object>();
    const rebuild = (input: any, init?: any) => {
      if (input instanceof Request && input.body !== null) {
        if (used.has(input)) {
          throw new TypeError(
            "Failed to construct 'Request': Cannot construct a Request with a Request object that has already been used.",
          );
        }
        used.add(input);
      }
      return new Request(input, init);
    };
    const fetchApi: FetchApi = {
      fetch: async (input: any, init?: any) => {
        rebuild(input, init);
        const first = rebuild(input, init);
        const second = new Request(first, {
          headers: { authorization: 'Bearer user-token' },
        });
        seen.push({
          url: second.url,
          method: second.method,
          body: await second.text(),
          auth: second.headers.get('authorization'),
        });
        return new Response(JSON.stringify({ id: 'p1', state: 'approved' }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      },
    };
    const client = new DeliveryClient({
      discoveryApi: mockApis.discovery({ baseUrl: 'http://backstage:7007' }),
      fetchApi,
    });

    await expect(client.approve('p1', 'LGTM')).resolves.toMatchObject({
      state: 'approved',
    });
    await client.rollback({
      component: 'component:default/x',
      environment: 'production',
      reason: 'spike',
    });
    expect(seen).toEqual([
      {
        url: 'http://backstage:7007/api/delivery/promotions/p1/approve',
        method: 'POST',
        body: '{"comment":"LGTM"}',
        auth: 'Bearer user-token',
      },
      {
        url: 'http://backstage:7007/api/delivery/rollbacks',
        method: 'POST',
        body: '{"component":"component:default/x","environment":"production","reason":"spike"}',
        auth: 'Bearer user-token',
      },
    ]);
  });

  it('keeps entity refs readable in query strings', async () => {
    const { client, requests } = clientAnswering(
      () =>
        new Response(JSON.stringify({ items: [] }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
    );
    await client.listPromotions(
      {
        component: 'component:default/payments-api',
        state: ['refused', 'failed'],
      },
      { limit: 5 },
    );
    expect(requests[0].url).toBe(
      'http://backstage:7007/api/delivery/promotions?component=component%3Adefault%2Fpayments-api&state=refused&state=failed&limit=5',
    );
  });

  it('lists, extends and destroys previews', async () => {
    const { client, requests } = clientAnswering(
      () =>
        new Response(JSON.stringify({ items: [] }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
    );
    await client.listPreviews('component:default/checkout-web', {
      includeDeleted: true,
      limit: 10,
    });
    await client.extendPreview('pv-1', '4h');
    await client.destroyPreview('pv-1');
    expect(
      await Promise.all(
        requests.map(async r => [r.method, r.url, await r.text()]),
      ),
    ).toEqual([
      [
        'GET',
        'http://backstage:7007/api/delivery/previews?component=component%3Adefault%2Fcheckout-web&includeDeleted=true&limit=10',
        '',
      ],
      [
        'POST',
        'http://backstage:7007/api/delivery/previews/pv-1/extend',
        '{"ttl":"4h"}',
      ],
      ['DELETE', 'http://backstage:7007/api/delivery/previews/pv-1', ''],
    ]);
  });

  it('reads the health of the delivery backend it discovers', async () => {
    const { client, requests } = clientAnswering(
      () =>
        new Response(
          JSON.stringify({
            status: 'ok',
            database: { client: 'pg', latencyMs: 2 },
          }),
          { status: 200, headers: { 'content-type': 'application/json' } },
        ),
    );

    await expect(client.getHealth()).resolves.toEqual({
      status: 'ok',
      database: { client: 'pg', latencyMs: 2 },
    });
    expect(requests.map(r => r.url)).toEqual([
      'http://backstage:7007/api/delivery/health',
    ]);
  });

  it("throws the backend's error message when the request fails", async () => {
    const { client } = clientAnswering(
      () =>
        new Response(
          JSON.stringify({
            error: { name: 'NotAllowedError', message: 'not for you' },
            request: { method: 'GET', url: '/api/delivery/health' },
            response: { statusCode: 403 },
          }),
          { status: 403, headers: { 'content-type': 'application/json' } },
        ),
    );

    await expect(client.getHealth()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
      body: { error: { name: 'NotAllowedError', message: 'not for you' } },
    });
  });
});
