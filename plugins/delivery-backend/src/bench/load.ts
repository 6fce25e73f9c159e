/*
 * Load generation for the portal benchmark: a fixed number of requests from
 * a number of concurrent clients, timed one by one.
 */

export interface Figures {
  label: string;
  clients: number;
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  /** Requests per second over the whole run. */
  throughput: number;
  firstError?: string;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/**
 * Runs `requests` calls of `fn(i)` from `clients` concurrent loops; a call
 * that throws counts as an error (and is not timed).
 */
export async function measure(
  label: string,
  clients: number,
  requests: number,
  fn: (i: number) => Promise<unknown>,
): Promise<Figures> {
  const samples: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  const loop = async () => {
    for (let i = next++; i < requests; i = next++) {
      const t0 = process.hrtime.bigint();
      try {
        await fn(i);
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (error) {
        errors++;
        firstError ??= String((error as Error).message ?? error);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  samples.sort((a, b) => a - b);
  return {
    label,
    clients,
    requests,
    errors,
    p50: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
    throughput: requests / elapsedS,
    firstError,
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`.padStart(10);

/** One line of the report: the figures, and their ratio to the anchors. */
export function line(
  figures: Figures,
  anchors: Array<{ name: string; figures?: Figures }> = [],
): string {
  const ratios = anchors
    .filter(a => a.figures)
    .map(a => `${(figures.p95 / a.figures!.p95).toFixed(2)}× ${a.name}`)
    .join(', ');
  return `${figures.label.padEnd(46)} ${String(figures.clients).padStart(
    2,
  )} clients  p50 ${ms(figures.p50)}  p95 ${ms(
    figures.p95,
  )}  ${figures.throughput.toFixed(0).padStart(5)}/s${
    figures.errors ? `  ${figures.errors} errors` : ''
  }${ratios ? `  p95 = ${ratios}` : ''}`;
}

/** GET or POST as JSON; throws on a status that is not 2xx. */
export async function call(
  url: string,
  token: string,
  init: {
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<unknown> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${response.status} from ${url}: ${text.slice(0, 200)}`);
  }
  return text ? JSON.parse(text) : undefined;
}
