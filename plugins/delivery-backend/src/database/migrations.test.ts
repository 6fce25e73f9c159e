import { TestDatabases } from '@backstage/backend-test-utils';
import {
  applyDatabaseMigrations,
  rollbackDatabaseMigrations,
} from './migrations';

jest.setTimeout(60_000);

const TABLES = [
  'delivery_artifacts',
  'delivery_artifact_tags',
  'delivery_evidence',
  'delivery_quarantines',
  'delivery_promotions',
  'delivery_approvals',
  'delivery_rollout_events',
  'delivery_releases',
  'delivery_deployments',
  'delivery_deployment_steps',
];

describe('migrations', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  it.each(databases.eachSupportedId())(
    'go up, down and up again on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);

      await applyDatabaseMigrations(knex);
      for (const table of TABLES) {
        expect(await knex.schema.hasTable(table)).toBe(true);
      }

      await rollbackDatabaseMigrations(knex);
      for (const table of TABLES) {
        expect(await knex.schema.hasTable(table)).toBe(false);
      }

      await applyDatabaseMigrations(knex);
      expect(await knex.schema.hasTable('delivery_promotions')).toBe(true);
    },
  );
});
