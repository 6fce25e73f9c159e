import { TestDatabases } from '@backstage/backend-test-utils';
import { checkDatabase } from './checkDatabase';

jest.setTimeout(60_000);

describe('checkDatabase', () => {
  // Every engine that is available: SQLite always; PostgreSQL and MySQL when
  // BACKSTAGE_TEST_DATABASE_{POSTGRES15,MYSQL8}_CONNECTION_STRING are set.
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  it.each(databases.eachSupportedId())(
    'reports the client and a round trip on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const health = await checkDatabase(knex);

      const clients: Record<string, string> = {
        SQLITE_3: 'better-sqlite3',
        POSTGRES_15: 'pg',
        MYSQL_8: 'mysql2',
      };
      expect(health.client).toBe(clients[databaseId]);
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    },
  );

  it('fails when the database cannot be reached', async () => {
    const knex = await databases.init('SQLITE_3');
    await knex.destroy();
    await expect(checkDatabase(knex)).rejects.toThrow();
  });
});
