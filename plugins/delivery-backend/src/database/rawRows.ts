import { Knex } from 'knex';

/** Runs raw SQL and returns its rows, whatever the engine's result shape. */
export async function rawRows(
  db: Knex,
  sql: string,
  bindings: Knex.Value[],
): Promise<Record<string, unknown>[]> {
  const result = await db.raw(sql, bindings);
  const client = String(db.client.config.client);
  if (client === 'pg') return result.rows;
  if (client === 'mysql' || client === 'mysql2') return result[0];
  return result;
}
