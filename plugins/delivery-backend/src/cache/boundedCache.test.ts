import { mockServices } from '@backstage/backend-test-utils';
import { CacheService } from '@backstage/backend-plugin-api';
import { boundedCache } from './boundedCache';

describe('boundedCache', () => {
  const logger = mockServices.logger.mock();
  const never = () => new Promise<never>(() => {});

  function cacheOf(impl: Partial<CacheService>): CacheService {
    const cache: CacheService = {
      get: async () => undefined,
      set: async () => {},
      delete: async () => {},
      withOptions: () => cache,
      ...impl,
    };
    return cache;
  }

  it('passes answers through', async () => {
    const cache = boundedCache(
      cacheOf({ get: (async () => ({ a: 1 })) as CacheService['get'] }),
      {
        timeoutMs: 50,
        logger,
      },
    );
    expect(await cache.get('k')).toEqual({ a: 1 });
  });

  it('is a miss when the cache hangs or fails, and says so once per outage', async () => {
    let down = true;
    const cache = boundedCache(
      cacheOf({
        get: (async () => (down ? never() : { a: 1 })) as CacheService['get'],
        set: async () => {
          throw new Error('Socket closed unexpectedly');
        },
      }),
      { timeoutMs: 50, logger },
    );
    const started = Date.now();
    expect(await cache.get('k')).toBeUndefined();
    await expect(cache.set('k', { a: 1 })).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('get: Error: no answer within 50 ms'),
    );
    down = false;
    expect(await cache.get('k')).toEqual({ a: 1 });
    expect(logger.info).toHaveBeenCalledWith('The cache answers again');
  });
});
