import { CacheService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { cachedEntityLookup } from './catalog';

/** A cache in memory that honours ttl, on a clock the test moves. */
function memoryCache(now: () => number): CacheService {
  const entries = new Map<string, { value: any; until: number }>();
  const cache: CacheService = {
    get: (async (key: string) => {
      const entry = entries.get(key);
      return entry && entry.until > now() ? entry.value : undefined;
    }) as CacheService['get'],
    set: async (key, value, options) => {
      entries.set(key, { value, until: now() + (options?.ttl as number) });
    },
    delete: async key => {
      entries.delete(key);
    },
    withOptions: () => cache,
  };
  return cache;
}

describe('cachedEntityLookup', () => {
  const entity: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api' },
  };
  const ref = 'component:default/payments-api';

  it('asks the catalog once for a burst of lookups, again after the ttl', async () => {
    let now = 0;
    const getEntity = jest.fn(async (r: string) =>
      r === ref ? entity : undefined,
    );
    const lookup = cachedEntityLookup(
      { getEntity },
      memoryCache(() => now),
      10_000,
    );
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => lookup.getEntity(ref)),
    );
    expect(answers).toEqual(Array(5).fill(entity));
    expect(await lookup.getEntity(ref)).toEqual(entity);
    expect(getEntity).toHaveBeenCalledTimes(1);
    now = 10_001;
    expect(await lookup.getEntity(ref)).toEqual(entity);
    expect(getEntity).toHaveBeenCalledTimes(2);
  });

  it('does not keep an absent entity: one registered a moment later is found', async () => {
    let registered = false;
    const lookup = cachedEntityLookup(
      { getEntity: async () => (registered ? entity : undefined) },
      memoryCache(() => 0),
      10_000,
    );
    expect(await lookup.getEntity(ref)).toBeUndefined();
    registered = true;
    expect(await lookup.getEntity(ref)).toEqual(entity);
  });
});
