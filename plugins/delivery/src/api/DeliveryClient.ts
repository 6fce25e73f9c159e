import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  DeliveryApiPaths,
  DeliveryHealth,
} from '@backstage-delivery/plugin-delivery-common';
import createClient from 'openapi-fetch';
import { DeliveryApi } from './DeliveryApi';

/**
 * {@link DeliveryApi} over `fetchApi` (which adds the user's token) and
 * `discoveryApi`, typed by the backend's OpenAPI contract. Any answer that is
 * not a success is thrown as a `ResponseError` carrying the backend's message.
 *
 * @public
 */
export class DeliveryClient implements DeliveryApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getHealth(): Promise<DeliveryHealth> {
    const { data } = await (await this.client()).GET('/health');
    return data!;
  }

  private async client() {
    const fetchApi = this.fetchApi;
    return createClient<DeliveryApiPaths>({
      baseUrl: await this.discoveryApi.getBaseUrl('delivery'),
      fetch: async (request: Request) => {
        const response = await fetchApi.fetch(request);
        if (!response.ok) {
          throw await ResponseError.fromResponse(response);
        }
        return response;
      },
    });
  }
}
