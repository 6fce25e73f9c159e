import { Config, readDurationFromConfig } from '@backstage/config';
import { Duration } from 'luxon';

/** Helpers every config reader uses: key checks and typed values with errors that name the key. */

export const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAME_RULE =
  'use lowercase letters, digits and "-", starting and ending with a letter or digit (at most 63)';

export function invalid(key: string, problem: string): Error {
  return new Error(`Invalid delivery config at '${key}': ${problem}`);
}

/** Refuses keys the plugin does not know, which are usually typos. */
export function checkKeys(
  config: Config | undefined,
  path: string,
  known: string[],
) {
  for (const key of config?.keys() ?? []) {
    if (!known.includes(key)) {
      throw invalid(
        path ? `${path}.${key}` : key,
        `unknown key; expected one of ${known.join(', ')}`,
      );
    }
  }
}

export function checkName(value: string, key: string) {
  if (value.length > 63 || !NAME.test(value)) {
    throw invalid(key, `'${value}' is not a valid name; ${NAME_RULE}`);
  }
}

export function nonNegative(config: Config, key: string, path: string) {
  const value = config.getOptionalNumber(key);
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw invalid(`${path}.${key}`, `must be a number >= 0, got ${value}`);
  }
  return value;
}

export function duration(
  config: Config | undefined,
  key: string,
  path: string,
  fallbackMs: number,
  allowZero = false,
): number {
  if (!config?.has(key)) return fallbackMs;
  let ms: number;
  try {
    ms = Duration.fromObject(
      readDurationFromConfig(config, { key }),
    ).toMillis();
  } catch (error) {
    throw invalid(`${path}.${key}`, (error as Error).message);
  }
  if (allowZero ? !(ms >= 0) : !(ms > 0)) {
    throw invalid(
      `${path}.${key}`,
      allowZero ? 'must not be negative' : 'must be longer than zero',
    );
  }
  return ms;
}

/** A map of resource names to quantities; names may contain dots (requests.cpu). */
export function readResources(raw: unknown, path: string) {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(
      path,
      'must map resource names to quantities, e.g. { pods: 20 }',
    );
  }
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw invalid(
        `${path}.${key}`,
        'must be a quantity such as 500m, 2 or 4Gi',
      );
    }
    result[key] = String(value);
  }
  return result;
}
