import type { PrometheusSettings } from '../config/types';
import { Series } from '../domain/analysis';

/** The port the analysis and the comparisons read metrics through. */
export interface MetricsProvider {
  /** The query's single value at `at` (epoch ms; now when not given). */
  instant(query: string, at?: number): Promise<number>;
  /** The query's single series over [start, end] every `stepMs`. */
  range(
    query: string,
    start: number,
    end: number,
    stepMs: number,
  ): Promise<Series>;
}

/** Why a query has no usable answer (unreachable, slow, refused, no data). */
export class MetricsUnavailableError extends Error {
  readonly name = 'MetricsUnavailableError';
}

type ApiAnswer =
  | { status: 'success'; data: { resultType: string; result: unknown } }
  | { status: 'error'; errorType: string; error: string };

type Sample = [number, string];

/**
 * Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`), with a
 * bounded time per query. A query must come down to one series (aggregate
 * it, e.g. `sum(...)`); no series is "no data". Every failure is a
 * `MetricsUnavailableError` that says why.
 */
export class PrometheusClient implements MetricsProvider {
  constructor(private readonly settings: PrometheusSettings) {}

  private async call(
    path: string,
    params: Record<string, string>,
  ): Promise<{ resultType: string; result: unknown }> {
    const url = new URL(
      `${this.settings.baseUrl.replace(/\/$/, '')}/api/v1/${path}`,
    );
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(this.settings.token
            ? { authorization: `Bearer ${this.settings.token}` }
            : {}),
        },
        body: new URLSearchParams(params),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (error) {
      const e = error as Error;
      throw new MetricsUnavailableError(
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? `Prometheus at ${this.settings.baseUrl} did not answer within ${this.settings.timeoutMs} ms`
          : `Prometheus at ${this.settings.baseUrl} cannot be reached: ${
              (e.cause as Error | undefined)?.message ?? e.message
            }`,
      );
    }
    let body: ApiAnswer | undefined;
    try {
      body = (await response.json()) as ApiAnswer;
    } catch {
      body = undefined;
    }
    if (!body || body.status !== 'success') {
      throw new MetricsUnavailableError(
        `Prometheus at ${this.settings.baseUrl} answered ${response.status}${
          body && body.status === 'error' ? `: ${body.error}` : ''
        }`,
      );
    }
    return body.data;
  }

  private static one<T>(result: T[], query: string): T {
    if (result.length === 0) {
      throw new MetricsUnavailableError(`no data for ${query}`);
    }
    if (result.length > 1) {
      throw new MetricsUnavailableError(
        `${query} returned ${result.length} series; aggregate it to one, e.g. with sum(...)`,
      );
    }
    return result[0];
  }

  private static number(sample: Sample, query: string): number {
    const value = Number(sample[1]);
    if (!Number.isFinite(value)) {
      throw new MetricsUnavailableError(
        `${query} is ${sample[1]} (no traffic to measure?)`,
      );
    }
    return value;
  }

  async instant(query: string, at?: number): Promise<number> {
    const data = await this.call('query', {
      query,
      ...(at !== undefined ? { time: String(at / 1000) } : {}),
    });
    if (data.resultType === 'scalar') {
      return PrometheusClient.number(data.result as Sample, query);
    }
    const series = PrometheusClient.one(
      data.result as Array<{ value: Sample }>,
      query,
    );
    return PrometheusClient.number(series.value, query);
  }

  async range(
    query: string,
    start: number,
    end: number,
    stepMs: number,
  ): Promise<Series> {
    const data = await this.call('query_range', {
      query,
      start: String(start / 1000),
      end: String(end / 1000),
      step: String(Math.max(stepMs, 1000) / 1000),
    });
    const result = data.result as Array<{ values: Sample[] }>;
    if (result.length === 0) return [];
    const series = PrometheusClient.one(result, query);
    return series.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]);
  }
}
