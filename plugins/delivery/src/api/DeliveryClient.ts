import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  DeliveryApiPaths,
  DeliveryHealth,
} from '@backstage-delivery/plugin-delivery-common';
import createClient from 'openapi-fetch';
import {
  Artifact,
  ArtifactDetail,
  ComponentSummary,
  DeliveryApi,
  DoraMetrics,
  Overview,
  PipelineMetrics,
  ReleaseComparison,
  Scorecard,
  ScorecardSummary,
  Page,
  Preview,
  Promotion,
  PromotionFilter,
} from './DeliveryApi';

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

  private async client() {
    const fetchApi = this.fetchApi;
    return createClient<DeliveryApiPaths>({
      baseUrl: await this.discoveryApi.getBaseUrl('delivery'),
      // Keeps entity refs (component:default/x) readable in query strings.
      querySerializer: { array: { style: 'form', explode: true } },
      // Backstage's fetch middlewares rebuild the request from its input; a
      // Request object with a body can be read only once, so pass them a URL
      // and an init instead.
      fetch: async (request: Request) => {
        const body =
          request.method === 'GET' || request.method === 'HEAD'
            ? undefined
            : await request.text();
        const response = await fetchApi.fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: body || undefined,
          signal: request.signal,
        });
        if (!response.ok) {
          throw await ResponseError.fromResponse(response);
        }
        return response;
      },
    });
  }

  async getHealth(): Promise<DeliveryHealth> {
    const { data } = await (await this.client()).GET('/health');
    return data!;
  }

  async getOverview(componentRef: string): Promise<Overview> {
    const { data } = await (
      await this.client()
    ).GET('/overview', {
      params: { query: { component: componentRef } },
    });
    return data!;
  }

  async listArtifacts(
    componentRef: string,
    page: { limit?: number; cursor?: string },
  ): Promise<Page<Artifact>> {
    const { data } = await (
      await this.client()
    ).GET('/artifacts', {
      params: { query: { component: componentRef, ...page } },
    });
    return data!;
  }

  async getArtifact(id: string): Promise<ArtifactDetail> {
    const { data } = await (
      await this.client()
    ).GET('/artifacts/{artifactId}', {
      params: { path: { artifactId: id } },
    });
    return data!;
  }

  async listPromotions(
    filter: PromotionFilter,
    page: { limit?: number; cursor?: string },
  ): Promise<Page<Promotion>> {
    const { data } = await (
      await this.client()
    ).GET('/promotions', {
      params: { query: { ...filter, ...page } },
    });
    return data!;
  }

  async listComponents(
    filter: { owner?: string; system?: string; waitingForMe?: boolean },
    page: { limit?: number; cursor?: string },
  ): Promise<Page<ComponentSummary>> {
    const { data } = await (
      await this.client()
    ).GET('/components', {
      params: { query: { ...filter, ...page } },
    });
    return data!;
  }

  async requestPromotion(input: {
    component: string;
    digest: string;
    environment: string;
    kind?: 'normal' | 'hotfix';
    reason?: string;
  }): Promise<Promotion> {
    const { data } = await (
      await this.client()
    ).POST('/promotions', {
      body: input,
    });
    return data!;
  }

  async approve(promotionId: string, comment?: string): Promise<Promotion> {
    const { data } = await (
      await this.client()
    ).POST('/promotions/{promotionId}/approve', {
      params: { path: { promotionId } },
      body: comment ? { comment } : {},
    });
    return data!;
  }

  async reject(promotionId: string, comment?: string): Promise<Promotion> {
    const { data } = await (
      await this.client()
    ).POST('/promotions/{promotionId}/reject', {
      params: { path: { promotionId } },
      body: comment ? { comment } : {},
    });
    return data!;
  }

  async abort(promotionId: string, reason?: string): Promise<Promotion> {
    const { data } = await (
      await this.client()
    ).POST('/promotions/{promotionId}/abort', {
      params: { path: { promotionId } },
      body: reason ? { reason } : {},
    });
    return data!;
  }

  async actOnRollout(
    promotionId: string,
    action: 'promote' | 'promote-full' | 'abort',
  ): Promise<Promotion> {
    const { data } = await (
      await this.client()
    ).POST('/promotions/{promotionId}/rollout', {
      params: { path: { promotionId } },
      body: { action },
    });
    return data!;
  }

  async rollback(input: {
    component: string;
    environment: string;
    reason: string;
  }): Promise<Promotion> {
    const { data } = await (
      await this.client()
    ).POST('/rollbacks', {
      body: input,
    });
    return data!;
  }

  async quarantine(artifactId: string, reason: string): Promise<Artifact> {
    const { data } = await (
      await this.client()
    ).POST('/artifacts/{artifactId}/quarantine', {
      params: { path: { artifactId } },
      body: { reason },
    });
    return data!;
  }

  async liftQuarantine(artifactId: string, reason: string): Promise<Artifact> {
    const { data } = await (
      await this.client()
    ).POST('/artifacts/{artifactId}/quarantine/lift', {
      params: { path: { artifactId } },
      body: { reason },
    });
    return data!;
  }

  async listPreviews(
    componentRef: string,
    options: { includeDeleted?: boolean; limit?: number; cursor?: string },
  ): Promise<Page<Preview>> {
    const { data } = await (
      await this.client()
    ).GET('/previews', {
      params: { query: { component: componentRef, ...options } },
    });
    return data!;
  }

  async extendPreview(
    previewId: string,
    ttl: string,
  ): Promise<{ preview: Preview; capped: boolean }> {
    const { data } = await (
      await this.client()
    ).POST('/previews/{previewId}/extend', {
      params: { path: { previewId } },
      body: { ttl },
    });
    return data!;
  }

  async destroyPreview(previewId: string): Promise<Preview> {
    const { data } = await (
      await this.client()
    ).DELETE('/previews/{previewId}', {
      params: { path: { previewId } },
    });
    return data!;
  }
  async listComparisons(
    filter: { component?: string; environment?: string; worse?: boolean },
    page: { limit?: number; cursor?: string },
  ): Promise<Page<ReleaseComparison>> {
    const { data } = await (
      await this.client()
    ).GET('/comparisons', {
      params: { query: { ...filter, ...page } },
    });
    return data!;
  }

  async getDoraMetrics(scope: {
    component?: string;
    owner?: string;
    system?: string;
    days?: number;
  }): Promise<DoraMetrics> {
    const { data } = await (
      await this.client()
    ).GET('/metrics/dora', {
      params: { query: scope },
    });
    return data!;
  }

  async getPipelineMetrics(scope: {
    component?: string;
    owner?: string;
    system?: string;
    days?: number;
  }): Promise<PipelineMetrics> {
    const { data } = await (
      await this.client()
    ).GET('/metrics/pipeline', {
      params: { query: scope },
    });
    return data!;
  }

  async getScorecard(componentRef: string): Promise<Scorecard> {
    const { data } = await (
      await this.client()
    ).GET('/scorecards', {
      params: { query: { component: componentRef } },
    });
    return data!;
  }

  async getScorecardSummary(scope: {
    owner?: string;
    system?: string;
  }): Promise<ScorecardSummary> {
    const { data } = await (
      await this.client()
    ).GET('/scorecards/summary', {
      params: { query: scope },
    });
    return data!;
  }
}

export type { PromotionFilter, ComponentSummary };
