import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { IdempotencyStore } from './IdempotencyStore';
import { applyDatabaseMigrations } from './migrations';

jest.setTimeout(60_000);

const MIN = 60_000;

describe('IdempotencyStore', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  async function create(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return new IdempotencyStore(knex);
  }

  const claim = (store: IdempotencyStore, requestHash: string, now: number) =>
    store.claim({
      keyHash: 'k1',
      requestHash,
      now,
      leaseMs: 2 * MIN,
      ttlMs: 60 * MIN,
    });

  it.each(databases.eachSupportedId())(
    'runs a key once, then replays its answer; refuses it for another body, %p',
    async databaseId => {
      const store = await create(databaseId);
      expect(await claim(store, 'body-1', 0)).toEqual({ kind: 'run' });
      // Concurrent retries while it runs.
      const racing = await Promise.all(
        Array.from({ length: 5 }, () => claim(store, 'body-1', 1000)),
      );
      expect(racing.map(c => c.kind)).toEqual(Array(5).fill('running'));
      await store.complete('k1', 201, { id: 'e1' });
      expect(await claim(store, 'body-1', 2000)).toEqual({
        kind: 'replay',
        status: 201,
        body: { id: 'e1' },
      });
      expect(await claim(store, 'body-2', 2000)).toEqual({ kind: 'mismatch' });
    },
  );

  it.each(databases.eachSupportedId())(
    'lets a failed request run again, takes over an abandoned claim once, and purges expired keys, %p',
    async databaseId => {
      const store = await create(databaseId);
      await claim(store, 'body', 0);
      await store.release('k1');
      expect(await claim(store, 'body', 1000)).toEqual({ kind: 'run' });
      // Its replica died: after the lease, one taker.
      const takers = await Promise.all(
        Array.from({ length: 4 }, () => claim(store, 'body', 1000 + 3 * MIN)),
      );
      expect(takers.filter(c => c.kind === 'run')).toHaveLength(1);
      await store.complete('k1', 200, undefined);
      expect(await claim(store, 'body', 5 * MIN)).toEqual({
        kind: 'replay',
        status: 200,
        body: undefined,
      });
      expect(await store.purge(30 * MIN)).toBe(0);
      expect(await store.purge(24 * 60 * MIN)).toBe(1);
      expect(await claim(store, 'body', 24 * 60 * MIN)).toEqual({
        kind: 'run',
      });
    },
  );
});
