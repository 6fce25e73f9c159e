import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { MetricDayStore } from './MetricDayStore';

const migrationsDir = resolvePackagePath(
  '@backstage-delivery/plugin-delivery-backend',
  'migrations',
);

/** Brings the delivery schema up to date, unless `migrations.skip` is set. */
export async function applyDatabaseMigrations(
  knex: Knex,
  database?: DatabaseService,
): Promise<void> {
  if (database?.migrations?.skip) {
    return;
  }
  await knex.migrate.latest({
    directory: migrationsDir,
    tableName: 'delivery_knex_migrations',
  });
  // Delivery metrics kept in the write path are built from the ledger once.
  await new MetricDayStore(knex).ensureBuilt();
}

/** Rolls every delivery migration back (used by tests). */
export async function rollbackDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.rollback(
    { directory: migrationsDir, tableName: 'delivery_knex_migrations' },
    true,
  );
}
