import { FetchApi } from '@backstage/core-plugin-api';
import { mockApis } from '@backstage/frontend-test-utils';
import { DeliveryClient } from './DeliveryClient';

function clientAnswering(response: () => Response) {
  const requests: Request[] = [];
  const fetchApi: FetchApi = {
    fetch: async (input: any) => {
      requests.push(input as Request);
      return response();
    },
  };
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://backstage:7007' });
  return { client: new DeliveryClient({ discoveryApi, fetchApi }), requests };
}

describe('DeliveryClient', () => {
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
