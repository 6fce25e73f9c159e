import { CacheService, LoggerService } from '@backstage/backend-plugin-api';

/**
 * The plugin's cache, never in the way: each operation that fails or takes
 * longer than `timeoutMs` is a miss (get) or skipped (set, delete), so that
 * with Redis down — whose client holds commands until it reconnects — the
 * plugin answers from the database instead of waiting. Said once in the log
 * per outage, and once when the cache answers again.
 */
export function boundedCache(
  cache: CacheService,
  options: { timeoutMs: number; logger: LoggerService },
): CacheService {
  let failing = false;
  const run = async <T>(
    operation: string,
    call: () => Promise<T>,
    fallback: T,
  ): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    const attempt = call();
    // A late failure must not surface as an unhandled rejection.
    attempt.catch(() => {});
    try {
      const value = await Promise.race([attempt, timeout]);
      if (failing) {
        failing = false;
        options.logger.info('The cache answers again');
      }
      return value;
    } catch (error) {
      if (!failing) {
        failing = true;
        options.logger.warn(
          `The cache failed (${operation}: ${error}); answering without it until it is back`,
        );
      }
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  };
  const wrap = (inner: CacheService): CacheService => ({
    get: key => run('get', () => inner.get(key), undefined),
    set: (key, value, opts) =>
      run('set', () => inner.set(key, value, opts), undefined),
    delete: key => run('delete', () => inner.delete(key), undefined),
    withOptions: opts => wrap(inner.withOptions(opts)),
  });
  return wrap(cache);
}
