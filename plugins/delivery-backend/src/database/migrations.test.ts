import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  applyDatabaseMigrations,
  rollbackDatabaseMigrations,
} from './migrations';

const migrationsDirectory = resolvePackagePath(
  '@backstage-delivery/plugin-delivery-backend',
  'migrations',
);

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

  it.each(databases.eachSupportedId())(
    'give promotions written before the go-live column their go-live time, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      // Back to the schema before 20261205090000_go_live.
      while (
        await knex.schema.hasColumn('delivery_promotions', 'went_live_at')
      ) {
        await knex.migrate.down({
          directory: migrationsDirectory,
          tableName: 'delivery_knex_migrations',
        });
      }
      await knex('delivery_artifacts').insert({
        id: 'a1',
        component_ref: 'component:default/payments-api',
        digest: `sha256:${'1'.repeat(64)}`,
        image_repository: 'ghcr.io/acme/payments-api',
        commit_sha: 'a'.repeat(40),
        created_by: 'service:ci',
        created_at: 1,
      });
      const promotion = (id: string, state: string, completedAt: number) => ({
        id,
        component_ref: 'component:default/payments-api',
        environment: 'production',
        ladder: 'standard',
        artifact_id: 'a1',
        kind: 'normal',
        state,
        requested_by: 'service:ci',
        gates: '[]',
        required_approvals: 0,
        created_at: 1,
        updated_at: completedAt,
        completed_at: completedAt,
      });
      await knex('delivery_promotions').insert([
        // Live at 10:44 (its succeeded event), rolled back at 13:09.
        promotion('rolled-back', 'rolled-back', 1309),
        // Succeeded before rollout events were kept.
        promotion('succeeded', 'succeeded', 900),
        promotion('failed', 'failed', 1000),
      ]);
      await knex('delivery_rollout_events').insert([
        {
          promotion_id: 'rolled-back',
          type: 'deploying',
          reported_by: 'ci',
          created_at: 1000,
        },
        {
          promotion_id: 'rolled-back',
          type: 'succeeded',
          reported_by: 'ci',
          created_at: 1044,
        },
        {
          promotion_id: 'rolled-back',
          type: 'failed',
          reported_by: 'ci',
          created_at: 1309,
        },
      ]);

      await applyDatabaseMigrations(knex);
      const rows = await knex('delivery_promotions')
        .select('id', 'went_live_at')
        .orderBy('id');
      expect(
        rows.map(r => [r.id, r.went_live_at && Number(r.went_live_at)]),
      ).toEqual([
        ['failed', null],
        ['rolled-back', 1044],
        ['succeeded', 900],
      ]);
    },
  );
});
