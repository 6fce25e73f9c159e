import { randomUUID } from 'node:crypto';
import { CliError, ExitCode, ExitCodeValue } from './exitCodes';

/** Statuses worth another try. */
const TRANSIENT_STATUS = new Set([502, 503, 504]);

export interface ClientOptions {
  /** The portal's backend (`https://backstage.example.com`) or its delivery API. */
  baseUrl: string;
  token?: string;
  /** Further attempts after the first, for transient failures. Default 4. */
  retries?: number;
  /** Per request. Default 30 s. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Progress messages (retries), for stderr. */
  log?: (message: string) => void;
  random?: () => number;
}

/**
 * delivery-common's IDEMPOTENCY_KEY_HEADER, written out: importing it would
 * put all of delivery-common (permissions, schemas) into the one-file CLI
 * the portal serves.
 */
const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

/** An answer of the portal that is not a success. */
export class ApiError extends CliError {
  constructor(
    message: string,
    exitCode: ExitCodeValue,
    readonly status: number,
    readonly body: any,
  ) {
    super(message, exitCode, body);
    this.name = 'ApiError';
  }
}

function exitCodeFor(status: number, errorName?: string): ExitCodeValue {
  if (status === 401 || status === 403) return ExitCode.NOT_ALLOWED;
  if (status === 409 && errorName === 'PromotionRefusedError') {
    return ExitCode.REFUSED;
  }
  if (status === 429) return ExitCode.REFUSED;
  if (status === 409) return ExitCode.FAILED;
  if (status >= 500) return ExitCode.UNREACHABLE;
  if (status >= 400) return ExitCode.BAD_INPUT;
  return ExitCode.ERROR;
}

function errorCode(error: unknown): string | undefined {
  const e = error as { name?: string; code?: string; cause?: any };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'TIMEOUT';
  return (
    e?.cause?.code ??
    e?.code ??
    e?.cause?.cause?.code ??
    (e?.cause?.message ? `network error: ${e.cause.message}` : undefined)
  );
}

/** The delivery API root for a portal URL. */
export function apiRoot(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return /\/api\/delivery$/.test(trimmed) ? trimmed : `${trimmed}/api/delivery`;
}

/**
 * A small client of the delivery API for pipelines: a bearer token, a
 * timeout per request, and retries with exponential backoff and jitter for
 * transient failures, only where repeating is safe.
 */
export class DeliveryApiClient {
  private readonly root: string;
  private readonly options: Required<
    Omit<ClientOptions, 'token' | 'baseUrl'>
  > & { token?: string };

  constructor(options: ClientOptions) {
    this.root = apiRoot(options.baseUrl);
    this.options = {
      token: options.token,
      retries: options.retries ?? 4,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      fetch: options.fetch ?? fetch,
      sleep:
        options.sleep ??
        (ms => new Promise(resolve => setTimeout(resolve, ms))),
      log: options.log ?? (() => {}),
      random: options.random ?? Math.random,
    };
  }

  private url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(`${this.root}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** 0.5 s, 1 s, 2 s, 4 s, 8 s…, each with full jitter, or the server's Retry-After. */
  private delay(attempt: number, retryAfter?: string | null): number {
    const seconds = retryAfter ? Number(retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) {
      return Math.min(seconds * 1000, 60_000);
    }
    const cap = Math.min(500 * 2 ** attempt, 8000);
    return Math.round(cap / 2 + (this.options.random() * cap) / 2);
  }

  async request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: RequestOptions,
  ): Promise<{ status: number; data: T }> {
    const url = this.url(path, options.query);
    const { retries, log } = this.options;
    // One key per logical call, the same on every attempt: the portal runs a
    // mutating request once, however often it is retried, and answers the
    // retries with the first answer.
    const idempotencyKey = method === 'GET' ? undefined : randomUUID();
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.options.fetch(url, {
          method,
          headers: {
            accept: 'application/json',
            ...(options.body !== undefined
              ? { 'content-type': 'application/json' }
              : {}),
            ...(this.options.token
              ? { authorization: `Bearer ${this.options.token}` }
              : {}),
            ...(idempotencyKey
              ? { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey }
              : {}),
          },
          body:
            options.body !== undefined
              ? JSON.stringify(options.body)
              : undefined,
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
      } catch (error) {
        const code = errorCode(error) ?? 'network error';
        const what =
          code === 'TIMEOUT'
            ? `no answer within ${this.options.requestTimeoutMs / 1000} s`
            : code;
        if (attempt < retries) {
          const wait = this.delay(attempt);
          log(
            `${method} ${path}: ${what}; retrying in ${(wait / 1000).toFixed(
              1,
            )} s (${attempt + 1}/${retries})`,
          );
          await this.options.sleep(wait);
          continue;
        }
        const why = attempt > 0 ? ` after ${attempt + 1} attempts` : '';
        throw new CliError(
          `Could not reach the portal at ${this.root} (${what})${why}`,
          ExitCode.UNREACHABLE,
        );
      }

      const text = await response.text();
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      if (response.ok) {
        return { status: response.status, data: body as T };
      }
      const retryAfter = response.headers.get('retry-after');
      // 409 for a key whose first attempt still runs: ask again shortly.
      const stillRunning =
        response.status === 409 &&
        /Idempotency-Key is still running/.test(body?.error?.message ?? '');
      const transient =
        TRANSIENT_STATUS.has(response.status) ||
        stillRunning ||
        (response.status === 429 && retryAfter !== null);
      if (transient && attempt < retries) {
        const wait = this.delay(attempt, retryAfter);
        log(
          `${method} ${path}: HTTP ${response.status}; retrying in ${(
            wait / 1000
          ).toFixed(1)} s (${attempt + 1}/${retries})`,
        );
        await this.options.sleep(wait);
        continue;
      }
      const message =
        body?.error?.message ??
        (typeof body === 'string' && body ? body : `HTTP ${response.status}`);
      throw new ApiError(
        `${message} (HTTP ${response.status})`,
        exitCodeFor(response.status, body?.error?.name),
        response.status,
        body,
      );
    }
  }

  get<T>(path: string, query?: RequestOptions['query']) {
    return this.request<T>('GET', path, { query });
  }
}
