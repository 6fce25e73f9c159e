/*
 * Delivery metrics kept in the write path.
 *
 * delivery_metric_days holds, per component, ladder, environment and UTC day,
 * what the DORA keys, the pipeline figures and the scorecard's incident check
 * need: counts, and the exact durations behind medians and percentiles (lead
 * times, time to environment, restore times, approval waits) as JSON arrays.
 * Rows with component_ref '*' hold the same for the whole organisation. Each
 * promotion change recomputes its component's days from the ledger and moves
 * the organisation's rows by the difference, in the change's transaction.
 *
 * delivery_metric_locks serialises those recomputations per component and
 * environment; delivery_metric_rollup records that the rows were built from
 * the ledger (the plugin builds them once, when this table says they are not).
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('delivery_metric_days', table => {
    table.comment(
      'Delivery metrics per component (or * for all), ladder, environment and UTC day',
    );
    table.string('component_ref', 255).notNullable();
    table.string('ladder', 63).notNullable();
    table.string('environment', 63).notNullable();
    table.integer('day').notNullable().comment('days since 1970-01-01 UTC');
    table.integer('deployments').notNullable().defaultTo(0);
    table.integer('changes').notNullable().defaultTo(0);
    table.integer('failures').notNullable().defaultTo(0);
    table
      .integer('worse')
      .notNullable()
      .defaultTo(0)
      .comment('changes not failed whose comparison found a metric worse');
    table.text('lead_times').notNullable().comment('JSON array of ms');
    table.text('environment_times').notNullable().comment('JSON array of ms');
    table.integer('incidents').notNullable().defaultTo(0);
    table.integer('restored').notNullable().defaultTo(0);
    table.bigInteger('slowest_restore_ms').nullable();
    table.text('restore_times').notNullable().comment('JSON array of ms');
    table.integer('requests').notNullable().defaultTo(0);
    table.integer('refused').notNullable().defaultTo(0);
    table.integer('skip_attempts').notNullable().defaultTo(0);
    table
      .text('refused_by_gate')
      .notNullable()
      .comment('JSON object: gate name to refused requests');
    table.text('approval_waits').notNullable().comment('JSON array of ms');
    table.primary(['component_ref', 'ladder', 'environment', 'day']);
    table.index(['day', 'component_ref'], 'delivery_metric_days_day_idx');
    // The scorecard sums these per component without reading the rows.
    table.index(
      [
        'component_ref',
        'day',
        'environment',
        'incidents',
        'restored',
        'slowest_restore_ms',
        'skip_attempts',
      ],
      'delivery_metric_days_scorecard_idx',
    );
  });
  // A change recomputes its component's days from the promotions created,
  // ended or live in them.
  await knex.schema.alterTable('delivery_promotions', table => {
    table.index(
      ['component_ref', 'environment', 'completed_at'],
      'delivery_promotions_component_env_completed_idx',
    );
    table.index(
      ['component_ref', 'environment', 'went_live_at'],
      'delivery_promotions_component_live_idx',
    );
  });
  await knex.schema.createTable('delivery_metric_locks', table => {
    table.comment(
      'One row per component and environment, locked while its metric days are recomputed',
    );
    table.string('component_ref', 255).notNullable();
    table.string('environment', 63).notNullable();
    table.primary(['component_ref', 'environment']);
  });
  await knex.schema.createTable('delivery_metric_rollup', table => {
    table.comment('Whether delivery_metric_days was built from the ledger');
    table.string('name', 32).primary();
    table.bigInteger('built_at').nullable();
  });
  await knex('delivery_metric_rollup').insert({ name: 'days', built_at: null });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('delivery_metric_rollup');
  await knex.schema.dropTable('delivery_metric_locks');
  await knex.schema.alterTable('delivery_promotions', table => {
    table.dropIndex([], 'delivery_promotions_component_env_completed_idx');
    table.dropIndex([], 'delivery_promotions_component_live_idx');
  });
  await knex.schema.dropTable('delivery_metric_days');
};
