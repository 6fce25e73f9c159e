import { Knex } from 'knex';
import { DeliveryHealth } from '@backstage-delivery/plugin-delivery-common';

/**
 * Makes one round trip to the plugin's database and reports which client
 * serves it and how long the trip took.
 */
export async function checkDatabase(
  knex: Knex,
): Promise<DeliveryHealth['database']> {
  const started = process.hrtime.bigint();
  await knex.raw('select 1 as ok');
  const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    client: String(knex.client.config.client),
    latencyMs: Math.round(latencyMs * 100) / 100,
  };
}
