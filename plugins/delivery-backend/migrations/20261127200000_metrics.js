/*
 * Delivery metrics: the DORA queries select production promotions by
 * environment, state and the time they ended (completed_at), for the whole
 * organisation or for a set of components; the time-to-restore query looks up
 * a component's next production release after each incident; pipeline stats
 * count the evidence reported in a window.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('delivery_promotions', table => {
    table.index(
      ['environment', 'state', 'completed_at'],
      'delivery_promotions_env_completed_idx',
    );
    table.index(
      ['component_ref', 'environment', 'state', 'completed_at'],
      'delivery_promotions_component_completed_idx',
    );
  });
  await knex.schema.alterTable('delivery_evidence', table => {
    table.index(['reported_at'], 'delivery_evidence_reported_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('delivery_evidence', table => {
    table.dropIndex(['reported_at'], 'delivery_evidence_reported_idx');
  });
  await knex.schema.alterTable('delivery_promotions', table => {
    table.dropIndex(
      ['environment', 'state', 'completed_at'],
      'delivery_promotions_env_completed_idx',
    );
    table.dropIndex(
      ['component_ref', 'environment', 'state', 'completed_at'],
      'delivery_promotions_component_completed_idx',
    );
  });
};
